#pragma once
// Retiring what is closed: the decision state of an account keeps only what
// a rule can still look at. retire_closed moves out of an AccountState the
// entities that are settled for good, whatever the business time of a later
// command (a command's `now` may be earlier than an event already recorded:
// the ledger does not order business time), and keeps their ids in
// AccountState::retired so that a reused id is still rejected and a command
// naming one gets the answer it got before:
//
//   - orders that are declined, expired, cancelled or refunded (no event
//     leaves those states; every rule answers all of them alike);
//   - technical benefit requests that are completed;
//   - go-to-market requests that have expired.
//
// What stays, and why (docs/event-log.md, "Decision state and snapshots"): paid orders
// (a refund at an earlier `now` still reads them), allocations (an earlier
// `now` makes a past year's usable again; refunds read their use), incident
// ids (kept to reject a reused one; they are ids only).
//
// decision_apply is the fold the deciders use: apply, then retire_closed. It
// is a pure function of the events, so a state folded with it (cached or
// snapshotted) is the same whichever way it was reached. The read models fold
// with `apply` alone and keep the whole history.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "domain/account/account_state.h"

namespace mledger {

// What retire_closed moved out, with the ids it was kept under.
struct RetiredHistory {
  std::vector<Order> orders;
  std::vector<std::pair<std::string, TechnicalRequest>> technical_requests;  // by request id
  std::vector<std::pair<std::string, GoToMarketRequest>> go_to_market_requests;  // by request id
  bool empty() const {
    return orders.empty() && technical_requests.empty() && go_to_market_requests.empty();
  }
};

// Moves what is closed out of `state` into the returned history, recording
// its ids in state.retired. `at` is the time of the event just applied; the
// entities retired today are closed at every time, so it only names when.
RetiredHistory retire_closed(AccountState& state, Instant at);

// The version of the deciders' fold: bumped whenever apply, retire_closed or
// AccountState's fields change, so that snapshots of another fold are ignored.
inline constexpr uint32_t kDecisionFoldVersion = 1;

// The deciders' fold of one event: apply(state, event, at), then retire_closed.
void decision_apply(AccountState& state, const EventPayload& event, Instant at);

}  // namespace mledger
