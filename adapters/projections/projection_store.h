#pragma once
// ProjectionStore: where the read models' documents live, by generation. The
// port the projection engine writes through; RocksDbProjectionStore keeps it
// on disk, MemoryProjectionStore in tests. One contract test
// (tests/adapters/projection_store_contract_test.cc) runs against both.
//
// A generation is one build of one projection: its documents (key -> bytes)
// and its checkpoint, the last event folded into them. A projection has at
// most one live generation (what queries read); a rebuild writes a `building`
// generation beside it and promote() swaps them; `verify` folds a `scratch`
// one and drops it. commit() writes documents and checkpoints of any
// generations all or nothing, so a crash never leaves documents that do not
// match their checkpoint: nothing is folded twice or skipped.
//
// Thread safety: every method may be called from any thread; a generation is
// written by one folder at a time.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger {

MLEDGER_ENUM(GenerationRole, live, building, scratch)

struct ProjectionCheckpoint {
  uint64_t seq = 0;  // the last event folded (0: none yet)
  Hash256 hash{};    // that event's chain hash: the log the generation was built from
  friend bool operator==(const ProjectionCheckpoint&, const ProjectionCheckpoint&) = default;
};

// Accounts are split into partitions by a hash of their id
// (account_partition()); a bulk load (a rebuild from event 1) folds and loads
// them a range of partitions at a time.
inline constexpr uint64_t kAccountPartitions = uint64_t{1} << 32;

// How far a bulk load of a generation got: the documents of every account
// whose partition is below `below` are folded up to `until` and loaded
// (below == kAccountPartitions: every account). The generation's checkpoint
// stays 0 until the engine commits `until` as its checkpoint, which ends the
// bulk load.
struct BulkProgress {
  ProjectionCheckpoint until;
  uint64_t below = 0;
  friend bool operator==(const BulkProgress&, const BulkProgress&) = default;
};

struct Generation {
  uint64_t id = 0;  // unique in the store, increasing
  std::string projection;
  uint32_t version = 0;  // of the fold that built it
  GenerationRole role = GenerationRole::building;
  ProjectionCheckpoint checkpoint;
  std::optional<BulkProgress> bulk;  // a bulk load under way (checkpoint 0)
  friend bool operator==(const Generation&, const Generation&) = default;
};

// One account's documents in a generation: keys and values, in key order.
using AccountDocuments = std::vector<std::pair<std::string, std::string>>;

// Documents written into a generation in key order, as one unit (RocksDB:
// an SST file, ingested). Not thread-safe. Destroyed without finish(),
// nothing of it is loaded (its files are removed).
class BulkLoad {
 public:
  virtual ~BulkLoad() = default;
  // Adds a document. Keys must strictly increase: a key not above the last
  // one is invalid_argument (and the load can then only be abandoned).
  [[nodiscard]] virtual Status add(std::string_view key, std::string_view value) = 0;
  // Makes the documents added visible in the generation (replacing any with
  // the same keys), then records `progress` as the generation's bulk
  // progress (synced). A crash between the two leaves the documents loaded
  // under the old progress: a bulk load repeated over the same events writes
  // the same documents, so that is harmless.
  [[nodiscard]] virtual Status finish(const BulkProgress& progress) = 0;
};

struct DocumentWrite {
  uint64_t generation = 0;
  std::string key;
  std::string value;
  bool erase = false;  // removes the document (value unused)
};

struct CheckpointWrite {
  uint64_t generation = 0;
  ProjectionCheckpoint checkpoint;
};

class ProjectionStore {
 public:
  virtual ~ProjectionStore() = default;

  // Every generation, by id.
  [[nodiscard]] virtual StatusOr<std::vector<Generation>> generations() = 0;

  // A new, empty generation (checkpoint 0). Fails with invalid_argument for a
  // live role (only promote() makes a generation live).
  [[nodiscard]] virtual StatusOr<Generation> create_generation(std::string_view projection,
                                                               uint32_t version,
                                                               GenerationRole role) = 0;

  [[nodiscard]] virtual StatusOr<std::optional<std::string>> get(uint64_t generation,
                                                                 std::string_view key) = 0;

  // Calls `fn` with each document of the generation in key order from `from`
  // (inclusive) until it returns false.
  [[nodiscard]] virtual Status scan(
      uint64_t generation, std::string_view from,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;

  // All or nothing. Every generation named must exist. A checkpoint written
  // ends its generation's bulk load (its bulk progress is removed).
  [[nodiscard]] virtual Status commit(std::span<const DocumentWrite> documents,
                                      std::span<const CheckpointWrite> checkpoints) = 0;

  // Makes `generation` its projection's live one and drops the live one it
  // replaces; a reader sees the old or the new, never a mixture.
  [[nodiscard]] virtual Status promote(uint64_t generation) = 0;

  // A bulk load into `generation`, which must exist and not be live
  // (invalid_argument) and must not be read or committed to meanwhile.
  [[nodiscard]] virtual StatusOr<std::unique_ptr<BulkLoad>> bulk_load(uint64_t generation) = 0;

  // Removes a generation and its documents.
  [[nodiscard]] virtual Status drop(uint64_t generation) = 0;

  // Approximate bytes the generation takes (documents, on disk and in memory).
  [[nodiscard]] virtual StatusOr<uint64_t> size_bytes(uint64_t generation) = 0;
};

}  // namespace mledger
