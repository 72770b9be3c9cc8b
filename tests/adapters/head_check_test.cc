// Fork evidence from signed tree heads (adapters/audit/head_check.h): two
// heads signed by the ledger's key for one tree size with different roots are
// named as a fork; a head signed by another key, changed after signing, or of
// another ledger proves nothing and is refused; an intact sequence holds, and
// with the ledger's consistency proofs consecutive heads are joined.

#include <gtest/gtest.h>

#include "adapters/audit/head_check.h"
#include "adapters/crypto/sha256.h"
#include "adapters/merkle/merkle.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

struct Keys {
  testing::TempDir dir;
  Ed25519PrivateKey ledger = Ed25519PrivateKey::create(dir.sub("ledger.pem")).value();
  Ed25519PrivateKey other = Ed25519PrivateKey::create(dir.sub("other.pem")).value();
  Ed25519PublicKey ledger_public() const { return Ed25519PublicKey::from_pem(ledger.public_pem()).value(); }
};

// The leaves of a small tree and a NodeReader over all its levels.
struct Tree {
  std::vector<std::vector<Hash256>> levels;
  explicit Tree(uint64_t leaves, char salt) {
    merkle::Frontier f;
    for (uint64_t i = 0; i < leaves; ++i) {
      f.append(sha256({std::string(1, salt), std::to_string(i)}), [&](unsigned l, uint64_t index, const Hash256& h) {
        if (levels.size() <= l) levels.resize(l + 1);
        ASSERT_EQ(levels[l].size(), index);
        levels[l].push_back(h);
      });
    }
  }
  Hash256 root(uint64_t size) const { return merkle::root(merkle::read_levels(levels), size).value(); }
  ConsistencySource source(uint64_t size) const {
    return ConsistencySource{size, [this](uint64_t from, uint64_t to) {
                               return merkle::consistency_proof(merkle::read_levels(levels), from, to);
                             }};
  }
};

std::string head_json(const Ed25519PrivateKey& key, uint64_t size, const Hash256& root,
                      const std::string& ledger_id = "0123456789abcdef") {
  TreeHead h{size, root, Instant{1'700'000'000'000'000 + static_cast<int64_t>(size)}, ledger_id, ""};
  h.signature = key.sign(tree_head_message(h));
  return tree_head_to_json(h).dump();
}

TEST(HeadCheck, an_intact_sequence_holds_and_joins_with_the_ledgers_proofs) {
  Keys keys;
  const Tree tree(40, 'a');
  HeadChecker checker(keys.ledger_public());
  for (uint64_t size : {3, 16, 17, 33, 40}) checker.add("line " + std::to_string(size), head_json(keys.ledger, size, tree.root(size)));
  checker.add("line again", head_json(keys.ledger, 17, tree.root(17)));  // the same head twice: no fork
  const HeadCheckReport r = checker.finish(tree.source(40));
  EXPECT_TRUE(r.holds()) << (r.forks.empty() ? "" : r.forks[0]) << (r.refused.empty() ? "" : r.refused[0])
                         << (r.inconsistent.empty() ? "" : r.inconsistent[0]);
  EXPECT_EQ(r.heads_checked, 6u);
  EXPECT_EQ(r.sizes, 5u);
  EXPECT_EQ(r.smallest_size, 3u);
  EXPECT_EQ(r.largest_size, 40u);
  EXPECT_EQ(r.ledger_id, "0123456789abcdef");
}

TEST(HeadCheck, two_signed_heads_of_one_size_with_different_roots_are_named_as_a_fork) {
  Keys keys;
  const Tree one(20, 'a'), two(20, 'b');
  HeadChecker checker(keys.ledger_public());
  checker.add("line 1", head_json(keys.ledger, 10, one.root(10)));
  checker.add("line 2", head_json(keys.ledger, 20, one.root(20)));
  checker.add("line 3", head_json(keys.ledger, 20, two.root(20)));
  const HeadCheckReport r = checker.finish(std::nullopt);
  EXPECT_FALSE(r.holds());
  ASSERT_EQ(r.forks.size(), 1u);
  const std::string& fork = r.forks[0];
  EXPECT_NE(fork.find("FORK: line 2 and line 3 are heads of tree size 20"), std::string::npos) << fork;
  EXPECT_NE(fork.find(to_hex(one.root(20))), std::string::npos) << fork;
  EXPECT_NE(fork.find(to_hex(two.root(20))), std::string::npos) << fork;
  EXPECT_TRUE(r.refused.empty());
}

TEST(HeadCheck, heads_signed_by_another_key_changed_or_of_another_ledger_are_refused_and_prove_no_fork) {
  Keys keys;
  const Tree one(20, 'a'), two(20, 'b');
  HeadChecker checker(keys.ledger_public());
  checker.add("line 1", head_json(keys.ledger, 20, one.root(20)));
  checker.add("line 2", head_json(keys.other, 20, two.root(20)));  // another key: not the ledger's word
  nlohmann::json changed = nlohmann::json::parse(head_json(keys.ledger, 20, one.root(20)));
  changed["root_hash"] = to_hex(two.root(20));  // changed after signing
  checker.add("line 3", changed.dump());
  checker.add("line 4", head_json(keys.ledger, 20, two.root(20), "fedcba9876543210"));
  checker.add("line 5", "{\"tree_size\": 20}");
  checker.add("line 6", "not json");
  const HeadCheckReport r = checker.finish(std::nullopt);
  EXPECT_FALSE(r.holds());
  EXPECT_TRUE(r.forks.empty());
  EXPECT_EQ(r.heads_checked, 1u);
  ASSERT_EQ(r.refused.size(), 5u);
  EXPECT_NE(r.refused[0].find("line 2: the head of size 20 is refused: the tree head's signature does not verify"),
            std::string::npos) << r.refused[0];
  EXPECT_NE(r.refused[1].find("line 3: the head of size 20 is refused: the tree head's signature does not verify"),
            std::string::npos) << r.refused[1];
  EXPECT_NE(r.refused[2].find("line 4: the head of size 20 is of ledger fedcba9876543210"), std::string::npos)
      << r.refused[2];
  EXPECT_NE(r.refused[3].find("line 5: not a signed tree head"), std::string::npos) << r.refused[3];
  EXPECT_NE(r.refused[4].find("line 6: not JSON"), std::string::npos) << r.refused[4];
}

TEST(HeadCheck, a_head_the_ledgers_consistency_proof_does_not_join_is_named) {
  Keys keys;
  const Tree ledger(40, 'a'), other(40, 'b');
  HeadChecker checker(keys.ledger_public());
  checker.add("line 1", head_json(keys.ledger, 16, ledger.root(16)));
  checker.add("line 2", head_json(keys.ledger, 30, other.root(30)));  // signed, but of another history
  checker.add("line 3", head_json(keys.ledger, 50, ledger.root(40)));  // beyond the ledger's tree: not proven
  const HeadCheckReport r = checker.finish(ledger.source(40));
  EXPECT_FALSE(r.holds());
  EXPECT_TRUE(r.forks.empty());
  ASSERT_EQ(r.inconsistent.size(), 1u);
  EXPECT_NE(r.inconsistent[0].find("line 1 (size 16) and line 2 (size 30): the ledger's consistency proof does not hold"),
            std::string::npos) << r.inconsistent[0];
}

}  // namespace
}  // namespace mledger
