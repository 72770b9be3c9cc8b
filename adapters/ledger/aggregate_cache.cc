#include "adapters/ledger/aggregate_cache.h"

#include <cassert>

namespace mledger {

std::optional<CachedAggregate> AggregateCache::find(const std::string& stream) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(stream);
  if (it == slots_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second.recency);
  return it->second.entry;
}

void AggregateCache::store(const std::string& stream, CachedAggregate entry) {
  assert(entry.state && "a cached aggregate has a state");
  if (max_ == 0) return;
  std::lock_guard lock(mu_);
  if (auto it = slots_.find(stream); it != slots_.end()) {
    if (entry.version >= it->second.entry.version) it->second.entry = std::move(entry);
    lru_.splice(lru_.begin(), lru_, it->second.recency);
    return;
  }
  while (slots_.size() >= max_) {
    slots_.erase(lru_.back());
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front(stream);
  slots_.emplace(stream, Slot{std::move(entry), lru_.begin()});
}

AggregateCacheStats AggregateCache::stats() const {
  std::lock_guard lock(mu_);
  AggregateCacheStats out = stats_;
  out.streams = slots_.size();
  return out;
}

}  // namespace mledger
