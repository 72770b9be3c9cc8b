// The RFC 9162 tree math (adapters/merkle/merkle.h) against the RFC written
// out literally (tests/support/reference_merkle.h), and proofs that must be
// refused: the immudb lesson (GHSA-672p-m5jq-mrh8), every forgery named.

#include <gtest/gtest.h>

#include "adapters/merkle/merkle.h"
#include "tests/support/reference_merkle.h"

namespace mledger {
namespace {

using namespace mledger::testing;

Hash256 chain_hash_of(size_t i, std::string_view tree = "a") {
  return sha256({tree, std::to_string(i)});
}

// A tree of n leaves kept as a Frontier would store it.
struct Built {
  std::vector<std::vector<Hash256>> levels;
  Leaves leaves;
  merkle::Frontier frontier;
};

Built build(size_t n, std::string_view tree = "a") {
  Built b;
  for (size_t i = 0; i < n; ++i) {
    b.leaves.push_back(ref_leaf(chain_hash_of(i, tree)));
    b.frontier.append(chain_hash_of(i, tree), [&](unsigned level, uint64_t index, const Hash256& h) {
      if (b.levels.size() <= level) b.levels.resize(level + 1);
      ASSERT_EQ(b.levels[level].size(), index);
      b.levels[level].push_back(h);
    });
  }
  return b;
}

TEST(Merkle, roots_paths_and_proofs_equal_the_rfc_for_every_size_up_to_70) {
  const Built b = build(70);
  const auto nodes = merkle::read_levels(b.levels);
  EXPECT_EQ(merkle::root(nodes, 0).value(), sha256({}));
  for (size_t n = 1; n <= 70; ++n) {
    const Leaves d = slice(b.leaves, 0, n);
    const Hash256 root = ref_mth(d);
    ASSERT_EQ(merkle::root(nodes, n).value(), root) << n;
    for (size_t m = 0; m < n; ++m) {
      auto path = merkle::inclusion_proof(nodes, m, n);
      ASSERT_EQ(path.value(), ref_path(m, d)) << m << " in " << n;
      EXPECT_EQ(merkle::verify_inclusion(d[m], m, n, *path, root), "") << m << " in " << n;
    }
    for (size_t m = 1; m <= n; ++m) {
      auto proof = merkle::consistency_proof(nodes, m, n);
      ASSERT_EQ(proof.value(), ref_proof(m, d)) << m << " to " << n;
      EXPECT_EQ(merkle::verify_consistency(m, n, ref_mth(slice(d, 0, m)), root, *proof), "") << m << " to " << n;
    }
  }
}

TEST(Merkle, frontier_root_and_reload_follow_the_tree) {
  Built b = build(45);
  EXPECT_EQ(b.frontier.root(), ref_mth(b.leaves));
  auto reloaded = merkle::Frontier::load(merkle::read_levels(b.levels), 45);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->root(), b.frontier.root());
  reloaded->append(chain_hash_of(45), [](unsigned, uint64_t, const Hash256&) {});
  b.leaves.push_back(ref_leaf(chain_hash_of(45)));
  EXPECT_EQ(reloaded->root(), ref_mth(b.leaves));
}

TEST(Merkle, forged_inclusion_proofs_are_refused_with_a_reason) {
  const Built b = build(37);
  const auto nodes = merkle::read_levels(b.levels);
  const uint64_t m = 12, n = 37;
  const Hash256 root = merkle::root(nodes, n).value();
  const auto path = merkle::inclusion_proof(nodes, m, n).value();
  const Hash256 leaf = b.leaves[m];
  ASSERT_EQ(merkle::verify_inclusion(leaf, m, n, path, root), "");

  auto refused = [&](const Hash256& l, uint64_t index, uint64_t size, std::vector<Hash256> p) {
    const std::string why = merkle::verify_inclusion(l, index, size, p, root);
    EXPECT_NE(why, "");
    return why;
  };
  // A wrong size is refused when it changes the path's shape; when it does
  // not, the root (bound to its size by the signed head) refuses it.
  EXPECT_NE(refused(leaf, m, 70, path).find("shorter"), std::string::npos);
  EXPECT_NE(refused(leaf, m, 15, path).find("longer"), std::string::npos);
  EXPECT_NE(refused(leaf, m + 1, n, path), "");                                    // wrong index
  EXPECT_NE(refused(leaf, m, n, {path.begin(), path.end() - 1}).find("shorter"), std::string::npos);
  auto longer = path;
  longer.push_back(path.back());
  EXPECT_NE(refused(leaf, m, n, longer).find("longer"), std::string::npos);
  auto swapped = path;
  std::swap(swapped[0], swapped[1]);
  EXPECT_NE(refused(leaf, m, n, swapped).find("root"), std::string::npos);
  const Built other = build(40, "b");
  EXPECT_NE(refused(other.leaves[m], m, n, path), "");                             // another tree's leaf
  EXPECT_NE(refused(leaf, n, n, path).find("not below"), std::string::npos);       // beyond the size
  EXPECT_NE(refused(chain_hash_of(m), m, n, path), "");                            // the chain hash, not the leaf
  std::vector<Hash256> huge(65, leaf);
  EXPECT_NE(refused(leaf, m, n, huge).find("64"), std::string::npos);
}

TEST(Merkle, forged_consistency_proofs_are_refused_with_a_reason) {
  const Built b = build(50);
  const auto nodes = merkle::read_levels(b.levels);
  const Hash256 r21 = merkle::root(nodes, 21).value(), r50 = merkle::root(nodes, 50).value();
  const auto proof = merkle::consistency_proof(nodes, 21, 50).value();
  ASSERT_EQ(merkle::verify_consistency(21, 50, r21, r50, proof), "");
  EXPECT_NE(merkle::verify_consistency(22, 50, r21, r50, proof), "");
  EXPECT_NE(merkle::verify_consistency(21, 70, r21, r50, proof), "");
  EXPECT_NE(merkle::verify_consistency(21, 50, r50, r50, proof).find("older"), std::string::npos);
  EXPECT_NE(merkle::verify_consistency(21, 50, r21, r21, proof).find("newer"), std::string::npos);
  EXPECT_NE(merkle::verify_consistency(21, 50, r21, r50, {proof.begin(), proof.end() - 1}), "");
  auto longer = proof;
  longer.push_back(proof[0]);
  EXPECT_NE(merkle::verify_consistency(21, 50, r21, r50, longer), "");
  auto swapped = proof;
  std::swap(swapped[0], swapped[1]);
  EXPECT_NE(merkle::verify_consistency(21, 50, r21, r50, swapped), "");
  EXPECT_NE(merkle::verify_consistency(21, 50, r21, r50, {}).find("empty"), std::string::npos);
  EXPECT_NE(merkle::verify_consistency(50, 21, r50, r21, proof).find("0 < from size"), std::string::npos);
  EXPECT_NE(merkle::verify_consistency(0, 21, r21, r21, {}), "");
  // Two heads of one size with different roots: a fork.
  EXPECT_NE(merkle::verify_consistency(50, 50, r21, r50, {}).find("forked"), std::string::npos);
  EXPECT_EQ(merkle::verify_consistency(50, 50, r50, r50, {}), "");
}

}  // namespace
}  // namespace mledger
