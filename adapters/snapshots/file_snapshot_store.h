#pragma once
// SnapshotStore as one file per stream in a directory of its own (a ledger
// keeps it at <ledger dir>/snapshots). A file is named by the SHA-256 of the
// stream's name in hex, written to `<name>.tmp` and renamed over the old one, so a reader
// sees a whole old file or a whole new one; after a crash a file may still be
// torn or empty (not synced: snapshots are disposable, and the codec's
// checksum tells). Thread-safe (files are written under distinct names by
// one writer at a time per stream).

#include <memory>
#include <string>

#include "domain/ports/snapshot_store.h"

namespace mledger {

class FileSnapshotStore final : public SnapshotStore {
 public:
  // Creates `dir` if it is missing (io_error when it cannot be).
  [[nodiscard]] static StatusOr<std::unique_ptr<FileSnapshotStore>> open(const std::string& dir);

  StatusOr<std::optional<std::string>> read(std::string_view stream) override;
  Status write(std::string_view stream, std::string_view bytes) override;
  Status erase(std::string_view stream) override;

  // The file that holds `stream`'s snapshot.
  std::string path_of(std::string_view stream) const;

 private:
  explicit FileSnapshotStore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace mledger
