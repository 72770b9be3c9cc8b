#pragma once
// A small real file system mounted for one test (one that fills up), and
// unmounted when the test ends: a tmpfs, or an ext4 image on a loop device.
// Mounting needs root (CAP_SYS_ADMIN): when it fails, `error` says why and
// the test skips itself.

#include <sys/mount.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace mledger::testing {

enum class FsKind { tmpfs, ext4 };

class TestFilesystem {
 public:
  TestFilesystem(const std::string& path, FsKind kind, size_t size_bytes) : path_(path) {
    std::filesystem::create_directories(path);
    if (kind == FsKind::tmpfs) {
      const std::string data = "size=" + std::to_string(size_bytes) + ",mode=0755";
      if (::mount("tmpfs", path.c_str(), "tmpfs", 0, data.c_str()) != 0) {
        error = "mounting a tmpfs at " + path + ": " + std::strerror(errno);
      }
      return;
    }
    // No blocks reserved for root (the test and the server run as root).
    const std::string image = path + ".img";
    const std::string cmd = "truncate -s " + std::to_string(size_bytes) + " " + image +
                            " && mkfs.ext4 -q -F -m 0 " + image + " && mount -o loop " + image + " " + path;
    if (std::system(cmd.c_str()) != 0) error = "making and mounting an ext4 image at " + path + " failed";
  }
  ~TestFilesystem() {
    if (error.empty()) (void)::umount2(path_.c_str(), MNT_DETACH);
  }
  TestFilesystem(const TestFilesystem&) = delete;
  TestFilesystem& operator=(const TestFilesystem&) = delete;

  bool mounted() const { return error.empty(); }
  std::string error;

 private:
  std::string path_;
};

}  // namespace mledger::testing
