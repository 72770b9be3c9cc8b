// Deciders of orders, payments, cancellations, refunds and memberships (R-ORD-*).

#include <algorithm>
#include <cctype>

#include "domain/account/periods.h"
#include "domain/account/enroll.h"
#include "domain/core/postal_code.h"
#include "domain/decide/decide_support.h"

namespace mledger::decide_detail {

namespace {


std::string normalized(std::string_view s, bool drop_spaces) {
  std::string out;
  bool space = false;
  for (unsigned char ch : s) {
    if (std::isspace(ch)) {
      space = !out.empty();
      continue;
    }
    if (space && !drop_spaces) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::toupper(ch)));
  }
  return out;
}

// R-ORD-03: the billing address matches the card's, and the postal codes
// correspond: the same code, in the form of the card's country.
bool billing_matches_card(const PostalAddress& billing, const PostalAddress& card) {
  return normalized(billing.line1, false) == normalized(card.line1, false) &&
         normalized(billing.city, false) == normalized(card.city, false) &&
         normalized(billing.country, true) == normalized(card.country, true) &&
         normalized_postal_code(billing.postal_code) == normalized_postal_code(card.postal_code) &&
         postal_code_fits(normalized(card.country, true), card.postal_code);
}

// R-ORD-03: the billing address's postal code has its country's form.
Verdict check_billing_postal_code(const PostalAddress& billing) {
  if (postal_code_fits(billing.country, billing.postal_code)) return std::nullopt;
  return reject(RejectionCode::postal_code_invalid,
                "billing postal code '" + billing.postal_code.substr(0, 16) + "' is not a postal code of " +
                    billing.country + " (forms: " + std::string(*postal_code_forms(billing.country)) +
                    ", 9 a digit, A a letter)");
}

// R-ORD-08: the window is the 30 days that start at the anniversary.
bool in_renewal_window(const Membership& m, Instant now) {
  return m.live() && now >= m.anniversary && within_period(m.anniversary, kRenewalWindowDays, now);
}


const Order* find_order(const Ctx& c, const std::string& id) { return c.account.find_order(id); }

Verdict order_not_found(const std::string& id) {
  return reject(RejectionCode::order_not_found, "order " + id.substr(0, 64) + " does not exist");
}

// Pays off an order: the membership starts (or renews) and its benefits are allocated.
void activate(Ctx& c, const std::string& order_id, const std::string& offer_id,
              const std::string& upgrade_from_order_id) {
  const OfferCatalogue& catalogue = c.agg.catalogue();
  const OfferSpec* offer = catalogue.find_offer(offer_id);
  auto m = c.account.memberships.find(offer_id);
  Instant anniversary;
  if (m != c.account.memberships.end() && m->second.live() && c.now() >= m->second.anniversary) {
    anniversary = plus_days(m->second.anniversary, kYearDays);
    c.to_account(MembershipRenewed{offer_id, order_id, m->second.anniversary, anniversary});
  } else {
    anniversary = plus_days(c.now(), kYearDays);
    c.to_account(MembershipActivated{order_id, offer_id, anniversary});
  }
  if (offer != nullptr) allocate_benefits(c, *offer, order_id, anniversary, catalogue.version);
  if (!upgrade_from_order_id.empty() && c.account.has_order(upgrade_from_order_id)) {
    c.to_account(OrderMadeNonRefundable{upgrade_from_order_id, "upgraded to " + offer_id});
  }
}

}  // namespace

void allocate_benefits(Ctx& c, const OfferSpec& offer, const std::string& order_id,
                       Instant anniversary, const std::string& catalogue_version) {
  for (const BenefitSpec& b : offer.benefits) {
    BenefitsAllocated e;
    e.benefit_id = c.cmd.account_id + "/" + order_id + "/" + b.benefit_id;
    e.offer_id = offer.offer_id;
    e.order_id = order_id;
    e.kind = b.kind;
    e.type = b.type;
    e.quantity = b.quantity;
    // R-ORD-09: the last day to activate; user-assigned benefits (Visual
    // Studio) stay usable 30 days past the renewal date.
    e.expiry = benefit_expiry(b.kind, anniversary);
    e.credit_amount = b.credit_amount;
    e.catalogue_benefit_id = b.benefit_id;
    e.catalogue_version = catalogue_version;
    c.to_account(std::move(e));
  }
}

namespace {

// R-ORD-01, R-ORD-02, R-ORD-08: whether the account may buy `offer` now, and
// whether the order renews its membership.
Verdict check_purchasable(const Ctx& c, const OfferSpec& offer, bool* renewal) {
  const AccountState& a = c.account;
  if (a.suspended) return reject(RejectionCode::account_suspended, "a suspended account cannot buy");
  if (a.global_admin_count() == 0) {
    return reject(RejectionCode::no_global_admin, "the account has no global admin; purchases need one");
  }
  const std::string& needed = offer.required_competency;
  if (!needed.empty() && !a.competency_levels.contains("gold") &&
      !(needed == "silver" && a.competency_levels.contains("silver"))) {
    return reject(RejectionCode::competency_required, offer.offer_id + " needs a " + needed + " competency");
  }
  *renewal = false;
  if (auto m = a.memberships.find(offer.offer_id); m != a.memberships.end() && m->second.live()) {
    if (in_renewal_window(m->second, c.now())) {
      *renewal = true;
    } else if (c.now() < m->second.anniversary) {
      return reject(RejectionCode::offer_already_active,
                    offer.offer_id + " is already active until " + format_rfc3339(m->second.anniversary) +
                        "; one of each offer at a time");
    } else {
      return reject(RejectionCode::renewal_window_closed,
                    "the renewal window of " + offer.offer_id + " closed 30 days after " +
                        format_rfc3339(m->second.anniversary));
    }
  }
  for (const auto& [id, o] : a.orders) {
    if (o.offer_id == offer.offer_id && o.status == OrderStatus::awaiting_payment) {
      return reject(RejectionCode::offer_already_active,
                    "order " + id + " for " + offer.offer_id + " awaits payment; cancel it first");
    }
  }
  if (*renewal && (!a.last_business_review ||
                   !within_period(*a.last_business_review, kReviewDays, c.now()))) {
    return reject(RejectionCode::business_info_review_required,
                  "renewal needs a global or account admin to have reviewed the business "
                  "information in the last 30 days");
  }
  return std::nullopt;
}

// The OrderPlaced of an order that passed its checks, priced (R-ORD-07: a Gold
// order that is not a renewal, while Silver is live, gets the upgrade discount).
OrderPlaced priced_order(const Ctx& c, const PlaceOrder& cmd, const OfferSpec& offer, bool renewal) {
  const AccountState& a = c.account;
  OrderPlaced placed;
  placed.order_id = cmd.order_id;
  placed.offer_id = cmd.offer_id;
  placed.payment_method = cmd.payment_method;
  placed.list_price = offer.price;
  placed.price = offer.price;
  placed.billing_address = cmd.billing_address;
  placed.placed_by_user_id = c.user();
  placed.renewal = renewal;
  if (renewal || offer.upgrade_from_offer_id.empty()) return placed;
  auto from = a.memberships.find(offer.upgrade_from_offer_id);
  if (from == a.memberships.end() || !from->second.live()) return placed;
  placed.discount_percent = offer.upgrade_discount_percent;
  // The Silver order becomes non-refundable; a Silver membership a merge
  // brought in was bought by the other account, whose orders stay its own.
  if (a.has_order(from->second.order_id)) placed.upgrade_from_order_id = from->second.order_id;
  placed.price.amount_minor =
      offer.price.amount_minor - offer.price.amount_minor * offer.upgrade_discount_percent / 100;
  return placed;
}

// R-ORD-03, R-ORD-04: a card order is charged and activated at once, or
// declined (and the decline recorded).
Verdict charge_card(Ctx& c, const PlaceOrder& cmd, OrderPlaced placed) {
  if (!cmd.card) {
    return reject(RejectionCode::card_details_required, "a card order needs the card's details");
  }
  if (cmd.card->last4.size() != 4 ||
      !std::all_of(cmd.card->last4.begin(), cmd.card->last4.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return reject(RejectionCode::card_details_required, "card last4 must be 4 digits");
  }
  if (!billing_matches_card(cmd.billing_address, cmd.card->address)) {
    c.to_account(OrderDeclined{cmd.order_id, cmd.offer_id,
                               std::string(code_name(RejectionCode::payment_declined_address_mismatch))});
    return std::nullopt;
  }
  const std::string upgrade_from = placed.upgrade_from_order_id;
  const Money price = placed.price;
  c.to_account(std::move(placed));
  c.to_account(CardPaymentCharged{cmd.order_id, price, cmd.card->last4});
  activate(c, cmd.order_id, cmd.offer_id, upgrade_from);
  return std::nullopt;
}

}  // namespace

Verdict on(const PlaceOrder& cmd, Ctx& c) {
  if (!is_identifier(cmd.order_id, 64)) {
    return reject(RejectionCode::order_id_invalid,
                  "order id must be 1-64 letters, digits, '.', '_', ':' or '-'");
  }
  if (c.account.has_order(cmd.order_id)) {
    return reject(RejectionCode::order_already_exists, "order " + cmd.order_id + " already exists");
  }
  const OfferCatalogue& catalogue = c.agg.catalogue();
  const OfferSpec* offer = catalogue.find_offer(cmd.offer_id);
  if (offer == nullptr) {
    return reject(RejectionCode::offer_unknown,
                  "offer '" + cmd.offer_id.substr(0, 64) + "' is not in the catalogue " + catalogue.version);
  }
  bool renewal = false;
  if (auto r = check_purchasable(c, *offer, &renewal)) return r;
  if (auto r = check_postal_address(cmd.billing_address, RejectionCode::address_incomplete)) return r;
  if (auto r = check_billing_postal_code(cmd.billing_address)) return r;
  OrderPlaced placed = priced_order(c, cmd, *offer, renewal);
  if (cmd.payment_method == PaymentMethod::card) return charge_card(c, cmd, std::move(placed));
  if (cmd.card) {
    return reject(RejectionCode::card_details_not_allowed, "a wire order carries no card");
  }
  placed.order_number = "WO-" + c.cmd.account_id + "-" + cmd.order_id;
  c.to_account(std::move(placed));
  return std::nullopt;
}

Verdict on(const RecordWirePayment& cmd, Ctx& c) {
  const Order* o = find_order(c, cmd.order_id);
  if (o == nullptr) return order_not_found(cmd.order_id);
  if (o->payment_method != PaymentMethod::wire || o->status != OrderStatus::awaiting_payment) {
    return reject(RejectionCode::order_not_awaiting_payment,
                  "order " + cmd.order_id + " is not a wire order awaiting payment");
  }
  // Expired from the instant ExpireWireOrder may record it (R-ORD-04).
  if (!within_period(o->placed_at, kWireOrderDays, c.now())) {
    return reject(RejectionCode::wire_order_expired,
                  "wire order " + cmd.order_id + " expired 30 days after it was placed");
  }
  if (auto r = check_money(cmd.amount)) return r;
  if (cmd.amount != o->price) {
    return reject(RejectionCode::payment_amount_mismatch,
                  "payment of " + std::to_string(cmd.amount.amount_minor) + " " + cmd.amount.currency +
                      " does not match the order's price of " + std::to_string(o->price.amount_minor) +
                      " " + o->price.currency);
  }
  if (auto r = check_text("bank_reference", cmd.bank_reference, 128)) return r;
  const std::string offer_id = o->offer_id;
  std::string upgrade_from;
  if (c.account.has_order(o->upgrade_from_order_id)) upgrade_from = o->upgrade_from_order_id;
  c.to_account(WirePaymentRecorded{cmd.order_id, cmd.amount, cmd.bank_reference});
  activate(c, cmd.order_id, offer_id, upgrade_from);
  return std::nullopt;
}

Verdict on(const RequestOrderCancellation& cmd, Ctx& c) {
  const Order* o = find_order(c, cmd.order_id);
  if (o == nullptr) return order_not_found(cmd.order_id);
  if (o->status != OrderStatus::awaiting_payment) {
    return reject(RejectionCode::order_not_cancellable,
                  "order " + cmd.order_id + " was actioned (paid, expired, cancelled or declined); "
                  "only unactioned orders cancel");
  }
  if (o->cancellation_requested) {
    return reject(RejectionCode::cancellation_already_requested,
                  "cancellation of order " + cmd.order_id + " was already requested; confirm it");
  }
  c.to_account(OrderCancellationRequested{cmd.order_id});
  return std::nullopt;
}

Verdict on(const ConfirmOrderCancellation& cmd, Ctx& c) {
  const Order* o = find_order(c, cmd.order_id);
  if (o == nullptr) return order_not_found(cmd.order_id);
  if (o->status != OrderStatus::awaiting_payment) {
    return reject(RejectionCode::order_not_cancellable,
                  "order " + cmd.order_id + " was actioned; only unactioned orders cancel");
  }
  if (!o->cancellation_requested) {
    return reject(RejectionCode::cancellation_not_requested,
                  "cancelling takes two steps: request the cancellation of " + cmd.order_id + " first");
  }
  c.to_account(OrderCancelled{cmd.order_id});
  return std::nullopt;
}

Verdict on(const RefundOrder& cmd, Ctx& c) {
  const Order* o = find_order(c, cmd.order_id);
  if (o == nullptr) return order_not_found(cmd.order_id);
  if (o->status != OrderStatus::paid) {
    return reject(RejectionCode::order_not_paid, "order " + cmd.order_id + " is not a paid order");
  }
  if (o->non_refundable) {
    return reject(RejectionCode::order_not_refundable,
                  "order " + cmd.order_id + " became non-refundable with an upgrade");
  }
  // R-ORD-07: an upgrade awaiting payment was priced with this order's discount.
  for (const auto& [id, other] : c.account.orders) {
    if (other.upgrade_from_order_id == cmd.order_id && other.status == OrderStatus::awaiting_payment) {
      return reject(RejectionCode::order_not_refundable,
                    "order " + id + " upgrades order " + cmd.order_id +
                        " at a discount and awaits payment; cancel it first");
    }
  }
  if (!within_period(o->placed_at, kRefundDays, c.now())) {
    return reject(RejectionCode::refund_window_closed,
                  "a refund is requested within 30 days of purchase; order " + cmd.order_id +
                      " was placed " + format_rfc3339(o->placed_at));
  }
  if (!o->revealed_products.empty()) {
    return reject(RejectionCode::refund_benefits_used,
                  "keys of order " + cmd.order_id + " were revealed; the order is not refundable");
  }
  BenefitsEnded ended{o->offer_id, {}};
  const std::string own_prefix = c.cmd.account_id + "/" + cmd.order_id + "/";
  for (const auto& [id, alloc] : c.account.allocations) {
    if (!id.starts_with(own_prefix)) continue;  // not this order's (benefits moved by a merge keep theirs)
    if (alloc.ever_used) {
      return reject(RejectionCode::refund_benefits_used,
                    "benefit " + id + " of order " + cmd.order_id +
                        " was assigned, activated or used; the order is not refundable");
    }
    if (!alloc.ended) ended.benefit_ids.push_back(id);
  }
  c.to_account(OrderRefunded{cmd.order_id, o->price});
  if (!ended.benefit_ids.empty()) c.to_account(std::move(ended));
  return std::nullopt;
}

Verdict on(const ExpireWireOrder& cmd, Ctx& c) {
  const Order* o = find_order(c, cmd.order_id);
  if (o == nullptr) return order_not_found(cmd.order_id);
  if (o->payment_method != PaymentMethod::wire || o->status != OrderStatus::awaiting_payment) {
    return reject(RejectionCode::order_not_awaiting_payment,
                  "order " + cmd.order_id + " is not a wire order awaiting payment");
  }
  if (within_period(o->placed_at, kWireOrderDays, c.now())) {
    return reject(RejectionCode::wire_order_not_yet_expired,
                  "wire order " + cmd.order_id + " expires at " +
                      format_rfc3339(period_end(o->placed_at, kWireOrderDays)));
  }
  c.to_account(OrderExpired{cmd.order_id});
  return std::nullopt;
}

Verdict on(const OpenRenewalWindow& cmd, Ctx& c) {
  auto m = c.account.memberships.find(cmd.offer_id);
  if (m == c.account.memberships.end() || !m->second.live()) {
    return reject(RejectionCode::membership_not_found, "no live membership of " + cmd.offer_id.substr(0, 64));
  }
  if (m->second.status == MembershipStatus::renewal_window) {
    return reject(RejectionCode::renewal_window_already_open,
                  "the renewal window of " + cmd.offer_id + " is already open");
  }
  if (c.now() < m->second.anniversary) {
    return reject(RejectionCode::renewal_window_not_open,
                  "the renewal window opens at the anniversary " +
                      format_rfc3339(m->second.anniversary));
  }
  c.to_account(EnrollmentYearEnded{cmd.offer_id, m->second.anniversary});
  c.to_account(RenewalWindowOpened{cmd.offer_id, period_end(m->second.anniversary, kRenewalWindowDays)});
  return std::nullopt;
}

Verdict on(const LapseMembership& cmd, Ctx& c) {
  auto m = c.account.memberships.find(cmd.offer_id);
  if (m == c.account.memberships.end() || !m->second.live()) {
    return reject(RejectionCode::membership_not_found, "no live membership of " + cmd.offer_id.substr(0, 64));
  }
  const Instant window_end = period_end(m->second.anniversary, kRenewalWindowDays);
  if (c.now() < window_end) {
    return reject(RejectionCode::membership_not_lapsable,
                  cmd.offer_id + " can still be renewed until " + format_rfc3339(window_end));
  }
  for (const auto& [id, o] : c.account.orders) {
    if (o.offer_id == cmd.offer_id && o.renewal && o.status == OrderStatus::awaiting_payment) {
      return reject(RejectionCode::membership_not_lapsable,
                    "renewal order " + id + " placed in the window awaits payment");
    }
  }
  BenefitsEnded ended{cmd.offer_id, {}};
  for (const auto& [id, alloc] : c.account.allocations) {
    if (alloc.offer_id == cmd.offer_id && !alloc.ended) ended.benefit_ids.push_back(id);
  }
  c.to_account(MembershipLapsed{cmd.offer_id});
  if (!ended.benefit_ids.empty()) c.to_account(std::move(ended));
  return std::nullopt;
}

}  // namespace mledger::decide_detail
