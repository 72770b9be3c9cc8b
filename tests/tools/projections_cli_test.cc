// The read models through the `mledger` binary: queries, as-of state equal to
// the live state at the same sequence, and projections that survive SIGKILL
// during catch-up and rebuild, with the ledger accepting commands meanwhile.
// covers R-LED-01

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;

using mledger::testing::shell;
using RunResult = mledger::testing::Run;

// The binary's stdout alone (its progress lines on stderr are dropped).
RunResult run(const std::string& args) {
  return shell(std::string(MLEDGER_BINARY) + " " + args + " 2>/dev/null </dev/null");
}

json run_json(const std::string& args) {
  RunResult r = run(args);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out;
  return json::parse(r.out, nullptr, false);
}

// Starts the binary with `args` (split on spaces), output discarded.
pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(MLEDGER_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    execv(MLEDGER_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid`; its exit code, or -signal.
int reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// How long `args` takes to run to its end.
std::chrono::milliseconds timed(const std::string& args) {
  const auto start = std::chrono::steady_clock::now();
  RunResult r = run(args);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

std::vector<std::string> demo_lines() {
  std::ifstream in(std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/company-year.jsonl");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) lines.push_back(l);
  }
  return lines;
}

class ProjectionsCli : public ::testing::Test {
 protected:
  std::string ledger() const { return dir_.sub("ledger"); }
  std::string data() const { return "--data " + ledger(); }
  void exec_lines(const std::vector<std::string>& lines, size_t from, size_t to) {
    std::ofstream out(dir_.sub("part.jsonl"), std::ios::trunc);
    for (size_t i = from; i < to; ++i) out << lines[i] << "\n";
    out.close();
    RunResult r = run("exec " + data() + " " + dir_.sub("part.jsonl"));
    ASSERT_NE(r.exit_code, 2) << r.out;
    ASSERT_NE(r.exit_code, 3) << r.out;
  }
  void bench_ledger(int events, int accounts) {
    RunResult r = run("bench append --events " + std::to_string(events) + " --accounts " +
                std::to_string(accounts) + " " + data());
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  void expect_verified() {
    RunResult v = run("projections verify --json " + data());
    ASSERT_EQ(v.exit_code, 0) << v.out;
    for (const auto& p : json::parse(v.out)) EXPECT_EQ(p["documents_differing"], 0) << p.dump();
  }
  json status() { return run_json("projections status --json " + data()); }
  mledger::testing::TempDir dir_;
};

const char* kAccounts[] = {"contoso-fr", "northwind-be"};
const char* kModels[] = {"profile", "memberships", "benefits", "assignments", "orders", "keys", "merges"};
const std::set<std::string> kPaged = {"users", "benefits", "assignments", "orders", "keys", "redeemed_keys"};

// A whole view as `audit state` shows it, as the entities its paged read
// model lists (the small models are shown the same way by both).
json paged_items(const std::string& model, const json& whole) {
  if (model == "benefits") return whole["benefits"];
  if (model == "assignments") return whole["users"];
  json out = json::array();
  if (model == "orders") {
    for (const auto& [id, o] : whole["orders"].items()) out.push_back(o);
  } else if (model == "keys") {
    for (const auto& [id, k] : whole["issued"].items()) out.push_back(k);
  } else {
    return whole;
  }
  return out;
}

TEST_F(ProjectionsCli, every_read_model_answers_and_bad_requests_are_named) {
  exec_lines(demo_lines(), 0, demo_lines().size());
  for (const char* model : kModels) {
    json q = run_json(std::string("query ") + model + " --account contoso-fr " + data());
    EXPECT_EQ(q["read_model"], model);
    EXPECT_EQ(q["lag"], 0);
    EXPECT_GT(q["as_of_seq"].get<uint64_t>(), 0u);
    if (kPaged.contains(model)) {
      EXPECT_TRUE(q["data"].is_array()) << q.dump();
      EXPECT_TRUE(q.contains("next")) << q.dump();
    } else {
      EXPECT_TRUE(q["data"].is_object()) << q.dump();
      EXPECT_FALSE(q.contains("next")) << q.dump();
    }
  }
  // Pages of one entity each, joined, are the whole list.
  json all = run_json("query orders --account contoso-fr --limit 100 " + data());
  ASSERT_GE(all["data"].size(), 2u);
  json joined = json::array();
  std::string after;
  for (int i = 0; i < 100; ++i) {
    json page = run_json("query orders --account contoso-fr --limit 1" + (after.empty() ? "" : " --after " + after) +
                         " " + data());
    ASSERT_LE(page["data"].size(), 1u);
    for (const auto& o : page["data"]) joined.push_back(o);
    if (page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }
  EXPECT_EQ(joined, all["data"]);
  EXPECT_EQ(run("query orders --account contoso-fr --limit 1001 " + data()).exit_code, 2);
  EXPECT_EQ(run("query profile --account contoso-fr --limit 5 " + data()).exit_code, 2);
  EXPECT_EQ(run("query orders --account contoso-fr --from-seq 5 " + data()).exit_code, 2);
  json profile = run_json("query profile --account contoso-fr " + data());
  EXPECT_EQ(profile["data"]["legal_name"], "Contoso France SAS");
  EXPECT_EQ(profile["data"]["enrolled"], true);
  json merges = run_json("query merges --account northwind-be " + data());
  ASSERT_EQ(merges["data"]["history"].size(), 1u);
  EXPECT_EQ(merges["data"]["history"][0]["status"], "completed");
  json away = run_json("query profile --account northwind-be " + data());
  EXPECT_EQ(away["data"]["merged_into"], "contoso-fr");
  json timeline = run_json("query timeline --account contoso-fr --limit 3 " + data());
  ASSERT_EQ(timeline["data"]["entries"].size(), 3u);
  EXPECT_EQ(timeline["data"]["entries"][0]["type"], "PartnerAccountEnrolled");
  EXPECT_TRUE(timeline["data"]["next_from_seq"].is_number());

  EXPECT_EQ(run("query profile --account nobody " + data()).exit_code, 1);
  EXPECT_EQ(run("query profiles --account contoso-fr " + data()).exit_code, 2);
  EXPECT_EQ(run("query profile " + data()).exit_code, 2);
  EXPECT_EQ(run("query timeline --account contoso-fr --limit 0 " + data()).exit_code, 2);
  EXPECT_EQ(run("query profile --account contoso-fr --data " + dir_.sub("none")).exit_code, 3);
  EXPECT_EQ(run("projections rebuild acounts " + data()).exit_code, 2);
  EXPECT_EQ(run("projections frobnicate " + data()).exit_code, 2);
  EXPECT_EQ(run("audit state --account contoso-fr " + data()).exit_code, 2);
  EXPECT_EQ(run("audit state --account contoso-fr --at-seq 3 --as-of 2026-01-01T00:00:00Z " + data()).exit_code, 2);
  EXPECT_EQ(run("audit state --account contoso-fr --as-of yesterday " + data()).exit_code, 2);
  json l = run_json("query --list");
  EXPECT_EQ(l.size(), 10u);
}

// The live read models recorded at several points of the demo equal
// `audit state --at-seq` at those points, computed after the whole year.
TEST_F(ProjectionsCli, as_of_state_equals_the_live_state_at_the_same_sequence) {
  const auto lines = demo_lines();
  struct Snapshot {
    uint64_t seq;
    std::map<std::string, json> models;  // "<account>/<model>" -> data
  };
  std::vector<Snapshot> snapshots;
  size_t done = 0;
  for (size_t cut : {size_t{6}, size_t{15}, size_t{24}, lines.size()}) {
    exec_lines(lines, done, cut);
    done = cut;
    Snapshot s;
    s.seq = run_json("digest --json " + data())["seq"];
    for (const char* a : kAccounts) {
      if (run(std::string("query profile --account ") + a + " " + data()).exit_code != 0) continue;
      for (const char* m : kModels) {
        json q = run_json(std::string("query ") + m + " --account " + a + " " + data());
        EXPECT_EQ(q["as_of_seq"], s.seq);
        s.models[std::string(a) + "/" + m] = q["data"];
      }
    }
    snapshots.push_back(std::move(s));
  }
  ASSERT_GT(snapshots.back().seq, snapshots.front().seq);
  for (const Snapshot& s : snapshots) {
    for (const char* a : kAccounts) {
      RunResult r = run(std::string("audit state --account ") + a + " --at-seq " + std::to_string(s.seq) + " " + data());
      if (!s.models.contains(std::string(a) + "/profile")) {
        EXPECT_EQ(r.exit_code, 1) << "no events of " << a << " yet at " << s.seq;
        continue;
      }
      ASSERT_EQ(r.exit_code, 0) << r.out;
      json state = json::parse(r.out);
      EXPECT_EQ(state["log_seq"], s.seq);
      for (const char* m : kModels) {
        EXPECT_EQ(paged_items(m, state["read_models"][m]), s.models.at(std::string(a) + "/" + m))
            << a << " " << m << " at seq " << s.seq;
      }
    }
  }
}

TEST_F(ProjectionsCli, catch_up_killed_at_random_points_resumes_to_verified_projections) {
  bench_ledger(150000, 500);
  // The kills land at points drawn from how long a whole catch-up takes on
  // this machine now (timed on a copy), so they land midway whether the
  // machine is idle or loaded.
  const std::string probe = dir_.sub("probe");
  std::filesystem::copy(ledger(), probe, std::filesystem::copy_options::recursive);
  const auto whole = timed("projections catch-up --checkpoint-every 20000 --data " + probe);
  std::filesystem::remove_all(probe);
  std::mt19937 rng(20261121);
  int interrupted = 0;
  for (int round = 0; round < 6; ++round) {
    const pid_t pid = spawn({"projections", "catch-up", "--checkpoint-every", "20000", "--data", ledger()});
    std::this_thread::sleep_for(whole * (5 + rng() % 45) / 100);
    kill(pid, SIGKILL);
    if (reap(pid) == -SIGKILL) ++interrupted;
  }
  EXPECT_GT(interrupted, 0);
  RunResult done = run("projections catch-up " + data());
  ASSERT_EQ(done.exit_code, 0) << done.out;
  for (const auto& p : status()) {
    EXPECT_EQ(p["state"], "current") << p.dump();
    EXPECT_EQ(p["live"]["checkpoint_seq"], 150000) << p.dump();
  }
  expect_verified();
}

// A rebuild bulk loads its generations a range of accounts per pass; under
// a 16 MiB bound these 150,000 events take several passes, so kills land
// between ingests as well as within a pass and while an SST file is written.
TEST_F(ProjectionsCli, rebuild_killed_at_random_points_resumes_while_commands_are_accepted) {
  bench_ledger(150000, 500);
  ASSERT_EQ(run("projections catch-up " + data()).exit_code, 0);
  // Kill points are drawn from how long a whole rebuild takes here and now:
  // after its first pass and before its end.
  const auto whole = timed("projections rebuild --memory-mib 16 " + data());
  const json before = status();
  std::mt19937 rng(1121);
  bool resumed_midway = false;
  const auto lines = demo_lines();
  for (int round = 0; round < 6; ++round) {
    const pid_t pid = spawn({"projections", "rebuild", "--memory-mib", "16", "--data", ledger()});
    std::this_thread::sleep_for(whole * (20 + rng() % 35) / 100);
    // The ledger accepts commands while the rebuild holds the projections.
    if (round < 3) exec_lines(lines, round * 4, round * 4 + 4);
    kill(pid, SIGKILL);
    reap(pid);
    for (const auto& p : status()) {
      if (p.contains("rebuild_in_progress") && p["rebuild_in_progress"].contains("bulk_load")) {
        const double share = p["rebuild_in_progress"]["bulk_load"]["accounts_loaded_share"];
        if (share > 0 && share < 1) resumed_midway = true;
      }
      // Readers kept the old generation until a rebuild finished.
      EXPECT_TRUE(p.contains("live")) << p.dump();
    }
  }
  EXPECT_TRUE(resumed_midway) << "no kill landed between two passes; the test proves less than it says";
  RunResult done = run("projections rebuild " + data());
  ASSERT_EQ(done.exit_code, 0) << done.out;
  const uint64_t head = run_json("digest --json " + data())["seq"];
  for (const auto& p : status()) {
    EXPECT_FALSE(p.contains("rebuild_in_progress")) << p.dump();
    EXPECT_EQ(p["live"]["checkpoint_seq"], head) << p.dump();
  }
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_NE(before[i]["live"]["generation"], status()[i]["live"]["generation"]);
  }
  expect_verified();
  json profile = run_json("query profile --account contoso-fr " + data());
  EXPECT_EQ(profile["data"]["legal_name"], "Contoso France SAS");
}

// A rebuild under the smallest memory bound (a bulk load in several passes,
// each a range of accounts), killed at random points and resumed, equals a
// fold from event 1 (verify folds one under the default bound). Bad bounds
// are refused.
TEST_F(ProjectionsCli, rebuild_in_a_small_memory_bound_killed_and_resumed_equals_a_fold_from_event_1) {
  RunResult a = run("bench append --mix realistic --events 60000 --accounts 400 " + data());
  ASSERT_EQ(a.exit_code, 0) << a.out;
  for (const char* bad : {"0", "15", "65537", "lots"}) {
    RunResult r = shell(std::string(MLEDGER_BINARY) + " projections rebuild --memory-mib " + bad + " " + data() +
                        " 2>&1 </dev/null");
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.out.find("--memory-mib must be a number of MiB from 16 to 65536"), std::string::npos) << r.out;
  }
  for (const char* bad : {"1048577", "lots"}) {
    RunResult r = shell(std::string(MLEDGER_BINARY) + " projections rebuild --spill-mib " + bad + " " + data() +
                        " 2>&1 </dev/null");
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.out.find("--spill-mib must be a number of MiB from 0 to 1048576"), std::string::npos) << r.out;
  }
  for (const auto& p : status()) EXPECT_EQ(p["state"], "missing") << p.dump();  // nothing was built
  ASSERT_EQ(run("projections catch-up " + data()).exit_code, 0);
  const json before = status();
  const auto whole = timed("projections rebuild --memory-mib 16 --checkpoint-every 5000 " + data());
  std::mt19937 rng(20261205);
  bool resumed_midway = false;
  for (int round = 0; round < 5; ++round) {
    const pid_t pid = spawn({"projections", "rebuild", "--memory-mib", "16", "--checkpoint-every", "5000", "--data",
                             ledger()});
    std::this_thread::sleep_for(whole * (20 + rng() % 60) / 100);
    kill(pid, SIGKILL);
    reap(pid);
    for (const auto& p : status()) {
      if (p.contains("rebuild_in_progress") && p["rebuild_in_progress"].contains("bulk_load")) {
        const double share = p["rebuild_in_progress"]["bulk_load"]["accounts_loaded_share"];
        if (share > 0 && share < 1) resumed_midway = true;
      }
      EXPECT_TRUE(p.contains("live")) << p.dump();  // readers kept a whole generation
    }
  }
  EXPECT_TRUE(resumed_midway) << "no kill landed between two passes; the test proves less than it says";
  // The last rebuild whole: its later passes read the spill, which is gone
  // after it (as after each kill, once the next run began).
  RunResult done = shell(std::string(MLEDGER_BINARY) + " projections rebuild --memory-mib 16 " + data() +
                         " 2>&1 >/dev/null </dev/null");
  ASSERT_EQ(done.exit_code, 0) << done.out;
  EXPECT_NE(done.out.find("pass 2 (the spill)"), std::string::npos) << done.out;
  EXPECT_FALSE(std::filesystem::exists(ledger() + "/projections-spill"));
  for (const auto& p : status()) {
    EXPECT_FALSE(p.contains("rebuild_in_progress")) << p.dump();
    EXPECT_EQ(p["live"]["checkpoint_seq"], 60000) << p.dump();
  }
  // Without a spill (--spill-mib 0) the later passes read by the account index.
  RunResult by_index = shell(std::string(MLEDGER_BINARY) + " projections rebuild --memory-mib 16 --spill-mib 0 " +
                             data() + " 2>&1 >/dev/null </dev/null");
  ASSERT_EQ(by_index.exit_code, 0) << by_index.out;
  EXPECT_NE(by_index.out.find("pass 2 (by the account index)"), std::string::npos) << by_index.out;
  EXPECT_EQ(by_index.out.find("(the spill)"), std::string::npos) << by_index.out;
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_NE(before[i]["live"]["generation"], status()[i]["live"]["generation"]);
  }
  expect_verified();
}

}  // namespace
