// `mledger serve --brokers`: the server publishes what it appends, exactly
// once, while it takes commands over HTTP; its metrics show the publish lag
// and each published event's latency stages once; SIGTERM stops the publisher
// cleanly with everything acknowledged on Kafka. `mledger publish --follow
// --metrics-listen` serves the same metrics without a token, and wakes when
// the writer acknowledges events.

#include <gtest/gtest.h>

#include "adapters/http/http_client.h"
#include "tests/http/server_process.h"
#include "tests/kafka/kafka_support.h"

namespace mledger::kafka::testing {
namespace {

using mledger::testing::body_json;
using mledger::testing::LedgerDir;
using mledger::testing::ServerProcess;

TEST(ServePublish, commands_sent_over_http_reach_kafka_exactly_once) {
  const std::string brokers = broker_address();
  const std::string prefix = unique_prefix("serve");
  LedgerDir ledger("mledger-serve-publish");
  auto server = ServerProcess::start(ledger, {"--brokers", brokers, "--topic-prefix", prefix});
  ASSERT_NE(server, nullptr);
  const std::string token = ledger.token(ActorKind::user, "u-anna", "contoso-fr");
  std::string batch = "[";
  for (int i = 0; i < 50; ++i) {
    const std::string id = "kafka-" + std::to_string(i);
    batch += (i ? "," : "") +
             nlohmann::json{{"command_id", id},
                            {"type", "add_user"},
                            {"account_id", "contoso-fr"},
                            {"actor", {{"kind", "user"}, {"account_id", "contoso-fr"}, {"user_id", "u-anna"}}},
                            {"data", {{"user_id", "u-" + id}, {"email", id + "@contoso.fr"}, {"display_name", id}}}}
                 .dump();
  }
  batch += "]";
  const auto r = server->call("POST", "/v1/commands", token, batch);
  ASSERT_EQ(r.status, 200) << r.body;
  // The publisher catches up: the lag gauge falls to 0.
  const std::string operator_token = ledger.token(ActorKind::operator_, "ops-1");
  bool drained = false;
  std::string metrics;
  for (int i = 0; i < 600 && !drained; ++i) {
    metrics = server->call("GET", "/metrics", operator_token).body;
    drained = metrics.find("\nmledger_publish_lag_events 0\n") != std::string::npos;
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(drained) << "the publish lag never reached 0";
  // One rendering is not one instant: its histograms may be read before a
  // commit that its lag gauge, read later, already counts. A commit's
  // latencies are observed before its cursor is reported, so a rendering
  // begun after the lag read 0 holds them.
  metrics = server->call("GET", "/metrics", operator_token).body;
  EXPECT_EQ(server->terminate(), 0);
  const std::vector<KafkaRecord> records = read_all(brokers, prefix);
  expect_exactly_once(records, ledger.data, prefix);
  // Every published event was observed once in each stage's histogram.
  for (const std::string family : {"mledger_publish_append_to_produce_seconds",
                                   "mledger_publish_produce_to_commit_seconds"}) {
    const std::string count = "\n" + family + "_count " + std::to_string(records.size()) + "\n";
    EXPECT_NE(metrics.find(count), std::string::npos) << family << ": no" << count << "in\n" << metrics;
    EXPECT_NE(metrics.find("\n# TYPE " + family + " histogram\n"), std::string::npos) << family;
  }
}

// GET `path` on 127.0.0.1:port, no token; status 0 when it cannot connect.
http::ClientResponse get(uint16_t port, const std::string& path) {
  auto client = http::HttpClient::connect("127.0.0.1", port);
  if (!client.ok()) return {};
  auto r = client.value()->request("GET", path);
  return r.ok() ? r.value() : http::ClientResponse{};
}

TEST(PublishFollowMetrics, a_follower_serves_its_lag_and_latencies_without_a_token) {
  const std::string brokers = broker_address();
  const std::string prefix = unique_prefix("follow-metrics");
  LedgerDir ledger("mledger-follow-metrics");  // the demo's events
  const std::string out = ledger.data + ".publish";
  Child publisher(spawn_mledger({"publish", "--follow", "--data", ledger.data, "--brokers", brokers, "--topic-prefix",
                                 prefix, "--metrics-listen", "127.0.0.1:0", "--status-interval-ms", "100",
                                 "--poll-interval-ms", "60000"},
                                out));
  uint16_t port = 0;
  for (int i = 0; i < 300 && port == 0; ++i) {
    const std::string text = read_text(out);
    const auto at = text.find("metrics on http://127.0.0.1:");
    if (at != std::string::npos) port = static_cast<uint16_t>(std::stoi(text.substr(at + 28)));
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(port, 0) << read_text(out) << read_text(out + ".err");
  // The cursor reaches `head` (the lag gauge falls to 0) within 30 s.
  std::string metrics;
  auto reaches = [&](uint64_t head) {
    const std::string caught_up = "\nmledger_published_seq " + std::to_string(head) + "\n";
    for (int i = 0; i < 300 && metrics.find(caught_up) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      metrics = get(port, "/metrics").body;
    }
    return metrics.find(caught_up) != std::string::npos;
  };
  ASSERT_TRUE(reaches(open_ledger(ledger.data)->digest().value().seq)) << metrics;
  // Caught up and idle, it next looks at the log in 60 s: events appended
  // now are published because the writer's head watermark wakes it.
  auto more = mledger("bench commands --data " + ledger.data + " --accounts 5 --requests 20 --clients 1");
  ASSERT_EQ(more.exit_code, 0) << more.out;
  const uint64_t head = open_ledger(ledger.data)->digest().value().seq;
  ASSERT_TRUE(reaches(head)) << metrics;
  metrics = get(port, "/metrics").body;  // rendered after the cursor was seen at head: see ServePublish
  EXPECT_NE(metrics.find("\nmledger_publish_lag_events 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nmledger_publish_broker_up 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nprocess_cpu_seconds_total "), std::string::npos) << metrics;
  EXPECT_EQ(get(port, "/v1/commands").status, 404);
  ::kill(publisher.pid(), SIGTERM);
  const int status = publisher.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << read_text(out + ".err");
  const std::vector<KafkaRecord> records = read_all(brokers, prefix);
  ASSERT_EQ(records.size(), head);
  expect_exactly_once(records, ledger.data, prefix);
  for (const std::string family : {"mledger_publish_append_to_produce_seconds",
                                   "mledger_publish_produce_to_commit_seconds"}) {
    const std::string count = "\n" + family + "_count " + std::to_string(head) + "\n";
    EXPECT_NE(metrics.find(count), std::string::npos) << family << ": no" << count << "in\n" << metrics;
  }
}

TEST(PublishFollowMetrics, a_metrics_listener_needs_follow) {
  LedgerDir ledger("mledger-follow-metrics-usage", false);
  auto r = mledger("publish --data " + ledger.data + " --brokers " + broker_address() +
                   " --metrics-listen 127.0.0.1:0");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--metrics-listen needs --follow"), std::string::npos) << r.out;
  auto bad = mledger("publish --follow --data " + ledger.data + " --brokers " + broker_address() +
                     " --metrics-listen nowhere");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--metrics-listen needs HOST:PORT"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace mledger::kafka::testing
