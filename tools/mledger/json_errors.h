#pragma once
// `--json` failures as JSON: with --json, a subcommand that fails without
// printing anything on standard output (exit 1, 2 or 3) also prints one JSON
// object there,
//   {"error": {"exit_code": N, "message": "mledger NAME: what went wrong"}}
// whose message is the last line the subcommand wrote to standard error
// beginning "mledger " (its own report of the failure; standard error still
// gets every line as it is written).
//
// Installed by main() around one subcommand: it replaces the C streams
// `stdout` and `stderr` (glibc allows assigning them) by streams that pass
// every byte on to file descriptors 1 and 2 at once (standard error unbuffered,
// as before) while counting standard output and keeping standard error's
// "mledger " lines (the last one, at most kLineBytesMax bytes).

#include <cstddef>
#include <cstdio>
#include <string>

namespace mledger::cli {

class JsonErrors {
 public:
  static constexpr size_t kLineBytesMax = 4096;

  JsonErrors() = default;
  JsonErrors(const JsonErrors&) = delete;
  JsonErrors& operator=(const JsonErrors&) = delete;
  ~JsonErrors();

  // Starts watching the streams; the destructor (or finish()) restores them.
  // Returns false (and watches nothing) when the streams cannot be replaced.
  bool start();

  // Restores the streams; prints the error object for `exit_code` when it
  // is not 0 and nothing went to standard output. Returns `exit_code`.
  int finish(int exit_code);

  // Stream callbacks (fopencookie); not for other callers.
  void on_stdout(size_t bytes) { stdout_bytes_ += bytes; }
  void on_stderr(const char* bytes, size_t size);

 private:
  std::FILE* original_stdout_ = nullptr;
  std::FILE* original_stderr_ = nullptr;
  size_t stdout_bytes_ = 0;
  std::string partial_line_;  // standard error since its last newline
  std::string last_report_;   // the last complete line beginning "mledger "
};

}  // namespace mledger::cli
