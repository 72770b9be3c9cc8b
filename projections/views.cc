#include "projections/views.h"

#include "domain/account/periods.h"

namespace mledger::projections {

ProfileView profile_view(const AccountState& a) {
  ProfileView v;
  v.account_id = a.account_id;
  v.enrolled = a.enrolled;
  v.merged_into = a.merged_into;
  v.read_only = !a.company_info_presence.empty();
  v.read_only_because = a.company_info_presence;
  v.suspended = a.suspended;
  v.legal_name = a.legal_name;
  v.source = a.source;
  v.duns_number = a.duns_number;
  v.address = a.address;
  v.address_validated = a.address_validated;
  v.phone = a.phone;
  v.primary_contact = a.primary_contact;
  v.enrolled_at = a.enrolled_at;
  v.default_email = a.default_email;
  v.alternate_email = a.alternate_email;
  v.marketing_contact = a.marketing_contact;
  v.verification = a.verification;
  for (const auto& [id, u] : a.users) {
    auto offers = a.user_licensing_offers.find(id);
    v.users.push_back({id, u.email, u.display_name, u.guest, u.roles,
                       offers == a.user_licensing_offers.end() ? std::vector<LicensingOffer>{}
                                                              : offers->second});
  }
  v.locations = a.locations;
  for (const auto& [id, t] : a.tenants) v.tenants.push_back({id, t.domain, t.primary});
  v.programs = a.programs;
  v.competency_levels = a.competency_levels;
  v.last_business_review = a.last_business_review;
  return v;
}

MembershipsView memberships_view(const AccountState& a) {
  MembershipsView v;
  v.account_id = a.account_id;
  for (const auto& [offer, m] : a.memberships) {
    v.memberships.push_back({offer, m.order_id, m.status, m.anniversary, m.anniversary,
                             period_end(m.anniversary, kRenewalWindowDays), m.live()});
  }
  return v;
}

BenefitsView benefits_view(const AccountState& a) {
  BenefitsView v;
  v.account_id = a.account_id;
  for (const auto& [id, al] : a.allocations) {
    BenefitView b;
    b.benefit_id = id;
    b.catalogue_benefit_id = al.catalogue_benefit_id;
    b.offer_id = al.offer_id;
    b.order_id = al.order_id;
    b.kind = al.kind;
    b.type = al.type;
    b.allocated = al.quantity;
    b.assigned = static_cast<uint32_t>(al.assignees.size());
    b.used = al.used;
    const uint64_t taken = uint64_t{b.assigned} + b.used;
    b.available = al.ended || taken >= al.quantity ? 0 : al.quantity - static_cast<uint32_t>(taken);
    b.expiry = al.expiry;
    b.term_ends = term_end(a, al);
    b.usable_until = usable_until(a, al);
    b.ended = al.ended;
    b.credit_amount = al.credit_amount;
    for (const auto& [request_id, r] : a.technical_requests) {
      if (r.benefit_id == id) b.requests.push_back({request_id, r.completed, r.access_id, r.contract_id});
    }
    v.benefits.push_back(std::move(b));
  }
  return v;
}

AssignmentsView assignments_view(const AccountState& a) {
  AssignmentsView v;
  v.account_id = a.account_id;
  for (const auto& [user_id, u] : a.users) {
    UserAssignments ua{user_id, u.email, {}};
    for (const auto& [id, al] : a.allocations) {
      auto it = al.assignees.find(user_id);
      if (it == al.assignees.end()) continue;
      AssignmentView b{id, al.catalogue_benefit_id, al.kind, it->second, std::nullopt, al.expiry,
                       usable_until(a, al), al.ended};
      if (al.kind == BenefitKind::visual_studio) {
        b.reassignable_at = period_end(it->second, kReassignDays);
      }
      ua.benefits.push_back(std::move(b));
    }
    v.users.push_back(std::move(ua));
  }
  return v;
}

}  // namespace mledger::projections
