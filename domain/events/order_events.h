#pragma once
// Events of orders and memberships (on the account's stream, so that "one of
// each offer at a time" and the refund rules see one consistent history).

#include <string>
#include <string_view>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/money.h"
#include "domain/core/time.h"
#include "domain/events/account_events.h"

namespace mledger {

MLEDGER_ENUM(PaymentMethod, card, wire)

// R-ORD-01..04, R-ORD-07.
struct OrderPlaced {
  static constexpr std::string_view kName = "OrderPlaced";
  std::string order_id;
  std::string offer_id;
  PaymentMethod payment_method = PaymentMethod::card;
  Money list_price;
  Money price;                    // after discounts
  uint32_t discount_percent = 0;  // 25 for a Silver-to-Gold upgrade (R-ORD-07)
  std::string upgrade_from_order_id;
  PostalAddress billing_address;
  std::string order_number;  // wire orders: the number to quote on the transfer
  std::string placed_by_user_id;
  bool renewal = false;  // R-ORD-08: an order for an offer in its renewal window
  MLEDGER_FIELDS(order_id, offer_id, payment_method, list_price, price, discount_percent,
                 upgrade_from_order_id, billing_address, order_number, placed_by_user_id, renewal)
  friend bool operator==(const OrderPlaced&, const OrderPlaced&) = default;
};

// R-ORD-03: a declined card payment is recorded (auditors see the attempt).
struct OrderDeclined {
  static constexpr std::string_view kName = "OrderDeclined";
  std::string order_id;
  std::string offer_id;
  std::string reason;  // "payment_declined_address_mismatch"
  MLEDGER_FIELDS(order_id, offer_id, reason)
  friend bool operator==(const OrderDeclined&, const OrderDeclined&) = default;
};

struct CardPaymentCharged {
  static constexpr std::string_view kName = "CardPaymentCharged";
  std::string order_id;
  Money amount;
  std::string card_last4;
  MLEDGER_FIELDS(order_id, amount, card_last4)
  friend bool operator==(const CardPaymentCharged&, const CardPaymentCharged&) = default;
};

// R-ORD-04: recorded by the service actor.
struct WirePaymentRecorded {
  static constexpr std::string_view kName = "WirePaymentRecorded";
  std::string order_id;
  Money amount;
  std::string bank_reference;
  MLEDGER_FIELDS(order_id, amount, bank_reference)
  friend bool operator==(const WirePaymentRecorded&, const WirePaymentRecorded&) = default;
};

// R-ORD-04, R-ORD-08: the membership runs until `anniversary`.
struct MembershipActivated {
  static constexpr std::string_view kName = "MembershipActivated";
  std::string order_id;
  std::string offer_id;
  Instant anniversary;
  MLEDGER_FIELDS(order_id, offer_id, anniversary)
  friend bool operator==(const MembershipActivated&, const MembershipActivated&) = default;
};

// R-ORD-04: an unpaid wire order, 30 days after it was placed.
struct OrderExpired {
  static constexpr std::string_view kName = "OrderExpired";
  std::string order_id;
  MLEDGER_FIELDS(order_id)
  friend bool operator==(const OrderExpired&, const OrderExpired&) = default;
};

// R-ORD-05.
struct OrderCancellationRequested {
  static constexpr std::string_view kName = "OrderCancellationRequested";
  std::string order_id;
  MLEDGER_FIELDS(order_id)
  friend bool operator==(const OrderCancellationRequested&,
                         const OrderCancellationRequested&) = default;
};

struct OrderCancelled {
  static constexpr std::string_view kName = "OrderCancelled";
  std::string order_id;
  MLEDGER_FIELDS(order_id)
  friend bool operator==(const OrderCancelled&, const OrderCancelled&) = default;
};

// R-ORD-06: the membership of the order and its benefits end with the refund.
struct OrderRefunded {
  static constexpr std::string_view kName = "OrderRefunded";
  std::string order_id;
  Money amount;
  MLEDGER_FIELDS(order_id, amount)
  friend bool operator==(const OrderRefunded&, const OrderRefunded&) = default;
};

// R-ORD-07.
struct OrderMadeNonRefundable {
  static constexpr std::string_view kName = "OrderMadeNonRefundable";
  std::string order_id;
  std::string reason;
  MLEDGER_FIELDS(order_id, reason)
  friend bool operator==(const OrderMadeNonRefundable&, const OrderMadeNonRefundable&) = default;
};

// R-ORD-08: from the day after the anniversary, for 30 days.
struct RenewalWindowOpened {
  static constexpr std::string_view kName = "RenewalWindowOpened";
  std::string offer_id;
  Instant window_ends;
  MLEDGER_FIELDS(offer_id, window_ends)
  friend bool operator==(const RenewalWindowOpened&, const RenewalWindowOpened&) = default;
};

struct MembershipRenewed {
  static constexpr std::string_view kName = "MembershipRenewed";
  std::string offer_id;
  std::string order_id;
  Instant previous_anniversary;
  Instant anniversary;  // previous + 365 days
  MLEDGER_FIELDS(offer_id, order_id, previous_anniversary, anniversary)
  friend bool operator==(const MembershipRenewed&, const MembershipRenewed&) = default;
};

struct MembershipLapsed {
  static constexpr std::string_view kName = "MembershipLapsed";
  std::string offer_id;
  MLEDGER_FIELDS(offer_id)
  friend bool operator==(const MembershipLapsed&, const MembershipLapsed&) = default;
};

// R-BEN-04: the enrollment year of a membership ended at its anniversary.
struct EnrollmentYearEnded {
  static constexpr std::string_view kName = "EnrollmentYearEnded";
  std::string offer_id;
  Instant year_end;
  MLEDGER_FIELDS(offer_id, year_end)
  friend bool operator==(const EnrollmentYearEnded&, const EnrollmentYearEnded&) = default;
};

}  // namespace mledger
