#pragma once
// MemoryProjectionStore: the ProjectionStore port in memory, for tests.

#include <map>
#include <mutex>

#include "adapters/projections/projection_store.h"

namespace mledger {

class MemoryProjectionStore final : public ProjectionStore {
 public:
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

 private:
  class MemoryBulkLoad;
  struct Stored {
    Generation meta;
    std::map<std::string, std::string, std::less<>> documents;
  };
  Stored* find(uint64_t generation);  // with mu_ held

  std::mutex mu_;
  std::map<uint64_t, Stored> generations_;
  uint64_t next_id_ = 1;
};

}  // namespace mledger
