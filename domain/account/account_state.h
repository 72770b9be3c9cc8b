#pragma once
// The partner account as its deciders see it: a fold of the events of its
// stream ("account-<id>"): company, verification, users, locations, tenants,
// settings, programs, orders, memberships, benefits, keys' effects, and the
// merge that may have ended it. Pure; every time comes from the events.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/core/actor.h"
#include "domain/core/fields.h"
#include "domain/events/event.h"

namespace mledger {

struct AccountUser {
  std::string email;
  std::string display_name;
  bool guest = false;
  std::vector<Role> roles;
  bool has_role(Role r) const;
  MLEDGER_FIELDS(email, display_name, guest, roles)
  friend bool operator==(const AccountUser&, const AccountUser&) = default;
};

MLEDGER_ENUM(VerificationStatus, pending, authorized, rejected)

struct Verification {
  VerificationStatus status = VerificationStatus::pending;
  bool email_confirmed = false;
  uint32_t emails_sent = 0;
  std::optional<Instant> last_email_sent;
  std::vector<std::string> fields_to_correct;  // while rejected
  std::set<std::string> corrected_since_rejection;
  MLEDGER_FIELDS(status, email_confirmed, emails_sent, last_email_sent, fields_to_correct, corrected_since_rejection)
  friend bool operator==(const Verification&, const Verification&) = default;
};

struct Location {
  std::string location_partner_id;
  std::string name;
  PostalAddress address;
  MLEDGER_FIELDS(location_partner_id, name, address)
  friend bool operator==(const Location&, const Location&) = default;
};

struct Tenant {
  std::string domain;
  bool primary = false;
  MLEDGER_FIELDS(domain, primary)
  friend bool operator==(const Tenant&, const Tenant&) = default;
};

MLEDGER_ENUM(OrderStatus, awaiting_payment, declined, paid, expired, cancelled, refunded)

struct Order {
  std::string order_id;
  std::string offer_id;
  PaymentMethod payment_method = PaymentMethod::card;
  Money price;
  Instant placed_at;
  OrderStatus status = OrderStatus::awaiting_payment;
  bool renewal = false;
  bool cancellation_requested = false;
  bool non_refundable = false;
  std::string upgrade_from_order_id;
  std::set<std::string> revealed_products;  // R-KEY-02
  MLEDGER_FIELDS(order_id, offer_id, payment_method, price, placed_at, status, renewal, cancellation_requested, non_refundable, upgrade_from_order_id, revealed_products)
  friend bool operator==(const Order&, const Order&) = default;
};

MLEDGER_ENUM(MembershipStatus, active, renewal_window, lapsed, ended)

struct Membership {
  std::string offer_id;
  std::string order_id;  // the order that activated (or last renewed) it
  Instant anniversary;
  MembershipStatus status = MembershipStatus::active;
  // Active or in its renewal window: benefits continue (R-ORD-08).
  bool live() const {
    return status == MembershipStatus::active || status == MembershipStatus::renewal_window;
  }
  MLEDGER_FIELDS(offer_id, order_id, anniversary, status)
  friend bool operator==(const Membership&, const Membership&) = default;
};

struct Allocation {
  std::string benefit_id;
  std::string offer_id;
  std::string order_id;
  std::string catalogue_benefit_id;
  BenefitKind kind = BenefitKind::licensed_product;
  BenefitType type = BenefitType::core;
  uint32_t quantity = 0;
  Instant expiry;
  Money credit_amount;
  bool ended = false;
  std::map<std::string, Instant> assignees;  // user id -> since (R-BEN-05)
  uint32_t used = 0;  // incidents, hours or requests used (technical kinds)
  bool ever_used = false;  // assigned, requested or consumed once (R-ORD-06)
  // The membership term the allocation belongs to (R-ORD-08, R-MRG-05). While
  // `current_term`, the term ends at its membership's anniversary, which a
  // merge may move; once a renewal (or a merge) closed it, at
  // `term_anniversary`, the anniversary the term had when it closed.
  Instant term_anniversary;
  bool current_term = true;
  MLEDGER_FIELDS(benefit_id, offer_id, order_id, catalogue_benefit_id, kind, type, quantity, expiry, credit_amount, ended, assignees, used, ever_used, term_anniversary, current_term)
  friend bool operator==(const Allocation&, const Allocation&) = default;
};

struct TechnicalRequest {
  std::string benefit_id;
  bool completed = false;
  std::string access_id;
  std::string contract_id;
  MLEDGER_FIELDS(benefit_id, completed, access_id, contract_id)
  friend bool operator==(const TechnicalRequest&, const TechnicalRequest&) = default;
};

MLEDGER_ENUM(GoToMarketStatus, requested, active, expired)

struct GoToMarketRequest {
  std::string offer_id;  // the go-to-market offer
  std::string benefit_id;
  GoToMarketStatus status = GoToMarketStatus::requested;
  Instant expiry;
  MLEDGER_FIELDS(offer_id, benefit_id, status, expiry)
  friend bool operator==(const GoToMarketRequest&, const GoToMarketRequest&) = default;
};

struct KeySubscription {
  uint32_t seats = 0;
  Instant end;
  MLEDGER_FIELDS(seats, end)
  friend bool operator==(const KeySubscription&, const KeySubscription&) = default;
};

// The ids of what retire_closed (domain/account/retire.h) moved out of the
// decision state: settled orders and finished requests. Their ids stay, so a
// reused id is still rejected and a command naming one is answered as before.
// Empty in a state folded with `apply` alone (the read models' full state).
struct RetiredIds {
  std::set<std::string> orders;  // declined, expired, cancelled or refunded
  std::set<std::string> technical_requests;  // completed
  std::set<std::string> go_to_market_requests;  // expired
  MLEDGER_FIELDS(orders, technical_requests, go_to_market_requests)
  friend bool operator==(const RetiredIds&, const RetiredIds&) = default;
};

struct AccountState {
  bool enrolled = false;
  std::string account_id;
  std::string merged_into;  // R-MRG-05: set once merged away
  std::string legal_name;
  PostalAddress address;
  std::string phone;
  ContactPerson primary_contact;
  CompanySource source = CompanySource::entered_by_hand;  // R-ACC-03
  std::string duns_number;
  bool address_validated = false;  // validated at enrollment (R-ACC-03)
  Instant enrolled_at;
  std::string company_info_presence;  // R-ACC-04: non-empty = read-only
  Verification verification;
  std::map<std::string, AccountUser> users;  // by user id
  std::vector<Location> locations;
  uint32_t locations_added = 0;  // minted location ids so far
  std::map<std::string, Tenant> tenants;  // by tenant id
  std::string default_email;
  std::string alternate_email;
  std::set<std::string> programs;
  bool suspended = false;
  std::optional<Instant> last_business_review;
  std::set<std::string> competency_levels;
  std::optional<MarketingContactAssigned> marketing_contact;
  std::map<std::string, Order> orders;
  std::map<std::string, Membership> memberships;  // by offer id
  std::map<std::string, Allocation> allocations;  // by benefit id
  std::map<std::string, TechnicalRequest> technical_requests;  // by request id
  std::map<std::string, GoToMarketRequest> go_to_market_requests;  // by request id
  std::set<std::string> incidents;  // incident ids recorded
  std::map<std::string, KeySubscription> subscriptions;  // by product
  // R-BEN-04: other licensing, prepaid and credit offers each user holds.
  std::map<std::string, std::vector<LicensingOffer>> user_licensing_offers;  // by user id, sorted
  RetiredIds retired;  // what the decision fold retired (domain/account/retire.h)

  size_t global_admin_count() const;
  // The order, or for a retired order a settled stand-in (status cancelled):
  // every rule treats all settled orders alike. Null when there never was one.
  const Order* find_order(const std::string& order_id) const;
  // Whether the account ever had the order (live or retired).
  bool has_order(const std::string& order_id) const;
  bool has_technical_request(const std::string& request_id) const;
  bool has_go_to_market_request(const std::string& request_id) const;
  MLEDGER_FIELDS(enrolled, account_id, merged_into, legal_name, address, phone, primary_contact,
                 source, duns_number, address_validated, enrolled_at, company_info_presence,
                 verification, users, locations, locations_added, tenants, default_email,
                 alternate_email, programs, suspended, last_business_review, competency_levels,
                 marketing_contact, orders, memberships, allocations, technical_requests,
                 go_to_market_requests, incidents, subscriptions, user_licensing_offers, retired)
  friend bool operator==(const AccountState&, const AccountState&) = default;
};

// R-ORD-09: a benefit's expiry (the last day to activate it) for a term that
// ends at `anniversary`: the anniversary itself, or for user-assigned Visual
// Studio subscriptions 30 days after it. `term_anniversary_of_expiry` inverts it.
Instant benefit_expiry(BenefitKind kind, Instant anniversary);
Instant term_anniversary_of_expiry(BenefitKind kind, Instant expiry);

// The anniversary that ends the allocation's membership term (its enrollment
// year, R-BEN-04): its membership's anniversary while the term is current and
// the membership live, else the term's own (R-ORD-08, R-MRG-05).
Instant term_end(const AccountState& account, const Allocation& allocation);

// The first instant at which the allocation can no longer be used: the end of
// its term's renewal window (benefits continue during it, R-ORD-08), which is
// also the end of Visual Studio's 30 days past the renewal date (R-ORD-09).
Instant usable_until(const AccountState& account, const Allocation& allocation);

// Whether the allocation can be used at `now`: not ended and before usable_until.
bool usable(const AccountState& account, const Allocation& allocation, Instant now);

// Whether `user_id` holds the allocation at `now`: assigned to them and usable.
// Assignments of a term whose window has passed are history, not holdings.
bool holds(const AccountState& account, const Allocation& allocation,
           const std::string& user_id, Instant now);

// Applies one event of the account's stream, which occurred at `at` (the
// command's business time). Pure; total over EventPayload (events of other
// streams leave the state as it is).
AccountState evolve(AccountState state, const EventPayload& event, Instant at);
void apply(AccountState& state, const EventPayload& event, Instant at);

}  // namespace mledger
