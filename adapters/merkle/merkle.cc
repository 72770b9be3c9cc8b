#include "adapters/merkle/merkle.h"

#include <bit>
#include <cassert>

#include "adapters/crypto/sha256.h"

namespace mledger::merkle {

namespace {

Sha256& hasher() {
  thread_local Sha256 h;
  return h;
}

// The largest power of two below n (n >= 2): RFC 9162's k.
uint64_t split_of(uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

// MTH(D[begin:begin+count]) for a range the RFC's recursion produces: begin
// is a multiple of bit_floor(count), so the range is the aligned complete
// subtrees of count's binary decomposition, folded from the right.
StatusOr<Hash256> range_hash(const NodeReader& nodes, uint64_t begin, uint64_t count) {
  assert(count > 0 && begin % std::bit_floor(count) == 0);
  std::vector<Hash256> pieces;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((count & width) == 0) continue;
    auto h = nodes(static_cast<unsigned>(level), begin >> level);
    if (!h.ok()) return h;
    pieces.push_back(*h);
    begin += width;
  }
  Hash256 acc = pieces.back();
  for (size_t i = pieces.size() - 1; i-- > 0;) acc = node_hash(pieces[i], acc);
  return acc;
}

Status path_into(const NodeReader& nodes, uint64_t m, uint64_t begin, uint64_t n,
                 std::vector<Hash256>* out) {
  if (n == 1) return Status::Ok();
  const uint64_t k = split_of(n);
  const bool left = m < k;
  Status s = left ? path_into(nodes, m, begin, k, out) : path_into(nodes, m - k, begin + k, n - k, out);
  if (!s.ok()) return s;
  auto sibling = left ? range_hash(nodes, begin + k, n - k) : range_hash(nodes, begin, k);
  if (!sibling.ok()) return sibling.error();
  out->push_back(*sibling);
  return Status::Ok();
}

Status subproof_into(const NodeReader& nodes, uint64_t m, uint64_t begin, uint64_t n, bool whole,
                     std::vector<Hash256>* out) {
  if (m == n) {
    if (whole) return Status::Ok();
    auto h = range_hash(nodes, begin, n);
    if (!h.ok()) return h.error();
    out->push_back(*h);
    return Status::Ok();
  }
  const uint64_t k = split_of(n);
  const bool left = m <= k;
  Status s = left ? subproof_into(nodes, m, begin, k, whole, out)
                  : subproof_into(nodes, m - k, begin + k, n - k, false, out);
  if (!s.ok()) return s;
  auto sibling = left ? range_hash(nodes, begin + k, n - k) : range_hash(nodes, begin, k);
  if (!sibling.ok()) return sibling.error();
  out->push_back(*sibling);
  return Status::Ok();
}

// Right-shifts fn and sn together until fn's lowest bit is set or fn is 0.
void shift_to_set_bit(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

std::string sizes(uint64_t a, uint64_t b) {
  return std::to_string(a) + " and " + std::to_string(b);
}

}  // namespace

Hash256 leaf_hash(const Hash256& chain_hash) {
  return hasher().digest({std::string_view("\0", 1), as_bytes(chain_hash)});
}

Hash256 node_hash(const Hash256& left, const Hash256& right) {
  return hasher().digest({std::string_view("\1", 1), as_bytes(left), as_bytes(right)});
}

Hash256 empty_root() { return hasher().digest({}); }

StatusOr<Hash256> root(const NodeReader& nodes, uint64_t size) {
  if (size == 0) return empty_root();
  return range_hash(nodes, 0, size);
}

StatusOr<std::vector<Hash256>> inclusion_proof(const NodeReader& nodes, uint64_t leaf_index,
                                               uint64_t size) {
  if (leaf_index >= size) {
    return fail(StatusCode::invalid_argument, "leaf " + std::to_string(leaf_index) +
                                                  " is not in a tree of size " + std::to_string(size));
  }
  std::vector<Hash256> path;
  if (Status s = path_into(nodes, leaf_index, 0, size, &path); !s.ok()) return Err{s};
  return path;
}

StatusOr<std::vector<Hash256>> consistency_proof(const NodeReader& nodes, uint64_t from_size,
                                                 uint64_t to_size) {
  if (from_size == 0 || from_size > to_size) {
    return fail(StatusCode::invalid_argument,
                "a consistency proof needs 0 < from size <= to size; got " + sizes(from_size, to_size));
  }
  std::vector<Hash256> proof;
  if (from_size == to_size) return proof;
  if (Status s = subproof_into(nodes, from_size, 0, to_size, true, &proof); !s.ok()) return Err{s};
  return proof;
}

std::string verify_inclusion(const Hash256& leaf, uint64_t leaf_index, uint64_t size,
                             std::span<const Hash256> path, const Hash256& root) {
  if (leaf_index >= size) {
    return "leaf index " + std::to_string(leaf_index) + " is not below the tree size " + std::to_string(size);
  }
  if (path.size() > kPathEntriesMax) return "the path has more than 64 hashes";
  uint64_t fn = leaf_index, sn = size - 1;
  Hash256 r = leaf;
  for (const Hash256& p : path) {
    if (sn == 0) return "the path is longer than the tree of size " + std::to_string(size) + " is deep";
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0) shift_to_set_bit(fn, sn);
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return "the path is shorter than the tree of size " + std::to_string(size) + " is deep";
  if (r != root) return "the path does not lead from the leaf to the root hash";
  return "";
}

std::string verify_consistency(uint64_t from_size, uint64_t to_size, const Hash256& from_root,
                               const Hash256& to_root, std::span<const Hash256> proof) {
  if (from_size == 0 || from_size > to_size) {
    return "a consistency proof needs 0 < from size <= to size; got " + sizes(from_size, to_size);
  }
  if (from_size == to_size) {
    if (!proof.empty()) return "two heads of one size need an empty proof";
    return from_root == to_root ? "" : "two heads of size " + std::to_string(to_size) +
                                           " with different root hashes: the log forked";
  }
  if (proof.empty()) return "the proof is empty";
  if (proof.size() > kConsistencyEntriesMax) return "the proof has more than 128 hashes";
  std::vector<Hash256> path;
  if (std::has_single_bit(from_size)) path.push_back(from_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = from_size - 1, sn = to_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash256 fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) return "the proof is longer than the trees of sizes " + sizes(from_size, to_size) + " need";
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(path[i], fr);
      sr = node_hash(path[i], sr);
      if ((fn & 1) == 0) shift_to_set_bit(fn, sn);
    } else {
      sr = node_hash(sr, path[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return "the proof is shorter than the trees of sizes " + sizes(from_size, to_size) + " need";
  if (fr != from_root) return "the proof does not lead to the older root hash";
  if (sr != to_root) return "the proof does not lead to the newer root hash";
  return "";
}

void Frontier::append(const Hash256& chain_hash, const Emit& emit) {
  Hash256 h = leaf_hash(chain_hash);
  uint64_t index = size_;
  unsigned level = 0;
  emit(level, index, h);
  while ((index & 1) != 0) {
    assert(!peaks_.empty());
    h = node_hash(peaks_.back(), h);
    peaks_.pop_back();
    index >>= 1;
    ++level;
    emit(level, index, h);
  }
  peaks_.push_back(h);
  ++size_;
  assert(peaks_.size() == static_cast<size_t>(std::popcount(size_)));
}

Hash256 Frontier::root() const {
  if (peaks_.empty()) return empty_root();
  Hash256 acc = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) acc = node_hash(peaks_[i], acc);
  return acc;
}

StatusOr<Frontier> Frontier::load(const NodeReader& nodes, uint64_t size) {
  Frontier f;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    auto h = nodes(static_cast<unsigned>(level), begin >> level);
    if (!h.ok()) return Err{h.error()};
    f.peaks_.push_back(*h);
    begin += width;
  }
  f.size_ = size;
  return f;
}

NodeReader read_levels(const std::vector<std::vector<Hash256>>& levels) {
  return [&levels](unsigned level, uint64_t index) -> StatusOr<Hash256> {
    if (level >= levels.size() || index >= levels[level].size()) {
      return fail(StatusCode::not_found, "no tree node at level " + std::to_string(level) + " index " +
                                             std::to_string(index));
    }
    return levels[level][index];
  };
}

}  // namespace mledger::merkle
