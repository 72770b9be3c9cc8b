// retire_closed (domain/account/retire.h): what leaves the deciders' state and
// what the rules still see of it. Every World::run in this file (and in every
// rule test) also decides over the retired state and expects the decision it
// got over the full state (tests/support/world.h).

#include "domain/account/retire.h"

#include <string>

#include "tests/support/world.h"

namespace mledger::testing {
namespace {

const std::string kAcc = "contoso";
Actor alice() { return World::user(kAcc, "alice"); }

PlaceOrder card(const std::string& id, const std::string& offer) {
  return PlaceOrder{id, offer, PaymentMethod::card, World::billing(),
                    CardDetails{"4242", World::billing()}};
}
PlaceOrder declined_card(const std::string& id, const std::string& offer) {
  PlaceOrder o = card(id, offer);
  o.card->address = PostalAddress{"Friedrichstrasse 5", "", "Berlin", "BE", "10115", "DE"};
  return o;
}
PlaceOrder wire(const std::string& id, const std::string& offer) {
  return PlaceOrder{id, offer, PaymentMethod::wire, World::billing(), std::nullopt};
}

AccountState decision_fold(World& w, const std::string& account) {
  AccountState s;
  for (const auto& e : w.streams[account_stream(account)]) decision_apply(s, e.payload, e.at);
  return s;
}

// One year of an account that renews Action Pack by card, has a card declined
// and a wire order for Gold placed and cancelled.
void live_a_year(World& w, int year) {
  const std::string y = std::to_string(year);
  w.now = day(365 * year + 1);
  w.must(kAcc, World::service(), OpenRenewalWindow{"action_pack"});
  w.must(kAcc, alice(), ReviewBusinessInfo{});
  w.must(kAcc, alice(), card("renew-" + y, "action_pack"));
  w.must(kAcc, alice(), declined_card("declined-" + y, "gold"));
  w.must(kAcc, alice(), wire("wire-" + y, "gold"));
  w.must(kAcc, alice(), RequestOrderCancellation{"wire-" + y});
  w.must(kAcc, alice(), ConfirmOrderCancellation{"wire-" + y});
}

TEST(RetireClosed, moves_settled_orders_out_and_keeps_their_ids) {
  World w;
  w.enroll(kAcc, "alice");
  w.must(kAcc, World::service(), RecordCompetency{"gold", "cloud_platform"});
  w.must(kAcc, alice(), card("o1", "action_pack"));
  w.must(kAcc, alice(), wire("w1", "gold"));
  w.must(kAcc, alice(), RequestOrderCancellation{"w1"});
  w.must(kAcc, alice(), ConfirmOrderCancellation{"w1"});

  AccountState full = w.account(kAcc);
  ASSERT_EQ(full.orders.at("w1").status, OrderStatus::cancelled);
  const RetiredHistory moved = retire_closed(full, w.now);
  ASSERT_EQ(moved.orders.size(), 1u);
  EXPECT_EQ(moved.orders[0].order_id, "w1");
  EXPECT_EQ(moved.orders[0].status, OrderStatus::cancelled);
  EXPECT_FALSE(full.orders.contains("w1"));
  EXPECT_TRUE(full.orders.contains("o1"));  // paid: a refund may still read it
  EXPECT_TRUE(full.retired.orders.contains("w1"));
  EXPECT_EQ(full, decision_fold(w, kAcc));
  EXPECT_TRUE(retire_closed(full, w.now).empty());  // nothing more is closed

  // The rules answer a retired order as before (World::run compares both folds).
  EXPECT_REJECTED(w.run(kAcc, alice(), wire("w1", "gold")), order_already_exists);
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestOrderCancellation{"w1"}), order_not_cancellable);
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"w1"}), order_not_paid);
  EXPECT_REJECTED(w.run(kAcc, World::service(), ExpireWireOrder{"w1"}), order_not_awaiting_payment);
  EXPECT_GT(World::retired_checks().with_retired, 0u);
}

TEST(RetireClosed, the_deciders_state_keeps_no_settled_order_however_many_years_pass) {
  World w;
  w.enroll(kAcc, "alice");
  w.must(kAcc, World::service(), RecordCompetency{"gold", "cloud_platform"});
  w.must(kAcc, alice(), card("first", "action_pack"));
  constexpr int kYears = 25;
  size_t orders_after_first_year = 0;
  for (int year = 1; year <= kYears; ++year) {
    live_a_year(w, year);
    const AccountState s = decision_fold(w, kAcc);
    // Only the paid orders stay (one a year: a refund at an earlier business
    // time could still read them); the settled ones are ids only.
    EXPECT_EQ(s.orders.size(), static_cast<size_t>(year) + 1);
    for (const auto& [id, o] : s.orders) EXPECT_EQ(o.status, OrderStatus::paid) << id;
    EXPECT_EQ(s.retired.orders.size(), 2u * static_cast<size_t>(year));
    if (year == 1) orders_after_first_year = w.account(kAcc).orders.size();
  }
  const AccountState full = w.account(kAcc);
  EXPECT_EQ(full.orders.size(), orders_after_first_year + 3u * (kYears - 1));
  EXPECT_TRUE(full.retired.orders.empty());  // the read models' fold retires nothing
}

}  // namespace
}  // namespace mledger::testing
