#pragma once
// Progress of long folds on stderr: one rewritten line on a terminal, a plain
// line every few seconds otherwise (for logs), and nothing when quiet.

#include <string>

#include "adapters/projections/projection_engine.h"

namespace mledger::cli {

class ProgressPrinter {
 public:
  // `quiet`: print nothing (machine-readable runs).
  explicit ProgressPrinter(bool quiet);
  ~ProgressPrinter();  // ends a terminal line
  ProgressFn callback();

 private:
  void print(const ProjectionProgress& p);
  bool quiet_;
  bool tty_;
  bool open_line_ = false;
  double last_plain_seconds_ = -1;
};

}  // namespace mledger::cli
