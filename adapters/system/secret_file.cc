#include "adapters/system/secret_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "adapters/system/file_writes.h"

namespace mledger {

namespace {

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

bool is_trailing_space(char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; }

// Reads at most bytes_max + 1 bytes of the open file `fd`.
StatusOr<std::string> read_bounded(int fd, std::string_view what, const std::string& path,
                                   size_t bytes_max) {
  std::string bytes(bytes_max + 1, '\0');
  size_t have = 0;
  while (have < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + have, bytes.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      OPENSSL_cleanse(bytes.data(), bytes.size());
      return Err{file_io_error("reading", what, path, err)};
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > bytes_max) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return fail(StatusCode::invalid_argument, std::string(what) + " " + path + " is larger than " +
                                                  std::to_string(bytes_max) + " bytes");
  }
  while (have > 0 && is_trailing_space(bytes[have - 1])) --have;
  std::string out(bytes.data(), have);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return out;
}

// The open file's problem (not regular; readable by others, for a secret), or Ok.
Status check_file(int fd, std::string_view what, const std::string& path, bool secret) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return file_io_error("inspecting", what, path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status(StatusCode::invalid_argument, std::string(what) + " " + path + " is not a regular file");
  }
  if (secret && (st.st_mode & 077) != 0) {
    return Status(StatusCode::invalid_argument,
                  std::string(what) + " " + path + " has mode " + mode_text(st.st_mode) +
                      ": it must not be readable by group or others (chmod 600)");
  }
  return Status::Ok();
}

StatusOr<std::string> read_file(std::string_view what, const std::string& path, size_t bytes_max, bool secret);

}  // namespace

Status write_new_secret_file(std::string_view what, const std::string& path, std::string_view bytes) {
  if (Status folders = make_parent_directories(what, path); !folders.ok()) return folders;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      return Status(StatusCode::invalid_argument,
                    std::string(what) + " " + path + " already exists; refusing to overwrite it");
    }
    return file_io_error("creating", what, path, err);
  }
  // The umask may have taken bits away; make the mode exactly 0600.
  Status status = ::fchmod(fd, 0600) == 0 ? Status::Ok() : file_io_error("setting the mode of", what, path, errno);
  if (status.ok()) status = write_all(fd, bytes, what, path);
  if (status.ok() && ::fsync(fd) != 0) status = file_io_error("syncing", what, path, errno);
  if (::close(fd) != 0 && status.ok()) status = file_io_error("closing", what, path, errno);
  if (!status.ok()) {
    ::unlink(path.c_str());  // best effort: a half-written secret must not be used
    return status;
  }
  return sync_parent_directory(what, path);
}

namespace {
StatusOr<std::string> read_file(std::string_view what, const std::string& path, size_t bytes_max, bool secret) {
  // O_NONBLOCK: a FIFO must not hang the open (it is refused as not a regular file).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return fail(StatusCode::not_found, std::string(what) + " " + path + " does not exist");
    return Err{file_io_error("opening", what, path, err)};
  }
  if (Status s = check_file(fd, what, path, secret); !s.ok()) {
    ::close(fd);
    return Err{s};
  }
  StatusOr<std::string> bytes = read_bounded(fd, what, path, bytes_max);
  ::close(fd);
  return bytes;
}
}  // namespace

StatusOr<std::string> read_secret_file(std::string_view what, const std::string& path, size_t bytes_max) {
  return read_file(what, path, bytes_max, /*secret=*/true);
}

Status copy_secret_file(std::string_view what, const std::string& from, const std::string& to,
                        size_t bytes_max) {
  auto bytes = read_secret_file(what, from, bytes_max);
  if (!bytes.ok()) return bytes.error();
  std::string text;
  text.reserve(bytes->size() + 1);  // one buffer: nothing left behind by a reallocation
  text.append(*bytes).push_back('\n');
  OPENSSL_cleanse(bytes->data(), bytes->size());
  Status s = write_new_secret_file(what, to, text);
  OPENSSL_cleanse(text.data(), text.size());
  return s;
}

StatusOr<std::string> read_small_file(std::string_view what, const std::string& path, size_t bytes_max) {
  return read_file(what, path, bytes_max, /*secret=*/false);
}

}  // namespace mledger
