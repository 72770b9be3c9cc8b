#pragma once
// Appends recorded events (tests/projections/random_ledger.h) to a log as the
// ledger records them, one command each. With `rng`, their business and
// recorded times are moved by up to `jitter_days` either way, so that times
// go back and forth along the log as real ones may.

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "domain/ports/event_log.h"

namespace mledger::testing {

inline void append_recorded(EventLog& log, const std::vector<RecordedEvent>& events,
                            std::mt19937_64* rng = nullptr, int64_t jitter_days = 3) {
  std::uniform_int_distribution<int64_t> jitter(-jitter_days * kMicrosPerDay, jitter_days * kMicrosPerDay);
  for (const RecordedEvent& e : events) {
    AppendRequest r;
    r.command_id = "c-" + e.event_id;
    r.command_digest[0] = 1;
    r.metadata = e.metadata;
    r.metadata.command_id = r.command_id;
    if (rng != nullptr) {
      r.metadata.occurred_at.micros_since_epoch += jitter(*rng);
      r.metadata.recorded_at.micros_since_epoch += jitter(*rng);
    }
    auto version = log.stream_version(e.stream);
    ASSERT_TRUE(version.ok());
    r.expectations.push_back({e.stream, *version});
    r.events.push_back(NewEvent{e.stream, e.event_id, e.account_ids, e.payload});
    auto out = log.append_batch(std::vector<AppendRequest>{r});
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    ASSERT_EQ((*out)[0].status, AppendStatus::appended);
  }
}

}  // namespace mledger::testing
