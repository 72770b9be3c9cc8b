// Signed tree heads on Kafka (docs/kafka.md, "<prefix>.tree-heads"), against
// the real broker of the CTest fixture: every head the ledger signed appears
// once, in size order, on one partition, keyed by the ledger id; a
// read_committed consumer never sees a head before the events it covers,
// however often the publisher is SIGKILLed; a restart resumes after the last
// published head; heads signed after their events went out are published on
// their own; `audit check-heads --brokers` accepts the topic.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "adapters/kafka/kafka_publisher.h"
#include "adapters/memory/memory_event_log.h"
#include "tests/kafka/kafka_support.h"
#include "tests/support/files.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger::kafka::testing {
namespace {

using Json = nlohmann::json;

std::vector<KafkaRecord> read_heads(const std::string& brokers, const std::string& prefix) {
  return read_topics(brokers, {tree_heads_topic(prefix)});
}

// The committed events' seqs 1..n with none missing: n (0 when none).
uint64_t committed_prefix(const std::vector<KafkaRecord>& events) {
  std::set<uint64_t> seqs;
  for (const auto& r : events) seqs.insert(std::stoull(r.header("mledger_seq")));
  uint64_t n = 0;
  while (seqs.contains(n + 1)) ++n;
  EXPECT_EQ(n, seqs.size()) << "committed events with a gap";
  return n;
}

// Heads on the topic: strictly growing sizes, each covered by committed events.
void expect_heads_after_their_events(const std::string& brokers, const std::string& prefix) {
  const uint64_t events = committed_prefix(read_all(brokers, prefix));
  uint64_t last = 0;
  for (const auto& r : read_heads(brokers, prefix)) {
    const uint64_t size = Json::parse(r.value)["tree_size"];
    EXPECT_GT(size, last) << "heads out of order or repeated";
    EXPECT_LE(size, events) << "a head of size " << size << " before its events were committed (" << events << ")";
    last = size;
  }
}

class HeadsPublish : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = broker_address();
    ASSERT_FALSE(brokers_.empty()) << "no broker address in " << KAFKA_ADDRESS_FILE;
  }
  // A ledger of the demo's company year, one command per `exec`: each that
  // appends signs a head, so there are many heads between the events.
  std::string ledger_of_many_heads() {
    const std::string d = dir_.sub("ledger");
    std::ifstream in(std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/company-year.jsonl");
    std::string line;
    for (int n = 0; std::getline(in, line); ++n) {
      const std::string file = dir_.sub("line-" + std::to_string(n) + ".jsonl");
      std::ofstream(file) << line << "\n";
      auto r = mledger("exec --data " + d + " " + file);
      EXPECT_LE(r.exit_code, 1) << r.out;  // 1: the demo holds rejected commands on purpose
    }
    return d;
  }
  // The ledger's stored heads' JSON lines, smallest first.
  std::vector<std::string> stored_heads(const std::string& ledger) {
    auto r = mledger("audit tree-heads --json --limit 10000 --data " + ledger);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::vector<std::string> lines = mledger::testing::lines_of(r.out);
    std::reverse(lines.begin(), lines.end());
    return lines;
  }
  std::string brokers_;
  mledger::testing::TempDir dir_;
};

TEST_F(HeadsPublish, heads_appear_once_in_order_after_their_events_through_kills_and_restarts) {
  const std::string ledger = ledger_of_many_heads();
  const std::vector<std::string> heads = stored_heads(ledger);
  ASSERT_GE(heads.size(), 20u);
  const std::string prefix = unique_prefix("heads");
  // One event per transaction: the publish takes long enough to be killed often.
  const std::vector<std::string> args = {"publish", "--json", "--data", ledger, "--brokers", brokers_,
                                         "--topic-prefix", prefix, "--partitions", "2", "--batch-events", "1",
                                         "--status-interval-ms", "0"};
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("random seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  int kills = 0;
  for (int round = 0; round < 12 && kills < 5; ++round) {
    const std::string out = dir_.sub("publish-" + std::to_string(round) + ".out");
    Child publisher(spawn_mledger(args, out));
    // Killed at a random point once it has begun (its first status line: the
    // topics exist), not of its start-up, which a new broker makes slow.
    for (int i = 0; i < 600 && read_text(out).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1300)(rng)));
    ::kill(publisher.pid(), SIGKILL);
    const int status = publisher.wait();
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      ++kills;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(out + ".err");
    }
    expect_heads_after_their_events(brokers_, prefix);
  }
  EXPECT_GE(kills, 1) << "the publisher always finished before it was killed";
  auto fin = mledger("publish --json --data " + ledger + " --brokers " + brokers_ + " --topic-prefix " + prefix +
                     " --partitions 2");
  ASSERT_EQ(fin.exit_code, 0) << fin.out;
  expect_exactly_once(read_all(brokers_, prefix), ledger, prefix);
  auto log = open_ledger(ledger);
  ASSERT_TRUE(log);
  const std::string id = *ledger_id(*log);
  log.reset();
  auto on_kafka = [&] {
    std::vector<std::string> values;
    for (const auto& r : read_heads(brokers_, prefix)) {
      EXPECT_EQ(r.key, id);
      EXPECT_EQ(r.partition, 0);
      values.push_back(r.value);
    }
    return values;
  };
  EXPECT_EQ(on_kafka(), heads);  // every head once, smallest first, as `audit tree-head --json` prints it

  // Restarted after more events and a new head: only the new head follows.
  auto more = mledger("tick --data " + ledger + " --now 2028-06-01T00:00:00Z");
  ASSERT_EQ(more.exit_code, 0) << more.out;
  const std::vector<std::string> grown = stored_heads(ledger);
  ASSERT_GT(grown.size(), heads.size());
  auto again = mledger("publish --json --data " + ledger + " --brokers " + brokers_ + " --topic-prefix " + prefix +
                       " --partitions 2");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("\"heads_published_this_run\":" + std::to_string(grown.size() - heads.size())),
            std::string::npos) << again.out;
  EXPECT_EQ(on_kafka(), grown);
  expect_heads_after_their_events(brokers_, prefix);

  // The auditor's check of the topic: every head signed by the ledger's key, no fork.
  auto key = mledger("audit public-key --data " + ledger);
  ASSERT_EQ(key.exit_code, 0) << key.out;
  std::ofstream(dir_.sub("public.pem")) << key.out;
  auto check = mledger("audit check-heads --brokers " + brokers_ + " --topic-prefix " + prefix + " --public-key " +
                       dir_.sub("public.pem") + " --data " + ledger);
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("heads hold: " + std::to_string(grown.size()) + " signed heads of ledger " + id),
            std::string::npos) << check.out;
}

// In process, with heads the test controls: a head signed after the events
// it covers were published goes out in a transaction of its own, and a head
// beyond the published events waits for them.
TEST_F(HeadsPublish, heads_signed_after_their_events_are_published_on_their_own) {
  MemoryEventLog log;
  std::vector<AppendRequest> batch;
  batch.push_back(mledger::testing::user_added_request("c1", "account-a", 0, "a", 5));
  ASSERT_TRUE(log.append_batch(batch).ok());
  std::vector<PublishedHead> signed_heads;  // what the "ledger" has signed so far
  PublisherOptions o;
  o.brokers = brokers_;
  o.topic_prefix = unique_prefix("late-heads");
  o.partitions = 1;
  o.heads = [&](uint64_t after, uint64_t at_most, size_t max_count) -> StatusOr<std::vector<PublishedHead>> {
    std::vector<PublishedHead> out;
    for (const auto& h : signed_heads) {
      if (h.tree_size > after && h.tree_size <= at_most && out.size() < max_count) out.push_back(h);
    }
    return out;
  };
  auto publish = [&] {
    std::atomic<bool> stop{false};
    KafkaPublisher publisher(log, o, {});
    Status s = publisher.run(stop);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return publisher.status();
  };
  PublisherStatus first = publish();
  EXPECT_EQ(first.published_seq, 5u);
  EXPECT_EQ(first.heads_published_this_run, 0u);
  signed_heads = {{3, "{\"head\":3}"}, {5, "{\"head\":5}"}, {9, "{\"head\":9}"}};
  PublisherStatus second = publish();  // no new events: the heads of 3 and 5 alone
  EXPECT_EQ(second.published_this_run, 0u);
  EXPECT_EQ(second.heads_published_this_run, 2u);
  EXPECT_EQ(second.heads_size, 5u);
  std::vector<std::string> values;
  for (const auto& r : read_heads(brokers_, o.topic_prefix)) values.push_back(r.value);
  EXPECT_EQ(values, (std::vector<std::string>{"{\"head\":3}", "{\"head\":5}"}));
  batch.clear();
  batch.push_back(mledger::testing::user_added_request("c2", "account-a", 5, "a", 4));
  ASSERT_TRUE(log.append_batch(batch).ok());
  PublisherStatus third = publish();  // event 9 joins: its head follows it
  EXPECT_EQ(third.published_this_run, 4u);
  EXPECT_EQ(third.heads_published_this_run, 1u);
  values.clear();
  for (const auto& r : read_heads(brokers_, o.topic_prefix)) values.push_back(r.value);
  EXPECT_EQ(values, (std::vector<std::string>{"{\"head\":3}", "{\"head\":5}", "{\"head\":9}"}));
}

}  // namespace
}  // namespace mledger::kafka::testing
