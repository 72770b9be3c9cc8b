#pragma once
// Progress of long folds on stderr: one rewritten line on a terminal, a plain
// line every few seconds otherwise (for logs), and nothing when quiet.

#include <string>

#include <nlohmann/json.hpp>

#include "adapters/projections/projection_engine.h"

namespace mledger::cli {

// One line for an operator: a bulk load's pass as it ended (what it read and
// loaded, where its time went, the process's resident memory).
std::string describe_pass(const BulkPassReport& r);
// The same as JSON (bytes, seconds).
nlohmann::json pass_json(const BulkPassReport& r);

// Prints each report, and a line for each pass of a bulk load as it ends.
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
