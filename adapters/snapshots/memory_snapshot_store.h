#pragma once
// SnapshotStore in memory (tests, the memory log). Thread-safe.

#include <map>
#include <mutex>

#include "domain/ports/snapshot_store.h"

namespace mledger {

class MemorySnapshotStore final : public SnapshotStore {
 public:
  StatusOr<std::optional<std::string>> read(std::string_view stream) override;
  Status write(std::string_view stream, std::string_view bytes) override;
  Status erase(std::string_view stream) override;

  // Test access: the stored bytes, to damage them.
  std::map<std::string, std::string, std::less<>>& bytes() { return bytes_; }

 private:
  std::mutex mu_;
  std::map<std::string, std::string, std::less<>> bytes_;
};

}  // namespace mledger
