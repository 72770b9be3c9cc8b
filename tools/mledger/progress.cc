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

void ProgressPrinter::print(const ProjectionProgress& p) {
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
