#include "projections/orders.h"

#include <type_traits>

namespace mledger::projections {

namespace {

template <class E>
constexpr bool is_order_event =
    std::is_same_v<E, OrderPlaced> || std::is_same_v<E, OrderDeclined> ||
    std::is_same_v<E, CardPaymentCharged> || std::is_same_v<E, WirePaymentRecorded> ||
    std::is_same_v<E, MembershipActivated> || std::is_same_v<E, MembershipRenewed> ||
    std::is_same_v<E, OrderExpired> ||
    std::is_same_v<E, OrderCancellationRequested> || std::is_same_v<E, OrderCancelled> ||
    std::is_same_v<E, OrderRefunded> || std::is_same_v<E, OrderMadeNonRefundable>;

struct Fold {
  AccountOrders& doc;
  Instant at;

  OrderRecord& order(const std::string& id) {
    OrderRecord& o = doc.orders[id];
    o.order_id = id;
    return o;
  }
  void operator()(const OrderPlaced& x) {
    OrderRecord& o = order(x.order_id);
    o.offer_id = x.offer_id;
    o.order_number = x.order_number;
    o.payment_method = x.payment_method;
    o.list_price = x.list_price;
    o.price = x.price;
    o.discount_percent = x.discount_percent;
    o.upgrade_from_order_id = x.upgrade_from_order_id;
    o.renewal = x.renewal;
    o.placed_by_user_id = x.placed_by_user_id;
    o.placed_at = at;
    o.status = OrderStatus::awaiting_payment;
  }
  void operator()(const OrderDeclined& x) {
    OrderRecord& o = order(x.order_id);
    if (o.offer_id.empty()) o.offer_id = x.offer_id;
    o.declines.push_back({at, x.reason});
    o.status = OrderStatus::declined;
  }
  void operator()(const CardPaymentCharged& x) {
    OrderRecord& o = order(x.order_id);
    o.payments.push_back({at, PaymentMethod::card, x.amount, x.card_last4});
    o.status = OrderStatus::paid;
  }
  void operator()(const WirePaymentRecorded& x) {
    OrderRecord& o = order(x.order_id);
    o.payments.push_back({at, PaymentMethod::wire, x.amount, x.bank_reference});
    o.status = OrderStatus::paid;
  }
  void operator()(const MembershipActivated& x) { order(x.order_id).membership_activated_at = at; }
  // A renewal order (R-ORD-08) paid in the window renews the membership
  // instead of activating it: the order took effect all the same.
  void operator()(const MembershipRenewed& x) { order(x.order_id).membership_activated_at = at; }
  void operator()(const OrderExpired& x) {
    OrderRecord& o = order(x.order_id);
    o.expired_at = at;
    o.status = OrderStatus::expired;
  }
  void operator()(const OrderCancellationRequested& x) {
    order(x.order_id).cancellation_requested_at = at;
  }
  void operator()(const OrderCancelled& x) {
    OrderRecord& o = order(x.order_id);
    o.cancelled_at = at;
    o.status = OrderStatus::cancelled;
  }
  void operator()(const OrderRefunded& x) {
    OrderRecord& o = order(x.order_id);
    o.refunds.push_back({at, x.amount});
    o.status = OrderStatus::refunded;
  }
  void operator()(const OrderMadeNonRefundable& x) {
    order(x.order_id).non_refundable_reason = x.reason;
  }
  template <class Other>
  void operator()(const Other&) {}
};

}  // namespace

void OrdersProjection::documents_of(const RecordedEvent& e, std::vector<std::string>& ids) {
  std::string_view account = account_of_stream(e);
  if (account.empty()) return;
  const bool folded = std::visit(
      [](const auto& p) { return is_order_event<std::decay_t<decltype(p)>>; }, e.payload);
  if (folded) ids.emplace_back(account);
}

void OrdersProjection::touched(const Doc&, const std::string&, const RecordedEvent& e,
                               Touched& out) {
  std::visit(
      [&](const auto& p) {
        using E = std::decay_t<decltype(p)>;
        if constexpr (is_order_event<E>) out.entities.push_back({"orders", p.order_id});
      },
      e.payload);
}

void OrdersProjection::apply(Doc& doc, const std::string&, const RecordedEvent& e) {
  std::visit(Fold{doc, e.metadata.occurred_at}, e.payload);
}

}  // namespace mledger::projections
