// replay_events(): every event in order, decoded and chain-checked over two
// threads, against a RocksDB log on disk and the memory log (and
// replay_events_deciding(): only the events wanted decoded); small batches and
// a one-batch queue so that the reader waits on the decoder; a stop from the
// callback; damage named by seq with every event before it delivered. Each
// with the envelopes hashed on the reading thread, on the decoding thread,
// and balanced between them.
// covers R-LED-01

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/log/event_replay.h"
#include "adapters/memory/memory_event_log.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/fixtures.h"
#include "tests/support/raw_ledger.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

using testing::user_added_request;

constexpr int kEvents = 40;

// Each test runs with envelopes hashed on each thread, and balanced.
class EventReplay : public ::testing::TestWithParam<ReplayLimits::Hashing> {};

ReplayLimits tight_limits() {
  ReplayLimits l;
  l.batch_events_max = 3;
  l.queued_batches_max = 1;
  l.hashing = EventReplay::GetParam();
  return l;
}

std::unique_ptr<RocksDbEventLog> open_log(const std::string& path) {
  RocksDbOptions o;
  o.path = path;
  auto log = RocksDbEventLog::open(o);
  EXPECT_TRUE(log.ok()) << log.error().to_string();
  return log.ok() ? std::move(log.value()) : nullptr;
}

void fill(EventLog& log) {
  for (int i = 0; i < kEvents; ++i) {
    std::vector<AppendRequest> b;
    b.push_back(user_added_request("c" + std::to_string(i), "account-" + std::to_string(i % 3),
                                   static_cast<uint64_t>(i / 3), "a"));
    auto out = log.append_batch(b);
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    ASSERT_EQ((*out)[0].status, AppendStatus::appended);
  }
}

std::vector<RecordedEvent> replayed(EventLog& log, uint64_t from_seq, Status* status,
                                    size_t stop_after = SIZE_MAX) {
  std::vector<RecordedEvent> out;
  *status = replay_events(log, from_seq, tight_limits(), [&](RecordedEvent&& e) {
    out.push_back(std::move(e));
    return out.size() < stop_after;
  });
  return out;
}

void expect_same(const std::vector<RecordedEvent>& got, const std::vector<RecordedEvent>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, want[i].seq);
    EXPECT_EQ(got[i].hash, want[i].hash);
    EXPECT_EQ(got[i].prev_hash, want[i].prev_hash);
    EXPECT_EQ(got[i].stream, want[i].stream);
    EXPECT_TRUE(got[i].payload == want[i].payload) << "seq " << want[i].seq;
  }
}

void replays_in_order(EventLog& log) {
  auto all = log.read_global(1, kEvents + 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kEvents));
  Status s;
  ReplayStats stats;
  std::vector<RecordedEvent> got;
  s = replay_events(log, 1, tight_limits(), [&](RecordedEvent&& e) {
    got.push_back(std::move(e));
    return true;
  }, &stats);
  ASSERT_TRUE(s.ok()) << s.to_string();
  expect_same(got, *all);
  EXPECT_EQ(stats.events, static_cast<uint64_t>(kEvents));
  EXPECT_GT(stats.envelope_bytes, stats.events * 100);

  // From the middle: the chain hangs on the stored hash of the event before.
  got = replayed(log, 17, &s);
  ASSERT_TRUE(s.ok()) << s.to_string();
  expect_same(got, std::vector<RecordedEvent>(all->begin() + 16, all->end()));

  // Past the end: nothing, no error.
  EXPECT_TRUE(replayed(log, kEvents + 1, &s).empty());
  EXPECT_TRUE(s.ok()) << s.to_string();

  // The callback stops it (the reader, blocked on a full queue, ends too).
  got = replayed(log, 1, &s, 5);
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(got.size(), 5u);
}

// Deciding per event: an event declined is handed on with only its seq and
// links (equal to the stored ones), the others decoded; `decode` sees every
// envelope with its seq, after the chain check.
void decodes_only_what_is_wanted(EventLog& log) {
  auto all = log.read_global(1, kEvents + 10);
  ASSERT_TRUE(all.ok());
  std::vector<uint64_t> asked;
  std::vector<RecordedEvent> decoded;
  uint64_t declined = 0;
  Status s = replay_events_deciding(
      log, 1, tight_limits(),
      [&](uint64_t seq, std::string_view envelope) {
        EXPECT_FALSE(envelope.empty());
        asked.push_back(seq);
        return seq % 3 == 0;
      },
      [&](RecordedEvent&& e, std::string_view) {
        const RecordedEvent& stored = (*all)[e.seq - 1];
        EXPECT_EQ(e.hash, stored.hash) << e.seq;
        EXPECT_EQ(e.prev_hash, stored.prev_hash) << e.seq;
        if (e.seq % 3 == 0) {
          decoded.push_back(std::move(e));
        } else {
          ++declined;
        }
        return true;
      });
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_EQ(asked.size(), static_cast<size_t>(kEvents));
  for (size_t i = 0; i < asked.size(); ++i) EXPECT_EQ(asked[i], i + 1);
  std::vector<RecordedEvent> want;
  for (const RecordedEvent& e : *all) {
    if (e.seq % 3 == 0) want.push_back(e);
  }
  expect_same(decoded, want);
  EXPECT_EQ(declined, static_cast<uint64_t>(kEvents) - want.size());
}

TEST_P(EventReplay, R_LED_01_replays_a_rocksdb_log_in_order) {
  testing::TempDir dir;
  auto log = open_log(dir.path());
  fill(*log);
  replays_in_order(*log);
  decodes_only_what_is_wanted(*log);
}

TEST_P(EventReplay, R_LED_01_replays_the_memory_log_in_order) {
  MemoryEventLog log;
  fill(log);
  replays_in_order(log);
  decodes_only_what_is_wanted(log);
}

// A changed byte of event 23 on disk: events 1..22 are delivered, then the
// replay fails naming 23; from 24 on, the same damage breaks the link of 24.
TEST_P(EventReplay, R_LED_01_damage_is_named_after_every_event_before_it) {
  testing::TempDir dir;
  {
    auto log = open_log(dir.path());
    fill(*log);
  }
  {
    testing::RawLedger raw(dir.path());
    ASSERT_TRUE(raw.ok()) << raw.error();
    std::string key(8, '\0');
    key[7] = 23;
    std::string value;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.family("events"), key, &value).ok());
    value[value.size() - 20] ^= 0x01;  // inside the body
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.family("events"), key, value).ok());
  }
  RocksDbOptions o;
  o.path = dir.path();
  o.read_only = true;
  o.create_if_missing = false;
  auto log = RocksDbEventLog::open(o);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  Status s;
  auto got = replayed(**log, 1, &s);
  EXPECT_EQ(s.code(), StatusCode::corruption);
  EXPECT_NE(s.message().find("event 23"), std::string::npos) << s.message();
  ASSERT_EQ(got.size(), 22u);
  EXPECT_EQ(got.back().seq, 22u);

  // The chain is checked whether an event is decoded or not.
  uint64_t handed = 0;
  s = replay_events_deciding(
      **log, 1, tight_limits(), [](uint64_t, std::string_view) { return false; },
      [&](RecordedEvent&&, std::string_view) { return ++handed > 0; });
  EXPECT_EQ(s.code(), StatusCode::corruption);
  EXPECT_NE(s.message().find("event 23"), std::string::npos) << s.message();
  EXPECT_EQ(handed, 22u);

  got = replayed(**log, 24, &s);  // its anchor, event 23, does not hash to its hash
  EXPECT_EQ(s.code(), StatusCode::corruption);
  EXPECT_NE(s.message().find("event 23"), std::string::npos) << s.message();
  EXPECT_TRUE(got.empty());
}

INSTANTIATE_TEST_SUITE_P(Hashing, EventReplay,
                         ::testing::Values(ReplayLimits::Hashing::balanced, ReplayLimits::Hashing::on_reader,
                                           ReplayLimits::Hashing::on_decoder),
                         [](const ::testing::TestParamInfo<ReplayLimits::Hashing>& hashing) {
                           switch (hashing.param) {
                             case ReplayLimits::Hashing::balanced: return std::string("balanced");
                             case ReplayLimits::Hashing::on_reader: return std::string("on_reader");
                             case ReplayLimits::Hashing::on_decoder: return std::string("on_decoder");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace mledger
