#pragma once
// RocksDbProjectionStore: the ProjectionStore port on its own RocksDB
// database (by convention <ledger dir>/projections: derived data, kept apart
// from the event log, rebuilt from it at will).
//
// Layout: one column family per generation ("g<id>": document key -> bytes);
// the default family holds the catalogue of generations:
//   "gen:" id(8, big-endian)  -> projection '\0' version(4) role(1)
//   "ckpt:" id(8)             -> seq(8) hash(32)
//   "bulk:" id(8)             -> seq(8) hash(32) below(8): a bulk load's progress
//   "next"                    -> next id(8)
// commit() is one WriteBatch across the families (atomic, WAL, not synced: a
// power cut may lose the last commits, never split one, and the log replays
// them). Catalogue changes are synced. On open an incomplete last record of
// the write-ahead log (a crash) is dropped; a damaged one fails the open with
// `corruption` saying how to rebuild (remove the directory). After a failed
// write (a full disk) writes fail until RocksDB's DB::Resume() succeeds,
// tried at most once a second. RocksDB's info log goes to stderr
// (errors), never into the store's directory. On open, families no generation
// names (a crash between creating or dropping a family and recording it) and
// scratch generations (an interrupted verify) are dropped, and so are the
// files of unfinished bulk loads (<path>/bulk-load/: SST files written, then
// ingested into a generation's family).
//
// One process opens the store for writing at a time (RocksDB's LOCK); open
// fails with `unavailable` when another holds it. read_only opens may run
// beside it and see the store as it was when opened.

#include <memory>
#include <string>

#include "adapters/projections/projection_store.h"

namespace mledger {

struct RocksDbProjectionStoreOptions {
  std::string path;
  bool read_only = false;  // fails with not_found when there is no store yet
  size_t block_cache_bytes = 32 << 20;
};

class RocksDbProjectionStore final : public ProjectionStore {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<RocksDbProjectionStore>> open(
      const RocksDbProjectionStoreOptions& options);
  ~RocksDbProjectionStore() override;

  StatusOr<std::vector<Generation>> generations() override;
  StatusOr<Generation> create_generation(std::string_view projection, uint32_t version,
                                         GenerationRole role) override;
  StatusOr<std::optional<std::string>> get(uint64_t generation, std::string_view key) override;
  Status scan(uint64_t generation, std::string_view from,
              const std::function<bool(std::string_view, std::string_view)>& fn) override;
  Status commit(std::span<const DocumentWrite> documents,
                std::span<const CheckpointWrite> checkpoints) override;
  Status promote(uint64_t generation) override;
  StatusOr<std::unique_ptr<BulkLoad>> bulk_load(uint64_t generation) override;
  Status drop(uint64_t generation) override;
  StatusOr<uint64_t> size_bytes(uint64_t generation) override;

  class Impl;

 private:
  explicit RocksDbProjectionStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mledger
