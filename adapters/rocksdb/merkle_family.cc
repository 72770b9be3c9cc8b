#include "adapters/rocksdb/merkle_family.h"

#include <cassert>
#include <cstring>
#include <memory>

#include "adapters/rocksdb/index_keys.h"
#include "adapters/rocksdb/rocksdb_status.h"

namespace mledger::merkle_family {

namespace {

// The number of nodes of `level` stored (the last one's index + 1).
StatusOr<uint64_t> nodes_at(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::ReadOptions& read,
                            unsigned level) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(read, cf));
  it->SeekForPrev(node_key(level, UINT64_MAX));
  if (!it->status().ok()) return Err{from_rocks(it->status(), "finding the Merkle tree's size")};
  if (!it->Valid()) return uint64_t{0};
  const rocksdb::Slice key = it->key();
  if (key.size() != 9) return fail(StatusCode::corruption, "the merkle family holds a key of the wrong shape");
  if (static_cast<unsigned char>(key[0]) != level) return uint64_t{0};
  return index_keys::get_be64(std::string_view(key.data() + 1, 8)) + 1;
}

}  // namespace

std::string node_key(unsigned level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  index_keys::put_be64(key, index);
  return key;
}

Status put_node(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf, unsigned level,
                uint64_t index, const Hash256& hash) {
  assert(level >= kLowestStoredLevel);
  const rocksdb::Slice value(reinterpret_cast<const char*>(hash.data()), hash.size());
  return from_rocks(batch.Put(cf, node_key(level, index), value), "building write batch");
}

StatusOr<Hash256> read_node(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                            const rocksdb::ReadOptions& read, unsigned level, uint64_t index) {
  const std::string what = "Merkle tree node (level " + std::to_string(level) + ", index " +
                           std::to_string(index) + ")";
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db.Get(read, cf, node_key(level, index), &value);
  if (s.IsNotFound()) return fail(StatusCode::not_found, what + " is not stored");
  if (!s.ok()) return Err{from_rocks(s, "reading " + what)};
  Hash256 h{};
  if (value.size() != h.size()) return fail(StatusCode::corruption, what + " is not 32 bytes");
  std::memcpy(h.data(), value.data(), h.size());
  return h;
}

StatusOr<uint64_t> stored_complete_size(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                        const rocksdb::ReadOptions& read) {
  auto nodes = nodes_at(db, cf, read, kLowestStoredLevel);
  if (!nodes.ok()) return nodes;
  return *nodes << kLowestStoredLevel;
}

StatusOr<uint64_t> stored_leaf_count(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                     const rocksdb::ReadOptions& read) {
  return nodes_at(db, cf, read, 0);
}

Status drop_unstored_levels(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf) {
  return from_rocks(batch.DeleteRange(cf, node_key(0, 0), node_key(kLowestStoredLevel, 0)),
                    "building write batch");
}

}  // namespace mledger::merkle_family
