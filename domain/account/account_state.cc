#include "domain/account/account_state.h"

#include <algorithm>
#include <cassert>

#include "domain/account/periods.h"

namespace mledger {

Instant benefit_expiry(BenefitKind kind, Instant anniversary) {
  return kind == BenefitKind::visual_studio ? period_end(anniversary, kUserBenefitGraceDays)
                                            : anniversary;
}

Instant term_anniversary_of_expiry(BenefitKind kind, Instant expiry) {
  return kind == BenefitKind::visual_studio ? plus_days(expiry, -kUserBenefitGraceDays) : expiry;
}

Instant term_end(const AccountState& account, const Allocation& a) {
  if (!a.current_term) return a.term_anniversary;
  auto m = account.memberships.find(a.offer_id);
  if (m == account.memberships.end() || !m->second.live()) return a.term_anniversary;
  return std::max(a.term_anniversary, m->second.anniversary);
}

Instant usable_until(const AccountState& account, const Allocation& a) {
  const int64_t days =
      a.kind == BenefitKind::visual_studio ? kUserBenefitGraceDays : kRenewalWindowDays;
  return period_end(term_end(account, a), days);
}

bool usable(const AccountState& account, const Allocation& a, Instant now) {
  return !a.ended && now < usable_until(account, a);
}

bool holds(const AccountState& account, const Allocation& a, const std::string& user_id,
           Instant now) {
  return a.assignees.contains(user_id) && usable(account, a, now);
}

bool AccountUser::has_role(Role r) const {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

size_t AccountState::global_admin_count() const {
  return static_cast<size_t>(std::count_if(users.begin(), users.end(), [](const auto& u) {
    return u.second.has_role(Role::global_admin);
  }));
}

const Order* AccountState::find_order(const std::string& order_id) const {
  static const Order kSettled = [] {
    Order o;
    o.status = OrderStatus::cancelled;
    return o;
  }();
  auto it = orders.find(order_id);
  if (it != orders.end()) return &it->second;
  return retired.orders.contains(order_id) ? &kSettled : nullptr;
}

bool AccountState::has_order(const std::string& order_id) const {
  return orders.contains(order_id) || retired.orders.contains(order_id);
}

bool AccountState::has_technical_request(const std::string& request_id) const {
  return technical_requests.contains(request_id) || retired.technical_requests.contains(request_id);
}

bool AccountState::has_go_to_market_request(const std::string& request_id) const {
  return go_to_market_requests.contains(request_id) ||
         retired.go_to_market_requests.contains(request_id);
}

namespace {

struct Apply {
  AccountState& s;
  Instant at;

  Order& order(const std::string& id) {
    auto it = s.orders.find(id);
    assert(it != s.orders.end() && "event names an order the account never placed");
    return it->second;
  }
  Allocation& allocation(const std::string& id) {
    auto it = s.allocations.find(id);
    assert(it != s.allocations.end() && "event names a benefit the account was never allocated");
    return it->second;
  }
  // The benefits this account was allocated for one of its orders (benefits a
  // merge moved in keep the invitee's prefix, and their own order ids).
  void end_benefits_of_order(const std::string& order_id) {
    const std::string prefix = s.account_id + "/" + order_id + "/";
    for (auto& [id, a] : s.allocations) {
      if (id.starts_with(prefix)) a.ended = true;
    }
  }

  void operator()(const PartnerAccountEnrolled& e) {
    assert(!s.enrolled);
    s.enrolled = true;
    s.account_id = e.account_id;
    s.legal_name = e.legal_name;
    s.address = e.address;
    s.phone = e.phone;
    s.primary_contact = e.primary_contact;
    s.default_email = e.primary_contact.email;
    s.source = e.source;
    s.duns_number = e.duns_number;
    s.address_validated = e.address_validation.has_value();
    s.enrolled_at = at;
  }
  void operator()(const CompanyInfoUpdated& e) {
    s.legal_name = e.legal_name;
    s.address = e.address;
    s.phone = e.phone;
    if (s.verification.status == VerificationStatus::rejected) {
      for (const auto& f : e.changed_fields) s.verification.corrected_since_rejection.insert(f);
    }
  }
  void operator()(const CompanyInfoLocked& e) { s.company_info_presence = e.presence; }
  void operator()(const VerificationEmailSent& e) {
    s.verification.emails_sent = e.send_count;
    s.verification.last_email_sent = at;
  }
  void operator()(const EmailOwnershipConfirmed&) { s.verification.email_confirmed = true; }
  void operator()(const AccountVerificationAuthorized&) {
    s.verification.status = VerificationStatus::authorized;
    s.verification.fields_to_correct.clear();
  }
  void operator()(const AccountVerificationRejected& e) {
    s.verification.status = VerificationStatus::rejected;
    s.verification.fields_to_correct = e.fields_to_correct;
    s.verification.corrected_since_rejection.clear();
  }
  void operator()(const AccountVerificationResubmitted&) {
    s.verification.status = VerificationStatus::pending;
    s.verification.fields_to_correct.clear();
    s.verification.corrected_since_rejection.clear();
  }
  void operator()(const UserAdded& e) {
    s.users[e.user_id] = AccountUser{e.email, e.display_name, e.guest, e.roles};
  }
  void operator()(const UserRemoved& e) { s.users.erase(e.user_id); }
  void operator()(const UserRolesChanged& e) {
    auto it = s.users.find(e.user_id);
    assert(it != s.users.end());
    it->second.roles = e.roles;
  }
  void operator()(const LocationAdded& e) {
    s.locations.push_back(Location{e.location_partner_id, e.name, e.address});
    if (e.location_partner_id.starts_with(s.account_id + "/loc-")) ++s.locations_added;
  }
  void operator()(const TenantAssociated& e) { s.tenants[e.tenant_id] = Tenant{e.domain, e.primary}; }
  void operator()(const TenantRemoved& e) { s.tenants.erase(e.tenant_id); }
  void operator()(const NotificationSettingsChanged& e) {
    s.default_email = e.default_email;
    s.alternate_email = e.alternate_email;
  }
  void operator()(const ProgramEnrolled& e) { s.programs.insert(e.program); }
  void operator()(const AccountSuspended&) { s.suspended = true; }
  void operator()(const AccountReinstated&) { s.suspended = false; }
  void operator()(const BusinessInfoReviewed&) { s.last_business_review = at; }
  void operator()(const CompetencyAttained& e) { s.competency_levels.insert(e.level); }
  void operator()(const MarketingContactAssigned& e) { s.marketing_contact = e; }
  void operator()(const TenantClaimed&) {}
  void operator()(const TenantReleased&) {}

  void operator()(const OrderPlaced& e) {
    Order o;
    o.order_id = e.order_id;
    o.offer_id = e.offer_id;
    o.payment_method = e.payment_method;
    o.price = e.price;
    o.placed_at = at;
    o.renewal = e.renewal;
    o.upgrade_from_order_id = e.upgrade_from_order_id;
    s.orders[e.order_id] = std::move(o);
  }
  void operator()(const OrderDeclined& e) {
    Order& o = s.orders[e.order_id];  // a declined card order has no OrderPlaced
    o.order_id = e.order_id;
    o.offer_id = e.offer_id;
    o.payment_method = PaymentMethod::card;
    o.placed_at = at;
    o.status = OrderStatus::declined;
  }
  void operator()(const CardPaymentCharged& e) { order(e.order_id).status = OrderStatus::paid; }
  void operator()(const WirePaymentRecorded& e) { order(e.order_id).status = OrderStatus::paid; }
  void operator()(const MembershipActivated& e) {
    s.memberships[e.offer_id] =
        Membership{e.offer_id, e.order_id, e.anniversary, MembershipStatus::active};
  }
  void operator()(const OrderExpired& e) { order(e.order_id).status = OrderStatus::expired; }
  void operator()(const OrderCancellationRequested& e) {
    order(e.order_id).cancellation_requested = true;
  }
  void operator()(const OrderCancelled& e) { order(e.order_id).status = OrderStatus::cancelled; }
  void operator()(const OrderRefunded& e) {
    Order& o = order(e.order_id);
    o.status = OrderStatus::refunded;
    end_benefits_of_order(e.order_id);
    auto m = s.memberships.find(o.offer_id);
    if (m != s.memberships.end() && m->second.order_id == e.order_id) {
      m->second.status = MembershipStatus::ended;
    }
  }
  void operator()(const OrderMadeNonRefundable& e) {
    // A retired order is settled: being non-refundable changes nothing for it.
    if (s.retired.orders.contains(e.order_id)) return;
    order(e.order_id).non_refundable = true;
  }
  void operator()(const RenewalWindowOpened& e) {
    s.memberships.at(e.offer_id).status = MembershipStatus::renewal_window;
  }
  void operator()(const MembershipRenewed& e) {
    // The renewal closes the term that ended at the previous anniversary; the
    // renewal's own allocations follow this event.
    for (auto& [id, a] : s.allocations) {
      if (a.offer_id != e.offer_id || !a.current_term) continue;
      a.current_term = false;
      a.term_anniversary = std::max(a.term_anniversary, e.previous_anniversary);
    }
    Membership& m = s.memberships.at(e.offer_id);
    m.order_id = e.order_id;
    m.anniversary = e.anniversary;
    m.status = MembershipStatus::active;
  }
  void operator()(const MembershipLapsed& e) {
    s.memberships.at(e.offer_id).status = MembershipStatus::lapsed;
  }
  void operator()(const EnrollmentYearEnded&) {}

  void operator()(const KeysRevealed& e) {
    order(e.order_id).revealed_products.insert(e.product);
  }
  void operator()(const KeyRedeemed&) {}
  void operator()(const ReplacementKeyIssued&) {}
  void operator()(const KeyActivationRecorded&) {}
  void operator()(const KeyIssued&) {}
  void operator()(const SubscriptionChangedByKey& e) {
    s.subscriptions[e.product] = KeySubscription{e.seats, e.end};
  }

  void operator()(const BenefitsAllocated& e) {
    Allocation a;
    a.benefit_id = e.benefit_id;
    a.offer_id = e.offer_id;
    a.order_id = e.order_id;
    a.catalogue_benefit_id = e.catalogue_benefit_id;
    a.kind = e.kind;
    a.type = e.type;
    a.quantity = e.quantity;
    a.expiry = e.expiry;
    a.credit_amount = e.credit_amount;
    a.term_anniversary = term_anniversary_of_expiry(e.kind, e.expiry);
    a.current_term = !e.closed_term;
    s.allocations[e.benefit_id] = std::move(a);
  }
  void operator()(const BenefitAssigned& e) {
    Allocation& a = allocation(e.benefit_id);
    a.assignees[e.user_id] = e.assigned_at;
    a.ever_used = true;
  }
  void operator()(const BenefitUnassigned& e) { allocation(e.benefit_id).assignees.erase(e.user_id); }
  void operator()(const BenefitTransferred& e) {
    Allocation& a = allocation(e.benefit_id);
    a.assignees.erase(e.from_user_id);
    a.assignees[e.to_user_id] = at;
  }
  void operator()(const BenefitsEnded& e) {
    for (const auto& id : e.benefit_ids) allocation(id).ended = true;
  }
  void operator()(const TechnicalBenefitRequested& e) {
    Allocation& a = allocation(e.benefit_id);
    ++a.used;
    a.ever_used = true;
    s.technical_requests[e.request_id] = TechnicalRequest{e.benefit_id, false, {}, {}};
  }
  void operator()(const TechnicalBenefitActivated& e) {
    TechnicalRequest& r = s.technical_requests.at(e.request_id);
    r.completed = true;
    r.access_id = e.access_id;
    r.contract_id = e.contract_id;
  }
  void operator()(const SupportIncidentUsed& e) {
    Allocation& a = allocation(e.benefit_id);
    a.used = e.used_this_year;
    a.ever_used = true;
    s.incidents.insert(e.incident_id);
  }
  void operator()(const AdvisoryHoursUsed& e) {
    Allocation& a = allocation(e.benefit_id);
    a.used = e.used_this_year;
    a.ever_used = true;
  }
  void operator()(const GoToMarketOfferRequested& e) {
    Allocation& a = allocation(e.benefit_id);
    ++a.used;
    a.ever_used = true;
    s.go_to_market_requests[e.request_id] = GoToMarketRequest{e.offer_id, e.benefit_id,
                                                              GoToMarketStatus::requested, {}};
  }
  void operator()(const GoToMarketOfferActivated& e) {
    GoToMarketRequest& r = s.go_to_market_requests.at(e.request_id);
    r.status = GoToMarketStatus::active;
    r.expiry = e.expiry;
  }
  void operator()(const GoToMarketOfferExpired& e) {
    s.go_to_market_requests.at(e.request_id).status = GoToMarketStatus::expired;
  }

  void operator()(const MergeInvitationSent&) {}
  void operator()(const MergeInvitationAccepted&) {}
  void operator()(const MergeInvitationDeclined&) {}
  void operator()(const MergeInvitationWithdrawn&) {}
  void operator()(const MergeInvitationExpired&) {}
  void operator()(const MergeInvitationCompleted&) {}
  void operator()(const AccountsMerged& e) {
    // A year whose window had already passed stays over: the merged
    // membership's later anniversary does not bring its benefits back.
    for (const auto& m : e.memberships) {
      for (auto& [id, a] : s.allocations) {
        if (a.offer_id != m.offer_id || !a.current_term || at < usable_until(s, a)) continue;
        a.current_term = false;
        a.term_anniversary = term_end(s, a);
      }
    }
    for (const auto& m : e.memberships) {
      s.memberships[m.offer_id] = Membership{m.offer_id, m.order_id, m.anniversary,
                                             MembershipStatus::active};
    }
  }
  void operator()(const AccountMergedAway& e) { s.merged_into = e.into_account_id; }
  void operator()(const OfferCatalogueChanged&) {}
  void operator()(const UserLicensingOfferRecorded& e) {
    std::vector<LicensingOffer>& offers = s.user_licensing_offers[e.user_id];
    auto it = std::lower_bound(offers.begin(), offers.end(), e.offer);
    const bool present = it != offers.end() && *it == e.offer;
    if (e.held && !present) offers.insert(it, e.offer);
    if (!e.held && present) offers.erase(it);
    if (offers.empty()) s.user_licensing_offers.erase(e.user_id);
  }
};

}  // namespace

void apply(AccountState& state, const EventPayload& event, Instant at) {
  std::visit(Apply{state, at}, event);
}

AccountState evolve(AccountState state, const EventPayload& event, Instant at) {
  apply(state, event, at);
  return state;
}

}  // namespace mledger
