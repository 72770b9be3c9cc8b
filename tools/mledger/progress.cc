#include "tools/mledger/progress.h"

#include <unistd.h>

#include <cstdio>

namespace mledger::cli {

ProgressPrinter::ProgressPrinter(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1) {}

ProgressPrinter::~ProgressPrinter() {
  if (open_line_) std::fputc('\n', stderr);
}

ProgressFn ProgressPrinter::callback() {
  if (quiet_) return {};
  return [this](const ProjectionProgress& p) { print(p); };
}

namespace {

const char* source_of(const BulkPassReport& r) {
  return r.reads_log ? "log" : r.reads_spill ? "spill" : "account_index";
}

}  // namespace

std::string describe_pass(const BulkPassReport& r) {
  constexpr double kMiB = 1024.0 * 1024.0;
  const char* reads = r.reads_log ? "the log in order" : r.reads_spill ? "the spill" : "by the account index";
  char line[512];
  std::snprintf(line, sizeof line,
                "pass %llu (%s): %.1f%% of accounts, %llu accounts loaded, %llu events read in %.1f s "
                "(%s %.1f s, writing %.1f s); RSS %.0f MiB (heap %.0f MiB, peak %.0f MiB); %llu accounts left; "
                "spill %.0f MiB",
                static_cast<unsigned long long>(r.number), reads,
                100 * r.accounts_share, static_cast<unsigned long long>(r.accounts_loaded),
                static_cast<unsigned long long>(r.events_read), r.seconds,
                "waiting for events", r.read_seconds, r.write_seconds,
                static_cast<double>(r.resident_bytes) / kMiB, static_cast<double>(r.heap_bytes) / kMiB,
                static_cast<double>(r.peak_resident_bytes) / kMiB, static_cast<unsigned long long>(r.accounts_left),
                static_cast<double>(r.spill_bytes) / kMiB);
  return line;
}

nlohmann::json pass_json(const BulkPassReport& r) {
  return {{"pass", r.number},
          {"reads", source_of(r)},
          {"spill_bytes", r.spill_bytes},
          {"accounts_share", r.accounts_share},
          {"accounts_loaded", r.accounts_loaded},
          {"accounts_left", r.accounts_left},
          {"events_read", r.events_read},
          {"seconds", r.seconds},
          {"read_seconds", r.read_seconds},
          {"write_seconds", r.write_seconds},
          {"resident_bytes", r.resident_bytes},
          {"heap_bytes", r.heap_bytes},
          {"peak_resident_bytes", r.peak_resident_bytes}};
}

void ProgressPrinter::print(const ProjectionProgress& p) {
  if (p.pass_done) {
    if (open_line_) std::fputc('\n', stderr);
    open_line_ = false;
    std::fprintf(stderr, "%s: %s\n", p.phase.c_str(), describe_pass(*p.pass_done).c_str());
  }
  const double rate = p.seconds > 0 ? static_cast<double>(p.done) / p.seconds : 0;
  const double percent = p.total > 0 ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 100;
  const double eta = rate > 0 && p.total > p.done ? static_cast<double>(p.total - p.done) / rate : 0;
  if (tty_) {
    std::fprintf(stderr, "\r%s: %llu/%llu events (%.1f%%), %.0f events/s, ETA %.0f s   ", p.phase.c_str(),
                 static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.total),
                 percent, rate, eta);
    open_line_ = true;
  } else if (p.done == p.total || last_plain_seconds_ < 0 || p.seconds - last_plain_seconds_ >= 5) {
    std::fprintf(stderr, "%s: %llu/%llu events (%.1f%%) %.0f events/s ETA %.0f s\n", p.phase.c_str(),
                 static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.total),
                 percent, rate, eta);
    last_plain_seconds_ = p.seconds;
  }
  std::fflush(stderr);
}

}  // namespace mledger::cli
