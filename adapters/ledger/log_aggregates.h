#pragma once
// Aggregates over an EventLog: loads each stream a decision asks for once,
// folds it, and remembers the version it read. After the decision,
// expectations() lists every stream read at that version, and read_error()
// says whether any load failed (then the decision must be discarded).
//
// With an AggregateCache, a load starts from the cached state and folds only
// the stream's events after the cached version (always read: the cache may
// be behind the log, never ahead of it), and stores what it folded back.
// Without a cached state, an account's load starts from its latest snapshot
// that passes the Snapshotter's checks, if one is given; account states it
// folded are offered back to it (it keeps those far enough past the last
// snapshot). Accounts fold with decision_apply (domain/account/retire.h).
//
// For a sequence of decisions (Ledger::execute_batch) the folded states are
// kept: begin_decision() forgets only which streams were read, and
// apply_accepted() folds an accepted decision's events into the kept states
// and counts them in the streams' versions, so that the next decision sees
// (and expects) the log's events followed by the earlier decisions' events.
// Once those events are durable, remember_durable() stores the states in the
// cache at their new versions.
//
// States are shared with the cache, never copied to be read: a state taken
// from the cache is copied when an accepted decision's events are first
// folded into it, and that copy is handed to the cache by pointer (one copy
// of a state per command that changes it; two when the cache was behind the
// log and the catch-up's events were folded first).

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/ledger/aggregate_cache.h"
#include "domain/ports/aggregates.h"
#include "domain/ports/event_log.h"

namespace mledger {

class Snapshotter;

class LogAggregates final : public Aggregates {
 public:
  // `cache` and `snapshots` may be null (fold every stream from its start).
  explicit LogAggregates(EventLog& log, AggregateCache* cache = nullptr,
                         Snapshotter* snapshots = nullptr)
      : log_(log), cache_(cache), snapshots_(snapshots) {}

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
  // A stream's state: shared (as loaded, immutable, maybe also in the cache)
  // until it is first changed, then a private copy.
  struct Held {
    std::shared_ptr<const AggregateState> shared;  // set until changed
    std::shared_ptr<AggregateState> own;           // set once changed
    const AggregateState& get() const { return own ? *own : *shared; }
    AggregateState& change();                      // copies a shared state once
    std::shared_ptr<const AggregateState> share();  // own becomes shared
  };
  template <class State>
  const State& load(const std::string& stream);
  // Hands an account's state to the Snapshotter, if there is one.
  void offer_snapshot(const std::string& stream, const std::shared_ptr<const AggregateState>& state,
                      uint64_t version);

  EventLog& log_;
  AggregateCache* cache_;
  Snapshotter* snapshots_;
  Status error_;
  std::map<std::string, uint64_t> versions_;  // stream -> version loaded + events applied
  std::set<std::string> read_;                 // by the current decision
  std::set<std::string> applied_;              // given events by apply_accepted()
  std::map<std::string, Held> states_;          // stream -> its state (streams name their type)
};

}  // namespace mledger
