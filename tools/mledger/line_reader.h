#pragma once
// Reads lines from a FILE* with a limit on each line's length: a longer line
// is reported as over the limit (its bytes are skipped, never all held).

#include <cstdio>
#include <string>

namespace mledger::cli {

class LineReader {
 public:
  LineReader(std::FILE* in, size_t line_bytes_max) : in_(in), max_(line_bytes_max) {}

  enum class Result { line, too_long, end, error };
  // On `line`, *out holds the line without its '\n' (and without a final '\r').
  Result next(std::string* out);

 private:
  std::FILE* in_;
  size_t max_;
};

}  // namespace mledger::cli
