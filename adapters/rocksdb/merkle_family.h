#pragma once
// The Merkle tree's column family (rocksdb_event_log.h):
//   merkle  level(1) index(8, big-endian)  -> hash (32 bytes)
// Tree layout 2 (meta "tree_layout" = "2"): one entry per complete subtree
// (adapters/merkle/merkle.h) at level kLowestStoredLevel and above, written
// in the same WriteBatch as the events they cover. The levels below are not
// stored: a subtree there covers at most 2^kLowestStoredLevel - 1 leaves,
// which are the chain hashes of events the log holds anyway, so a reader
// computes it from those events (a bounded range scan). This keeps one tree
// entry per 2^kLowestStoredLevel events in the append's batch instead of two
// per event.
// Layout 1 (no "tree_layout"; ledgers written before it): every level from
// the leaves (level 0) up. Its levels >= kLowestStoredLevel are layout 2's;
// a writer drops the rest on open (drop_unstored_levels()).

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <string>

#include "adapters/merkle/merkle.h"

namespace mledger::merkle_family {

inline constexpr unsigned kLowestStoredLevel = 4;
inline constexpr uint64_t kLeavesPerStoredNode = uint64_t{1} << kLowestStoredLevel;
// The meta family's key and value naming the layout above.
inline constexpr const char* kLayoutKey = "tree_layout";
inline constexpr const char* kLayout = "2";

std::string node_key(unsigned level, uint64_t index);

// Adds node (level, index) to `batch`; level >= kLowestStoredLevel.
[[nodiscard]] Status put_node(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf,
                              unsigned level, uint64_t index, const Hash256& hash);

// Reads node (level, index): not_found when absent, corruption when its
// value is not 32 bytes.
[[nodiscard]] StatusOr<Hash256> read_node(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                          const rocksdb::ReadOptions& read, unsigned level,
                                          uint64_t index);

// Layout 2: the leaves the stored nodes of level kLowestStoredLevel cover
// (a multiple of kLeavesPerStoredNode; 0 when none).
[[nodiscard]] StatusOr<uint64_t> stored_complete_size(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                                      const rocksdb::ReadOptions& read);

// Layout 1: the number of leaves stored (the last leaf's index + 1; 0 when none).
[[nodiscard]] StatusOr<uint64_t> stored_leaf_count(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                                   const rocksdb::ReadOptions& read);

// Adds to `batch` the deletion of every node below kLowestStoredLevel
// (layout 1 to layout 2).
[[nodiscard]] Status drop_unstored_levels(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf);

}  // namespace mledger::merkle_family
