// The publisher over the EventLog port, on a MemoryEventLog in this process,
// against the real broker of the CTest fixture: following the log, it learns
// of new events from the writer's AppendSignal, not from polling (its poll
// interval here is ten minutes, longer than the test may take), and each
// committed transaction reports its events' latency stages once.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "adapters/kafka/kafka_publisher.h"
#include "adapters/memory/memory_event_log.h"
#include "tests/kafka/kafka_support.h"
#include "tests/support/fixtures.h"

namespace mledger::kafka::testing {
namespace {

using mledger::testing::user_added_request;

// Appends `n` UserAdded events to account-a as one command, then notifies.
void append(MemoryEventLog& log, AppendSignal& signal, const std::string& command_id, int n) {
  const uint64_t version = *log.stream_version("account-a");
  std::vector<AppendRequest> batch;
  batch.push_back(user_added_request(command_id, "account-a", version, "a", n));
  auto out = log.append_batch(batch);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  ASSERT_EQ((*out)[0].status, AppendStatus::appended);
  signal.notify();
}

TEST(MemoryLogPublish, the_writers_signal_wakes_a_following_publisher) {
  const std::string brokers = broker_address();
  const std::string prefix = unique_prefix("memory");
  MemoryEventLog log;
  AppendSignal signal;
  append(log, signal, "c1", 3);

  PublisherOptions o;
  o.brokers = brokers;
  o.topic_prefix = prefix;
  o.partitions = 2;
  o.follow = true;
  o.appended = &signal;
  o.poll_interval_ms = 600000;  // only the signal can wake it within the test
  o.status_interval_ms = 0;
  std::mutex mu;
  uint64_t latencies_reported = 0;
  o.on_committed = [&](const CommittedLatencies& l) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(l.append_to_produce_seconds.size(), l.produce_to_commit_seconds.size());
    for (double s : l.produce_to_commit_seconds) EXPECT_GE(s, 0.0);
    latencies_reported += l.append_to_produce_seconds.size();
  };
  std::atomic<uint64_t> published{0};
  std::atomic<bool> stop{false};
  KafkaPublisher publisher(log, o, [&](const PublisherStatus& s) { published.store(s.published_seq); });
  Status result;
  std::thread runner([&] { result = publisher.run(stop); });
  auto wait_until_published = [&](uint64_t seq) {
    for (int i = 0; i < 1200 && published.load() < seq; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return published.load() >= seq;
  };
  const bool first = wait_until_published(3);
  // Idle now, waiting on the signal: new events must wake it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  append(log, signal, "c2", 5);
  const bool woken = wait_until_published(8);
  stop.store(true);
  runner.join();
  ASSERT_TRUE(first) << "the first 3 events were not published";
  EXPECT_TRUE(woken) << "events appended while the publisher was idle were not published (published "
                     << published.load() << " of 8): the signal did not wake it";
  EXPECT_TRUE(result.ok()) << result.to_string();

  const std::vector<KafkaRecord> records = read_all(brokers, prefix);
  std::vector<int> seen(9, 0);
  for (const auto& r : records) {
    const uint64_t seq = std::stoull(r.header("ce_mledgerseq"));
    ASSERT_GE(seq, 1u);
    ASSERT_LE(seq, 8u);
    ++seen[seq];
    EXPECT_EQ(r.header("mledger_seq"), std::to_string(seq));
  }
  for (uint64_t seq = 1; seq <= 8; ++seq) EXPECT_EQ(seen[seq], 1) << "event " << seq;
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(latencies_reported, 8u);
}

}  // namespace
}  // namespace mledger::kafka::testing
