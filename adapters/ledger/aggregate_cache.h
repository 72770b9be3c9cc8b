#pragma once
// AggregateCache: folded aggregate states kept between commands, each with the
// stream version it was folded to, so that a command folds only the events
// appended since instead of its streams' whole histories.
//
// Contract: an entry (stream, state, version) is stored only when `state` is
// exactly the fold of the stream's events 1..version. A cached state is a
// starting point, never the answer: LogAggregates reads the stream's events
// after `version` before a decision uses it, so appends the cache did not see
// (another writer, a failed update) are folded in, and the append still
// expects the version the decision read. A stale entry therefore costs a read,
// never a wrong decision.
//
// Bounded: at most streams_max entries; the least recently used goes first.
// streams_max 0 keeps nothing. Thread-safe; states are shared immutably.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

#include "domain/account/account_state.h"
#include "domain/catalogue/offer_catalogue.h"
#include "domain/keys/key_state.h"
#include "domain/merges/merge_state.h"

namespace mledger {

using AggregateState =
    std::variant<AccountState, KeyState, TenantClaimState, MergePairState, OfferCatalogue>;

struct CachedAggregate {
  std::shared_ptr<const AggregateState> state;  // never null
  uint64_t version = 0;                         // the stream's events folded into it
};

struct AggregateCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  size_t streams = 0;  // entries now
};

class AggregateCache {
 public:
  explicit AggregateCache(size_t streams_max) : max_(streams_max) {}
  AggregateCache(const AggregateCache&) = delete;
  AggregateCache& operator=(const AggregateCache&) = delete;

  // The entry for `stream`, if any (counts a hit or a miss).
  [[nodiscard]] std::optional<CachedAggregate> find(const std::string& stream);

  // Keeps `entry` unless the cache holds the stream at a later version.
  void store(const std::string& stream, CachedAggregate entry);

  [[nodiscard]] AggregateCacheStats stats() const;

 private:
  struct Slot {
    CachedAggregate entry;
    std::list<std::string>::iterator recency;  // position in lru_
  };
  const size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;
  std::list<std::string> lru_;  // most recently used first
  AggregateCacheStats stats_;
};

}  // namespace mledger
