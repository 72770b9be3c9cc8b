// The single writer batches concurrent appenders and answers each only once
// its batch is durable.

#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <thread>

#include "adapters/memory/memory_event_log.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/writer/group_commit_writer.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"
#include "tests/support/forwarding_log.h"

namespace mledger {
namespace {

using testing::user_added_request;

TEST(GroupCommitWriter, concurrent_appenders_are_batched_and_all_durable) {
  testing::TempDir dir;
  RocksDbOptions o;
  o.path = dir.path();
  auto log = RocksDbEventLog::open(o);
  ASSERT_TRUE(log.ok());
  constexpr int kThreads = 8, kPerThread = 200;
  GroupCommitStats stats;
  {
    GroupCommitWriter writer(**log, GroupCommitOptions{});
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string account = "acct" + std::to_string(t);
        for (int i = 0; i < kPerThread; ++i) {
          auto r = writer.append(user_added_request(account + "-" + std::to_string(i),
                                                    "account-" + account, i, account));
          if (!r.ok() || r->status != AppendStatus::appended) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    stats = writer.stats();
  }
  EXPECT_EQ(stats.requests, uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.batches, stats.requests);  // some writes carried several commands
  EXPECT_EQ((*log)->digest()->seq, uint64_t{kThreads * kPerThread});
  EXPECT_FALSE((*log)->verify_chain({})->first_bad_seq);
}

TEST(GroupCommitWriter, racing_writers_on_one_stream_exactly_one_wins_each_version) {
  MemoryEventLog log;
  GroupCommitWriter writer(log, GroupCommitOptions{});
  std::vector<std::future<StatusOr<AppendOutcome>>> futures;
  for (int i = 0; i < 50; ++i) {
    futures.push_back(writer.submit(user_added_request("c" + std::to_string(i), "s", 0, "a")));
  }
  int appended = 0, conflicts = 0;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r.ok());
    appended += r->status == AppendStatus::appended;
    conflicts += r->status == AppendStatus::conflict;
  }
  EXPECT_EQ(appended, 1);
  EXPECT_EQ(conflicts, 49);
}

TEST(GroupCommitWriter, malformed_request_fails_alone_and_at_once) {
  MemoryEventLog log;
  GroupCommitWriter writer(log, GroupCommitOptions{});
  auto bad = user_added_request("c1", "s", 0, "a");
  bad.expectations.clear();  // writes a stream it did not list
  auto r = writer.append(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::invalid_argument);
  auto empty = user_added_request("c2", "s", 0, "a");
  empty.events.clear();
  EXPECT_FALSE(writer.append(empty).ok());
  EXPECT_EQ(log.digest()->seq, 0u);
  EXPECT_TRUE(writer.append(user_added_request("c3", "s", 0, "a")).ok());
}

// submit_then: the completion runs once, on the writer's thread, after the
// batch is in the log; a refused request is answered at once on the caller's.
TEST(GroupCommitWriter, submit_then_answers_once_on_the_writers_thread_once_durable) {
  MemoryEventLog log;
  GroupCommitWriter writer(log, GroupCommitOptions{});
  std::promise<std::pair<StatusOr<AppendOutcome>, uint64_t>> seen;
  std::atomic<int> calls{0};
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{true};
  writer.submit_then(user_added_request("c1", "s", 0, "a"), [&](StatusOr<AppendOutcome> outcome) {
    on_caller.store(std::this_thread::get_id() == caller);
    ++calls;
    seen.set_value({std::move(outcome), log.digest()->seq});  // what the log holds when answered
  });
  auto [outcome, head] = seen.get_future().get();
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(outcome->status, AppendStatus::appended);
  ASSERT_EQ(outcome->events.size(), 1u);
  EXPECT_EQ(head, outcome->events[0].seq);
  EXPECT_FALSE(on_caller.load());
  writer.stop();
  EXPECT_EQ(calls.load(), 1);

  GroupCommitWriter second(log, GroupCommitOptions{});
  auto bad = user_added_request("c2", "s", 1, "a");
  bad.events.clear();
  std::optional<StatusOr<AppendOutcome>> refused;
  second.submit_then(std::move(bad), [&](StatusOr<AppendOutcome> r) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    refused = std::move(r);
  });
  ASSERT_TRUE(refused.has_value());  // answered before submit_then returned
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error().code(), StatusCode::invalid_argument);
  EXPECT_EQ(log.digest()->seq, 1u);
}

// A log whose appends wait until the test opens the gate: the writer is held
// inside its first batch while the queue fills.
class GatedLog final : public testing::ForwardingLog {
 public:
  GatedLog() : ForwardingLog(memory_) {}
  StatusOr<std::vector<AppendOutcome>> append_batch(std::span<const AppendRequest> r) override {
    entered_.store(true);
    gate_.wait();
    return inner_.append_batch(r);
  }
  void open() { opener_.set_value(); }
  bool entered() const { return entered_.load(); }

 private:
  MemoryEventLog memory_;
  std::promise<void> opener_;
  std::shared_future<void> gate_ = opener_.get_future().share();
  std::atomic<bool> entered_{false};
};

TEST(GroupCommitWriter, full_queue_refuses_instead_of_growing) {
  GatedLog log;
  GroupCommitOptions options;
  options.queue_requests_max = 4;
  GroupCommitWriter writer(log, options);
  auto first = writer.submit(user_added_request("c0", "s0", 0, "a"));
  while (!log.entered()) std::this_thread::yield();  // the writer holds c0, the queue is empty
  std::vector<std::future<StatusOr<AppendOutcome>>> queued;
  for (int i = 1; i <= 4; ++i) {
    queued.push_back(writer.submit(user_added_request("c" + std::to_string(i), "s" + std::to_string(i), 0, "a")));
  }
  auto refused = writer.submit(user_added_request("c5", "s5", 0, "a"));
  ASSERT_EQ(refused.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto r = refused.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::limit_exceeded);
  log.open();
  EXPECT_TRUE(first.get().ok());
  for (auto& f : queued) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(log.digest()->seq, 5u);  // c0..c4; the refused c5 was never written
}

// A log whose appends fail while the test says so (a full disk, a RocksDB
// background error), and succeed otherwise.
class SwitchableLog final : public testing::ForwardingLog {
 public:
  SwitchableLog() : ForwardingLog(memory_) {}
  StatusOr<std::vector<AppendOutcome>> append_batch(std::span<const AppendRequest> r) override {
    if (failing_.load()) return fail(StatusCode::io_error, "No space left on device");
    return inner_.append_batch(r);
  }
  void set_failing(bool f) { failing_.store(f); }

 private:
  MemoryEventLog memory_;
  std::atomic<bool> failing_{false};
};

TEST(GroupCommitWriter, health_reports_failed_writes_in_a_row_until_one_succeeds) {
  SwitchableLog log;
  GroupCommitWriter writer(log, GroupCommitOptions{});
  EXPECT_FALSE(writer.health().failing()) << "nothing written yet: not failing";

  ASSERT_TRUE(writer.append(user_added_request("c0", "s0", 0, "a")).ok());
  EXPECT_FALSE(writer.health().failing());
  EXPECT_TRUE(writer.health().last_failure.ok());

  log.set_failing(true);
  for (int i = 1; i <= 3; ++i) {
    auto r = writer.append(user_added_request("c" + std::to_string(i), "s" + std::to_string(i), 0, "a"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), StatusCode::io_error);
    const WriterHealth h = writer.health();
    EXPECT_TRUE(h.failing());
    EXPECT_EQ(h.consecutive_failed_writes, static_cast<uint64_t>(i));
    EXPECT_EQ(h.last_failure.code(), StatusCode::io_error);
    EXPECT_EQ(h.last_failure.message(), "No space left on device");
    EXPECT_EQ(h.failing_since_batch, 2u) << "the first failed write was the second batch";
  }
  EXPECT_EQ(writer.stats().failed_batches, 3u);

  // A conflict is an answer, not a failed write: once writing works, health is back.
  log.set_failing(false);
  ASSERT_TRUE(writer.append(user_added_request("c4", "s4", 0, "a")).ok());
  WriterHealth h = writer.health();
  EXPECT_FALSE(h.failing());
  EXPECT_EQ(h.consecutive_failed_writes, 0u);
  EXPECT_TRUE(h.last_failure.ok());
  EXPECT_EQ(h.failing_since_batch, 0u);
  auto conflict = writer.append(user_added_request("c5", "s4", 0, "a"));
  ASSERT_TRUE(conflict.ok());
  EXPECT_EQ(conflict->status, AppendStatus::conflict);
  EXPECT_FALSE(writer.health().failing());
  EXPECT_EQ(log.digest()->seq, 2u);  // c0 and c4; nothing of the failed writes
}

TEST(GroupCommitWriter, stop_writes_what_was_queued_then_refuses) {
  MemoryEventLog log;
  GroupCommitWriter writer(log, GroupCommitOptions{});
  std::vector<std::future<StatusOr<AppendOutcome>>> futures;
  for (int i = 0; i < 100; ++i) {
    futures.push_back(writer.submit(user_added_request("c" + std::to_string(i), "s" + std::to_string(i), 0, "a")));
  }
  writer.stop();
  for (auto& f : futures) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(log.digest()->seq, 100u);
  auto late = writer.append(user_added_request("late", "s", 0, "a"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), StatusCode::unavailable);
}

}  // namespace
}  // namespace mledger
