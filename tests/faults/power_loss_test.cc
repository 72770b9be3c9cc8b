// Power loss under load: the fault appender (and, every third round, a
// projections rebuild following the log) runs under the power-loss shim, is
// killed with SIGKILL at a random point (after a random number of
// acknowledgements, or a random few milliseconds after it started: in the
// middle of opening and recovering the ledger), and everything a disk could
// lose in a power cut at that moment is dropped (power_loss.h: unsynced bytes,
// unsynced overwrites, directory entries no directory fsync made durable; in
// a torn cut a random part of the unsynced bytes survives). Then, with no
// process under the shim: every acknowledged command is present in full,
// nothing is half-written, the sequence is gap-free, the chain and every
// index verify (in process and with `mledger verify`), the head watermark is
// not ahead of the log, and the projections' checkpoints are on the log,
// catch up and verify. The next round opens (and recovers) the cut ledger under the shim.
//
// MLEDGER_POWER_LOSS_POINTS sets the number of crash points (default 30).
// covers R-LED-01, R-LED-02

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/faults/power_loss.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

using namespace std::chrono_literals;

// Runs argv with `env` added to the environment; stdout to `out_fd` (or
// /dev/null when -1), stderr kept.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, int out_fd) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  for (const auto& e : env) putenv(strdup(e.c_str()));
  if (out_fd < 0) out_fd = open("/dev/null", O_WRONLY);
  dup2(out_fd, STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// The result of one run of the appender under the shim.
struct AppenderRun {
  std::set<std::string> acks;
  bool killed = false;  // false: it exited by itself (it must not)
};

// Starts the appender, kills it (and `also`) once `acks_before_kill` arrived
// or `deadline` passed, and returns every ack it printed.
AppenderRun run_until(const std::string& ledger, const std::string& prefix,
              const std::vector<std::string>& env, int acks_before_kill,
              std::chrono::milliseconds deadline, const std::vector<std::string>& also) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = spawn({MLEDGER_FAULT_APPENDER, ledger, prefix, "4"}, env, fds[1]);
  close(fds[1]);
  const pid_t other = also.empty() ? -1 : spawn(also, env, -1);
  AppenderRun run;
  std::mutex mu;
  std::condition_variable cv;
  bool ended = false;
  std::thread reader([&] {
    FILE* in = fdopen(fds[0], "r");
    char line[512];
    while (fgets(line, sizeof line, in)) {
      std::string s(line);
      if (s.rfind("ack ", 0) != 0 || s.back() != '\n') continue;
      std::lock_guard lock(mu);
      run.acks.insert(s.substr(4, s.size() - 5));
      cv.notify_all();
    }
    fclose(in);
    std::lock_guard lock(mu);
    ended = true;
    cv.notify_all();
  });
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, deadline, [&] { return ended || static_cast<int>(run.acks.size()) >= acks_before_kill; });
  }
  kill(pid, SIGKILL);
  if (other > 0) kill(other, SIGKILL);
  reader.join();  // whatever it printed before dying was acknowledged too
  int status = 0;
  waitpid(pid, &status, 0);
  run.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  if (other > 0) waitpid(other, &status, 0);
  return run;
}

int run_cli(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::string cmd = MLEDGER_BINARY;
  for (const auto& a : args) cmd += " '" + a + "'";
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string text;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  const int status = pclose(p);
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Checks the cut ledger in process (read-only: nothing written outside the
// shim's view) against every command acknowledged so far.
void check_ledger(const std::string& ledger, const std::set<std::string>& acks, uint64_t* head) {
  RocksDbOptions o;
  o.path = ledger;
  o.read_only = true;
  auto log = RocksDbEventLog::open(o);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  auto chain = (*log)->verify_chain({});
  ASSERT_TRUE(chain.ok()) << chain.error().to_string();
  ASSERT_FALSE(chain->first_bad_seq) << chain->problem;
  auto storage = (*log)->verify_storage({});
  ASSERT_TRUE(storage.ok()) << storage.error().to_string();
  ASSERT_TRUE(storage->whole()) << storage->family << " " << storage->key << ": " << storage->problem;
  if (auto acked = (*log)->acknowledged_head()) {
    EXPECT_LE(acked->seq, chain->digest.seq);
  }
  for (const auto& id : acks) {
    auto found = (*log)->find_command("account:" + id.substr(4), id);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    ASSERT_TRUE(found->has_value()) << "acknowledged command lost: " << id;
    EXPECT_EQ((*found)->events.size(), 2u) << id;
  }
  std::map<std::string, int> per_command;
  uint64_t seq = 1;
  for (;;) {
    auto events = (*log)->read_global(seq, 4096);
    ASSERT_TRUE(events.ok()) << events.error().to_string();
    if (events->empty()) break;
    for (const auto& e : *events) {
      ASSERT_EQ(e.seq, seq++);  // gap-free
      ++per_command[e.metadata.command_id];
    }
  }
  ASSERT_EQ(seq - 1, chain->digest.seq);
  for (const auto& [id, n] : per_command) EXPECT_EQ(n, 2) << "half-written command " << id;
  *head = chain->digest.seq;
}

// The projections' checkpoints are on the log (never ahead of it), a
// catch-up resumes from them, and the live generations then equal a fold
// from event 1.
void check_projections(const std::string& ledger, uint64_t head) {
  if (!std::filesystem::exists(ledger + "/projections")) return;
  std::string out;
  ASSERT_EQ(run_cli({"projections", "status", "--data", ledger, "--json"}, &out), 0) << out;
  const auto status = nlohmann::json::parse(out.substr(out.find_first_of("[{")));
  const auto& list = status.is_array() ? status : status.at("projections");
  for (const auto& p : list) {
    if (p.contains("checkpoint_seq")) {
      EXPECT_LE(p["checkpoint_seq"].get<uint64_t>(), head) << p.dump();
    }
  }
  // Derived data may be behind (or lost, a projection rebuilt then): the next
  // catch-up resumes from what survived, and the result equals a fresh fold.
  ASSERT_EQ(run_cli({"projections", "catch-up", "--data", ledger}, &out), 0) << out;
  EXPECT_EQ(run_cli({"projections", "verify", "--data", ledger}, &out), 0) << out;
}

int crash_points() {
  const char* v = std::getenv("MLEDGER_POWER_LOSS_POINTS");
  return v ? std::atoi(v) : 30;
}

TEST(Faults, R_LED_01_power_loss_under_load_loses_nothing_acknowledged) {
  testing::TempDir dir;
  const std::string root = dir.sub("disk"), ledger = root + "/ledger";
  std::filesystem::create_directories(root);
  std::filesystem::create_directories(dir.sub("scratch"));
  testing::PowerLossDisk disk(root, dir.sub("scratch"));
  std::mt19937 rng(20261205);
  std::set<std::string> all_acks;
  testing::PowerCut total;
  int points = 0, torn = 0, in_recovery = 0;
  uint64_t head = 0;
  for (int round = 0; round < crash_points(); ++round) {
    disk.begin();
    const bool early = std::uniform_int_distribution<int>(0, 3)(rng) == 0;
    const int acks_wanted = early ? 1 << 30 : std::uniform_int_distribution<int>(1, 300)(rng);
    const auto deadline = early ? std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 250)(rng)) : 60s;
    std::vector<std::string> also;
    if (round % 3 == 2) also = {MLEDGER_BINARY, "projections", "rebuild", "--data", ledger, "--checkpoint-every", "20"};
    AppenderRun run = run_until(ledger, "p" + std::to_string(round), disk.child_env(), acks_wanted, deadline, also);
    ASSERT_TRUE(run.killed) << "round " << round << ": the appender exited by itself";
    all_acks.insert(run.acks.begin(), run.acks.end());
    const testing::PowerCut cut = disk.cut(rng);
    ASSERT_EQ(cut.problem, "") << "round " << round;
    ++points;
    in_recovery += early ? 1 : 0;
    torn += cut.torn_files > 0 ? 1 : 0;
    total.bytes_dropped += cut.bytes_dropped;
    total.files_truncated += cut.files_truncated;
    total.entries_undone += cut.entries_undone;
    total.entries_restored += cut.entries_restored;
    total.overwrites_undone += cut.overwrites_undone;
    if (!std::filesystem::exists(ledger + "/CURRENT")) {
      ASSERT_TRUE(all_acks.empty()) << "round " << round << ": the ledger is gone after acknowledging";
      continue;
    }
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_NO_FATAL_FAILURE(check_ledger(ledger, all_acks, &head));
    std::string out;
    ASSERT_EQ(run_cli({"verify", "--data", ledger}, &out), 0) << out;
    if (!also.empty()) {
      ASSERT_NO_FATAL_FAILURE(check_projections(ledger, head));
    }
  }
  std::printf("power loss: %d crash points (%d while opening, %d with torn writes), %zu acknowledged "
              "commands, 0 lost; head %llu; dropped %llu unsynced bytes in %d files, %d directory "
              "entries undone, %d restored, %d overwrites undone\n",
              points, in_recovery, torn, all_acks.size(), static_cast<unsigned long long>(head),
              static_cast<unsigned long long>(total.bytes_dropped), total.files_truncated,
              total.entries_undone, total.entries_restored, total.overwrites_undone);
}

}  // namespace
}  // namespace mledger
