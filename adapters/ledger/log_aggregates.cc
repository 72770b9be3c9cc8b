#include "adapters/ledger/log_aggregates.h"

#include <cassert>

#include "adapters/snapshots/snapshotter.h"
#include "domain/account/retire.h"
#include "domain/core/streams.h"

namespace mledger {

namespace {
constexpr size_t kChunkEvents = 4096;  // events read and folded at a time
}

// Folds `stream`'s events after `after_version` into `state`, a chunk at a
// time (memory bounded by a chunk, not by the stream), checking the index
// against the events it names. Returns how many it folded.
template <class State, class Fold>
StatusOr<uint64_t> fold_stream_after(EventLog& log, const std::string& stream,
                                     uint64_t after_version, State& state, Fold&& fold) {
  uint64_t folded = 0;
  for (;;) {
    auto chunk = log.read_stream(stream, after_version + folded + 1, kChunkEvents);
    if (!chunk.ok()) return Err{chunk.error()};
    if (chunk->empty()) return folded;
    for (const RecordedEvent& e : *chunk) {
      // The stream index must agree with the events it names.
      const uint64_t expected = after_version + folded + 1;
      if (e.stream != stream || e.version != expected) {
        return fail(StatusCode::corruption, "stream " + stream +
                                                " index is out of order at version " +
                                                std::to_string(expected));
      }
      fold(state, e.payload, e.metadata.occurred_at);
      ++folded;
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
// The deciders' fold of an account: apply, then retire what is closed.
void fold(AccountState& s, const EventPayload& p, Instant at) { decision_apply(s, p, at); }
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
  } else if constexpr (std::is_same_v<State, AccountState>) {
    if (snapshots_) {
      if (auto snapshot = snapshots_->latest(stream)) {
        state = std::move(snapshot->state);
        version = snapshot->version;
      }
    }
  } else if constexpr (std::is_same_v<State, OfferCatalogue>) {
    state = default_offer_catalogue();
  }
  auto folded = fold_stream_after(log_, stream, version, state,
                                  [](State& s, const EventPayload& p, Instant at) { fold(s, p, at); });
  if (!folded.ok()) {
    if (error_.ok()) error_ = folded.error();
  } else {
    version += *folded;
    versions_[stream] = version;
    read_.insert(stream);
    if (cache_ && (!cached || *folded > 0)) {
      auto shared = std::make_shared<const AggregateState>(state);
      offer_snapshot(stream, shared, version);
      cache_->store(stream, CachedAggregate{std::move(shared), version});
    } else if (!cache_ && *folded > 0) {
      offer_snapshot(stream, std::make_shared<const AggregateState>(state), version);
    }
  }
  return states.emplace(stream, std::move(state)).first->second;
}

void LogAggregates::offer_snapshot(const std::string& stream,
                                   const std::shared_ptr<const AggregateState>& state,
                                   uint64_t version) {
  if (snapshots_ == nullptr) return;
  const auto* account = std::get_if<AccountState>(state.get());
  if (account == nullptr) return;  // only accounts' streams grow long
  snapshots_->offer(stream, std::shared_ptr<const AccountState>(state, account), version);
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
    auto shared = std::make_shared<const AggregateState>(state);
    offer_snapshot(stream, shared, versions_.at(stream));
    cache_->store(stream, CachedAggregate{std::move(shared), versions_.at(stream)});
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
