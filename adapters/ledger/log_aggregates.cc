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

AggregateState& LogAggregates::Held::change() {
  if (!own) {
    own = std::make_shared<AggregateState>(*shared);
    shared.reset();
  }
  return *own;
}

std::shared_ptr<const AggregateState> LogAggregates::Held::share() {
  if (own) shared = std::move(own);
  return shared;
}

template <class State>
const State& LogAggregates::load(const std::string& stream) {
  if (auto it = states_.find(stream); it != states_.end()) {
    if (versions_.contains(stream)) read_.insert(stream);
    assert(std::holds_alternative<State>(it->second.get()) && "a stream's state has its type");
    return std::get<State>(it->second.get());
  }
  Held held;
  uint64_t version = 0;
  std::optional<CachedAggregate> cached;
  if (cache_) cached = cache_->find(stream);
  if (cached) {
    assert(std::holds_alternative<State>(*cached->state) && "a stream's cached state has its type");
    held.shared = std::move(cached->state);
    version = cached->version;
  } else {
    State state;
    if constexpr (std::is_same_v<State, AccountState>) {
      if (snapshots_) {
        if (auto snapshot = snapshots_->latest(stream)) {
          state = std::move(snapshot->state);
          version = snapshot->version;
        }
      }
    } else if constexpr (std::is_same_v<State, OfferCatalogue>) {
      state = default_offer_catalogue();
    }
    held.own = std::make_shared<AggregateState>(std::move(state));
  }
  // Events past the cached state are folded into a copy (the cached one is shared).
  auto folded = fold_stream_after(log_, stream, version, held, [](Held& h, const EventPayload& p, Instant at) {
    fold(std::get<State>(h.change()), p, at);
  });
  if (!folded.ok()) {
    if (error_.ok()) error_ = folded.error();
  } else {
    version += *folded;
    versions_[stream] = version;
    read_.insert(stream);
    // What was folded here is shared with the cache and offered for a
    // snapshot; a later change copies it.
    if (cache_ && (!cached || *folded > 0)) {
      std::shared_ptr<const AggregateState> shared = held.share();
      offer_snapshot(stream, shared, version);
      cache_->store(stream, CachedAggregate{std::move(shared), version});
    } else if (!cache_ && *folded > 0 && snapshots_ != nullptr) {
      offer_snapshot(stream, held.share(), version);
    }
  }
  return std::get<State>(states_.emplace(stream, std::move(held)).first->second.get());
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
  return load<AccountState>(account_stream(id));
}
const KeyState& LogAggregates::key(std::string_view k) { return load<KeyState>(key_stream(k)); }
const TenantClaimState& LogAggregates::tenant(std::string_view id) {
  return load<TenantClaimState>(tenant_stream(id));
}
const MergePairState& LogAggregates::merge_pair(std::string_view a, std::string_view b) {
  return load<MergePairState>(merge_pair_stream(a, b));
}
const OfferCatalogue& LogAggregates::catalogue() {
  return load<OfferCatalogue>(std::string(kCatalogueStream));
}

std::vector<StreamExpectation> LogAggregates::expectations() const {
  std::vector<StreamExpectation> out;
  out.reserve(read_.size());
  for (const std::string& stream : read_) out.push_back({stream, versions_.at(stream)});
  return out;
}

void LogAggregates::apply_accepted(const std::vector<NewEvent>& events, Instant occurred_at) {
  for (const NewEvent& e : events) {
    assert(read_.contains(e.stream) && "an accepted event's stream was not read");
    auto it = states_.find(e.stream);
    assert(it != states_.end());
    std::visit([&](auto& state) { fold(state, e.payload, occurred_at); }, it->second.change());
    ++versions_[e.stream];
    applied_.insert(e.stream);
  }
}

void LogAggregates::remember_durable() {
  if (!cache_) return;
  for (const std::string& stream : applied_) {
    std::shared_ptr<const AggregateState> shared = states_.at(stream).share();
    offer_snapshot(stream, shared, versions_.at(stream));
    cache_->store(stream, CachedAggregate{std::move(shared), versions_.at(stream)});
  }
}

}  // namespace mledger
