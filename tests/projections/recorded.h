#pragma once
// Helpers of the projection fold tests: events as the log recorded them
// (stream, account ids and business time as the deciders emit them), days
// as instants, and folding a projection the way the engine does.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/core/streams.h"
#include "domain/core/time.h"
#include "domain/events/event.h"

namespace mledger::projections::testing {

// Midnight UTC of a civil date, plus `hour` hours.
inline Instant day(int64_t year, unsigned month, unsigned d, int64_t hour = 0) {
  return Instant{days_from_civil(year, month, d) * kMicrosPerDay + hour * 3600 * kMicrosPerSecond};
}

// An event as stored: `at` is its business time (metadata.occurred_at, what
// the folds use); the ledger's clock recorded it a second later.
inline RecordedEvent recorded(uint64_t seq, std::string stream, std::vector<std::string> account_ids,
                              EventPayload payload, Instant at) {
  RecordedEvent e;
  e.seq = seq;
  e.stream = std::move(stream);
  e.version = seq;
  e.event_id = "ev-" + std::to_string(seq);
  e.account_ids = std::move(account_ids);
  e.metadata.command_id = "cmd-" + std::to_string(seq);
  e.metadata.correlation_id = e.metadata.command_id;
  e.metadata.actor = Actor{ActorKind::user, e.account_ids.empty() ? "" : e.account_ids.front(),
                           "u-admin", {Role::global_admin}};
  e.metadata.occurred_at = at;
  e.metadata.recorded_at = Instant{at.micros_since_epoch + kMicrosPerSecond};
  e.payload = std::move(payload);
  return e;
}

// An event on the account's own stream, concerning it only (Ctx::to_account).
inline RecordedEvent on_account(uint64_t seq, const std::string& account, EventPayload payload,
                                Instant at) {
  return recorded(seq, account_stream(account), {account}, std::move(payload), at);
}

// The account ids whose documents of projection P the event changes.
template <class P>
std::vector<std::string> documents_of(const RecordedEvent& e) {
  std::vector<std::string> ids;
  P::documents_of(e, ids);
  return ids;
}

// Folds `events` into `account`'s document of P as the engine does: only the
// events whose documents_of() names the account.
template <class P>
typename P::Doc fold(const std::string& account, const std::vector<RecordedEvent>& events,
                     typename P::Doc doc = {}) {
  for (const RecordedEvent& e : events) {
    const std::vector<std::string> ids = documents_of<P>(e);
    if (std::find(ids.begin(), ids.end(), account) != ids.end()) P::apply(doc, account, e);
  }
  return doc;
}

}  // namespace mledger::projections::testing
