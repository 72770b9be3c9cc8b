#pragma once
// Read models that are views of the "accounts" projection's document: what
// `mledger query profile|memberships|benefits|assignments` prints. Pure
// functions of the account's state, so a live query and an as-of fold
// (mledger audit state) show the same thing for the same events.

#include <optional>
#include <string>
#include <vector>

#include "domain/account/account_state.h"

namespace mledger::projections {

struct AccountUserView {
  std::string user_id;
  std::string email;
  std::string display_name;
  bool guest = false;
  std::vector<Role> roles;
  std::vector<LicensingOffer> licensing_offers;  // held outside the account (R-BEN-04)
  MLEDGER_FIELDS(user_id, email, display_name, guest, roles, licensing_offers)
};

struct ProfileTenant {
  std::string tenant_id;
  std::string domain;
  bool primary = false;
  MLEDGER_FIELDS(tenant_id, domain, primary)
};

struct ProfileView {
  std::string account_id;
  bool enrolled = false;
  std::string merged_into;  // set once merged away (R-MRG-05)
  bool read_only = false;   // company info locked by a program presence (R-ACC-04)
  std::string read_only_because;
  bool suspended = false;
  std::string legal_name;
  CompanySource source = CompanySource::entered_by_hand;  // R-ACC-03
  std::string duns_number;
  PostalAddress address;
  bool address_validated = false;
  std::string phone;
  ContactPerson primary_contact;
  Instant enrolled_at;
  std::string default_email;
  std::string alternate_email;
  std::optional<MarketingContactAssigned> marketing_contact;
  Verification verification;
  std::vector<AccountUserView> users;
  std::vector<Location> locations;
  std::vector<ProfileTenant> tenants;
  std::set<std::string> programs;
  std::set<std::string> competency_levels;
  std::optional<Instant> last_business_review;
  MLEDGER_FIELDS(account_id, enrolled, merged_into, read_only, read_only_because, suspended,
                 legal_name, source, duns_number, address, address_validated, phone,
                 primary_contact, enrolled_at, default_email, alternate_email,
                 marketing_contact, verification, users, locations, tenants, programs,
                 competency_levels, last_business_review)
};

struct MembershipView {
  std::string offer_id;
  std::string order_id;
  MembershipStatus status = MembershipStatus::active;
  Instant anniversary;
  Instant renewal_window_opens;   // the anniversary (R-ORD-08)
  Instant renewal_window_closes;  // 30 days later; unrenewed, it lapses then
  bool benefits_continue = false;
  MLEDGER_FIELDS(offer_id, order_id, status, anniversary, renewal_window_opens,
                 renewal_window_closes, benefits_continue)
};

struct MembershipsView {
  std::string account_id;
  std::vector<MembershipView> memberships;
  MLEDGER_FIELDS(account_id, memberships)
};

// R-TEC-01: a technical benefit's request; once completed, its Access ID and
// Contract ID, visible to every user of the account.
struct TechnicalRequestView {
  std::string request_id;
  bool completed = false;
  std::string access_id;
  std::string contract_id;
  MLEDGER_FIELDS(request_id, completed, access_id, contract_id)
};

struct BenefitView {
  std::string benefit_id;
  std::string catalogue_benefit_id;
  std::string offer_id;
  std::string order_id;
  BenefitKind kind = BenefitKind::licensed_product;
  BenefitType type = BenefitType::core;  // core or incremental
  uint32_t allocated = 0;
  uint32_t assigned = 0;  // users holding a seat
  uint32_t used = 0;      // incidents, hours or requests used
  uint32_t available = 0;
  Instant expiry;  // the expiry recorded at allocation (R-ORD-09)
  Instant term_ends;     // the enrollment year's end: its membership's anniversary (R-MRG-05)
  Instant usable_until;  // first instant it can no longer be used: the window's end (R-ORD-08)
  bool ended = false;
  Money credit_amount;
  std::vector<TechnicalRequestView> requests;  // technical benefits (R-TEC-01)
  MLEDGER_FIELDS(benefit_id, catalogue_benefit_id, offer_id, order_id, kind, type, allocated,
                 assigned, used, available, expiry, term_ends, usable_until, ended, credit_amount,
                 requests)
};

struct BenefitsView {
  std::string account_id;
  std::vector<BenefitView> benefits;
  MLEDGER_FIELDS(account_id, benefits)
};

struct AssignmentView {
  std::string benefit_id;
  std::string catalogue_benefit_id;
  BenefitKind kind = BenefitKind::licensed_product;
  Instant since;
  std::optional<Instant> reassignable_at;  // Visual Studio: 90 days after `since` (R-BEN-05)
  Instant expiry;
  Instant usable_until;  // as in BenefitView
  bool ended = false;
  MLEDGER_FIELDS(benefit_id, catalogue_benefit_id, kind, since, reassignable_at, expiry,
                 usable_until, ended)
};

struct UserAssignments {
  std::string user_id;
  std::string email;
  std::vector<AssignmentView> benefits;
  MLEDGER_FIELDS(user_id, email, benefits)
};

struct AssignmentsView {
  std::string account_id;
  std::vector<UserAssignments> users;  // every user of the account, by id
  MLEDGER_FIELDS(account_id, users)
};

ProfileView profile_view(const AccountState& account);
MembershipsView memberships_view(const AccountState& account);
BenefitsView benefits_view(const AccountState& account);
AssignmentsView assignments_view(const AccountState& account);

}  // namespace mledger::projections
