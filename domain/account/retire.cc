#include "domain/account/retire.h"

namespace mledger {

namespace {

bool settled(OrderStatus s) {
  return s == OrderStatus::declined || s == OrderStatus::expired || s == OrderStatus::cancelled ||
         s == OrderStatus::refunded;
}

// Moves every entry of `live` that `closed` accepts into `out` (with its id)
// and its id into `ids`.
template <class Value, class Closed, class Out>
void move_closed(std::map<std::string, Value>& live, std::set<std::string>& ids, Closed closed,
                 Out&& out) {
  for (auto it = live.begin(); it != live.end();) {
    if (!closed(it->second)) {
      ++it;
      continue;
    }
    ids.insert(it->first);
    out(it->first, std::move(it->second));
    it = live.erase(it);
  }
}

}  // namespace

RetiredHistory retire_closed(AccountState& state, Instant /*at*/) {
  RetiredHistory history;
  move_closed(state.orders, state.retired.orders,
              [](const Order& o) { return settled(o.status); },
              [&](const std::string&, Order o) { history.orders.push_back(std::move(o)); });
  move_closed(state.technical_requests, state.retired.technical_requests,
              [](const TechnicalRequest& r) { return r.completed; },
              [&](const std::string& id, TechnicalRequest r) {
                history.technical_requests.emplace_back(id, std::move(r));
              });
  move_closed(state.go_to_market_requests, state.retired.go_to_market_requests,
              [](const GoToMarketRequest& r) { return r.status == GoToMarketStatus::expired; },
              [&](const std::string& id, GoToMarketRequest r) {
                history.go_to_market_requests.emplace_back(id, std::move(r));
              });
  return history;
}

void decision_apply(AccountState& state, const EventPayload& event, Instant at) {
  apply(state, event, at);
  (void)retire_closed(state, at);
}

}  // namespace mledger
