// Given/when/then tests of the rules of orders, payment, cancellation, refund
// and renewal (R-ORD-01 .. R-ORD-09). Each test names the rule it covers and
// whether the rule allows or rejects; a rejection appends nothing.

#include <string>
#include <vector>

#include "tests/support/world.h"

namespace mledger::testing {
namespace {

const std::string kAcc = "contoso";

Actor alice() { return World::user(kAcc, "alice"); }  // the enrolling global admin
Actor as(const std::string& user_id) { return World::user(kAcc, user_id); }

Money usd(int64_t minor) { return Money{minor, "USD"}; }

constexpr int64_t kActionPackPrice = 47'500;
constexpr int64_t kSilverPrice = 167'000;
constexpr int64_t kGoldPrice = 473'000;

PlaceOrder card_order(const std::string& order_id, const std::string& offer) {
  return PlaceOrder{order_id, offer, PaymentMethod::card, World::billing(),
                    CardDetails{"4242", World::billing()}};
}
PlaceOrder wire_order(const std::string& order_id, const std::string& offer) {
  return PlaceOrder{order_id, offer, PaymentMethod::wire, World::billing(), std::nullopt};
}

// An enrolled account whose global admin is alice.
World given_account() {
  World w;
  w.enroll(kAcc, "alice");
  return w;
}

Instant plus_micros(Instant t, int64_t micros) { return Instant{t.micros_since_epoch + micros}; }

// ---------------------------------------------------------------------------
// R-ORD-01: one of each offer at a time; Silver/Gold need their competency.

TEST(Orders, R_ORD_01_allows_one_of_each_offer_at_the_same_time) {
  // covers R-ORD-01
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "action_pack", "o-ap");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.buy(kAcc, "alice", "gold", "o-gold");
  const AccountState& a = w.account(kAcc);
  ASSERT_EQ(a.memberships.size(), 3u);
  for (const char* offer : {"action_pack", "silver", "gold"}) {
    EXPECT_EQ(a.memberships.at(offer).status, MembershipStatus::active) << offer;
  }
  EXPECT_EQ(a.memberships.at("gold").order_id, "o-gold");
}

TEST(Orders, R_ORD_01_rejects_a_second_order_for_an_active_offer) {
  // covers R-ORD-01
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.now = day(100);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o2", "action_pack")), offer_already_active);
  EXPECT_EQ(w.appended, before);
  EXPECT_FALSE(w.account(kAcc).orders.contains("o2"));
}

TEST(Orders, R_ORD_01_rejects_an_order_while_a_wire_order_for_the_offer_awaits_payment) {
  // covers R-ORD-01
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o-wire", "action_pack"));
  w.now = day(2);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o-card", "action_pack")), offer_already_active);
  EXPECT_REJECTED(w.run(kAcc, alice(), wire_order("o-wire2", "action_pack")), offer_already_active);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_01_allows_a_pending_wire_order_beside_other_offers) {
  // covers R-ORD-01: "one of each" is per offer, not one order overall.
  World w = given_account();
  w.competency(kAcc, "silver");
  w.must(kAcc, alice(), wire_order("o-wire", "action_pack"));
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o-silver", "silver")));
  EXPECT_EQ(w.account(kAcc).memberships.at("silver").status, MembershipStatus::active);
  EXPECT_EQ(w.account(kAcc).orders.at("o-wire").status, OrderStatus::awaiting_payment);
}

TEST(Orders, R_ORD_01_rejects_silver_without_a_competency) {
  // covers R-ORD-01
  World w = given_account();
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o1", "silver")), competency_required);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_01_rejects_gold_with_only_a_silver_competency) {
  // covers R-ORD-01
  World w = given_account();
  w.competency(kAcc, "silver");
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o1", "gold")), competency_required);
  EXPECT_EQ(w.appended, before);
  EXPECT_TRUE(w.account(kAcc).memberships.empty());
}

TEST(Orders, R_ORD_01_allows_silver_with_a_silver_competency_and_gold_with_a_gold_one) {
  // covers R-ORD-01: a gold competency also meets Silver's requirement.
  World w = given_account();
  w.competency(kAcc, "silver");
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o-silver", "silver")));

  World g = given_account();
  g.competency(kAcc, "gold");
  EXPECT_ACCEPTED(g.run(kAcc, alice(), card_order("o-silver", "silver")));
  EXPECT_ACCEPTED(g.run(kAcc, alice(), card_order("o-gold", "gold")));
}

TEST(Orders, R_ORD_01_rejects_an_unknown_offer_and_a_reused_order_id) {
  // covers R-ORD-01
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.competency(kAcc, "silver");
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o2", "platinum")), offer_unknown);
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o1", "silver")), order_already_exists);
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o 3", "silver")), order_id_invalid);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_01_allows_buying_the_offer_again_once_the_membership_was_refunded) {
  // covers R-ORD-01: "at a time": an ended membership no longer counts.
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.now = day(5);
  w.must(kAcc, alice(), RefundOrder{"o1"});
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o2", "action_pack")));
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").order_id, "o2");
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").status, MembershipStatus::active);
}

// ---------------------------------------------------------------------------
// R-ORD-02: purchase roles, not suspended, at least one global admin.

TEST(Orders, R_ORD_02_allows_each_purchasing_role_global_admin_included) {
  // covers R-ORD-02: purchasing does not require global admin.
  for (Role role : {Role::mpn_partner_admin, Role::admin_agent, Role::user_management_admin}) {
    World w = given_account();
    w.add_user(kAcc, "alice", "buyer", {role});
    auto d = w.run(kAcc, as("buyer"), card_order("o1", "action_pack"));
    EXPECT_ACCEPTED(d);
    ASSERT_EQ(emitted<OrderPlaced>(d).size(), 1u) << role_name(role);
    EXPECT_EQ(emitted<OrderPlaced>(d)[0].placed_by_user_id, "buyer");
    EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::paid) << role_name(role);
  }
  World w = given_account();
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o1", "action_pack")));
}

TEST(Orders, R_ORD_02_rejects_roles_that_cannot_purchase) {
  // covers R-ORD-02
  for (Role role : {Role::incentives_admin, Role::account_admin, Role::referrals_admin,
                    Role::business_profile_admin}) {
    World w = given_account();
    w.add_user(kAcc, "alice", "carol", {role});
    const size_t before = w.appended;
    EXPECT_REJECTED(w.run(kAcc, as("carol"), card_order("o1", "action_pack")), role_cannot_purchase);
    EXPECT_REJECTED(w.run(kAcc, as("carol"), wire_order("o2", "action_pack")), role_cannot_purchase);
    EXPECT_EQ(w.appended, before) << role_name(role);
  }
}

TEST(Orders, R_ORD_02_rejects_purchases_by_system_actors_and_other_accounts) {
  // covers R-ORD-02 (R-ROLE-05: orders are placed by the account's own users)
  World w = given_account();
  w.enroll("fabrikam", "frank");
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), card_order("o1", "action_pack")), actor_not_allowed);
  EXPECT_REJECTED(w.run(kAcc, World::user("fabrikam", "frank"), card_order("o1", "action_pack")),
                  other_account_not_accessible);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_02_rejects_a_purchase_by_a_suspended_account) {
  // covers R-ORD-02
  World w = given_account();
  w.must(kAcc, World::service(), SuspendAccount{"payment dispute"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o1", "action_pack")), account_suspended);
  EXPECT_REJECTED(w.run(kAcc, alice(), wire_order("o2", "action_pack")), account_suspended);
  EXPECT_EQ(w.appended, before);
  EXPECT_TRUE(w.account(kAcc).orders.empty());
}

TEST(Orders, R_ORD_02_allows_a_purchase_once_the_account_is_reinstated) {
  // covers R-ORD-02
  World w = given_account();
  w.must(kAcc, World::service(), SuspendAccount{"payment dispute"});
  w.now = day(1);
  w.must(kAcc, World::service(), ReinstateAccount{"dispute settled"});
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o1", "action_pack")));
}

TEST(Orders, R_ORD_02_rejects_a_purchase_on_an_account_without_a_global_admin) {
  // covers R-ORD-02. No command can remove the last global admin (R-ROLE-06),
  // so the state is built by appending an event directly to the account's
  // stream: alice is demoted to mpn_partner_admin (e.g. history imported
  // from before R-ROLE-06 held).
  World w = given_account();
  w.streams[account_stream(kAcc)].push_back(World::Stored{
      UserRolesChanged{"alice", {Role::mpn_partner_admin}, {Role::global_admin}}, w.now, {kAcc}});
  ASSERT_EQ(w.account(kAcc).global_admin_count(), 0u);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o1", "action_pack")), no_global_admin);
  EXPECT_REJECTED(w.run(kAcc, alice(), wire_order("o2", "action_pack")), no_global_admin);
  EXPECT_EQ(w.appended, before);
}

// ---------------------------------------------------------------------------
// R-ORD-03: card orders: billing address must match the card's, postal code
// must correspond; a decline is an event.

TEST(Orders, R_ORD_03_allows_a_card_whose_address_matches_up_to_case_and_spacing) {
  // covers R-ORD-03
  World w = given_account();
  PlaceOrder o = card_order("o1", "action_pack");
  o.card->address = PostalAddress{"  hauptstrasse   1 ", "", "berlin", "BE", "10 115", "de"};
  auto d = w.run(kAcc, alice(), o);
  EXPECT_ACCEPTED(d);
  EXPECT_TRUE(emitted<OrderDeclined>(d).empty());
  ASSERT_EQ(emitted<CardPaymentCharged>(d).size(), 1u);
  EXPECT_EQ(emitted<CardPaymentCharged>(d)[0], (CardPaymentCharged{"o1", usd(kActionPackPrice), "4242"}));
}

TEST(Orders, R_ORD_03_rejects_a_card_whose_street_differs_by_recording_a_decline) {
  // covers R-ORD-03: the command is accepted; its only event is OrderDeclined.
  World w = given_account();
  PlaceOrder o = card_order("o1", "action_pack");
  o.card->address = PostalAddress{"Friedrichstrasse 5", "", "Berlin", "BE", "10115", "DE"};
  const size_t before = w.appended;
  auto d = w.run(kAcc, alice(), o);
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(d.value().size(), 1u);
  EXPECT_EQ(w.appended, before + 1);
  ASSERT_EQ(emitted<OrderDeclined>(d).size(), 1u);
  EXPECT_EQ(emitted<OrderDeclined>(d)[0],
            (OrderDeclined{"o1", "action_pack", "payment_declined_address_mismatch"}));
  const AccountState& a = w.account(kAcc);
  EXPECT_EQ(a.orders.at("o1").status, OrderStatus::declined);
  EXPECT_TRUE(a.memberships.empty());
  EXPECT_TRUE(a.allocations.empty());
  EXPECT_TRUE(w.events<CardPaymentCharged>(account_stream(kAcc)).empty());
  EXPECT_TRUE(w.events<OrderPlaced>(account_stream(kAcc)).empty());
}

TEST(Orders, R_ORD_03_rejects_a_card_whose_postal_code_does_not_correspond) {
  // covers R-ORD-03
  World w = given_account();
  PlaceOrder o = card_order("o1", "action_pack");
  o.card->address.postal_code = "10117";
  auto d = w.run(kAcc, alice(), o);
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(d.value().size(), 1u);
  ASSERT_EQ(emitted<OrderDeclined>(d).size(), 1u);
  EXPECT_EQ(emitted<OrderDeclined>(d)[0].reason, "payment_declined_address_mismatch");
  EXPECT_TRUE(w.account(kAcc).memberships.empty());
  EXPECT_TRUE(w.events<CardPaymentCharged>(account_stream(kAcc)).empty());
  EXPECT_TRUE(w.events<MembershipActivated>(account_stream(kAcc)).empty());
}

TEST(Orders, R_ORD_03_allows_a_new_card_order_after_a_decline) {
  // covers R-ORD-03: a declined attempt does not hold the offer.
  World w = given_account();
  PlaceOrder bad = card_order("o1", "action_pack");
  bad.card->address.city = "Hamburg";
  w.must(kAcc, alice(), bad);
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o2", "action_pack")));
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").order_id, "o2");
  EXPECT_EQ(w.events<OrderDeclined>(account_stream(kAcc)).size(), 1u);  // auditors still see it
}

TEST(Orders, R_ORD_03_rejects_a_card_order_without_card_details) {
  // covers R-ORD-03
  World w = given_account();
  PlaceOrder o = card_order("o1", "action_pack");
  o.card.reset();
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), o), card_details_required);
  o.card = CardDetails{"42x2", World::billing()};
  EXPECT_REJECTED(w.run(kAcc, alice(), o), card_details_required);
  EXPECT_EQ(w.appended, before);
}

// ---------------------------------------------------------------------------
// R-ORD-04: card orders activate at once; wire orders when the service
// records the payment; unpaid wire orders expire after 30 days.

TEST(Orders, R_ORD_04_allows_a_card_order_to_charge_and_activate_at_once) {
  // covers R-ORD-04
  World w = given_account();
  w.now = day(3);
  auto d = w.run(kAcc, alice(), card_order("o1", "action_pack"));
  EXPECT_ACCEPTED(d);
  const auto& ev = d.value();
  ASSERT_EQ(ev.size(), 3u + 7u);
  EXPECT_TRUE(std::holds_alternative<OrderPlaced>(ev[0].payload));
  EXPECT_TRUE(std::holds_alternative<CardPaymentCharged>(ev[1].payload));
  EXPECT_TRUE(std::holds_alternative<MembershipActivated>(ev[2].payload));
  EXPECT_EQ(emitted<BenefitsAllocated>(d).size(), 7u);
  const OrderPlaced placed = emitted<OrderPlaced>(d)[0];
  EXPECT_EQ(placed.payment_method, PaymentMethod::card);
  EXPECT_EQ(placed.price, usd(kActionPackPrice));
  EXPECT_TRUE(placed.order_number.empty());
  EXPECT_EQ(emitted<MembershipActivated>(d)[0], (MembershipActivated{"o1", "action_pack", day(368)}));
  const AccountState& a = w.account(kAcc);
  EXPECT_EQ(a.orders.at("o1").status, OrderStatus::paid);
  EXPECT_EQ(a.memberships.at("action_pack").anniversary, day(368));
}

TEST(Orders, R_ORD_04_allows_a_wire_order_to_activate_when_the_service_records_the_payment) {
  // covers R-ORD-04
  World w = given_account();
  auto placed = w.run(kAcc, alice(), wire_order("o1", "action_pack"));
  EXPECT_ACCEPTED(placed);
  ASSERT_EQ(placed.value().size(), 1u);
  EXPECT_EQ(emitted<OrderPlaced>(placed)[0].order_number, "WO-contoso-o1");
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::awaiting_payment);
  EXPECT_TRUE(w.account(kAcc).memberships.empty());
  EXPECT_TRUE(w.account(kAcc).allocations.empty());

  w.now = day(29);
  auto paid = w.run(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-123"});
  EXPECT_ACCEPTED(paid);
  ASSERT_EQ(emitted<WirePaymentRecorded>(paid).size(), 1u);
  EXPECT_EQ(emitted<WirePaymentRecorded>(paid)[0],
            (WirePaymentRecorded{"o1", usd(kActionPackPrice), "SEPA-123"}));
  ASSERT_EQ(emitted<MembershipActivated>(paid).size(), 1u);
  EXPECT_EQ(emitted<MembershipActivated>(paid)[0].anniversary, day(29 + 365));  // from payment
  EXPECT_EQ(emitted<BenefitsAllocated>(paid).size(), 7u);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::paid);
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").status, MembershipStatus::active);
}

TEST(Orders, R_ORD_04_rejects_a_wire_payment_recorded_by_a_partner_user) {
  // covers R-ORD-04: only the service actor records payments.
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"}),
                  actor_not_allowed);
  EXPECT_REJECTED(w.run(kAcc, World::operator_(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"}),
                  actor_not_allowed);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::awaiting_payment);
}

TEST(Orders, R_ORD_04_rejects_a_wire_payment_of_the_wrong_amount) {
  // covers R-ORD-04
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice - 1), "SEPA-1"}),
                  payment_amount_mismatch);
  EXPECT_REJECTED(w.run(kAcc, World::service(),
                        RecordWirePayment{"o1", Money{kActionPackPrice, "EUR"}, "SEPA-1"}),
                  payment_amount_mismatch);
  EXPECT_EQ(w.appended, before);
  EXPECT_TRUE(w.account(kAcc).memberships.empty());
}

TEST(Orders, R_ORD_04_rejects_a_wire_payment_for_a_card_order_or_an_unknown_order) {
  // covers R-ORD-04
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "o1");
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"}),
                  order_not_awaiting_payment);
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordWirePayment{"nope", usd(kActionPackPrice), "SEPA-1"}),
                  order_not_found);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_04_rejects_card_details_on_a_wire_order) {
  // covers R-ORD-04
  World w = given_account();
  PlaceOrder o = wire_order("o1", "action_pack");
  o.card = CardDetails{"4242", World::billing()};
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), o), card_details_not_allowed);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_04_allows_an_unpaid_wire_order_to_expire_30_days_after_it_was_placed) {
  // covers R-ORD-04
  World w = given_account();
  w.now = day(1);
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.now = day(31);
  auto d = w.run(kAcc, World::service(), ExpireWireOrder{"o1"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(d.value().size(), 1u);
  EXPECT_EQ(emitted<OrderExpired>(d)[0], OrderExpired{"o1"});
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::expired);
  EXPECT_TRUE(w.account(kAcc).memberships.empty());
  // The expired order no longer holds the offer.
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o2", "action_pack")));
}

TEST(Orders, R_ORD_04_rejects_expiring_a_wire_order_before_30_days) {
  // covers R-ORD-04
  World w = given_account();
  w.now = day(1);
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.now = plus_micros(day(31), -1);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), ExpireWireOrder{"o1"}), wire_order_not_yet_expired);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::awaiting_payment);
}

TEST(Orders, R_ORD_04_rejects_expiring_a_paid_wire_order_and_expiry_by_a_partner_user) {
  // covers R-ORD-04
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.now = day(5);
  w.must(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"});
  w.now = day(40);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), ExpireWireOrder{"o1"}), order_not_awaiting_payment);
  EXPECT_REJECTED(w.run(kAcc, alice(), ExpireWireOrder{"o1"}), actor_not_allowed);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").status, MembershipStatus::active);
}

TEST(Orders, R_ORD_04_rejects_a_wire_payment_once_the_order_has_expired) {
  // covers R-ORD-04: at 30 days the order is expired whether or not the
  // service recorded OrderExpired yet, and after it did.
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.now = day(30);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"}),
                  wire_order_expired);
  EXPECT_EQ(w.appended, before);
  w.must(kAcc, World::service(), ExpireWireOrder{"o1"});
  const size_t after_expiry = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"}),
                  order_not_awaiting_payment);
  EXPECT_EQ(w.appended, after_expiry);
  EXPECT_TRUE(w.account(kAcc).memberships.empty());
}

// ---------------------------------------------------------------------------
// R-ORD-05: two-step cancellation of unactioned orders.

TEST(Orders, R_ORD_05_allows_two_step_cancellation_of_an_unpaid_wire_order) {
  // covers R-ORD-05: switching from offline to online payment.
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.now = day(2);
  auto requested = w.run(kAcc, alice(), RequestOrderCancellation{"o1"});
  EXPECT_ACCEPTED(requested);
  EXPECT_EQ(emitted<OrderCancellationRequested>(requested)[0], OrderCancellationRequested{"o1"});
  EXPECT_TRUE(w.account(kAcc).orders.at("o1").cancellation_requested);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::awaiting_payment);

  auto confirmed = w.run(kAcc, alice(), ConfirmOrderCancellation{"o1"});
  EXPECT_ACCEPTED(confirmed);
  ASSERT_EQ(confirmed.value().size(), 1u);
  EXPECT_EQ(emitted<OrderCancelled>(confirmed)[0], OrderCancelled{"o1"});
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::cancelled);

  // ... then buying again, by card.
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o2", "action_pack")));
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").order_id, "o2");
}

TEST(Orders, R_ORD_05_allows_a_purchasing_role_to_cancel) {
  // covers R-ORD-05
  World w = given_account();
  w.add_user(kAcc, "alice", "agent", {Role::admin_agent});
  w.must(kAcc, as("agent"), wire_order("o1", "action_pack"));
  EXPECT_ACCEPTED(w.run(kAcc, as("agent"), RequestOrderCancellation{"o1"}));
  EXPECT_ACCEPTED(w.run(kAcc, as("agent"), ConfirmOrderCancellation{"o1"}));
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::cancelled);
}

TEST(Orders, R_ORD_05_rejects_confirming_a_cancellation_that_was_not_requested) {
  // covers R-ORD-05
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), ConfirmOrderCancellation{"o1"}), cancellation_not_requested);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::awaiting_payment);
}

TEST(Orders, R_ORD_05_rejects_requesting_a_cancellation_twice) {
  // covers R-ORD-05
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.must(kAcc, alice(), RequestOrderCancellation{"o1"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestOrderCancellation{"o1"}), cancellation_already_requested);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_05_rejects_cancelling_actioned_orders) {
  // covers R-ORD-05: paid (card or wire), expired, cancelled and declined
  // orders were actioned.
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "action_pack", "o-card");
  w.must(kAcc, alice(), wire_order("o-paid", "silver"));
  w.must(kAcc, World::service(), RecordWirePayment{"o-paid", usd(kSilverPrice), "SEPA-1"});
  PlaceOrder declined = card_order("o-declined", "gold");
  declined.card->address.postal_code = "99999";
  w.must(kAcc, alice(), declined);
  w.must(kAcc, alice(), wire_order("o-exp", "gold"));
  w.now = day(30);
  w.must(kAcc, World::service(), ExpireWireOrder{"o-exp"});
  const size_t before = w.appended;
  for (const char* id : {"o-card", "o-paid", "o-exp", "o-declined"}) {
    EXPECT_REJECTED(w.run(kAcc, alice(), RequestOrderCancellation{id}), order_not_cancellable);
    EXPECT_REJECTED(w.run(kAcc, alice(), ConfirmOrderCancellation{id}), order_not_cancellable);
  }
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestOrderCancellation{"nope"}), order_not_found);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_05_rejects_confirming_after_the_payment_arrived) {
  // covers R-ORD-05: the order was actioned between the two steps.
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.must(kAcc, alice(), RequestOrderCancellation{"o1"});
  w.now = day(3);
  w.must(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), ConfirmOrderCancellation{"o1"}), order_not_cancellable);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::paid);
}

TEST(Orders, R_ORD_05_rejects_cancellation_by_a_role_that_cannot_purchase) {
  // covers R-ORD-05 (with R-ORD-02)
  World w = given_account();
  w.add_user(kAcc, "alice", "ivan", {Role::incentives_admin});
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, as("ivan"), RequestOrderCancellation{"o1"}), role_cannot_purchase);
  EXPECT_EQ(w.appended, before);
}

// ---------------------------------------------------------------------------
// R-ORD-06: refunds within 30 days, nothing of the order used, by the
// refund roles.

TEST(Orders, R_ORD_06_allows_a_refund_within_30_days_of_an_unused_order) {
  // covers R-ORD-06
  World w = given_account();
  w.add_user(kAcc, "alice", "pam", {Role::mpn_partner_admin});
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.now = plus_micros(day(30), -1);  // the last instant of [placed, placed + 30 days)
  auto d = w.run(kAcc, as("pam"), RefundOrder{"o1"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<OrderRefunded>(d).size(), 1u);
  EXPECT_EQ(emitted<OrderRefunded>(d)[0], (OrderRefunded{"o1", usd(kActionPackPrice)}));
  ASSERT_EQ(emitted<BenefitsEnded>(d).size(), 1u);
  EXPECT_EQ(emitted<BenefitsEnded>(d)[0].offer_id, "action_pack");
  EXPECT_EQ(emitted<BenefitsEnded>(d)[0].benefit_ids.size(), 7u);
  const AccountState& a = w.account(kAcc);
  EXPECT_EQ(a.orders.at("o1").status, OrderStatus::refunded);
  EXPECT_EQ(a.memberships.at("action_pack").status, MembershipStatus::ended);
  for (const auto& [id, alloc] : a.allocations) EXPECT_TRUE(alloc.ended) << id;
}

TEST(Orders, R_ORD_06_allows_refunds_by_account_admin_and_global_admin) {
  // covers R-ORD-06
  World w = given_account();
  w.competency(kAcc, "silver");
  w.add_user(kAcc, "alice", "carol", {Role::account_admin});
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.buy(kAcc, "alice", "silver", "o2");
  w.now = day(10);
  EXPECT_ACCEPTED(w.run(kAcc, as("carol"), RefundOrder{"o1"}));
  EXPECT_ACCEPTED(w.run(kAcc, alice(), RefundOrder{"o2"}));
  EXPECT_EQ(w.account(kAcc).orders.at("o2").status, OrderStatus::refunded);
}

TEST(Orders, R_ORD_06_allows_a_refund_of_a_paid_wire_order) {
  // covers R-ORD-06
  World w = given_account();
  w.must(kAcc, alice(), wire_order("o1", "action_pack"));
  w.now = day(4);
  w.must(kAcc, World::service(), RecordWirePayment{"o1", usd(kActionPackPrice), "SEPA-1"});
  w.now = day(20);
  auto d = w.run(kAcc, alice(), RefundOrder{"o1"});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<OrderRefunded>(d)[0].amount, usd(kActionPackPrice));
}

TEST(Orders, R_ORD_06_rejects_a_refund_after_30_days) {
  // covers R-ORD-06
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.now = day(30);  // placed + 30 days: the period has ended
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o1"}), refund_window_closed);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::paid);
}

TEST(Orders, R_ORD_06_rejects_a_refund_after_a_key_was_revealed) {
  // covers R-ORD-06 (R-KEY-02: a reveal counts as use)
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.must(kAcc, alice(), RevealKeys{"o1", "windows_server_standard", "en", "windows"});
  w.now = day(1);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o1"}), refund_benefits_used);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_06_rejects_a_refund_after_a_benefit_was_assigned_even_if_unassigned_again) {
  // covers R-ORD-06
  World w = given_account();
  w.add_user(kAcc, "alice", "bob", {});
  w.buy(kAcc, "alice", "action_pack", "o1");
  const std::string credit = World::benefit(kAcc, "o1", "azure_monthly_credit");
  w.must(kAcc, alice(), AssignBenefit{credit, "bob"});
  w.now = day(1);
  w.must(kAcc, alice(), UnassignBenefit{credit, "bob"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o1"}), refund_benefits_used);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").status, MembershipStatus::active);
}

TEST(Orders, R_ORD_06_rejects_a_refund_after_a_technical_benefit_was_activated) {
  // covers R-ORD-06
  World w = given_account();
  w.add_user(kAcc, "alice", "pam", {Role::mpn_partner_admin});
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.must(kAcc, as("pam"), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, as("pam"), RefundOrder{"o1"}), refund_benefits_used);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_06_rejects_a_refund_by_a_role_that_cannot_refund) {
  // covers R-ORD-06: purchasing roles are not all refund roles.
  for (Role role : {Role::admin_agent, Role::user_management_admin, Role::incentives_admin}) {
    World w = given_account();
    w.add_user(kAcc, "alice", "eve", {role});
    w.buy(kAcc, "alice", "action_pack", "o1");
    const size_t before = w.appended;
    EXPECT_REJECTED(w.run(kAcc, as("eve"), RefundOrder{"o1"}), role_cannot_refund);
    EXPECT_EQ(w.appended, before) << role_name(role);
  }
}

TEST(Orders, R_ORD_06_rejects_refunding_an_unpaid_or_already_refunded_order) {
  // covers R-ORD-06
  World w = given_account();
  w.competency(kAcc, "silver");
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.must(kAcc, alice(), wire_order("o2", "silver"));
  w.must(kAcc, alice(), RefundOrder{"o1"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o1"}), order_not_paid);
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o2"}), order_not_paid);
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o3"}), order_not_found);
  EXPECT_EQ(w.appended, before);
}

// ---------------------------------------------------------------------------
// R-ORD-07: Silver -> Gold: 25% off Gold; the Silver order becomes
// non-refundable.

TEST(Orders, R_ORD_07_allows_a_silver_to_gold_upgrade_at_25_percent_off) {
  // covers R-ORD-07
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.now = day(2);
  auto d = w.run(kAcc, alice(), card_order("o-gold", "gold"));
  EXPECT_ACCEPTED(d);
  const OrderPlaced placed = emitted<OrderPlaced>(d).at(0);
  EXPECT_EQ(placed.list_price, usd(kGoldPrice));
  EXPECT_EQ(placed.discount_percent, 25u);
  EXPECT_EQ(placed.price, usd(kGoldPrice * 3 / 4));  // 3547.50 USD
  EXPECT_EQ(placed.upgrade_from_order_id, "o-silver");
  EXPECT_EQ(emitted<CardPaymentCharged>(d).at(0).amount, usd(354'750));
  ASSERT_EQ(emitted<OrderMadeNonRefundable>(d).size(), 1u);
  EXPECT_EQ(emitted<OrderMadeNonRefundable>(d)[0].order_id, "o-silver");
  EXPECT_TRUE(w.account(kAcc).orders.at("o-silver").non_refundable);
  EXPECT_FALSE(w.account(kAcc).orders.at("o-gold").non_refundable);
  EXPECT_EQ(w.account(kAcc).memberships.at("gold").status, MembershipStatus::active);
}

TEST(Orders, R_ORD_07_rejects_refunding_the_silver_order_after_the_upgrade) {
  // covers R-ORD-07
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.now = day(2);
  w.buy(kAcc, "alice", "gold", "o-gold");
  w.now = day(3);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o-silver"}), order_not_refundable);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o-silver").status, OrderStatus::paid);
  // The Gold order itself stays refundable (R-ORD-06).
  EXPECT_ACCEPTED(w.run(kAcc, alice(), RefundOrder{"o-gold"}));
}

TEST(Orders, R_ORD_07_allows_gold_at_list_price_without_a_silver_membership) {
  // covers R-ORD-07: no Silver, no upgrade; a refunded Silver does not count.
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.must(kAcc, alice(), RefundOrder{"o-silver"});
  auto d = w.run(kAcc, alice(), card_order("o-gold", "gold"));
  EXPECT_ACCEPTED(d);
  const OrderPlaced placed = emitted<OrderPlaced>(d).at(0);
  EXPECT_EQ(placed.price, usd(kGoldPrice));
  EXPECT_EQ(placed.discount_percent, 0u);
  EXPECT_TRUE(placed.upgrade_from_order_id.empty());
  EXPECT_TRUE(emitted<OrderMadeNonRefundable>(d).empty());
}

TEST(Orders, R_ORD_07_allows_a_wire_upgrade_paid_at_the_discounted_price) {
  // covers R-ORD-07: the Silver order becomes non-refundable when Gold is paid.
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "silver", "o-silver");
  auto placed = w.run(kAcc, alice(), wire_order("o-gold", "gold"));
  EXPECT_ACCEPTED(placed);
  EXPECT_EQ(emitted<OrderPlaced>(placed).at(0).price, usd(354'750));
  EXPECT_TRUE(emitted<OrderMadeNonRefundable>(placed).empty());
  EXPECT_FALSE(w.account(kAcc).orders.at("o-silver").non_refundable);
  w.now = day(5);
  auto paid = w.run(kAcc, World::service(), RecordWirePayment{"o-gold", usd(354'750), "SEPA-9"});
  EXPECT_ACCEPTED(paid);
  ASSERT_EQ(emitted<OrderMadeNonRefundable>(paid).size(), 1u);
  EXPECT_EQ(emitted<OrderMadeNonRefundable>(paid)[0].order_id, "o-silver");
  EXPECT_TRUE(w.account(kAcc).orders.at("o-silver").non_refundable);
}

TEST(Orders, R_ORD_07_rejects_a_wire_upgrade_paid_at_the_list_price) {
  // covers R-ORD-07: the order's price is the discounted one.
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.must(kAcc, alice(), wire_order("o-gold", "gold"));
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordWirePayment{"o-gold", usd(kGoldPrice), "SEPA-9"}),
                  payment_amount_mismatch);
  EXPECT_EQ(w.appended, before);
  EXPECT_FALSE(w.account(kAcc).orders.at("o-silver").non_refundable);
}

TEST(Orders, R_ORD_07_rejects_refunding_silver_while_a_discounted_gold_wire_order_awaits_payment) {
  // covers R-ORD-07: otherwise Silver could be refunded and Gold still paid at
  // 25% off once the transfer arrives.
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.now = day(1);
  w.must(kAcc, alice(), wire_order("o-gold", "gold"));
  w.now = day(2);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o-silver"}), order_not_refundable);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o-silver").status, OrderStatus::paid);
}

TEST(Orders, R_ORD_07_allows_refunding_silver_once_the_pending_upgrade_is_cancelled) {
  // covers R-ORD-07: only a paid upgrade makes Silver non-refundable.
  World w = given_account();
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.must(kAcc, alice(), wire_order("o-gold", "gold"));
  w.must(kAcc, alice(), RequestOrderCancellation{"o-gold"});
  w.must(kAcc, alice(), ConfirmOrderCancellation{"o-gold"});
  w.now = day(2);
  EXPECT_ACCEPTED(w.run(kAcc, alice(), RefundOrder{"o-silver"}));
  EXPECT_EQ(w.account(kAcc).orders.at("o-silver").status, OrderStatus::refunded);
}

// ---------------------------------------------------------------------------
// R-ORD-08: renewal window, renewal, business-info review, lapse.

// Action Pack bought at day 0: anniversary day 365, window (day 365, day 395].
World given_action_pack() {
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "o1");
  return w;
}

TEST(Orders, R_ORD_08_allows_opening_the_renewal_window_after_the_anniversary) {
  // covers R-ORD-08
  World w = given_action_pack();
  w.now = day(366);
  auto d = w.run(kAcc, World::service(), OpenRenewalWindow{"action_pack"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<RenewalWindowOpened>(d).size(), 1u);
  EXPECT_EQ(emitted<RenewalWindowOpened>(d)[0], (RenewalWindowOpened{"action_pack", day(395)}));
  EXPECT_EQ(emitted<EnrollmentYearEnded>(d).at(0), (EnrollmentYearEnded{"action_pack", day(365)}));
  const Membership& m = w.account(kAcc).memberships.at("action_pack");
  EXPECT_EQ(m.status, MembershipStatus::renewal_window);
  EXPECT_TRUE(m.live());  // benefits continue during the window
}

TEST(Orders, R_ORD_08_rejects_opening_the_renewal_window_before_the_anniversary) {
  // covers R-ORD-08: the window is [anniversary, anniversary + 30 days).
  World w = given_action_pack();
  const size_t before = w.appended;
  w.now = day(300);
  EXPECT_REJECTED(w.run(kAcc, World::service(), OpenRenewalWindow{"action_pack"}), renewal_window_not_open);
  w.now = plus_micros(day(365), -1);
  EXPECT_REJECTED(w.run(kAcc, World::service(), OpenRenewalWindow{"action_pack"}), renewal_window_not_open);
  EXPECT_REJECTED(w.run(kAcc, World::service(), OpenRenewalWindow{"silver"}), membership_not_found);
  EXPECT_EQ(w.appended, before);
  w.now = day(365);
  w.must(kAcc, World::service(), OpenRenewalWindow{"action_pack"});
  const size_t opened = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), OpenRenewalWindow{"action_pack"}),
                  renewal_window_already_open);
  EXPECT_EQ(w.appended, opened);
}

TEST(Orders, R_ORD_08_allows_renewal_by_ordering_the_offer_in_the_window) {
  // covers R-ORD-08: the new anniversary is the old one + 365 days.
  World w = given_action_pack();
  w.now = day(366);
  w.must(kAcc, World::service(), OpenRenewalWindow{"action_pack"});
  w.now = day(370);
  w.must(kAcc, alice(), ReviewBusinessInfo{});
  w.now = day(380);
  auto d = w.run(kAcc, alice(), card_order("o2", "action_pack"));
  EXPECT_ACCEPTED(d);
  EXPECT_TRUE(emitted<OrderPlaced>(d).at(0).renewal);
  EXPECT_TRUE(emitted<MembershipActivated>(d).empty());
  ASSERT_EQ(emitted<MembershipRenewed>(d).size(), 1u);
  EXPECT_EQ(emitted<MembershipRenewed>(d)[0], (MembershipRenewed{"action_pack", "o2", day(365), day(730)}));
  const auto allocated = emitted<BenefitsAllocated>(d);
  ASSERT_EQ(allocated.size(), 7u);
  for (const auto& b : allocated) {
    EXPECT_EQ(b.order_id, "o2");
    EXPECT_EQ(b.expiry, b.kind == BenefitKind::visual_studio ? day(760) : day(730)) << b.benefit_id;
  }
  const Membership& m = w.account(kAcc).memberships.at("action_pack");
  EXPECT_EQ(m.status, MembershipStatus::active);
  EXPECT_EQ(m.anniversary, day(730));
  EXPECT_EQ(m.order_id, "o2");
}

TEST(Orders, R_ORD_08_allows_renewal_by_wire_with_an_account_admin_review) {
  // covers R-ORD-08: a global or account admin reviews; the renewal takes
  // effect when the wire payment is recorded.
  World w = given_action_pack();
  w.add_user(kAcc, "alice", "carol", {Role::account_admin});
  w.now = day(366);
  w.must(kAcc, as("carol"), ReviewBusinessInfo{});
  w.must(kAcc, alice(), wire_order("o2", "action_pack"));
  w.now = day(390);
  auto d = w.run(kAcc, World::service(), RecordWirePayment{"o2", usd(kActionPackPrice), "SEPA-7"});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<MembershipRenewed>(d).at(0).anniversary, day(730));
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").anniversary, day(730));
}

TEST(Orders, R_ORD_08_rejects_renewal_without_a_business_info_review) {
  // covers R-ORD-08
  World w = given_action_pack();
  w.now = day(370);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o2", "action_pack")), business_info_review_required);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").anniversary, day(365));
}

TEST(Orders, R_ORD_08_rejects_renewal_when_the_last_review_is_older_than_30_days) {
  // covers R-ORD-08
  World w = given_action_pack();
  w.now = day(339);
  w.must(kAcc, alice(), ReviewBusinessInfo{});  // 31 days before day 370
  w.now = day(370);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o2", "action_pack")), business_info_review_required);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").anniversary, day(365));
}

TEST(Orders, R_ORD_08_allows_renewal_with_a_review_within_the_last_30_days) {
  // covers R-ORD-08: the review counts for [review, review + 30 days).
  World w = given_action_pack();
  w.now = day(340);
  w.must(kAcc, alice(), ReviewBusinessInfo{});
  w.now = day(370);
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o2", "action_pack")), business_info_review_required);
  w.now = plus_micros(day(370), -1);
  EXPECT_ACCEPTED(w.run(kAcc, alice(), card_order("o2", "action_pack")));
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").anniversary, day(730));
}

TEST(Orders, R_ORD_08_rejects_reviewing_business_info_by_a_non_admin) {
  // covers R-ORD-08: the review counts only from a global or account admin.
  World w = given_action_pack();
  w.add_user(kAcc, "alice", "pam", {Role::mpn_partner_admin});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, as("pam"), ReviewBusinessInfo{}), role_not_allowed);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_08_rejects_ordering_after_the_renewal_window_closed) {
  // covers R-ORD-08
  World w = given_action_pack();
  w.now = day(396);
  w.must(kAcc, alice(), ReviewBusinessInfo{});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), card_order("o2", "action_pack")), renewal_window_closed);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_08_allows_a_lapse_after_the_window_and_ends_the_benefits) {
  // covers R-ORD-08
  World w = given_action_pack();
  w.now = day(366);
  w.must(kAcc, World::service(), OpenRenewalWindow{"action_pack"});
  w.now = plus_micros(day(395), 1);
  auto d = w.run(kAcc, World::service(), LapseMembership{"action_pack"});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<MembershipLapsed>(d).at(0), MembershipLapsed{"action_pack"});
  ASSERT_EQ(emitted<BenefitsEnded>(d).size(), 1u);
  EXPECT_EQ(emitted<BenefitsEnded>(d)[0].benefit_ids.size(), 7u);
  const AccountState& a = w.account(kAcc);
  EXPECT_EQ(a.memberships.at("action_pack").status, MembershipStatus::lapsed);
  for (const auto& [id, alloc] : a.allocations) EXPECT_TRUE(alloc.ended) << id;
  // A lapsed membership can be bought afresh.
  auto again = w.run(kAcc, alice(), card_order("o2", "action_pack"));
  EXPECT_ACCEPTED(again);
  EXPECT_FALSE(emitted<OrderPlaced>(again).at(0).renewal);
  EXPECT_EQ(emitted<MembershipActivated>(again).size(), 1u);
}

TEST(Orders, R_ORD_08_rejects_a_lapse_before_the_window_closed) {
  // covers R-ORD-08
  World w = given_action_pack();
  const size_t before = w.appended;
  w.now = day(366);
  EXPECT_REJECTED(w.run(kAcc, World::service(), LapseMembership{"action_pack"}), membership_not_lapsable);
  w.now = plus_micros(day(395), -1);  // the window's last instant
  EXPECT_REJECTED(w.run(kAcc, World::service(), LapseMembership{"action_pack"}), membership_not_lapsable);
  EXPECT_REJECTED(w.run(kAcc, alice(), LapseMembership{"action_pack"}), actor_not_allowed);
  EXPECT_EQ(w.appended, before);
  EXPECT_TRUE(w.account(kAcc).memberships.at("action_pack").live());
}

TEST(Orders, R_ORD_08_rejects_a_lapse_of_a_renewed_membership) {
  // covers R-ORD-08
  World w = given_action_pack();
  w.now = day(370);
  w.must(kAcc, alice(), ReviewBusinessInfo{});
  w.buy(kAcc, "alice", "action_pack", "o2");
  w.now = day(400);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), LapseMembership{"action_pack"}), membership_not_lapsable);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").status, MembershipStatus::active);
}

// ---------------------------------------------------------------------------
// R-ORD-09: expiry is the last day to activate; Visual Studio stays usable
// 30 days past the renewal date.

TEST(Orders, R_ORD_09_allows_visual_studio_until_30_days_after_the_anniversary) {
  // covers R-ORD-09
  World w = given_account();
  w.add_user(kAcc, "alice", "bob", {});
  auto d = w.run(kAcc, alice(), card_order("o1", "action_pack"));
  EXPECT_ACCEPTED(d);
  for (const auto& b : emitted<BenefitsAllocated>(d)) {
    EXPECT_EQ(b.expiry, b.kind == BenefitKind::visual_studio ? day(395) : day(365)) << b.benefit_id;
  }
  w.now = day(390);
  EXPECT_ACCEPTED(w.run(kAcc, alice(),
                        AssignBenefit{World::benefit(kAcc, "o1", "visual_studio_professional"), "bob"}));
}

TEST(Orders, R_ORD_09_allows_other_benefits_through_the_renewal_window) {
  // covers R-ORD-09 with R-ORD-08: benefits continue during the window.
  World w = given_account();
  w.add_user(kAcc, "alice", "bob", {});
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.now = plus_micros(day(395), -1);
  EXPECT_ACCEPTED(w.run(kAcc, alice(), AssignBenefit{World::benefit(kAcc, "o1", "office_365_e3"), "bob"}));
}

TEST(Orders, R_ORD_09_rejects_other_benefits_after_the_renewal_window) {
  // covers R-ORD-09
  World w = given_account();
  w.add_user(kAcc, "alice", "bob", {});
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.now = day(395);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), AssignBenefit{World::benefit(kAcc, "o1", "office_365_e3"), "bob"}),
                  benefit_expired);
  EXPECT_REJECTED(w.run(kAcc, alice(), AssignBenefit{World::benefit(kAcc, "o1", "azure_monthly_credit"), "bob"}),
                  benefit_expired);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_09_rejects_visual_studio_more_than_30_days_after_the_anniversary) {
  // covers R-ORD-09
  World w = given_account();
  w.add_user(kAcc, "alice", "bob", {});
  w.buy(kAcc, "alice", "action_pack", "o1");
  w.now = day(395);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(),
                        AssignBenefit{World::benefit(kAcc, "o1", "visual_studio_professional"), "bob"}),
                  benefit_expired);
  EXPECT_EQ(w.appended, before);
}

TEST(Orders, R_ORD_09_allows_the_renewed_allocations_after_the_old_ones_expired) {
  // covers R-ORD-09 with R-ORD-08: a renewal allocates benefits that expire at
  // the new anniversary; last year's end with last year's window.
  World w = given_account();
  w.competency(kAcc, "silver");
  w.add_user(kAcc, "alice", "bob", {});
  w.buy(kAcc, "alice", "silver", "o1");
  w.now = day(370);
  w.must(kAcc, alice(), ReviewBusinessInfo{});
  w.buy(kAcc, "alice", "silver", "o2");
  w.now = day(395);
  EXPECT_REJECTED(w.run(kAcc, alice(), AssignBenefit{World::benefit(kAcc, "o1", "office_365_e3"), "bob"}),
                  benefit_expired);
  EXPECT_ACCEPTED(w.run(kAcc, alice(), AssignBenefit{World::benefit(kAcc, "o2", "office_365_e3"), "bob"}));
  EXPECT_EQ(w.account(kAcc).allocations.at(World::benefit(kAcc, "o2", "visual_studio_enterprise")).expiry,
            day(760));
}

// A wire renewal placed in the window holds the lapse until it is paid or expires.
TEST(Orders, R_ORD_08_rejects_a_lapse_while_a_renewal_wire_order_awaits_payment) {
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "ap1");
  const Instant anniversary = w.account(kAcc).memberships.at("action_pack").anniversary;
  w.now = plus_days(anniversary, 10);
  w.must(kAcc, World::user(kAcc, "alice"), ReviewBusinessInfo{});
  w.must(kAcc, World::user(kAcc, "alice"), wire_order("ap2", "action_pack"));
  w.now = plus_days(anniversary, 31);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), LapseMembership{"action_pack"}), membership_not_lapsable);
  EXPECT_EQ(w.appended, before);
  // the payment arrives after the window: the membership renews from the old anniversary
  EXPECT_ACCEPTED(w.run(kAcc, World::service(), RecordWirePayment{"ap2", Money{kActionPackPrice, "USD"}, "REF"}));
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").anniversary, plus_days(anniversary, 365));
}

TEST(Orders, R_ORD_08_allows_the_lapse_once_the_renewal_wire_order_expired_unpaid) {
  World w = given_account();
  w.buy(kAcc, "alice", "action_pack", "ap1");
  const Instant anniversary = w.account(kAcc).memberships.at("action_pack").anniversary;
  w.now = plus_days(anniversary, 10);
  w.must(kAcc, World::user(kAcc, "alice"), ReviewBusinessInfo{});
  w.must(kAcc, World::user(kAcc, "alice"), wire_order("ap2", "action_pack"));
  w.now = plus_days(anniversary, 40);
  EXPECT_ACCEPTED(w.run(kAcc, World::service(), ExpireWireOrder{"ap2"}));
  EXPECT_ACCEPTED(w.run(kAcc, World::service(), LapseMembership{"action_pack"}));
  EXPECT_EQ(w.account(kAcc).memberships.at("action_pack").status, MembershipStatus::lapsed);
}

}  // namespace
}  // namespace mledger::testing
