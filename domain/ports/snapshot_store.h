#pragma once
// SnapshotStore: where folded decision states are kept between processes, as
// opaque bytes by stream (adapters/snapshots/snapshot_codec.h gives them
// their form and checks). Snapshots are an optimisation and disposable: a
// store may lose, truncate or damage any of them, and deleting them all is
// always safe; whoever reads one checks it before trusting it.

#include <optional>
#include <string>
#include <string_view>

#include "domain/core/status.h"

namespace mledger {

class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;

  // The bytes last written for `stream`, or nullopt when there are none.
  [[nodiscard]] virtual StatusOr<std::optional<std::string>> read(std::string_view stream) = 0;
  // Replaces the stream's bytes. A reader sees the old bytes or the new ones.
  [[nodiscard]] virtual Status write(std::string_view stream, std::string_view bytes) = 0;
  // Forgets the stream's bytes (nothing to forget is not an error).
  [[nodiscard]] virtual Status erase(std::string_view stream) = 0;
};

}  // namespace mledger
