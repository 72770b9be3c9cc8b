#pragma once
// FileChangeWatch: calls `changed` from its own thread each time the file
// `name` in directory `dir` is written, created or renamed into place
// (inotify on the directory), until it is destroyed. A burst of writes may
// be reported as one call; when the kernel's event queue overflowed, it
// calls `changed` once, as events may have been lost. Used by `mledger
// publish --follow` to wake when the writer advances the ledger's head
// watermark, instead of polling.
//
// Thread safety: `changed` runs on the watch's thread and must not block for
// long; the destructor joins that thread.

#include <functional>
#include <memory>
#include <string>

#include "domain/core/status.h"

namespace mledger {

class FileChangeWatch {
 public:
  // io_error naming `dir` when inotify cannot watch it (no such directory,
  // the user's inotify limits reached).
  [[nodiscard]] static StatusOr<std::unique_ptr<FileChangeWatch>> start(const std::string& dir,
                                                                        const std::string& name,
                                                                        std::function<void()> changed);
  ~FileChangeWatch();
  FileChangeWatch(const FileChangeWatch&) = delete;
  FileChangeWatch& operator=(const FileChangeWatch&) = delete;

 private:
  struct Impl;
  explicit FileChangeWatch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mledger
