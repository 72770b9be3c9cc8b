#include "adapters/ledger/log_aggregates.h"

#include <cassert>

#include "domain/core/streams.h"

namespace mledger {

StatusOr<std::vector<RecordedEvent>> read_whole_stream(EventLog& log, const std::string& stream,
                                                       size_t events_max) {
  std::vector<RecordedEvent> all;
  for (;;) {
    auto chunk = log.read_stream(stream, all.size() + 1, 4096);
    if (!chunk.ok()) return Err{chunk.error()};
    if (chunk->empty()) return all;
    if (all.size() + chunk->size() > events_max) {
      return fail(StatusCode::limit_exceeded,
                  "stream " + stream + " is longer than stream_events_max");
    }
    for (auto& e : *chunk) {
      // Check after reading: the stream index must agree with the events.
      if (e.stream != stream || e.version != all.size() + 1) {
        return fail(StatusCode::corruption, "stream " + stream +
                                                " index is out of order at version " +
                                                std::to_string(all.size() + 1));
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
const State& LogAggregates::load(std::map<std::string, State>& cache, const std::string& stream) {
  if (auto it = cache.find(stream); it != cache.end()) {
    if (versions_.contains(stream)) read_.insert(stream);
    return it->second;
  }
  State state;
  if constexpr (std::is_same_v<State, OfferCatalogue>) state = default_offer_catalogue();
  auto events = read_whole_stream(log_, stream, max_);
  if (!events.ok()) {
    if (error_.ok()) error_ = events.error();
  } else {
    for (const auto& e : *events) fold(state, e.payload, e.metadata.occurred_at);
    versions_[stream] = events->size();
    read_.insert(stream);
  }
  return cache.emplace(stream, std::move(state)).first->second;
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
  }
}

}  // namespace mledger
