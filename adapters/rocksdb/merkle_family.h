#pragma once
// The Merkle tree's column family (rocksdb_event_log.h):
//   merkle  level(1) index(8, big-endian)  -> hash (32 bytes)
// one entry per complete subtree (adapters/merkle/merkle.h), leaves at level
// 0. Written in the same WriteBatch as the events they cover.

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <string>

#include "adapters/merkle/merkle.h"

namespace mledger::merkle_family {

std::string node_key(unsigned level, uint64_t index);

[[nodiscard]] Status put_node(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf,
                              unsigned level, uint64_t index, const Hash256& hash);

// Reads node (level, index): not_found when absent, corruption when its
// value is not 32 bytes.
[[nodiscard]] StatusOr<Hash256> read_node(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                          const rocksdb::ReadOptions& read, unsigned level,
                                          uint64_t index);

// The number of leaves stored (the last leaf's index + 1; 0 when none).
[[nodiscard]] StatusOr<uint64_t> stored_size(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                             const rocksdb::ReadOptions& read);

}  // namespace mledger::merkle_family
