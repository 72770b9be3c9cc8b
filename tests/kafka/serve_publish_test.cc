// `mledger serve --brokers`: the server publishes what it appends, exactly
// once, while it takes commands over HTTP; its metrics show the publish lag
// and each published event's latency stages once; SIGTERM stops the publisher
// cleanly with everything acknowledged on Kafka.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mledger::kafka::testing
