// Kill -9 between the event write and the index write, many times. The log's
// writer makes a batch's events durable and acknowledges them before its
// index thread writes their `streams` and `by_account` entries
// (rocksdb_event_log.h, "The index"). The appender (fault_appender) stops its
// index thread for good at a random batch and goes on appending, or kills
// itself right there. While it is stopped, a secondary beside it sees only
// whole commands, each event through every index. After the kill: a
// read-only open finds every acknowledged event through every index (the
// events past the index mark are read into memory) and its storage verifies;
// a writer's open writes the missing entries, and then every acknowledged
// command is there whole, a retried command is a duplicate (no second
// event), every stream's versions run 1..n with stream_version n, the
// sequence has no gap, and the chain and every index verify.
// covers R-LED-01, R-LED-02

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "adapters/crypto/sha256.h"
#include "adapters/ledger/ledger.h"
#include "adapters/rocksdb/index_keys.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

struct Killed {
  std::set<std::string> acks;  // every command the appender acknowledged
  uint64_t paused_seq = 0;     // the last event of the batch whose index was never written
};

// Runs the appender with `mode` ("pause-index-at" or "kill-index-at") at its
// `at`-th index batch. Paused: reads `acks_after_pause` more acks, calls
// `while_paused`, then kills it. Killing itself: reads until it is gone.
Killed run_and_kill(const std::string& dir, const std::string& prefix, const std::string& mode, int at,
                    int acks_after_pause, const std::function<void()>& while_paused) {
  int pipe_fd[2];
  EXPECT_EQ(pipe(pipe_fd), 0);
  const std::string at_text = std::to_string(at);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fd[1], STDOUT_FILENO);
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    execl(MLEDGER_FAULT_APPENDER, MLEDGER_FAULT_APPENDER, dir.c_str(), prefix.c_str(), "4", mode.c_str(),
          at_text.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fd[1]);
  FILE* in = fdopen(pipe_fd[0], "r");
  Killed k;
  int after = -1;  // acks read since the pause
  char line[512];
  auto take = [&](const std::string& s) {
    if (s.rfind("ack ", 0) == 0 && s.back() == '\n') {
      k.acks.insert(s.substr(4, s.size() - 5));
      if (after >= 0) ++after;
    }
    if (s.rfind("index-paused ", 0) == 0) {
      k.paused_seq = std::stoull(s.substr(13));
      after = 0;
    }
  };
  while ((after < 0 || after < acks_after_pause) && fgets(line, sizeof line, in)) take(line);
  if (k.paused_seq != 0) while_paused();
  kill(pid, SIGKILL);
  while (fgets(line, sizeof line, in)) take(line);  // printed before it died: acknowledged too
  fclose(in);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "appender exited early";
  return k;
}

// The index mark as the kill left it, read through RocksDB itself.
uint64_t index_mark_on_disk(const std::string& dir) {
  rocksdb::DBOptions options;
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(options, dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(options, dir, families, &handles, &raw).ok());
  if (!raw) return 0;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "meta") {
      EXPECT_TRUE(db->Get({}, handles[i], "indexed_through", &value).ok());
    }
  }
  for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
  return value.size() == 8 ? index_keys::get_be64(value) : 0;
}

// Every event up to the log's head: its command whole (two consecutive
// events), found through the stream and every account index; every stream's
// versions 1..n, its stream_version n. Returns the command ids seen.
std::set<std::string> expect_whole_and_indexed(EventLog& log) {
  std::set<std::string> commands;
  std::map<std::string, uint64_t> versions;
  std::map<std::string, int> per_command;
  const uint64_t head = log.digest()->seq;
  uint64_t next = 1;
  for (;;) {
    auto events = log.read_global(next, 4096);
    EXPECT_TRUE(events.ok());
    if (!events.ok() || events->empty()) break;
    for (const auto& e : *events) {
      EXPECT_EQ(e.seq, next) << "a gap in the sequence";
      next = e.seq + 1;
      ++per_command[e.metadata.command_id];
      commands.insert(e.metadata.command_id);
      EXPECT_EQ(e.version, ++versions[e.stream]) << e.stream;
      auto by_stream = log.read_stream(e.stream, e.version, 1);
      EXPECT_TRUE(by_stream.ok() && by_stream->size() == 1 && by_stream->front().seq == e.seq)
          << "event " << e.seq << " is not found through the stream index";
      for (const auto& a : e.account_ids) {
        auto by_account = log.read_account(a, e.seq, 1);
        EXPECT_TRUE(by_account.ok() && by_account->size() == 1 && by_account->front().seq == e.seq)
            << "event " << e.seq << " is not found through the account index of " << a;
      }
    }
  }
  EXPECT_EQ(next - 1, head) << "read_global does not end at the head";
  for (const auto& [id, n] : per_command) EXPECT_EQ(n, 2) << "command " << id << " is not whole";
  for (const auto& [stream, n] : versions) {
    EXPECT_EQ(log.stream_version(stream).value(), n) << stream;
    EXPECT_TRUE(log.read_stream(stream, n + 1, 1)->empty()) << stream << " reads past its version";
  }
  auto accounts = log.list_streams("account-", "", versions.size() + 1);
  EXPECT_TRUE(accounts.ok());
  size_t account_streams = 0;
  for (const auto& [stream, n] : versions) account_streams += stream.rfind("account-", 0) == 0;
  EXPECT_EQ(accounts->size(), account_streams) << "list_streams misses streams";
  return commands;
}

void expect_acknowledged_present(EventLog& log, const std::set<std::string>& acks) {
  for (const auto& id : acks) {
    auto found = log.find_command("account:" + id.substr(4), id);
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value()) << "acknowledged command lost: " << id;
    EXPECT_EQ((*found)->events.size(), 2u);
  }
}

void expect_secondary_sees_whole_batches(const std::string& dir, const std::string& secondary_dir) {
  RocksDbOptions o;
  o.path = dir;
  o.secondary_path = secondary_dir;
  auto log = RocksDbEventLog::open(o);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*log)->catch_up().ok());
    ASSERT_LE((*log)->digest()->seq, (*log)->acknowledged_head()->seq) << "a secondary reads past the watermark";
    expect_whole_and_indexed(**log);
  }
}

// Sends `ids` again through the real path: each is a duplicate, with the
// events it was first appended with; nothing is appended.
void expect_retries_are_duplicates(RocksDbEventLog& log, const std::vector<std::string>& ids) {
  const LogDigest before = log.digest().value();
  SystemClock clock;
  RandomUuidSource uuids;
  GroupCommitWriter writer(log, GroupCommitOptions{});
  Ledger ledger(log, writer, clock, uuids, LedgerOptions{});
  for (const auto& id : ids) {
    const std::string account = id.substr(4);
    Command c{testing::user_context(account, "u-" + account, id), testing::valid_enrollment()};
    auto r = ledger.execute(c, sha256({id}));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->kind, CommandResult::Kind::duplicate) << id;
    auto first = log.find_command("account:" + account, id);
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ(r->events, (*first)->events) << id;
  }
  writer.stop();
  EXPECT_EQ(log.digest().value(), before) << "a retry appended events";
}

TEST(Faults, R_LED_01_sigkill_between_event_and_index_write_loses_nothing) {
  testing::TempDir dir;
  testing::TempDir secondary;
  std::mt19937 rng(20261205);
  std::set<std::string> all_acks;
  int behind = 0;
  for (int round = 0; round < 12; ++round) {
    const bool pause = round % 2 == 0;
    const int at = std::uniform_int_distribution<int>(1, 40)(rng);
    const int after = std::uniform_int_distribution<int>(0, 60)(rng);
    Killed k = run_and_kill(dir.path(), "r" + std::to_string(round), pause ? "pause-index-at" : "kill-index-at",
                            at, after, [&] { expect_secondary_sees_whole_batches(dir.path(), secondary.path()); });
    if (pause) {
      ASSERT_NE(k.paused_seq, 0u) << "the appender never reached its index batch " << at;
    }
    all_acks.insert(k.acks.begin(), k.acks.end());
    // The kill came between the event write and the index write.
    const uint64_t mark = index_mark_on_disk(dir.path());
    if (pause) {
      EXPECT_LT(mark, k.paused_seq);
    }

    RocksDbOptions o;
    o.path = dir.path();
    std::vector<std::string> retry;  // the round's commands whose index entries the kill kept out, first
    {
      o.read_only = true;  // writes nothing: the index as the kill left it
      auto log = RocksDbEventLog::open(o);
      ASSERT_TRUE(log.ok()) << log.error().to_string();
      if (mark < (*log)->digest()->seq) ++behind;
      expect_acknowledged_present(**log, all_acks);
      for (const auto& id : k.acks) {
        auto found = (*log)->find_command("account:" + id.substr(4), id);
        ASSERT_TRUE(found.ok() && found->has_value());
        if ((*found)->events.front().seq > mark && retry.size() < 16) retry.push_back(id);
      }
      for (auto it = k.acks.begin(); it != k.acks.end() && retry.size() < 24; ++it) retry.push_back(*it);
      expect_whole_and_indexed(**log);
      auto storage = (*log)->verify_storage({});
      ASSERT_TRUE(storage.ok());
      EXPECT_TRUE(storage->whole()) << storage->family << " " << storage->key << ": " << storage->problem;
      o.read_only = false;
    }
    {
      // A writer's open, and nothing else: it writes the entries the kill
      // kept out, and the mark at the head.
      auto writer = RocksDbEventLog::open(o);
      ASSERT_TRUE(writer.ok()) << writer.error().to_string();
      const uint64_t head = (*writer)->digest()->seq;
      writer->reset();
      EXPECT_EQ(index_mark_on_disk(dir.path()), head) << "the writer's open did not index every event";
    }
    auto log = RocksDbEventLog::open(o);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    auto report = (*log)->verify_chain({});
    ASSERT_TRUE(report.ok());
    ASSERT_FALSE(report->first_bad_seq) << report->problem;
    auto storage = (*log)->verify_storage({});
    ASSERT_TRUE(storage.ok());
    EXPECT_TRUE(storage->whole()) << storage->family << " " << storage->key << ": " << storage->problem;
    expect_acknowledged_present(**log, all_acks);
    const std::set<std::string> in_log = expect_whole_and_indexed(**log);
    for (const auto& id : all_acks) EXPECT_TRUE(in_log.contains(id)) << id;
    expect_retries_are_duplicates(**log, retry);
  }
  EXPECT_GE(behind, 6) << "too few kills left the index behind the events";
}

}  // namespace
}  // namespace mledger
