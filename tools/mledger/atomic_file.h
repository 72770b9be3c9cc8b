#pragma once
// A file that appears whole or not at all: bytes go to `<path>.tmp`, which
// commit() syncs and renames over `path` (then syncs the directory). Until
// commit() succeeds nothing is at `path`; a file not committed (an error,
// an early return) is removed by the destructor.

#include <cstdio>
#include <string>
#include <string_view>

#include "domain/core/status.h"

namespace mledger::cli {

class AtomicFile {
 public:
  // Fails with invalid_argument when `path` exists and `overwrite` is false
  // (or `path` is a directory), io_error when the temporary file cannot be
  // created.
  [[nodiscard]] static StatusOr<AtomicFile> create(const std::string& path, bool overwrite);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  [[nodiscard]] Status append(std::string_view bytes);
  [[nodiscard]] Status commit();

 private:
  AtomicFile(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  std::string tmp_path() const { return path_ + ".tmp"; }

  std::string path_;
  std::FILE* file_ = nullptr;  // null once committed or moved from
};

// The whole of `bytes` as one AtomicFile.
[[nodiscard]] Status write_file_atomically(const std::string& path, std::string_view bytes,
                                           bool overwrite);

}  // namespace mledger::cli
