#include "adapters/ledger/log_aggregates.h"

#include <cassert>

#include "domain/core/streams.h"

namespace mledger {

StatusOr<std::vector<RecordedEvent>> read_stream_after(EventLog& log, const std::string& stream,
                                                       uint64_t after_version, size_t events_max) {
  // Checked before reading too: from a cached state there may be nothing new to read.
  if (after_version > events_max) {
    return fail(StatusCode::limit_exceeded, "stream " + stream + " is longer than stream_events_max");
  }
  std::vector<RecordedEvent> all;
  for (;;) {
    const uint64_t next = after_version + all.size() + 1;
    auto chunk = log.read_stream(stream, next, 4096);
    if (!chunk.ok()) return Err{chunk.error()};
    if (chunk->empty()) return all;
    if (next - 1 + chunk->size() > events_max) {
      return fail(StatusCode::limit_exceeded,
                  "stream " + stream + " is longer than stream_events_max");
    }
    for (auto& e : *chunk) {
      // Check after reading: the stream index must agree with the events.
      const uint64_t expected = after_version + all.size() + 1;
      if (e.stream != stream || e.version != expected) {
        return fail(StatusCode::corruption, "stream " + stream +
                                                " index is out of order at version " +
                                                std::to_string(expected));
      }
      all.push_back(std::move(e));
    }
  }
}

namespace {
void fold(OfferCatalogue& c, const EventPayload& p, Instant) {
  if (const auto* e = std::get_if<OfferCatalogueChanged>(&p)) {
    c.version = e->catalogue_version;
    c.offers = e->offers;
  }
}
template <class State>
void fold(State& s, const EventPayload& p, Instant at) {
  apply(s, p, at);
}
}  // namespace

template <class State>
const State& LogAggregates::load(std::map<std::string, State>& states, const std::string& stream) {
  if (auto it = states.find(stream); it != states.end()) {
    if (versions_.contains(stream)) read_.insert(stream);
    return it->second;
  }
  State state;
  uint64_t version = 0;
  std::optional<CachedAggregate> cached;
  if (cache_) cached = cache_->find(stream);
  if (cached) {
    assert(std::holds_alternative<State>(*cached->state) && "a stream's cached state has its type");
    state = std::get<State>(*cached->state);
    version = cached->version;
  } else if constexpr (std::is_same_v<State, OfferCatalogue>) {
    state = default_offer_catalogue();
  }
  auto events = read_stream_after(log_, stream, version, max_);
  if (!events.ok()) {
    if (error_.ok()) error_ = events.error();
  } else {
    for (const auto& e : *events) fold(state, e.payload, e.metadata.occurred_at);
    version += events->size();
    versions_[stream] = version;
    read_.insert(stream);
    if (cache_ && (!cached || !events->empty())) {
      cache_->store(stream, CachedAggregate{std::make_shared<const AggregateState>(state), version});
    }
  }
  return states.emplace(stream, std::move(state)).first->second;
}

const AccountState& LogAggregates::account(std::string_view id) {
  return load(accounts_, account_stream(id));
}
const KeyState& LogAggregates::key(std::string_view k) { return load(keys_, key_stream(k)); }
const TenantClaimState& LogAggregates::tenant(std::string_view id) {
  return load(tenants_, tenant_stream(id));
}
const MergePairState& LogAggregates::merge_pair(std::string_view a, std::string_view b) {
  return load(merges_, merge_pair_stream(a, b));
}
const OfferCatalogue& LogAggregates::catalogue() {
  return load(catalogue_, std::string(kCatalogueStream));
}

std::vector<StreamExpectation> LogAggregates::expectations() const {
  std::vector<StreamExpectation> out;
  out.reserve(read_.size());
  for (const std::string& stream : read_) out.push_back({stream, versions_.at(stream)});
  return out;
}

void LogAggregates::apply_accepted(const std::vector<NewEvent>& events, Instant occurred_at) {
  auto fold_into = [&](auto& cache, const NewEvent& e) {
    auto it = cache.find(e.stream);
    if (it == cache.end()) return false;
    fold(it->second, e.payload, occurred_at);
    return true;
  };
  for (const NewEvent& e : events) {
    assert(read_.contains(e.stream) && "an accepted event's stream was not read");
    const bool folded = fold_into(accounts_, e) || fold_into(keys_, e) ||
                        fold_into(tenants_, e) || fold_into(merges_, e) ||
                        fold_into(catalogue_, e);
    assert(folded);
    (void)folded;
    ++versions_[e.stream];
    applied_.insert(e.stream);
  }
}

template <class State>
void LogAggregates::remember(const std::map<std::string, State>& states) {
  for (const auto& [stream, state] : states) {
    if (!applied_.contains(stream)) continue;  // stored as loaded, if at all
    cache_->store(stream, CachedAggregate{std::make_shared<const AggregateState>(state), versions_.at(stream)});
  }
}

void LogAggregates::remember_durable() {
  if (!cache_) return;
  remember(accounts_);
  remember(keys_);
  remember(tenants_);
  remember(merges_);
  remember(catalogue_);
}

}  // namespace mledger
