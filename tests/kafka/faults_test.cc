// The publisher under faults, against a real broker: SIGKILLed at random
// points, and the broker stopped and started again under it. Afterwards a
// read_committed consumer sees every event exactly once, in order per account.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/kafka/kafka_support.h"
#include "tests/support/temp_dir.h"

namespace mledger::kafka::testing {
namespace {

using namespace std::chrono_literals;

// The last JSON status line a `publish --json` wrote to `file`.
nlohmann::json last_status(const std::string& file) {
  std::istringstream in(read_text(file));
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line.front() == '{' && line.back() == '}') last = line;
  if (last.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(last, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

uint64_t field(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_number_unsigned() ? j[k].get<uint64_t>() : 0;
}

// True once `pid` (our child) has exited and waits to be reaped (a zombie).
bool exited(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || (paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

// Waits until `pred` holds on the publisher's last status (up to `limit`).
template <class Pred>
bool wait_status(const std::string& file, Pred pred, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(last_status(file))) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(PublishFaults, sigkill_at_random_points_loses_and_repeats_nothing) {
  mledger::testing::TempDir dir;
  const std::string brokers = broker_address();
  const std::string ledger = dir.sub("ledger");
  constexpr uint64_t kEvents = 100000;
  auto gen = mledger("bench append --events " + std::to_string(kEvents) + " --accounts 1000 --data " + ledger);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  const std::string prefix = unique_prefix("sigkill");
  const std::vector<std::string> args = {"publish", "--json", "--data", ledger, "--brokers", brokers,
                                         "--topic-prefix", prefix, "--partitions", "4",
                                         "--batch-events", "1000", "--status-interval-ms", "0"};
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  int kills = 0;
  uint64_t cursor_before = 0;
  int progressed = 0;
  for (int round = 0; round < 40 && kills < 12; ++round) {
    const std::string out = dir.sub("publish-" + std::to_string(round) + ".out");
    const pid_t pid = spawn_mledger(args, out);
    // Let this run commit a random amount (so every run makes progress),
    // then kill it a random moment later, most likely inside a transaction.
    const uint64_t goal = cursor_before + std::uniform_int_distribution<uint64_t>(1, 4000)(rng);
    const bool started = wait_status(out, [&](const nlohmann::json& s) {
      return field(s, "published_seq") >= goal || (field(s, "lag") == 0 && s.value("broker_ok", false));
    }, 60s);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 100)(rng)));
    kill(pid, SIGKILL);
    const int status = wait_for(pid);
    ASSERT_TRUE(started) << read_text(out + ".err");
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++kills;
    else { ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(out + ".err"); break; }
    const uint64_t seen = field(last_status(out), "published_seq");
    if (seen > cursor_before) ++progressed;
    cursor_before = seen;
  }
  EXPECT_GE(kills, 10) << "the publisher finished before it was killed 10 times";
  EXPECT_GE(progressed, 3) << "the killed runs made no progress";
  // A last run finishes the job.
  auto fin = mledger("publish --json --data " + ledger + " --brokers " + brokers + " --topic-prefix " + prefix +
                     " --partitions 4");
  ASSERT_EQ(fin.exit_code, 0) << fin.out;
  EXPECT_NE(fin.out.find("\"published_seq\":" + std::to_string(kEvents)), std::string::npos) << fin.out;
  auto committed = read_all(brokers, prefix);
  expect_exactly_once(committed, ledger, prefix);
  // The kills did interrupt transactions: aborted records exist, which a
  // read_uncommitted consumer sees and read_committed ones never do.
  auto uncommitted = read_all(brokers, prefix, /*read_committed=*/false);
  EXPECT_GT(uncommitted.size(), committed.size()) << "no kill landed inside a transaction";
}

TEST(PublishFaults, a_second_publisher_with_the_same_id_fences_the_first) {
  mledger::testing::TempDir dir;
  const std::string brokers = broker_address();
  const std::string ledger = dir.sub("ledger");
  const std::string scenario = std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/scenario.jsonl";
  ASSERT_LE(mledger("exec --data " + ledger + " " + scenario).exit_code, 1);
  const std::string prefix = unique_prefix("fence");
  auto follow = [&](const std::string& out) {
    return std::make_unique<Child>(spawn_mledger({"publish", "--follow", "--json", "--data", ledger, "--brokers", brokers,
                          "--topic-prefix", prefix, "--transactional-id", "fence-test",
                          "--status-interval-ms", "100"},
                         out));
  };
  auto caught_up = [](const nlohmann::json& s) {
    return s.value("broker_ok", false) && field(s, "lag") == 0 && field(s, "head_seq") > 0;
  };
  const std::string out_a = dir.sub("a.out"), out_b = dir.sub("b.out");
  const auto a = follow(out_a);
  ASSERT_TRUE(wait_status(out_a, caught_up, 60s)) << read_text(out_a + ".err");
  const auto b = follow(out_b);  // init_transactions fences a
  ASSERT_TRUE(wait_status(out_b, caught_up, 60s)) << read_text(out_b + ".err");
  // New events: a learns it is fenced when it tries to publish them and exits 3.
  ASSERT_LE(mledger("exec --data " + ledger + " " + std::string(MLEDGER_SOURCE_DIR) +
                    "/docs/demo/company-year.jsonl").exit_code, 1);
  const int status_a = a->wait();
  EXPECT_TRUE(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 3) << read_text(out_a + ".err");
  auto log = open_ledger(ledger);
  ASSERT_TRUE(log);
  const uint64_t head = log->digest()->seq;
  log.reset();
  ASSERT_TRUE(wait_status(out_b, [&](const nlohmann::json& s) { return field(s, "published_seq") == head; }, 60s))
      << read_text(out_b + ".err");
  kill(b->pid(), SIGTERM);
  const int status_b = b->wait();
  EXPECT_TRUE(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0) << read_text(out_b + ".err");
  expect_exactly_once(read_all(brokers, prefix), ledger, prefix);
}

class BrokerRestart : public ::testing::Test {
 protected:
  void SetUp() override { broker_dir_ = dir_.sub("broker"); }
  void TearDown() override { (void)run(std::string(KAFKA_SCRIPT) + " stop " + broker_dir_); }
  std::string start_broker() {
    auto r = run(std::string(KAFKA_SCRIPT) + " start --dir " + broker_dir_);
    EXPECT_EQ(r.exit_code, 0) << r.out << read_text(broker_dir_ + "/server.log").substr(0, 4000);
    // stdout holds the address line; stderr (merged by run()) a note after it.
    return r.out.substr(0, r.out.find('\n'));
  }
  void stop_broker() {
    auto r = run(std::string(KAFKA_SCRIPT) + " stop " + broker_dir_);
    EXPECT_EQ(r.exit_code, 0) << r.out;
  }
  mledger::testing::TempDir dir_;
  std::string broker_dir_;
};

TEST_F(BrokerRestart, broker_down_at_start_and_mid_stream_nothing_lost_or_repeated) {
  const std::string ledger = dir_.sub("ledger");
  constexpr uint64_t kEvents = 150000;
  auto gen = mledger("bench append --events " + std::to_string(kEvents) + " --accounts 500 --data " + ledger);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  // Learn the broker's ports, then take it down before the publisher starts.
  const std::string brokers = start_broker();
  ASSERT_FALSE(brokers.empty());
  stop_broker();

  const std::string prefix = "restart";
  const std::string out = dir_.sub("publish.out");
  Child publisher(spawn_mledger({"publish", "--follow", "--json", "--data", ledger, "--brokers", brokers,
                                 "--topic-prefix", prefix, "--partitions", "3", "--batch-events", "500",
                                 "--status-interval-ms", "100"},
                                out));
  // Down at start: the publisher keeps trying, reports it, shows the lag.
  ASSERT_TRUE(wait_status(out, [](const nlohmann::json& s) {
    return s.contains("broker_ok") && !s["broker_ok"].get<bool>() && field(s, "lag") == kEvents;
  }, 60s)) << read_text(out) << read_text(out + ".err");
  std::this_thread::sleep_for(2s);
  ASSERT_EQ(waitpid(publisher.pid(), nullptr, WNOHANG), 0) << "the publisher exited while the broker was down";

  // The ledger keeps accepting commands meanwhile (another process writes).
  auto exec1 = mledger("exec --data " + ledger + " " + std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/scenario.jsonl");
  EXPECT_LE(exec1.exit_code, 1) << exec1.out;
  EXPECT_NE(exec1.out.find("accepted"), std::string::npos) << exec1.out;

  ASSERT_EQ(start_broker(), brokers) << "the broker came back on other ports";
  // Mid-stream: wait for some progress, then take the broker away again.
  ASSERT_TRUE(wait_status(out, [](const nlohmann::json& s) {
    return field(s, "published_seq") >= 5000;
  }, 90s)) << read_text(out + ".err");
  stop_broker();
  const uint64_t at_stop = field(last_status(out), "published_seq");
  EXPECT_LT(at_stop, kEvents) << "the broker went away only after everything was published";
  auto exec2 = mledger("exec --data " + ledger + " " + std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/company-year.jsonl");
  EXPECT_LE(exec2.exit_code, 1) << exec2.out;
  EXPECT_NE(exec2.out.find("accepted"), std::string::npos) << exec2.out;
  auto log = open_ledger(ledger);
  ASSERT_TRUE(log);
  const uint64_t head = log->digest()->seq;
  log.reset();
  EXPECT_GT(head, kEvents);
  ASSERT_TRUE(wait_status(out, [&](const nlohmann::json& s) {
    return field(s, "head_seq") == head && !s.value("broker_ok", true);
  }, 60s)) << "the publisher did not see the new events or did not report the broker down: "
           << last_status(out).dump();
  ASSERT_EQ(waitpid(publisher.pid(), nullptr, WNOHANG), 0) << "the publisher exited while the broker was down";

  ASSERT_EQ(start_broker(), brokers);
  // The backlog drains.
  ASSERT_TRUE(wait_status(out, [&](const nlohmann::json& s) {
    return field(s, "published_seq") == head && field(s, "lag") == 0;
  }, 180s)) << last_status(out).dump() << read_text(out + ".err");
  kill(publisher.pid(), SIGTERM);
  const int status = publisher.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(out + ".err");
  std::cerr << "broker stopped at published_seq " << at_stop << " of " << head << "\n";
  expect_exactly_once(read_all(brokers, prefix), ledger, prefix);
}

// Issue 16 part 3: a broker away for twice the transaction timeout, with a
// transaction open, is ridden out: the publisher tells the timed-out
// transaction from a fencing, starts a new producer and resumes from the
// cursor, without exiting.
TEST_F(BrokerRestart, outage_longer_than_the_transaction_timeout_is_survived) {
  const std::string ledger = dir_.sub("ledger");
  constexpr uint64_t kEvents = 60000;
  constexpr int kTimeoutMs = 4000;
  auto gen = mledger("bench append --events " + std::to_string(kEvents) + " --accounts 300 --data " + ledger);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  const std::string brokers = start_broker();
  ASSERT_FALSE(brokers.empty());
  const std::string prefix = "timeout";
  const std::string out = dir_.sub("publish.out");
  Child publisher(spawn_mledger({"publish", "--follow", "--json", "--data", ledger, "--brokers", brokers,
                                 "--topic-prefix", prefix, "--partitions", "3", "--batch-events", "200",
                                 "--transaction-timeout-ms", std::to_string(kTimeoutMs),
                                 "--status-interval-ms", "100"},
                                out));
  ASSERT_TRUE(wait_status(out, [](const nlohmann::json& s) { return field(s, "published_seq") >= 2000; }, 90s))
      << read_text(out + ".err");
  stop_broker();  // mid-stream: a transaction is open
  const uint64_t at_stop = field(last_status(out), "published_seq");
  EXPECT_LT(at_stop, kEvents) << "the broker went away only after everything was published";
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * kTimeoutMs));
  ASSERT_EQ(waitpid(publisher.pid(), nullptr, WNOHANG), 0) << read_text(out + ".err");
  ASSERT_EQ(start_broker(), brokers) << "the broker came back on other ports";
  const bool drained = wait_status(out, [&](const nlohmann::json& s) {
    return (field(s, "published_seq") == kEvents && field(s, "lag") == 0) || exited(publisher.pid());
  }, 180s);
  ASSERT_EQ(waitpid(publisher.pid(), nullptr, WNOHANG), 0)
      << "the publisher exited after the outage: " << read_text(out + ".err");
  ASSERT_TRUE(drained) << last_status(out).dump() << read_text(out + ".err");
  kill(publisher.pid(), SIGTERM);
  const int status = publisher.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(out + ".err");
  std::cerr << "broker stopped at published_seq " << at_stop << "; producer restarts "
            << field(last_status(out), "producer_restarts") << "\n";
  expect_exactly_once(read_all(brokers, prefix), ledger, prefix);
}

// The same error path, pinned: whether the outage test's publisher meets the
// coordinator's abort depends on who reaches the restarted broker first (its
// own abort often wins). Here the publisher itself is frozen (SIGSTOP) with a
// transaction open for longer than the timeout plus the broker's 10 s
// cleanup interval, so the coordinator aborts it and bumps the epoch; thawed,
// the publisher meets the fatal epoch error, must take it for a timeout (not
// a fencing: nobody else committed), start a new producer and go on.
TEST_F(BrokerRestart, a_transaction_the_coordinator_timed_out_is_restarted_not_taken_for_a_fencing) {
  const std::string ledger = dir_.sub("ledger");
  constexpr uint64_t kEvents = 150000;
  auto gen = mledger("bench append --events " + std::to_string(kEvents) + " --accounts 300 --data " + ledger);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  const std::string brokers = start_broker();
  ASSERT_FALSE(brokers.empty());
  const std::string prefix = "frozen";
  const std::string out = dir_.sub("publish.out");
  Child publisher(spawn_mledger({"publish", "--follow", "--json", "--data", ledger, "--brokers", brokers,
                                 "--topic-prefix", prefix, "--partitions", "3", "--batch-events", "10000",
                                 "--transaction-timeout-ms", "3000", "--status-interval-ms", "100"},
                                out));
  // Connected: the first transaction (10,000 events) is being produced.
  ASSERT_TRUE(wait_status(out, [](const nlohmann::json& s) { return s.value("broker_ok", false); }, 90s))
      << read_text(out + ".err");
  std::this_thread::sleep_for(200ms);
  // A freeze can land between two transactions (reading the ledger): then
  // nothing times out, and it is tried again, up to 4 times.
  for (int attempt = 0; attempt < 4 && field(last_status(out), "producer_restarts") == 0 &&
                        !exited(publisher.pid()) && field(last_status(out), "lag") > 0;
       ++attempt) {
    kill(publisher.pid(), SIGSTOP);
    std::this_thread::sleep_for(16s);  // 3 s timeout + the broker's 10 s abort interval + slack
    kill(publisher.pid(), SIGCONT);
    (void)wait_status(out, [&](const nlohmann::json& s) {
      return field(s, "producer_restarts") > 0 || exited(publisher.pid());
    }, 10s);
  }
  const bool drained = wait_status(out, [&](const nlohmann::json& s) {
    return (field(s, "published_seq") == kEvents && field(s, "lag") == 0) || exited(publisher.pid());
  }, 180s);
  ASSERT_FALSE(exited(publisher.pid())) << "the publisher exited: " << read_text(out + ".err");
  ASSERT_TRUE(drained) << last_status(out).dump() << read_text(out + ".err");
  EXPECT_GE(field(last_status(out), "producer_restarts"), 1u)
      << "no timed-out transaction met (was none open at SIGSTOP?): " << read_text(out + ".err");
  const std::string all = read_text(out);
  const size_t why = all.find("new producer");
  if (why != std::string::npos) std::cerr << all.substr(all.rfind('{', why), why - all.rfind('{', why)) << "\n";
  kill(publisher.pid(), SIGTERM);
  const int status = publisher.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(out + ".err");
  expect_exactly_once(read_all(brokers, prefix), ledger, prefix);
}

// The other side of the same decision: a publisher frozen past its
// transaction timeout while a second one with the same transactional id
// takes over and commits is a real zombie: thawed, it exits 3 (fenced) and
// does not fence the newer one back.
TEST_F(BrokerRestart, a_zombie_frozen_past_its_timeout_while_another_took_over_exits_3) {
  const std::string ledger = dir_.sub("ledger");
  constexpr uint64_t kEvents = 150000;
  auto gen = mledger("bench append --events " + std::to_string(kEvents) + " --accounts 300 --data " + ledger);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  const std::string brokers = start_broker();
  ASSERT_FALSE(brokers.empty());
  const std::string prefix = "zombie";
  auto follow = [&](const std::string& out) {
    return std::make_unique<Child>(spawn_mledger({"publish", "--follow", "--json", "--data", ledger, "--brokers",
                                                  brokers, "--topic-prefix", prefix, "--partitions", "3",
                                                  "--batch-events", "10000", "--transaction-timeout-ms", "3000",
                                                  "--transactional-id", "zombie-test", "--status-interval-ms", "100"},
                                                 out));
  };
  const std::string out_a = dir_.sub("a.out"), out_b = dir_.sub("b.out");
  auto a = follow(out_a);
  ASSERT_TRUE(wait_status(out_a, [](const nlohmann::json& s) { return s.value("broker_ok", false); }, 90s))
      << read_text(out_a + ".err");
  std::this_thread::sleep_for(200ms);
  kill(a->pid(), SIGSTOP);
  auto b = follow(out_b);  // fences a, publishes everything
  ASSERT_TRUE(wait_status(out_b, [](const nlohmann::json& s) {
    return field(s, "published_seq") == kEvents && field(s, "lag") == 0;
  }, 180s)) << read_text(out_b + ".err");
  std::this_thread::sleep_for(4s);  // past a's timeout
  kill(a->pid(), SIGCONT);
  const int status_a = a->wait();
  EXPECT_TRUE(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 3) << read_text(out_a + ".err");
  EXPECT_NE(read_text(out_a + ".err").find("fenced"), std::string::npos) << read_text(out_a + ".err");
  EXPECT_EQ(field(last_status(out_a), "producer_restarts"), 0u) << read_text(out_a + ".err");
  // b was not fenced back: it still publishes what is appended now.
  ASSERT_LE(mledger("exec --data " + ledger + " " + std::string(MLEDGER_SOURCE_DIR) +
                    "/docs/demo/scenario.jsonl").exit_code, 1);
  auto log = open_ledger(ledger);
  ASSERT_TRUE(log);
  const uint64_t head = log->digest()->seq;
  log.reset();
  ASSERT_TRUE(wait_status(out_b, [&](const nlohmann::json& s) { return field(s, "published_seq") == head; }, 60s))
      << read_text(out_b + ".err");
  kill(b->pid(), SIGTERM);
  const int status_b = b->wait();
  EXPECT_TRUE(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0) << read_text(out_b + ".err");
  expect_exactly_once(read_all(brokers, prefix), ledger, prefix);
}

// SIGTERM while the broker is unreachable: exit 0 within the documented bound
// (docs/kafka.md: about 5 s); the next start resumes from the cursor, exactly once.
TEST_F(BrokerRestart, sigterm_with_the_broker_away_exits_0_in_bounded_time) {
  const std::string ledger = dir_.sub("ledger");
  constexpr uint64_t kEvents = 60000;
  auto gen = mledger("bench append --events " + std::to_string(kEvents) + " --accounts 300 --data " + ledger);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  const std::string brokers = start_broker();
  ASSERT_FALSE(brokers.empty());
  const std::string prefix = "sigterm";
  const std::vector<std::string> args = {"publish", "--follow", "--json", "--data", ledger, "--brokers", brokers,
                                         "--topic-prefix", prefix, "--partitions", "3", "--batch-events", "200",
                                         "--status-interval-ms", "100"};
  const std::string out = dir_.sub("publish.out");
  Child publisher(spawn_mledger(args, out));
  ASSERT_TRUE(wait_status(out, [](const nlohmann::json& s) { return field(s, "published_seq") >= 2000; }, 90s))
      << read_text(out + ".err");
  stop_broker();
  ASSERT_TRUE(wait_status(out, [](const nlohmann::json& s) { return !s.value("broker_ok", true); }, 60s))
      << read_text(out + ".err");
  std::this_thread::sleep_for(1s);
  kill(publisher.pid(), SIGTERM);
  // The documented bound is about 5 s; the test allows 30 s for a loaded
  // machine (no test asserts a time) and prints what it took.
  int status = 0;
  pid_t done = 0;
  const auto signalled = std::chrono::steady_clock::now();
  while ((done = waitpid(publisher.pid(), &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < signalled + 30s)
    std::this_thread::sleep_for(50ms);
  ASSERT_EQ(done, publisher.pid()) << "no exit 30 s after SIGTERM: " << read_text(out + ".err");
  std::cerr << "exited " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - signalled).count()
            << " ms after SIGTERM\n";
  (void)publisher.wait();  // already reaped: waitpid answers ECHILD at once
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(out + ".err");
  // The next run (broker back) publishes the rest exactly once.
  ASSERT_EQ(start_broker(), brokers);
  auto fin = mledger("publish --json --data " + ledger + " --brokers " + brokers + " --topic-prefix " + prefix +
                     " --partitions 3");
  ASSERT_EQ(fin.exit_code, 0) << fin.out;
  expect_exactly_once(read_all(brokers, prefix), ledger, prefix);
}

// An existing topic with another partition count than --partitions is
// refused (exit 3) with a message naming it and both counts; nothing is
// published to it.
TEST(PublishTopics, an_existing_topic_with_the_wrong_partition_count_is_refused) {
  mledger::testing::TempDir dir;
  const std::string brokers = broker_address();
  const std::string ledger = dir.sub("ledger");
  const std::string scenario = std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/scenario.jsonl";
  ASSERT_LE(mledger("exec --data " + ledger + " " + scenario).exit_code, 1);
  const std::string prefix = unique_prefix("partitions");
  auto first = mledger("publish --data " + ledger + " --brokers " + brokers + " --topic-prefix " + prefix +
                       " --partitions 2");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const size_t published = read_all(brokers, prefix).size();
  ASSERT_LE(mledger("exec --data " + ledger + " " + std::string(MLEDGER_SOURCE_DIR) +
                    "/docs/demo/company-year.jsonl").exit_code, 1);
  auto wrong = mledger("publish --data " + ledger + " --brokers " + brokers + " --topic-prefix " + prefix +
                       " --partitions 4");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.out;
  EXPECT_NE(wrong.out.find(prefix + ".accounts"), std::string::npos) << wrong.out;
  EXPECT_NE(wrong.out.find("has 2 partitions"), std::string::npos) << wrong.out;
  EXPECT_NE(wrong.out.find("expected 4"), std::string::npos) << wrong.out;
  EXPECT_EQ(read_all(brokers, prefix).size(), published) << "published to topics it refused";
  // With the right count it goes on from the cursor.
  auto right = mledger("publish --data " + ledger + " --brokers " + brokers + " --topic-prefix " + prefix +
                       " --partitions 2");
  ASSERT_EQ(right.exit_code, 0) << right.out;
  expect_exactly_once(read_all(brokers, prefix), ledger, prefix);
}

}  // namespace
}  // namespace mledger::kafka::testing
