#pragma once
// RevocationWatcher: a running server's revocation list (revocation_list.h),
// loaded from its file at start and loaded again when the file changes.
//
// refresh() stats the file (one syscall) and reloads it only when its device,
// inode, size or modification time changed since the last load (a file
// renamed over it, as `mledger token revoke` does, always counts as changed).
// The caller decides how often: `mledger serve` calls it from a thread of its
// own about once a second, so a request never waits on the file; a revocation
// takes effect within about a second. A failed reload (the file missing,
// unreadable, malformed, over a limit) keeps the list in force and returns
// the error; a file that failed is not read again until it changes (refresh()
// returns the same error meanwhile), so a caller that logs each distinct
// error once does not log every second.
//
// Thread-safe: contains() from any thread (a short lock, no I/O) while one
// thread refreshes.

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "adapters/auth/revocation_list.h"
#include "domain/core/status.h"

namespace mledger::auth {

class RevocationWatcher {
 public:
  // Loads the file at `path` (RevocationList::load's errors; the server then
  // refuses to start).
  [[nodiscard]] static StatusOr<std::unique_ptr<RevocationWatcher>> open(const std::string& path,
                                                                         int64_t now_s);

  // See above: true when the list was reloaded, false when the file is
  // unchanged since the last load.
  [[nodiscard]] StatusOr<bool> refresh(int64_t now_s);

  bool contains(std::string_view token_id) const;
  // The list in force (never null).
  std::shared_ptr<const RevocationList> current() const;
  const std::string& path() const { return path_; }

 private:
  struct Version {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    int64_t mtime_ns = -1;
    bool operator==(const Version&) const = default;
  };
  explicit RevocationWatcher(std::string path) : path_(std::move(path)) {}
  // The file's version now (a stat).
  [[nodiscard]] StatusOr<Version> version() const;

  const std::string path_;
  Version loaded_;            // of the list in force; only refresh() touches it
  Version failed_;            // of the last file that failed to load (not retried until it changes)
  Status failed_status_;      // why it failed
  mutable std::mutex mu_;
  std::shared_ptr<const RevocationList> list_;  // under mu_
};

}  // namespace mledger::auth
