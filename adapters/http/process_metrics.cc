#include "adapters/http/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mledger::http {

namespace {

// Field `index` (0-based: pages of size, resident, ...) of /proc/self/statm, in bytes.
double statm_bytes(int index) {
  std::ifstream in("/proc/self/statm");
  double pages = 0;
  for (int i = 0; i <= index && in >> pages; ++i) {
  }
  return in ? pages * static_cast<double>(::sysconf(_SC_PAGESIZE)) : 0.0;
}

}  // namespace

double process_cpu_seconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

namespace {

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

double max_fds() {
  rlimit limit{};
  return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<double>(limit.rlim_cur) : 0.0;
}

// The boot time (btime of /proc/stat) plus the process's start in clock
// ticks after boot (field 22 of /proc/self/stat), in seconds since the epoch.
double start_time_seconds() {
  std::ifstream stat("/proc/stat");
  double boot = 0;
  for (std::string key; stat >> key;) {
    if (key == "btime") {
      stat >> boot;
      break;
    }
  }
  std::ifstream self("/proc/self/stat");
  std::string line;
  std::getline(self, line);
  const size_t comm_end = line.rfind(')');  // the command name may hold spaces
  if (comm_end == std::string::npos) return 0;
  std::istringstream fields(line.substr(comm_end + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  return boot + std::stod(field.empty() ? "0" : field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

void register_process_metrics(Metrics& metrics) {
  metrics.counter_reader("process_cpu_seconds_total", "Total user and system CPU time spent in seconds",
                         process_cpu_seconds);
  metrics.gauge("process_resident_memory_bytes", "Resident memory size in bytes", [] { return statm_bytes(1); });
  metrics.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", [] { return statm_bytes(0); });
  metrics.gauge("process_open_fds", "Number of open file descriptors", open_fds);
  metrics.gauge("process_max_fds", "Maximum number of open file descriptors", max_fds);
  const double started = start_time_seconds();
  metrics.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds",
                [started] { return started; });
}

}  // namespace mledger::http
