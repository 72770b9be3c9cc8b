#pragma once
// Aggregates over an EventLog: loads each stream a decision asks for once,
// folds it, and remembers the version it read. After the decision,
// expectations() lists every stream read at that version, and read_error()
// says whether any load failed (then the decision must be discarded).
//
// For a sequence of decisions (Ledger::execute_batch) the folded states are
// kept: begin_decision() forgets only which streams were read, and
// apply_accepted() folds an accepted decision's events into the kept states
// and counts them in the streams' versions, so that the next decision sees
// (and expects) the log's events followed by the earlier decisions' events.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/ports/aggregates.h"
#include "domain/ports/event_log.h"

namespace mledger {

// Reads a whole stream, checking the index against the events it names.
[[nodiscard]] StatusOr<std::vector<RecordedEvent>> read_whole_stream(EventLog& log,
                                                                     const std::string& stream,
                                                                     size_t events_max);

class LogAggregates final : public Aggregates {
 public:
  LogAggregates(EventLog& log, size_t stream_events_max) : log_(log), max_(stream_events_max) {}

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

 private:
  template <class State>
  const State& load(std::map<std::string, State>& cache, const std::string& stream);

  EventLog& log_;
  size_t max_;
  Status error_;
  std::map<std::string, uint64_t> versions_;  // stream -> version loaded + events applied
  std::set<std::string> read_;                 // by the current decision
  std::map<std::string, AccountState> accounts_;
  std::map<std::string, KeyState> keys_;
  std::map<std::string, TenantClaimState> tenants_;
  std::map<std::string, MergePairState> merges_;
  std::map<std::string, OfferCatalogue> catalogue_;
};

}  // namespace mledger
