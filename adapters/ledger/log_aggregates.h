#pragma once
// Aggregates over an EventLog: loads each stream a decision asks for once,
// folds it, and remembers the version it read. After the decision,
// expectations() lists every stream read at that version, and read_error()
// says whether any load failed (then the decision must be discarded).
//
// With an AggregateCache, a load starts from the cached state and folds only
// the stream's events after the cached version (always read: the cache may
// be behind the log, never ahead of it), and stores what it folded back.
//
// For a sequence of decisions (Ledger::execute_batch) the folded states are
// kept: begin_decision() forgets only which streams were read, and
// apply_accepted() folds an accepted decision's events into the kept states
// and counts them in the streams' versions, so that the next decision sees
// (and expects) the log's events followed by the earlier decisions' events.
// Once those events are durable, remember_durable() stores the states in the
// cache at their new versions.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/ledger/aggregate_cache.h"
#include "domain/ports/aggregates.h"
#include "domain/ports/event_log.h"

namespace mledger {

// Reads a stream's events after version `after_version` (0: the whole
// stream), checking the index against the events it names. Fails
// limit_exceeded when the stream is longer than `events_max`.
[[nodiscard]] StatusOr<std::vector<RecordedEvent>> read_stream_after(EventLog& log,
                                                                     const std::string& stream,
                                                                     uint64_t after_version,
                                                                     size_t events_max);

class LogAggregates final : public Aggregates {
 public:
  // `cache` may be null (fold every stream from its start).
  LogAggregates(EventLog& log, size_t stream_events_max, AggregateCache* cache = nullptr)
      : log_(log), max_(stream_events_max), cache_(cache) {}

  const AccountState& account(std::string_view account_id) override;
  const KeyState& key(std::string_view key) override;
  const TenantClaimState& tenant(std::string_view tenant_id) override;
  const MergePairState& merge_pair(std::string_view a, std::string_view b) override;
  const OfferCatalogue& catalogue() override;

  // The streams read since construction or begin_decision(), at the versions read.
  std::vector<StreamExpectation> expectations() const;
  bool was_read(const std::string& stream) const { return read_.contains(stream); }
  const Status& read_error() const { return error_; }

  void begin_decision() { read_.clear(); }
  // Folds `events` (all occurred at `occurred_at`) into the kept states. Each
  // event's stream must have been read by the current decision (asserted).
  void apply_accepted(const std::vector<NewEvent>& events, Instant occurred_at);
  // Call only when every event given to apply_accepted() is durable in the
  // log: stores the states those events changed in the cache.
  void remember_durable();

 private:
  template <class State>
  const State& load(std::map<std::string, State>& states, const std::string& stream);
  template <class State>
  void remember(const std::map<std::string, State>& states);

  EventLog& log_;
  size_t max_;
  AggregateCache* cache_;
  Status error_;
  std::map<std::string, uint64_t> versions_;  // stream -> version loaded + events applied
  std::set<std::string> read_;                 // by the current decision
  std::set<std::string> applied_;              // given events by apply_accepted()
  std::map<std::string, AccountState> accounts_;
  std::map<std::string, KeyState> keys_;
  std::map<std::string, TenantClaimState> tenants_;
  std::map<std::string, MergePairState> merges_;
  std::map<std::string, OfferCatalogue> catalogue_;
};

}  // namespace mledger
