#pragma once
// Commands of orders, payments, cancellations, refunds and memberships (R-ORD-*).

#include <optional>
#include <string>
#include <string_view>

#include "domain/core/fields.h"
#include "domain/core/money.h"
#include "domain/events/order_events.h"

namespace mledger {

// R-ORD-03: what the card issuer knows about the card.
struct CardDetails {
  std::string last4;
  PostalAddress address;  // the card's billing address on file
  MLEDGER_FIELDS(last4, address)
};

// R-ORD-01..04, R-ORD-07, R-ORD-08 (an order in the renewal window renews).
struct PlaceOrder {
  static constexpr std::string_view kName = "place_order";
  std::string order_id;  // client-chosen, unique within the account
  std::string offer_id;
  PaymentMethod payment_method = PaymentMethod::card;
  PostalAddress billing_address;
  std::optional<CardDetails> card;  // card orders only
  MLEDGER_FIELDS(order_id, offer_id, payment_method, billing_address, card)
};

// R-ORD-04 (service).
struct RecordWirePayment {
  static constexpr std::string_view kName = "record_wire_payment";
  std::string order_id;
  Money amount;
  std::string bank_reference;
  MLEDGER_FIELDS(order_id, amount, bank_reference)
};

// R-ORD-05.
struct RequestOrderCancellation {
  static constexpr std::string_view kName = "request_order_cancellation";
  std::string order_id;
  MLEDGER_FIELDS(order_id)
};

struct ConfirmOrderCancellation {
  static constexpr std::string_view kName = "confirm_order_cancellation";
  std::string order_id;
  MLEDGER_FIELDS(order_id)
};

// R-ORD-06.
struct RefundOrder {
  static constexpr std::string_view kName = "refund_order";
  std::string order_id;
  MLEDGER_FIELDS(order_id)
};

// Time-driven (service, or `mledger tick`).
// R-ORD-04: an unpaid wire order 30 days after it was placed.
struct ExpireWireOrder {
  static constexpr std::string_view kName = "expire_wire_order";
  std::string order_id;
  MLEDGER_FIELDS(order_id)
};

// R-ORD-08, R-BEN-04: the anniversary passed: the enrollment year ends and the
// renewal window opens.
struct OpenRenewalWindow {
  static constexpr std::string_view kName = "open_renewal_window";
  std::string offer_id;
  MLEDGER_FIELDS(offer_id)
};

// R-ORD-08: the window closed without a renewal.
struct LapseMembership {
  static constexpr std::string_view kName = "lapse_membership";
  std::string offer_id;
  MLEDGER_FIELDS(offer_id)
};

}  // namespace mledger
