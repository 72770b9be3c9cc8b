#pragma once
// A small tmpfs mounted for one test (a real file system that fills up),
// unmounted when the test ends. Mounting needs root (CAP_SYS_ADMIN): when it
// is refused, `error` says why and the test skips itself.

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace mledger::testing {

class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, size_t size_bytes_max) : path_(path) {
    std::filesystem::create_directories(path);
    const std::string data = "size=" + std::to_string(size_bytes_max) + ",mode=0755";
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, data.c_str()) != 0) {
      error = "mounting a tmpfs at " + path + ": " + std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (error.empty()) (void)::umount2(path_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return error.empty(); }
  std::string error;

 private:
  std::string path_;
};

}  // namespace mledger::testing
