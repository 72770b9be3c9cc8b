#pragma once
// Projection "orders": every order of an account with what happened to it:
// placement, payments, declines, cancellation, expiry, refunds (R-ORD-*).

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/account/account_state.h"
#include "projections/entities.h"
#include "projections/projection.h"

namespace mledger::projections {

struct OrderPayment {
  Instant at;
  PaymentMethod method = PaymentMethod::card;
  Money amount;
  std::string reference;  // card's last four digits or the bank reference
  MLEDGER_FIELDS(at, method, amount, reference)
  friend bool operator==(const OrderPayment&, const OrderPayment&) = default;
};

struct OrderDecline {
  Instant at;
  std::string reason;
  MLEDGER_FIELDS(at, reason)
  friend bool operator==(const OrderDecline&, const OrderDecline&) = default;
};

struct OrderRefund {
  Instant at;
  Money amount;
  MLEDGER_FIELDS(at, amount)
  friend bool operator==(const OrderRefund&, const OrderRefund&) = default;
};

struct OrderRecord {
  std::string order_id;
  std::string offer_id;
  std::string order_number;  // wire orders: the number to quote on the transfer
  PaymentMethod payment_method = PaymentMethod::card;
  Money list_price;
  Money price;
  uint32_t discount_percent = 0;
  std::string upgrade_from_order_id;
  bool renewal = false;
  std::string placed_by_user_id;
  std::optional<Instant> placed_at;  // absent for an order declined when placed
  OrderStatus status = OrderStatus::awaiting_payment;
  std::vector<OrderPayment> payments;
  std::vector<OrderDecline> declines;
  std::optional<Instant> membership_activated_at;  // MembershipActivated, or MembershipRenewed
                                                   // for a renewal order (R-ORD-08)
  std::optional<Instant> cancellation_requested_at;
  std::optional<Instant> cancelled_at;
  std::optional<Instant> expired_at;
  std::vector<OrderRefund> refunds;
  std::optional<std::string> non_refundable_reason;
  MLEDGER_FIELDS(order_id, offer_id, order_number, payment_method, list_price, price,
                 discount_percent, upgrade_from_order_id, renewal, placed_by_user_id, placed_at,
                 status, payments, declines, membership_activated_at, cancellation_requested_at,
                 cancelled_at, expired_at, refunds, non_refundable_reason)
  friend bool operator==(const OrderRecord&, const OrderRecord&) = default;
};

struct AccountOrders {
  std::map<std::string, OrderRecord> orders;  // by order id
  MLEDGER_FIELDS(orders)
  friend bool operator==(const AccountOrders&, const AccountOrders&) = default;
};

struct OrdersProjection {
  using Doc = AccountOrders;
  static constexpr std::string_view kName = "orders";
  // 2: renewal orders fold MembershipRenewed; 3: a document per order, binary (issue 13)
  static constexpr uint32_t kVersion = 3;
  static constexpr std::array<std::string_view, 1> kEntityKinds = {"orders"};
  static void documents_of(const RecordedEvent& e, std::vector<std::string>& ids);
  static void apply(Doc& doc, const std::string& account_id, const RecordedEvent& e);
  // The one order the event names.
  static void touched(const Doc& before, const std::string& account_id, const RecordedEvent& e,
                      Touched& out);
};

}  // namespace mledger::projections
