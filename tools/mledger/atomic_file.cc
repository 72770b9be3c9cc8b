#include "tools/mledger/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "adapters/system/file_writes.h"

namespace mledger::cli {

namespace {

Status io_error(const std::string& what, const std::string& path) {
  return Status(StatusCode::io_error, what + " " + path + ": " + std::strerror(errno));
}

// Makes a rename in `dir` durable.
Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return io_error("opening directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : io_error("syncing directory", dir);
}

}  // namespace

StatusOr<AtomicFile> AtomicFile::create(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail(StatusCode::invalid_argument, path + " is a directory");
  }
  if (!overwrite && std::filesystem::exists(path, ec)) {
    return fail(StatusCode::invalid_argument, path + " exists (use --force to replace it)");
  }
  if (Status s = make_parent_directories("output file", path); !s.ok()) return Err{s};
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Err{io_error("creating", tmp)};
  return AtomicFile(path, f);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), file_(other.file_) {
  other.file_ = nullptr;
}

AtomicFile::~AtomicFile() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  std::error_code ec;
  std::filesystem::remove(tmp_path(), ec);  // best effort: it was never the file
}

Status AtomicFile::append(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return io_error("writing", tmp_path());
  }
  return Status::Ok();
}

Status AtomicFile::commit() {
  // On failure the destructor removes the temporary file (file_ stays set).
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) return io_error("syncing", tmp_path());
  std::FILE* f = file_;
  file_ = nullptr;
  const bool closed = std::fclose(f) == 0;
  if (!closed || std::rename(tmp_path().c_str(), path_.c_str()) != 0) {
    Status s = io_error(closed ? "renaming onto" : "closing", closed ? path_ : tmp_path());
    std::error_code ec;
    std::filesystem::remove(tmp_path(), ec);
    return s;
  }
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  return sync_directory(parent.empty() ? "." : parent.string());
}

Status write_file_atomically(const std::string& path, std::string_view bytes, bool overwrite) {
  auto file = AtomicFile::create(path, overwrite);
  if (!file.ok()) return file.error();
  if (Status s = file->append(bytes); !s.ok()) return s;
  return file->commit();
}

}  // namespace mledger::cli
