#pragma once
// The fault appender (tests/faults/fault_appender.cc) as a child process:
// started on a ledger directory, killed with SIGKILL once it has printed
// enough acknowledgements.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <set>
#include <string>

namespace mledger::testing {

// Starts the appender (`binary`, taking DIR PREFIX THREADS), reads acks until
// `acks_before_kill` arrived, kills it with SIGKILL, and returns every ack it
// printed (each one a command the ledger acknowledged as durable).
inline std::set<std::string> run_and_kill(const std::string& dir, const std::string& prefix,
                                          int acks_before_kill,
                                          const char* binary = MLEDGER_FAULT_APPENDER) {
  int pipe_fd[2];
  EXPECT_EQ(pipe(pipe_fd), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fd[1], STDOUT_FILENO);
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    execl(binary, binary, dir.c_str(), prefix.c_str(), "4",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fd[1]);
  FILE* in = fdopen(pipe_fd[0], "r");
  std::set<std::string> acks;
  char line[512];
  while (static_cast<int>(acks.size()) < acks_before_kill && fgets(line, sizeof line, in)) {
    std::string s(line);
    if (s.rfind("ack ", 0) == 0) acks.insert(s.substr(4, s.size() - 5));
  }
  kill(pid, SIGKILL);
  // Whatever it printed before dying was acknowledged too.
  while (fgets(line, sizeof line, in)) {
    std::string s(line);
    if (s.rfind("ack ", 0) == 0 && s.back() == '\n') acks.insert(s.substr(4, s.size() - 5));
  }
  fclose(in);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "appender exited early";
  return acks;
}

}  // namespace mledger::testing
