// Power loss under a real server that publishes to Kafka: `mledger serve
// --brokers` runs under the power-loss shim (power_loss.h) while clients send
// commands over HTTP; the server is killed (SIGKILL) after a random number of
// answers and everything a disk could lose in a power cut at that moment is
// dropped. Then, with no process under the shim: every command the server
// answered `accepted` is in the ledger at the seq and with the hash the answer
// named, the chain and every index verify, and the next round's server opens
// the cut ledger (under the shim again) and resumes publishing from its
// cursor on Kafka. At the end a server without the shim drains the publisher:
// Kafka holds every event of the ledger exactly once, byte for byte, and
// nothing else: no event was published that the power cut then took away
// (the publisher reads only synced events), and the cursor was never ahead
// of the log.
//
// MLEDGER_POWER_LOSS_SERVE_POINTS sets the number of crash points (default 12).
// covers R-LED-01, R-LED-02

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "adapters/crypto/sha256.h"
#include "tests/faults/power_loss.h"
#include "tests/http/server_process.h"
#include "tests/kafka/kafka_support.h"

namespace mledger::kafka::testing {
namespace {

using mledger::testing::LedgerDir;
using mledger::testing::ServerProcess;

constexpr const char* kAccount = "contoso-fr";

struct Ack {
  uint64_t seq = 0;
  std::string hash;  // hex, as the answer gave it
};

// Commands sent by several clients at once; what the server acknowledged.
class Load {
 public:
  Load(uint16_t port, std::string token, std::string round) : port_(port), token_(std::move(token)),
                                                              round_(std::move(round)) {}

  void start(int clients) {
    for (int c = 0; c < clients; ++c) threads_.emplace_back([this, c] { client(c); });
  }
  size_t acked() {
    std::lock_guard lock(mu_);
    return acks_.size();
  }
  // Stops the clients (after the server died, their requests fail) and
  // returns what was acknowledged.
  std::map<std::string, Ack> stop() {
    stopping_ = true;
    for (auto& t : threads_) t.join();
    return acks_;
  }

 private:
  void client(int c) {
    auto conn = http::HttpClient::connect("127.0.0.1", port_, std::chrono::milliseconds(10'000));
    if (!conn.ok()) return;
    for (int i = 0; !stopping_; ++i) {
      const std::string id = round_ + "-c" + std::to_string(c) + "-" + std::to_string(i);
      const std::string body = nlohmann::json{
          {"command_id", id},
          {"type", "add_user"},
          {"account_id", kAccount},
          {"actor", {{"kind", "user"}, {"account_id", kAccount}, {"user_id", "u-anna"}}},
          {"data", {{"user_id", "u-" + id}, {"email", id + "@contoso.fr"}, {"display_name", id}}}}
                                   .dump();
      auto r = (*conn)->request("POST", "/v1/commands",
                                {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}},
                                body);
      if (!r.ok()) return;  // the server is gone
      if (r->status != 200) continue;
      const auto answer = nlohmann::json::parse(r->body, nullptr, false);
      if (answer.is_discarded() || answer.value("status", "") != "accepted") continue;
      const auto& event = answer.at("events").at(0);
      std::lock_guard lock(mu_);
      acks_[id] = Ack{event.at("seq").get<uint64_t>(), event.at("hash").get<std::string>()};
    }
  }

  uint16_t port_;
  std::string token_;
  std::string round_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::map<std::string, Ack> acks_;
  std::vector<std::thread> threads_;
};

// Starts the server with `env` (NAME=value) added to its environment only.
std::unique_ptr<ServerProcess> start_server(const LedgerDir& ledger, const std::vector<std::string>& extra,
                                            const std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> set;
  for (const auto& e : env) {
    const size_t eq = e.find('=');
    set.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    setenv(set.back().first.c_str(), set.back().second.c_str(), 1);
  }
  auto server = ServerProcess::start(ledger, extra);
  for (const auto& [name, value] : set) unsetenv(name.c_str());
  return server;
}

// The cut ledger, read-only and outside the shim: whole, and every
// acknowledged command where its answer said.
void check_ledger(const std::string& data, const std::map<std::string, Ack>& acks) {
  auto log = open_ledger(data);
  ASSERT_TRUE(log);
  auto chain = log->verify_chain({});
  ASSERT_TRUE(chain.ok()) << chain.error().to_string();
  ASSERT_FALSE(chain->first_bad_seq) << chain->problem;
  auto storage = log->verify_storage({});
  ASSERT_TRUE(storage.ok()) << storage.error().to_string();
  ASSERT_TRUE(storage->whole()) << storage->family << " " << storage->key << ": " << storage->problem;
  for (const auto& [id, ack] : acks) {
    auto found = log->find_command(std::string("account:") + kAccount, id);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    ASSERT_TRUE(found->has_value()) << "acknowledged command lost: " << id;
    ASSERT_EQ((*found)->events.size(), 1u) << id;
    EXPECT_EQ((*found)->events[0].seq, ack.seq) << id;
    EXPECT_EQ(to_hex((*found)->events[0].hash), ack.hash) << id;
  }
}

int crash_points() {
  const char* v = std::getenv("MLEDGER_POWER_LOSS_SERVE_POINTS");
  return v ? std::atoi(v) : 12;
}

// Runs the server until its publisher has nothing left to send, then stops it.
void drain_publisher(const LedgerDir& ledger, const std::vector<std::string>& extra) {
  auto server = ServerProcess::start(ledger, extra);
  ASSERT_NE(server, nullptr);
  const std::string operator_token = ledger.token(ActorKind::operator_, "ops-1");
  bool drained = false;
  for (int i = 0; i < 1200 && !drained; ++i) {
    const auto m = server->call("GET", "/metrics", operator_token);
    drained = m.body.find("\nmledger_publish_lag_events 0\n") != std::string::npos;
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(drained) << "the publish lag never reached 0";
  EXPECT_EQ(server->terminate(), 0);
}

TEST(PowerLossServe, R_LED_01_power_loss_under_http_load_loses_nothing_and_publishes_nothing_lost) {
  const std::string brokers = broker_address();
  const std::string prefix = unique_prefix("power");
  LedgerDir ledger("mledger-power-serve");
  const std::string scratch = ledger.dir + "-scratch";
  std::filesystem::create_directories(scratch);
  mledger::testing::PowerLossDisk disk(ledger.dir, scratch);
  const std::vector<std::string> extra = {"--brokers", brokers, "--topic-prefix", prefix};
  const std::string token = ledger.token(ActorKind::user, "u-anna", kAccount);
  std::mt19937 rng(20261205);
  std::map<std::string, Ack> all_acks;
  uint64_t dropped = 0;
  int points = 0, torn = 0;
  for (int round = 0; round < crash_points(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    disk.begin();
    auto server = start_server(ledger, extra, disk.child_env());
    ASSERT_NE(server, nullptr);
    Load load(server->port, token, "r" + std::to_string(round));
    load.start(4);
    const size_t wanted = std::uniform_int_distribution<size_t>(0, 150)(rng);
    for (int i = 0; i < 6000 && load.acked() < wanted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server.reset();  // SIGKILL, under load
    const auto acks = load.stop();
    all_acks.insert(acks.begin(), acks.end());
    const mledger::testing::PowerCut cut = disk.cut(rng);
    ASSERT_EQ(cut.problem, "");
    ++points;
    torn += cut.torn_files > 0 ? 1 : 0;
    dropped += cut.bytes_dropped;
    ASSERT_NO_FATAL_FAILURE(check_ledger(ledger.data, all_acks));
    const mledger::testing::Run verify = mledger("verify --data " + ledger.data);
    ASSERT_EQ(verify.exit_code, 0) << verify.out;
  }
  EXPECT_GT(dropped, 0u) << "the shim dropped nothing: the server did not run under it";
  ASSERT_NO_FATAL_FAILURE(drain_publisher(ledger, extra));
  expect_exactly_once(read_all(brokers, prefix), ledger.data, prefix);
  std::filesystem::remove_all(scratch);
  std::printf("power loss under serve --brokers: %d crash points (%d with torn writes), %zu acknowledged "
              "commands, 0 lost; %llu unsynced bytes dropped\n",
              points, torn, all_acks.size(), static_cast<unsigned long long>(dropped));
}

}  // namespace
}  // namespace mledger::kafka::testing
