#pragma once
// Small files written durably with POSIX calls (the signing key, the token
// revocation list). Every error is io_error and reads
// "DOING WHAT PATH: strerror", WHAT naming the kind of file for the reader
// ("key file", "revocation list").

#include <string>
#include <string_view>

#include "domain/core/status.h"

namespace mledger {

[[nodiscard]] Status file_io_error(std::string_view doing, std::string_view what, const std::string& path,
                                   int err);

// Writes all of `bytes` to `fd` (retrying short writes and EINTR).
[[nodiscard]] Status write_all(int fd, std::string_view bytes, std::string_view what, const std::string& path);

// How replace_file() leaves the new file.
enum class Durability {
  durable,  // synced, and its directory entry too, before it returns
  cached,   // left to the kernel: a crash may keep the old file or none
};

// Replaces `path` with `bytes` (mode `mode`), whole or not at all: written to
// `path`.tmp, renamed over `path`; the temporary file is removed when a step
// fails. One writer at a time per path (the temporary name is shared).
[[nodiscard]] Status replace_file(std::string_view what, const std::string& path, std::string_view bytes,
                                  unsigned mode, Durability durability);

// Makes `path`'s directory entry durable (fsync of its parent directory).
[[nodiscard]] Status sync_parent_directory(std::string_view what, const std::string& path);

// Creates the folder `path` and the missing folders above it (mode 0755,
// each new entry made durable); existing folders are left as they are.
[[nodiscard]] Status make_directories(std::string_view what, const std::string& path);

// Creates the missing folders above `path` (not `path` itself), as
// make_directories: where an output file or folder is about to be written.
[[nodiscard]] Status make_parent_directories(std::string_view what, const std::string& path);

}  // namespace mledger
