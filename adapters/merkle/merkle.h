#pragma once
// The RFC 9162 (Certificate Transparency 2.0) Merkle tree math, section 2.1,
// over SHA-256: no I/O, no clock; every function is thread-safe.
//
// The ledger's tree: leaf i (0-based) is the chain hash of event i + 1, so a
// tree of size n covers events 1..n. Hashes:
//   leaf  SHA-256(0x00 || chain hash)        (RFC 9162 2.1.1, the leaf input
//                                             is the 32-byte chain hash)
//   node  SHA-256(0x01 || left || right)
//   empty SHA-256("")                        (the tree of size 0)
// A complete subtree is named (level, index): the 2^level leaves from
// index * 2^level on. Storage keeps every complete subtree's hash; the
// functions below read them through a NodeReader, at most O(log n) reads.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger::merkle {

inline constexpr size_t kPathEntriesMax = 64;          // an inclusion path
inline constexpr size_t kConsistencyEntriesMax = 128;  // a consistency proof

Hash256 leaf_hash(const Hash256& chain_hash);
Hash256 node_hash(const Hash256& left, const Hash256& right);
Hash256 empty_root();

// The stored hash of complete subtree (level, index); not_found / io_error /
// corruption as the store says.
using NodeReader = std::function<StatusOr<Hash256>(unsigned level, uint64_t index)>;

// MTH(D[0:size]). invalid_argument never; size 0 gives empty_root().
[[nodiscard]] StatusOr<Hash256> root(const NodeReader& nodes, uint64_t size);

// PATH(leaf_index, D[0:size]) (RFC 9162 2.1.3.1), nearest the leaf first.
// invalid_argument unless leaf_index < size.
[[nodiscard]] StatusOr<std::vector<Hash256>> inclusion_proof(const NodeReader& nodes,
                                                             uint64_t leaf_index, uint64_t size);

// PROOF(from_size, D[0:to_size]) (RFC 9162 2.1.4.1). invalid_argument unless
// 0 < from_size <= to_size; empty when they are equal.
[[nodiscard]] StatusOr<std::vector<Hash256>> consistency_proof(const NodeReader& nodes,
                                                               uint64_t from_size, uint64_t to_size);

// RFC 9162 2.1.3.2: "" when `path` proves that `leaf` (a leaf hash) is leaf
// `leaf_index` of the tree of `size` with `root`; otherwise why not.
std::string verify_inclusion(const Hash256& leaf, uint64_t leaf_index, uint64_t size,
                             std::span<const Hash256> path, const Hash256& root);

// RFC 9162 2.1.4.2: "" when `proof` proves the tree of `from_size` with
// `from_root` is a prefix of the tree of `to_size` with `to_root`; otherwise
// why not. 0 < from_size <= to_size is required (a reason otherwise).
std::string verify_consistency(uint64_t from_size, uint64_t to_size, const Hash256& from_root,
                               const Hash256& to_root, std::span<const Hash256> proof);

// The right edge of a growing tree (a compact range): the hash of each
// complete subtree of the binary decomposition of its size. What a writer
// keeps in memory to append leaves with amortized O(1) hashes.
class Frontier {
 public:
  // Called for every complete subtree a leaf completes, the leaf itself first.
  using Emit = std::function<void(unsigned level, uint64_t index, const Hash256& hash)>;

  uint64_t size() const { return size_; }
  // Appends the leaf of `chain_hash` (as leaf number size()).
  void append(const Hash256& chain_hash, const Emit& emit);
  Hash256 root() const;
  // The frontier of a stored tree of `size` leaves (popcount(size) reads).
  [[nodiscard]] static StatusOr<Frontier> load(const NodeReader& nodes, uint64_t size);

 private:
  uint64_t size_ = 0;
  std::vector<Hash256> peaks_;  // one per set bit of size_, highest level first
};

// A NodeReader over an in-memory list of levels (levels[l][i] = node (l, i)),
// for the memory log and tests.
NodeReader read_levels(const std::vector<std::vector<Hash256>>& levels);

}  // namespace mledger::merkle
