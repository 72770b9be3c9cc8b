// The "orders" projection: given the events the order deciders record, then
// each order of the account with what happened to it.
// covers R-ORD-03, R-ORD-04, R-ORD-05, R-ORD-06, R-ORD-07, R-ORD-08

#include <gtest/gtest.h>

#include "projections/orders.h"
#include "tests/projections/recorded.h"

namespace mledger::projections {
namespace {

using testing::day;
using testing::documents_of;
using testing::fold;
using testing::on_account;
using testing::recorded;

const std::string kContoso = "contoso";
const std::string kFabrikam = "fabrikam";
const Money kActionPackPrice{47'500, "USD"};
const Money kSilverPrice{167'000, "USD"};
const Money kGoldPrice{473'000, "USD"};
const PostalAddress kBilling{"1 Microsoft Way", "", "Redmond", "WA", "98052", "US"};

OrderPlaced placed(const std::string& order_id, const std::string& offer_id, PaymentMethod method,
                   Money price, const std::string& account = kContoso) {
  OrderPlaced p;
  p.order_id = order_id;
  p.offer_id = offer_id;
  p.payment_method = method;
  p.list_price = price;
  p.price = price;
  p.billing_address = kBilling;
  p.placed_by_user_id = "u-olga";
  if (method == PaymentMethod::wire) p.order_number = "WO-" + account + "-" + order_id;
  return p;
}

TEST(OrdersProjection, R_ORD_04_card_order_is_paid_and_activates_the_membership_at_once) {
  const Instant t = day(2026, 3, 2, 9);
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-1001", "action_pack", PaymentMethod::card, kActionPackPrice), t),
      on_account(2, kContoso, CardPaymentCharged{"o-1001", kActionPackPrice, "4242"}, t),
      on_account(3, kContoso, MembershipActivated{"o-1001", "action_pack", plus_days(t, 365)}, t),
      on_account(4, kContoso,
                 BenefitsAllocated{"contoso/o-1001/office_365_e3", "action_pack", "o-1001",
                                   BenefitKind::licensed_product, BenefitType::core, 5,
                                   plus_days(t, 365), {}, "office_365_e3", "default-2026-1"},
                 t),
  };
  const AccountOrders doc = fold<OrdersProjection>(kContoso, log);

  ASSERT_EQ(doc.orders.size(), 1u);
  const OrderRecord& o = doc.orders.at("o-1001");
  EXPECT_EQ(o.order_id, "o-1001");
  EXPECT_EQ(o.offer_id, "action_pack");
  EXPECT_EQ(o.payment_method, PaymentMethod::card);
  EXPECT_EQ(o.list_price, kActionPackPrice);
  EXPECT_EQ(o.price, kActionPackPrice);
  EXPECT_EQ(o.discount_percent, 0u);
  EXPECT_EQ(o.order_number, "");
  EXPECT_FALSE(o.renewal);
  EXPECT_EQ(o.placed_by_user_id, "u-olga");
  EXPECT_EQ(o.placed_at, t);
  EXPECT_EQ(o.status, OrderStatus::paid);
  ASSERT_EQ(o.payments.size(), 1u);
  EXPECT_EQ(o.payments[0], (OrderPayment{t, PaymentMethod::card, kActionPackPrice, "4242"}));
  EXPECT_EQ(o.membership_activated_at, t);
  EXPECT_TRUE(o.declines.empty());
  EXPECT_TRUE(o.refunds.empty());
  EXPECT_FALSE(o.cancellation_requested_at.has_value());
  EXPECT_FALSE(o.cancelled_at.has_value());
  EXPECT_FALSE(o.expired_at.has_value());
  EXPECT_FALSE(o.non_refundable_reason.has_value());
}

TEST(OrdersProjection, R_ORD_04_wire_order_is_paid_when_the_service_records_the_transfer) {
  const Instant placed_at = day(2026, 3, 2, 9);
  const Instant paid_at = day(2026, 3, 20, 14);
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-2001", "silver", PaymentMethod::wire, kSilverPrice), placed_at),
      on_account(2, kContoso, WirePaymentRecorded{"o-2001", kSilverPrice, "BANK-REF-77812"}, paid_at),
      on_account(3, kContoso, MembershipActivated{"o-2001", "silver", plus_days(paid_at, 365)}, paid_at),
  };
  const AccountOrders doc = fold<OrdersProjection>(kContoso, log);

  const OrderRecord& o = doc.orders.at("o-2001");
  EXPECT_EQ(o.payment_method, PaymentMethod::wire);
  EXPECT_EQ(o.order_number, "WO-contoso-o-2001");
  EXPECT_EQ(o.placed_at, placed_at);
  EXPECT_EQ(o.status, OrderStatus::paid);
  ASSERT_EQ(o.payments.size(), 1u);
  EXPECT_EQ(o.payments[0], (OrderPayment{paid_at, PaymentMethod::wire, kSilverPrice, "BANK-REF-77812"}));
  EXPECT_EQ(o.membership_activated_at, paid_at);
}

TEST(OrdersProjection, R_ORD_04_wire_order_expires_unpaid) {
  const Instant placed_at = day(2026, 3, 2, 9);
  const Instant expired_at = plus_days(placed_at, 30);
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-2002", "action_pack", PaymentMethod::wire, kActionPackPrice),
                 placed_at),
      on_account(2, kContoso, OrderExpired{"o-2002"}, expired_at),
  };
  AccountOrders doc = fold<OrdersProjection>(kContoso, {log[0]});
  EXPECT_EQ(doc.orders.at("o-2002").status, OrderStatus::awaiting_payment);
  EXPECT_FALSE(doc.orders.at("o-2002").expired_at.has_value());

  doc = fold<OrdersProjection>(kContoso, {log[1]}, doc);
  const OrderRecord& o = doc.orders.at("o-2002");
  EXPECT_EQ(o.status, OrderStatus::expired);
  EXPECT_EQ(o.expired_at, expired_at);
  EXPECT_EQ(o.placed_at, placed_at);
  EXPECT_EQ(o.order_number, "WO-contoso-o-2002");
  EXPECT_TRUE(o.payments.empty());
  EXPECT_FALSE(o.membership_activated_at.has_value());
}

TEST(OrdersProjection, R_ORD_03_card_declined_at_placement_is_an_order_never_placed) {
  const Instant t = day(2026, 4, 7, 11);
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, OrderDeclined{"o-1002", "silver", "payment_declined_address_mismatch"}, t),
  };
  const AccountOrders doc = fold<OrdersProjection>(kContoso, log);

  ASSERT_EQ(doc.orders.size(), 1u);
  const OrderRecord& o = doc.orders.at("o-1002");
  EXPECT_EQ(o.order_id, "o-1002");
  EXPECT_EQ(o.offer_id, "silver");
  EXPECT_EQ(o.status, OrderStatus::declined);
  EXPECT_FALSE(o.placed_at.has_value());
  ASSERT_EQ(o.declines.size(), 1u);
  EXPECT_EQ(o.declines[0], (OrderDecline{t, "payment_declined_address_mismatch"}));
  EXPECT_TRUE(o.payments.empty());
  EXPECT_EQ(o.price, Money{});
  EXPECT_FALSE(o.membership_activated_at.has_value());
}

TEST(OrdersProjection, R_ORD_05_cancellation_is_requested_then_confirmed) {
  const Instant placed_at = day(2026, 5, 4, 8);
  const Instant requested_at = day(2026, 5, 5, 10);
  const Instant confirmed_at = day(2026, 5, 6, 10);
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-3001", "gold", PaymentMethod::wire, kGoldPrice), placed_at),
      on_account(2, kContoso, OrderCancellationRequested{"o-3001"}, requested_at),
      on_account(3, kContoso, OrderCancelled{"o-3001"}, confirmed_at),
  };
  AccountOrders doc = fold<OrdersProjection>(kContoso, {log[0], log[1]});
  {
    const OrderRecord& o = doc.orders.at("o-3001");
    EXPECT_EQ(o.status, OrderStatus::awaiting_payment);  // requested only: not cancelled yet
    EXPECT_EQ(o.cancellation_requested_at, requested_at);
    EXPECT_FALSE(o.cancelled_at.has_value());
  }
  doc = fold<OrdersProjection>(kContoso, {log[2]}, doc);
  const OrderRecord& o = doc.orders.at("o-3001");
  EXPECT_EQ(o.status, OrderStatus::cancelled);
  EXPECT_EQ(o.cancellation_requested_at, requested_at);
  EXPECT_EQ(o.cancelled_at, confirmed_at);
  EXPECT_EQ(o.price, kGoldPrice);
}

TEST(OrdersProjection, R_ORD_06_refund_keeps_the_payment_and_records_the_refund) {
  const Instant t = day(2026, 6, 1, 9);
  const Instant refunded_at = day(2026, 6, 20, 16);
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-1003", "action_pack", PaymentMethod::card, kActionPackPrice), t),
      on_account(2, kContoso, CardPaymentCharged{"o-1003", kActionPackPrice, "0005"}, t),
      on_account(3, kContoso, MembershipActivated{"o-1003", "action_pack", plus_days(t, 365)}, t),
      on_account(4, kContoso, OrderRefunded{"o-1003", kActionPackPrice}, refunded_at),
      on_account(5, kContoso, BenefitsEnded{"action_pack", {"contoso/o-1003/office_365_e3"}}, refunded_at),
  };
  const AccountOrders doc = fold<OrdersProjection>(kContoso, log);

  const OrderRecord& o = doc.orders.at("o-1003");
  EXPECT_EQ(o.status, OrderStatus::refunded);
  ASSERT_EQ(o.refunds.size(), 1u);
  EXPECT_EQ(o.refunds[0], (OrderRefund{refunded_at, kActionPackPrice}));
  ASSERT_EQ(o.payments.size(), 1u);
  EXPECT_EQ(o.payments[0].amount, kActionPackPrice);
  EXPECT_EQ(o.membership_activated_at, t);
}

TEST(OrdersProjection, R_ORD_07_upgrade_to_gold_makes_the_silver_order_non_refundable) {
  const Instant silver_at = day(2026, 2, 10, 9);
  const Instant gold_at = day(2026, 2, 20, 9);
  const Money gold_discounted{354'750, "USD"};  // 473,000 less 25%
  OrderPlaced gold = placed("o-4002", "gold", PaymentMethod::card, kGoldPrice);
  gold.price = gold_discounted;
  gold.discount_percent = 25;
  gold.upgrade_from_order_id = "o-4001";
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-4001", "silver", PaymentMethod::card, kSilverPrice), silver_at),
      on_account(2, kContoso, CardPaymentCharged{"o-4001", kSilverPrice, "1881"}, silver_at),
      on_account(3, kContoso, MembershipActivated{"o-4001", "silver", plus_days(silver_at, 365)}, silver_at),
      on_account(4, kContoso, gold, gold_at),
      on_account(5, kContoso, CardPaymentCharged{"o-4002", gold_discounted, "1881"}, gold_at),
      on_account(6, kContoso, MembershipActivated{"o-4002", "gold", plus_days(gold_at, 365)}, gold_at),
      on_account(7, kContoso, OrderMadeNonRefundable{"o-4001", "upgraded to gold"}, gold_at),
  };
  const AccountOrders doc = fold<OrdersProjection>(kContoso, log);

  ASSERT_EQ(doc.orders.size(), 2u);
  const OrderRecord& s = doc.orders.at("o-4001");
  EXPECT_EQ(s.status, OrderStatus::paid);
  EXPECT_EQ(s.non_refundable_reason, std::optional<std::string>("upgraded to gold"));
  const OrderRecord& g = doc.orders.at("o-4002");
  EXPECT_EQ(g.list_price, kGoldPrice);
  EXPECT_EQ(g.price, gold_discounted);
  EXPECT_EQ(g.discount_percent, 25u);
  EXPECT_EQ(g.upgrade_from_order_id, "o-4001");
  EXPECT_EQ(g.payments.at(0).amount, gold_discounted);
  EXPECT_FALSE(g.non_refundable_reason.has_value());
}

TEST(OrdersProjection, R_ORD_08_renewal_order_paid_in_the_window_renews_the_membership) {
  const Instant first_at = day(2026, 1, 5, 9);
  const Instant anniversary = plus_days(first_at, 365);
  const Instant renewed_at = plus_days(anniversary, 10);
  OrderPlaced renewal = placed("o-5002", "action_pack", PaymentMethod::card, kActionPackPrice);
  renewal.renewal = true;
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-5001", "action_pack", PaymentMethod::card, kActionPackPrice), first_at),
      on_account(2, kContoso, CardPaymentCharged{"o-5001", kActionPackPrice, "4242"}, first_at),
      on_account(3, kContoso, MembershipActivated{"o-5001", "action_pack", anniversary}, first_at),
      on_account(4, kContoso, EnrollmentYearEnded{"action_pack", anniversary}, plus_days(anniversary, 1)),
      on_account(5, kContoso, RenewalWindowOpened{"action_pack", plus_days(anniversary, 30)},
                 plus_days(anniversary, 1)),
      on_account(6, kContoso, renewal, renewed_at),
      on_account(7, kContoso, CardPaymentCharged{"o-5002", kActionPackPrice, "4242"}, renewed_at),
      on_account(8, kContoso,
                 MembershipRenewed{"action_pack", "o-5002", anniversary, plus_days(anniversary, 365)},
                 renewed_at),
  };
  EXPECT_EQ(documents_of<OrdersProjection>(log[7]), std::vector<std::string>{kContoso});
  const AccountOrders doc = fold<OrdersProjection>(kContoso, log);

  ASSERT_EQ(doc.orders.size(), 2u);
  EXPECT_EQ(doc.orders.at("o-5001").membership_activated_at, first_at);
  const OrderRecord& r = doc.orders.at("o-5002");
  EXPECT_TRUE(r.renewal);
  EXPECT_EQ(r.status, OrderStatus::paid);
  EXPECT_EQ(r.membership_activated_at, renewed_at);  // the renewal took effect when paid
}

TEST(OrdersProjection, documents_of_names_the_account_for_order_events_of_its_own_stream_only) {
  const Instant t = day(2026, 3, 2, 9);
  EXPECT_EQ(documents_of<OrdersProjection>(
                on_account(1, kContoso, placed("o-1", "action_pack", PaymentMethod::card, kActionPackPrice), t)),
            std::vector<std::string>{kContoso});
  EXPECT_EQ(documents_of<OrdersProjection>(on_account(2, kContoso, OrderExpired{"o-1"}, t)),
            std::vector<std::string>{kContoso});
  // Not an order event, although on the account's stream.
  EXPECT_TRUE(documents_of<OrdersProjection>(
                  on_account(3, kContoso,
                             UserAdded{kContoso, "u-2", "ben@contoso.com", "Ben", false, {}}, t))
                  .empty());
  EXPECT_TRUE(documents_of<OrdersProjection>(
                  on_account(4, kContoso, BenefitsEnded{"action_pack", {"contoso/o-1/office_365_e3"}}, t))
                  .empty());
  // Events of other streams, even those concerning the account.
  EXPECT_TRUE(documents_of<OrdersProjection>(
                  recorded(5, key_stream("QRTVWXY2346789BCDFGHJKMPQ"), {kContoso},
                           KeyIssued{"QRTVWXY2346789BCDFGHJKMPQ", kContoso, "o-1",
                                     "office_professional_plus", KeyKind::multiple_activation, 0, 10, ""},
                           t))
                  .empty());
  EXPECT_TRUE(documents_of<OrdersProjection>(
                  recorded(6, merge_pair_stream(kContoso, kFabrikam), {kContoso, kFabrikam},
                           MergeInvitationSent{"inv-1", kContoso, kFabrikam, plus_days(t, 30)}, t))
                  .empty());
  // An order event whose stream is another account's names that account only,
  // whatever the event's account ids.
  EXPECT_EQ(documents_of<OrdersProjection>(recorded(7, account_stream(kFabrikam), {kFabrikam, kContoso},
                                                    OrderCancelled{"o-9"}, t)),
            std::vector<std::string>{kFabrikam});
}

TEST(OrdersProjection, orders_of_other_accounts_and_other_events_are_ignored) {
  const Instant t = day(2026, 3, 2, 9);
  const std::vector<RecordedEvent> log = {
      on_account(1, kContoso, placed("o-1001", "action_pack", PaymentMethod::card, kActionPackPrice), t),
      on_account(2, kFabrikam, placed("o-1001", "gold", PaymentMethod::wire, kGoldPrice, kFabrikam), t),
      on_account(3, kContoso, CardPaymentCharged{"o-1001", kActionPackPrice, "4242"}, t),
      on_account(4, kFabrikam, OrderExpired{"o-1001"}, plus_days(t, 30)),
      on_account(5, kContoso, UserAdded{kContoso, "u-2", "ben@contoso.com", "Ben", false, {}}, t),
  };
  const AccountOrders contoso = fold<OrdersProjection>(kContoso, log);
  const AccountOrders fabrikam = fold<OrdersProjection>(kFabrikam, log);

  ASSERT_EQ(contoso.orders.size(), 1u);
  EXPECT_EQ(contoso.orders.at("o-1001").offer_id, "action_pack");
  EXPECT_EQ(contoso.orders.at("o-1001").status, OrderStatus::paid);
  EXPECT_FALSE(contoso.orders.at("o-1001").expired_at.has_value());
  ASSERT_EQ(fabrikam.orders.size(), 1u);
  EXPECT_EQ(fabrikam.orders.at("o-1001").offer_id, "gold");
  EXPECT_EQ(fabrikam.orders.at("o-1001").status, OrderStatus::expired);
  EXPECT_TRUE(fabrikam.orders.at("o-1001").payments.empty());
}

}  // namespace
}  // namespace mledger::projections
