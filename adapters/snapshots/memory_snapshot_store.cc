#include "adapters/snapshots/memory_snapshot_store.h"

namespace mledger {

StatusOr<std::optional<std::string>> MemorySnapshotStore::read(std::string_view stream) {
  std::lock_guard lock(mu_);
  auto it = bytes_.find(stream);
  if (it == bytes_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemorySnapshotStore::write(std::string_view stream, std::string_view bytes) {
  std::lock_guard lock(mu_);
  bytes_[std::string(stream)] = std::string(bytes);
  return Status();
}

Status MemorySnapshotStore::erase(std::string_view stream) {
  std::lock_guard lock(mu_);
  if (auto it = bytes_.find(stream); it != bytes_.end()) bytes_.erase(it);
  return Status();
}

}  // namespace mledger
