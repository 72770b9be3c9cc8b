#include "adapters/system/file_writes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace mledger {

Status file_io_error(std::string_view doing, std::string_view what, const std::string& path, int err) {
  return Status(StatusCode::io_error,
                std::string(doing) + " " + std::string(what) + " " + path + ": " + std::strerror(err));
}

Status write_all(int fd, std::string_view bytes, std::string_view what, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return file_io_error("writing", what, path, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status replace_file(std::string_view what, const std::string& path, std::string_view bytes, unsigned mode,
                    Durability durability) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return file_io_error("creating the temporary file of", what, path, errno);
  Status s = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 ? Status::Ok()
                                                           : file_io_error("setting the mode of", what, tmp, errno);
  if (s.ok()) s = write_all(fd, bytes, what, tmp);
  const bool durable = durability == Durability::durable;
  if (s.ok() && durable && ::fsync(fd) != 0) s = file_io_error("syncing", what, tmp, errno);
  if (::close(fd) != 0 && s.ok()) s = file_io_error("closing", what, tmp, errno);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = file_io_error("renaming over", what, path, errno);
  if (!s.ok()) {
    (void)::unlink(tmp.c_str());  // best effort: a stray temporary file is rewritten next time
    return s;
  }
  return durable ? sync_parent_directory(what, path) : Status::Ok();
}

Status sync_parent_directory(std::string_view what, const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return file_io_error("opening the directory of", what, path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : file_io_error("syncing the directory of", what, path, err);
}

Status make_directories(std::string_view what, const std::string& path) {
  std::filesystem::path built;
  for (const auto& part : std::filesystem::path(path).lexically_normal()) {
    built /= part;
    if (part.empty() || part == "/" || part == "." || part == "..") continue;
    if (::mkdir(built.c_str(), 0755) == 0) {
      if (Status s = sync_parent_directory(what, built.string()); !s.ok()) return s;
      continue;
    }
    const int err = errno;
    std::error_code ec;
    if (err == EEXIST && std::filesystem::is_directory(built, ec)) continue;
    return file_io_error("creating the folder", what, built.string(), err == EEXIST ? ENOTDIR : err);
  }
  return Status::Ok();
}

Status make_parent_directories(std::string_view what, const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::Ok();
  return make_directories(what, parent.string());
}

}  // namespace mledger
