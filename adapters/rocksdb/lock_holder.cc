#include "adapters/rocksdb/lock_holder.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace mledger {

namespace {

// The command line of `pid`, arguments joined by spaces, at most 120 bytes.
std::string command_line(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  constexpr size_t kShownBytesMax = 120;
  if (raw.size() > kShownBytesMax) raw = raw.substr(0, kShownBytesMax) + "...";
  return raw;
}

}  // namespace

bool is_lock_refusal(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  const std::string text = s.ToString();
  return text.find("lock file") != std::string::npos || text.find("lock hold") != std::string::npos;
}

std::string lock_holder(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "LOCK").string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "another process";
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const int rc = ::fcntl(fd, F_GETLK, &probe);
  ::close(fd);
  if (rc != 0) return "another process";
  if (probe.l_type == F_UNLCK) return "this process";
  if (probe.l_pid <= 0) return "another process";
  const std::string command = command_line(probe.l_pid);
  return "process " + std::to_string(probe.l_pid) + (command.empty() ? "" : ": " + command);
}

}  // namespace mledger
