#pragma once
// Runs the `mledger` binary as a user would (MLEDGER_BINARY, set by the test
// target), or any shell command, and collects its exit code and output.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

namespace mledger::testing {

struct Run {
  int exit_code;
  std::string out;
};

// Runs `cmd` through the shell; its exit code and stdout.
inline Run shell(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The binary with `args` (appended to its path in a shell command line);
// stderr is collected with stdout.
inline Run run(const std::string& args) {
  return shell(std::string(MLEDGER_BINARY) + " " + args + " 2>&1");
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace mledger::testing
