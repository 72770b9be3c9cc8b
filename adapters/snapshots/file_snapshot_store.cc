#include "adapters/snapshots/file_snapshot_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "adapters/crypto/sha256.h"
#include "adapters/system/file_writes.h"

namespace mledger {

namespace {
constexpr std::string_view kWhat = "snapshot file";
}

StatusOr<std::unique_ptr<FileSnapshotStore>> FileSnapshotStore::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Err{file_io_error("creating", "snapshot directory", dir, ec.value())};
  return std::unique_ptr<FileSnapshotStore>(new FileSnapshotStore(dir));
}

std::string FileSnapshotStore::path_of(std::string_view stream) const {
  // By digest: stream names may be longer than a file name may be; the
  // snapshot names its stream, which the reader checks.
  return dir_ + "/" + to_hex(sha256({stream})) + ".snap";
}

StatusOr<std::optional<std::string>> FileSnapshotStore::read(std::string_view stream) {
  const std::string path = path_of(stream);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Err{file_io_error("opening", kWhat, path, errno)};
  }
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Err{file_io_error("reading", kWhat, path, err)};
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(bytes));
}

Status FileSnapshotStore::write(std::string_view stream, std::string_view bytes) {
  // Not synced: a snapshot lost or torn by a crash is checked, ignored and rebuilt.
  return replace_file(kWhat, path_of(stream), bytes, 0644, Durability::cached);
}

Status FileSnapshotStore::erase(std::string_view stream) {
  const std::string path = path_of(stream);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return file_io_error("removing", kWhat, path, errno);
  return Status();
}

}  // namespace mledger
