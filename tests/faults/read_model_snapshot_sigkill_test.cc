// Kill -9 while read-model snapshots are written, thinned and erased (a
// process folding an account to random points, as `mledger audit state`
// does, with snapshots every 7 account events), then fold again from what it
// left behind: every answer equals the fold from the account's first event.
// Nothing a killed writer left (a snapshot without its index entry, an index
// naming an erased snapshot) is ever served wrong.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <random>

#include "adapters/projections/read_models.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/snapshots/file_snapshot_store.h"
#include "tests/projections/random_ledger.h"
#include "tests/support/append_recorded.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

const std::vector<std::string> kAccounts = {"contoso", "fabrikam"};

// Runs the writer on `dir` until it printed `folds` lines, then SIGKILLs it.
void run_and_kill_writer(const std::string& dir, const std::string& account, int seed, int folds) {
  int pipe_fd[2];
  ASSERT_EQ(pipe(pipe_fd), 0);
  const std::string seed_text = std::to_string(seed);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fd[1], STDOUT_FILENO);
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    execl(MLEDGER_READ_MODEL_SNAPSHOT_WRITER, MLEDGER_READ_MODEL_SNAPSHOT_WRITER, dir.c_str(), account.c_str(),
          seed_text.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fd[1]);
  FILE* in = fdopen(pipe_fd[0], "r");
  char line[256];
  int seen = 0;
  while (seen < folds && fgets(line, sizeof line, in)) ++seen;
  kill(pid, SIGKILL);
  while (fgets(line, sizeof line, in)) {
  }
  fclose(in);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(seen, folds) << "the writer stopped early";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer exited early";
}

TEST(Faults, sigkill_while_read_model_snapshots_are_written_serves_nothing_wrong) {
  testing::TempDir dir;
  std::mt19937_64 rng(20261205);
  projections::testing::RandomLedger ledger(11, kAccounts);
  uint64_t loaded = 0;
  for (int round = 0; round < 4; ++round) {
    {
      RocksDbOptions o;
      o.path = dir.path();
      auto log = RocksDbEventLog::open(o);
      ASSERT_TRUE(log.ok()) << log.error().to_string();
      testing::append_recorded(**log, ledger.next(300), &rng);
    }
    const std::string& account = kAccounts[round % kAccounts.size()];
    run_and_kill_writer(dir.path(), account, round, std::uniform_int_distribution<int>(3, 40)(rng));
    ASSERT_TRUE(std::filesystem::exists(dir.path() + "/snapshots"));

    RocksDbOptions o;
    o.path = dir.path();
    o.read_only = true;
    auto log = RocksDbEventLog::open(o);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    auto store = FileSnapshotStore::open(dir.path() + "/snapshots");
    ASSERT_TRUE(store.ok());
    ReadModelSnapshotOptions options;
    options.events_between_snapshots = 7;
    options.kept_per_account_max = 5;
    ReadModelSnapshots snapshots(**log, **store, options);
    auto head = (*log)->digest();
    ASSERT_TRUE(head.ok());
    for (int i = 0; i < 40; ++i) {
      AsOf until;
      until.at_seq = 1 + rng() % head->seq;
      auto from_snapshot = fold_account_as_of(**log, account, until, &snapshots);
      auto from_start = fold_account_as_of(**log, account, until);
      ASSERT_TRUE(from_snapshot.ok() && from_start.ok());
      EXPECT_EQ(account_as_of_json(*from_snapshot, account, until).dump(),
                account_as_of_json(*from_start, account, until).dump())
          << "round " << round << " at seq " << *until.at_seq;
    }
    snapshots.flush();
    EXPECT_EQ(snapshots.stats().failures, 0u);
    loaded += snapshots.stats().loaded;
  }
  EXPECT_GT(loaded, 0u) << "no snapshot the killed writer left was ever used";
}

}  // namespace
}  // namespace mledger
