// `mledger publish` and `mledger tail` against the real broker of the CTest
// fixture (tools/kafka start): every event once, on its topic, with its key
// and headers, in order per account; bad input; another ledger is refused.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/kafka/kafka_support.h"
#include "tests/support/temp_dir.h"

namespace mledger::kafka::testing {
namespace {

class Publish : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = broker_address();
    ASSERT_FALSE(brokers_.empty()) << "no broker address in " << KAFKA_ADDRESS_FILE;
  }
  // A ledger with the demo's realistic events (several accounts, every aggregate).
  std::string demo_ledger(const std::string& name) {
    const std::string d = dir_.sub(name);
    for (const char* f : {"docs/demo/scenario.jsonl", "docs/demo/company-year.jsonl"}) {
      auto r = mledger("exec --data " + d + " " + std::string(MLEDGER_SOURCE_DIR) + "/" + f);
      EXPECT_LE(r.exit_code, 1) << r.out;  // 1: the demo holds rejected commands on purpose
    }
    return d;
  }
  std::string brokers_;
  mledger::testing::TempDir dir_;
};

TEST_F(Publish, every_event_once_on_its_topic_with_key_headers_and_order) {
  const std::string ledger = demo_ledger("ledger");
  const std::string prefix = unique_prefix("demo");
  auto r = mledger("publish --data " + ledger + " --brokers " + brokers_ + " --topic-prefix " + prefix +
                   " --partitions 3 --batch-events 7");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto records = read_all(brokers_, prefix);
  expect_exactly_once(records, ledger, prefix);
  // Several topics and partitions were used, so order was tested across them.
  std::set<std::pair<std::string, int32_t>> used;
  for (const auto& rec : records) used.emplace(rec.topic, rec.partition);
  EXPECT_GE(used.size(), 6u);

  // Publishing again writes nothing: the cursor is at the head.
  auto again = mledger("publish --json --data " + ledger + " --brokers " + brokers_ + " --topic-prefix " + prefix + " --partitions 3");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("\"published_this_run\":0"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("\"lag\":0"), std::string::npos) << again.out;
  EXPECT_EQ(read_all(brokers_, prefix).size(), records.size());

  // New events are published after the cursor, nothing before it again.
  auto more = mledger("tick --data " + ledger + " --now 2028-06-01T00:00:00Z");
  EXPECT_EQ(more.exit_code, 0) << more.out;
  ASSERT_EQ(mledger("publish --data " + ledger + " --brokers " + brokers_ + " --topic-prefix " + prefix + " --partitions 3").exit_code, 0);
  auto after = read_all(brokers_, prefix);
  EXPECT_GT(after.size(), records.size());
  expect_exactly_once(after, ledger, prefix);
}

TEST_F(Publish, tail_prints_decoded_events_as_json_lines) {
  const std::string ledger = demo_ledger("ledger");
  const std::string prefix = unique_prefix("tail");
  ASSERT_EQ(mledger("publish --data " + ledger + " --brokers " + brokers_ + " --topic-prefix " + prefix + " --partitions 3").exit_code, 0);
  auto log = open_ledger(ledger);
  ASSERT_TRUE(log);
  const uint64_t n = log->digest()->seq;
  auto t = run(std::string(MLEDGER_BINARY) + " tail --brokers " + brokers_ + " --topic-prefix " + prefix +
               " --from-beginning --count " + std::to_string(n) + " --idle-exit-ms 60000 2>/dev/null");
  ASSERT_EQ(t.exit_code, 0) << t.out;
  std::istringstream lines(t.out);
  std::string line;
  std::set<uint64_t> seqs;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    const uint64_t seq = j["event"]["seq"].get<uint64_t>();
    seqs.insert(seq);
    auto e = log->read_global(seq, 1);
    ASSERT_TRUE(e.ok() && e->size() == 1);
    EXPECT_EQ(j["event"]["event_id"], e->front().event_id);
    EXPECT_EQ(j["event"]["type"], std::string(event_type_name(e->front().payload)));
    EXPECT_EQ(j["headers"]["mledger_seq"], std::to_string(seq));
    EXPECT_TRUE(j["event"].contains("data"));
  }
  EXPECT_EQ(seqs.size(), n);
  // One topic only, --count.
  auto one = run(std::string(MLEDGER_BINARY) + " tail --brokers " + brokers_ + " --topic " + prefix +
                 ".orders --from-beginning --count 2 2>/dev/null");
  ASSERT_EQ(one.exit_code, 0) << one.out;
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\n'), 2);
  EXPECT_NE(one.out.find("\"topic\":\"" + prefix + ".orders\""), std::string::npos);
}

TEST_F(Publish, bad_input_is_named) {
  const std::string ledger = demo_ledger("ledger");
  auto nobrokers = mledger("publish --data " + ledger);
  EXPECT_EQ(nobrokers.exit_code, 2);
  EXPECT_NE(nobrokers.out.find("--brokers"), std::string::npos) << nobrokers.out;
  auto bad = mledger("publish --data " + ledger + " --brokers localhost");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("bad broker address 'localhost'"), std::string::npos) << bad.out;
  auto prefix = mledger("publish --data " + ledger + " --brokers " + brokers_ + " --topic-prefix 'a b'");
  EXPECT_EQ(prefix.exit_code, 2);
  EXPECT_NE(prefix.out.find("--topic-prefix"), std::string::npos) << prefix.out;
  auto flag = mledger("publish --data " + ledger + " --brokers " + brokers_ + " --frobnicate");
  EXPECT_EQ(flag.exit_code, 2);
  auto noledger = mledger("publish --data " + dir_.sub("none") + " --brokers " + brokers_);
  EXPECT_EQ(noledger.exit_code, 3);
  EXPECT_NE(noledger.out.find("no ledger"), std::string::npos) << noledger.out;
  auto topic = mledger("tail --brokers " + brokers_ + " --topic no-such-topic-" + unique_prefix("x") +
                       " --idle-exit-ms 100");
  EXPECT_EQ(topic.exit_code, 2);
  EXPECT_NE(topic.out.find("does not exist"), std::string::npos) << topic.out;
  auto tbad = mledger("tail --brokers nope");
  EXPECT_EQ(tbad.exit_code, 2);
  for (const char* c : {"publish --help", "tail --help"}) {
    auto h = mledger(c);
    EXPECT_EQ(h.exit_code, 0);
    EXPECT_NE(h.out.find("usage"), std::string::npos);
  }
}

TEST_F(Publish, a_cursor_of_another_ledger_is_refused) {
  const std::string prefix = unique_prefix("other");
  const std::string a = demo_ledger("a");
  ASSERT_EQ(mledger("publish --data " + a + " --brokers " + brokers_ + " --topic-prefix " + prefix +
                    " --transactional-id shared").exit_code, 0);
  // Another ledger (different events, so a different chain) under the same id.
  const std::string b = dir_.sub("b");
  ASSERT_EQ(mledger("bench append --events 2000 --accounts 10 --data " + b).exit_code, 0);
  auto r = mledger("publish --data " + b + " --brokers " + brokers_ + " --topic-prefix " + prefix +
                   " --transactional-id shared");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("another ledger"), std::string::npos) << r.out;
  // Nothing of b was published.
  expect_exactly_once(read_all(brokers_, prefix), a, prefix);
}

}  // namespace
}  // namespace mledger::kafka::testing
