// Kill -9 in the middle of a stream of appends, reopen, and check: every
// acknowledged command is there, no command is half-written, the sequence has
// no gap and the chain verifies. Several rounds on the same ledger.
// covers R-LED-01, R-LED-02

#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <random>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

// Starts the appender, reads acks until `acks_before_kill` arrived, kills it
// with SIGKILL, and returns every ack it printed.
std::set<std::string> run_and_kill(const std::string& dir, const std::string& prefix,
                                   int acks_before_kill) {
  int pipe_fd[2];
  EXPECT_EQ(pipe(pipe_fd), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fd[1], STDOUT_FILENO);
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    execl(MLEDGER_FAULT_APPENDER, MLEDGER_FAULT_APPENDER, dir.c_str(), prefix.c_str(), "4",
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

TEST(Faults, R_LED_01_sigkill_during_appends_loses_nothing_acknowledged) {
  testing::TempDir dir;
  std::mt19937 rng(20261121);
  std::set<std::string> all_acks;
  for (int round = 0; round < 5; ++round) {
    const int kill_after = std::uniform_int_distribution<int>(20, 400)(rng);
    auto acks = run_and_kill(dir.path(), "r" + std::to_string(round), kill_after);
    ASSERT_GE(static_cast<int>(acks.size()), kill_after);
    all_acks.insert(acks.begin(), acks.end());

    RocksDbOptions o;
    o.path = dir.path();
    auto log = RocksDbEventLog::open(o);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    auto report = (*log)->verify_chain({});
    ASSERT_TRUE(report.ok());
    ASSERT_FALSE(report->first_bad_seq) << report->problem;
    EXPECT_EQ(report->digest, *(*log)->digest());

    // Every acknowledged command is present, whole.
    for (const auto& id : all_acks) {
      auto found = (*log)->find_command(id);
      ASSERT_TRUE(found.ok());
      ASSERT_TRUE(found->has_value()) << "acknowledged command lost: " << id;
      EXPECT_EQ((*found)->events.size(), 2u);
    }
    // No command is half-written: each command id in the log has both events,
    // consecutively, and a command record.
    std::map<std::string, int> per_command;
    uint64_t seq = 1;
    for (;;) {
      auto events = (*log)->read_global(seq, 4096);
      ASSERT_TRUE(events.ok());
      if (events->empty()) break;
      for (const auto& e : *events) {
        EXPECT_EQ(e.seq, seq++);  // gap-free
        ++per_command[e.metadata.command_id];
      }
    }
    EXPECT_EQ(seq - 1, report->digest.seq);
    for (const auto& [id, n] : per_command) {
      EXPECT_EQ(n, 2) << id;
      EXPECT_TRUE((*log)->find_command(id)->has_value()) << id;
    }
    EXPECT_GE(per_command.size(), all_acks.size());
  }
}

}  // namespace
}  // namespace mledger
