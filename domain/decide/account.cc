// Deciders of the partner account: company information, verification, users
// and roles, locations, tenants, settings, programs (R-ACC-*, R-ROLE-*).

#include <algorithm>
#include <cctype>
#include <set>

#include "domain/access/permissions.h"
#include "domain/account/enroll.h"
#include "domain/core/limits.h"
#include "domain/decide/decide_support.h"

namespace mledger::decide_detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Only the shape of an address (no personal/role mailbox rules).
Verdict check_email_shape(std::string_view email) { return check_email_address(email); }

bool actor_has(const Ctx& c, Role r) {
  const auto* roles = recorded_roles(c.account, c.user());
  return roles != nullptr && std::find(roles->begin(), roles->end(), r) != roles->end();
}

Verdict check_role_list(const std::vector<Role>& roles, bool guest) {
  if (roles.size() > limits::roles_per_actor_max) {
    return reject(RejectionCode::role_list_invalid, "a user holds at most 16 roles");
  }
  std::set<Role> seen;
  for (Role r : roles) {
    if (!seen.insert(r).second) {
      return reject(RejectionCode::role_list_invalid,
                    "role " + std::string(role_name(r)) + " is listed twice");
    }
    if (guest && !guest_may_hold(r)) {
      return reject(RejectionCode::guest_role_not_allowed,
                    "a guest user may hold only mpn_partner_admin, business_profile_admin or "
                    "referrals_admin, not " + std::string(role_name(r)));
    }
  }
  return std::nullopt;
}

bool has(const std::vector<Role>& roles, Role r) {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

// R-ROLE-03: granting (or taking away) roles.
Verdict check_role_grant(const Ctx& c, const std::vector<Role>& before,
                         const std::vector<Role>& after) {
  if (before == after) return std::nullopt;
  if (!actor_has(c, Role::global_admin) && !actor_has(c, Role::account_admin)) {
    return reject(RejectionCode::role_cannot_assign_roles,
                  "assigning roles needs account_admin or global_admin; user " + c.user() +
                      " may create users but not give them roles");
  }
  if (has(before, Role::global_admin) != has(after, Role::global_admin) &&
      !actor_has(c, Role::global_admin)) {
    return reject(RejectionCode::global_admin_grant_requires_global_admin,
                  "only a global admin grants or takes away global_admin");
  }
  return std::nullopt;
}

bool holds_benefits(const AccountState& a, const std::string& user_id, Instant now) {
  return std::any_of(a.allocations.begin(), a.allocations.end(), [&](const auto& kv) {
    return holds(a, kv.second, user_id, now);
  });
}

// R-ACC-05: "once a business day has passed": the same time on the next
// weekday (Saturday and Sunday are not business days).
Instant next_business_day(Instant t) {
  Instant next = plus_days(t, 1);
  for (;;) {
    const int64_t days = next.micros_since_epoch / kMicrosPerDay;
    const int64_t weekday = ((days % 7) + 7 + 4) % 7;  // 0 = Sunday; 1970-01-01 was a Thursday
    if (weekday != 0 && weekday != 6) return next;
    next = plus_days(next, 1);
  }
}

bool is_language_tag(std::string_view s) {
  // "en", "fr", "pt-BR", "zh-Hans": 2-3 letters, optionally "-" and 2-4 letters/digits.
  const size_t dash = s.find('-');
  const std::string_view lang = s.substr(0, dash);
  auto alpha = [](std::string_view p) {
    return std::all_of(p.begin(), p.end(), [](unsigned char ch) { return std::isalpha(ch); });
  };
  if (lang.size() < 2 || lang.size() > 3 || !alpha(lang)) return false;
  if (dash == std::string_view::npos) return true;
  const std::string_view region = s.substr(dash + 1);
  return region.size() >= 2 && region.size() <= 4 &&
         std::all_of(region.begin(), region.end(), [](unsigned char ch) { return std::isalnum(ch); });
}

const std::vector<std::string> kCompanyFields = {"legal_name", "address", "phone"};

}  // namespace

Verdict on(const EnrollPartnerAccount& cmd, Ctx& c) {
  auto decided = decide_enroll(c.account, c.cmd, cmd, c.policy.enrollment);
  if (!decided.ok()) return decided.error();
  for (auto& e : decided.value()) c.to_account(std::move(e));
  return std::nullopt;
}

namespace {

// The edit of update_company_info and sync_company_info, checked field by field.
template <class Edit>
Verdict edit_company_info(const Edit& cmd, Ctx& c) {
  const AccountState& a = c.account;
  CompanyInfoUpdated e{a.legal_name, a.address, a.phone, {}};
  if (cmd.legal_name) {
    if (is_blank(*cmd.legal_name)) {
      return reject(RejectionCode::legal_name_required, "company legal name is empty");
    }
    if (cmd.legal_name->size() > limits::legal_name_bytes_max) {
      return reject(RejectionCode::legal_name_too_long, "company legal name is longer than 256 bytes");
    }
    if (*cmd.legal_name != a.legal_name) e.changed_fields.push_back("legal_name");
    e.legal_name = *cmd.legal_name;
  }
  if (cmd.address) {
    if (auto r = check_postal_address(*cmd.address, RejectionCode::address_incomplete)) return r;
    if (*cmd.address != a.address) e.changed_fields.push_back("address");
    e.address = *cmd.address;
  }
  if (cmd.phone) {
    if (auto r = check_phone_number(*cmd.phone)) return r;
    if (*cmd.phone != a.phone) e.changed_fields.push_back("phone");
    e.phone = *cmd.phone;
  }
  if (e.changed_fields.empty()) {
    return reject(RejectionCode::company_info_unchanged, "the update changes nothing");
  }
  c.to_account(std::move(e));
  return std::nullopt;
}

}  // namespace

Verdict on(const UpdateCompanyInfo& cmd, Ctx& c) {
  const AccountState& a = c.account;
  if (!a.company_info_presence.empty()) {
    return reject(RejectionCode::company_info_read_only,
                  "the company already has a presence (" + a.company_info_presence +
                      "), so its information is read-only here, by design; it is corrected "
                      "there and recorded with sync_company_info");
  }
  return edit_company_info(cmd, c);
}

Verdict on(const SyncCompanyInfo& cmd, Ctx& c) {
  if (c.account.company_info_presence.empty()) {
    return reject(RejectionCode::company_info_not_read_only,
                  "the company information is not read-only; its users edit it with "
                  "update_company_info");
  }
  return edit_company_info(cmd, c);
}

Verdict on(const LockCompanyInfo& cmd, Ctx& c) {
  if (!is_identifier(cmd.presence, 64)) {
    return reject(RejectionCode::field_required,
                  "presence must name where the company already is, e.g. csp");
  }
  if (!c.account.company_info_presence.empty()) {
    return reject(RejectionCode::company_info_read_only,
                  "company information is already read-only (" + c.account.company_info_presence + ")");
  }
  c.to_account(CompanyInfoLocked{cmd.presence});
  return std::nullopt;
}

Verdict on(const SendVerificationEmail&, Ctx& c) {
  const Verification& v = c.account.verification;
  if (v.email_confirmed) {
    return reject(RejectionCode::verification_not_pending,
                  "email ownership is already confirmed; there is nothing to send");
  }
  if (v.last_email_sent && c.now() < next_business_day(*v.last_email_sent)) {
    return reject(RejectionCode::verification_email_resent_too_soon,
                  "the verification email was sent at " + format_rfc3339(*v.last_email_sent) +
                      "; it may be sent again from " +
                      format_rfc3339(next_business_day(*v.last_email_sent)) +
                      ", once a business day has passed");
  }
  c.to_account(VerificationEmailSent{c.account.primary_contact.email, v.emails_sent + 1});
  return std::nullopt;
}

Verdict on(const ConfirmEmailOwnership& cmd, Ctx& c) {
  if (c.account.verification.email_confirmed) {
    return reject(RejectionCode::verification_not_pending, "email ownership is already confirmed");
  }
  if (lower(cmd.email) != lower(c.account.primary_contact.email)) {
    return reject(RejectionCode::email_does_not_match_contact,
                  "the confirmed email is not the primary contact's email");
  }
  c.to_account(EmailOwnershipConfirmed{c.account.primary_contact.email});
  return std::nullopt;
}

Verdict on(const AuthorizeVerification&, Ctx& c) {
  const Verification& v = c.account.verification;
  if (v.status != VerificationStatus::pending) {
    return reject(RejectionCode::verification_not_pending,
                  "verification is not pending; only a pending account is authorized");
  }
  if (!v.email_confirmed) {
    return reject(RejectionCode::email_ownership_not_confirmed,
                  "email ownership must be confirmed before the account is authorized");
  }
  c.to_account(AccountVerificationAuthorized{
      {VerificationCheck::email_ownership, VerificationCheck::employment, VerificationCheck::business}});
  return std::nullopt;
}

Verdict on(const RejectVerification& cmd, Ctx& c) {
  if (c.account.verification.status != VerificationStatus::pending) {
    return reject(RejectionCode::verification_not_pending, "verification is not pending");
  }
  std::set<std::string> seen;
  for (const auto& f : cmd.fields_to_correct) {
    if (std::find(kCompanyFields.begin(), kCompanyFields.end(), f) == kCompanyFields.end() ||
        !seen.insert(f).second) {
      return reject(RejectionCode::verification_field_unknown,
                    "field to correct '" + f.substr(0, 32) +
                        "' is not one of legal_name, address, phone (or is listed twice)");
    }
  }
  if (auto r = check_optional_text("reason", cmd.reason, 1000)) return r;
  c.to_account(AccountVerificationRejected{cmd.failed_check, cmd.fields_to_correct, cmd.reason});
  return std::nullopt;
}

Verdict on(const ResubmitVerification&, Ctx& c) {
  const Verification& v = c.account.verification;
  if (v.status != VerificationStatus::rejected) {
    return reject(RejectionCode::verification_not_rejected,
                  "only a rejected verification is resubmitted");
  }
  for (const auto& f : v.fields_to_correct) {
    if (!v.corrected_since_rejection.contains(f)) {
      return reject(RejectionCode::verification_fields_not_corrected,
                    "field " + f + " must be corrected (update_company_info; sync_company_info by the " +
                        "service for read-only company information) before resubmitting");
    }
  }
  c.to_account(AccountVerificationResubmitted{v.fields_to_correct});
  return std::nullopt;
}

Verdict on(const AddUser& cmd, Ctx& c) {
  if (!is_identifier(cmd.user_id, limits::user_id_bytes_max)) {
    return reject(RejectionCode::user_id_invalid,
                  "user id must be 1-128 letters, digits, '.', '_', ':' or '-'");
  }
  if (c.account.users.contains(cmd.user_id)) {
    return reject(RejectionCode::user_already_exists, "user " + cmd.user_id + " already exists");
  }
  if (auto r = check_email_shape(cmd.email)) return r;
  if (auto r = check_text("display_name", cmd.display_name, limits::person_name_bytes_max)) return r;
  if (auto r = check_role_list(cmd.roles, cmd.guest)) return r;
  if (auto r = check_role_grant(c, {}, cmd.roles)) return r;
  c.to_account(UserAdded{c.cmd.account_id, cmd.user_id, cmd.email, cmd.display_name, cmd.guest,
                         cmd.roles});
  return std::nullopt;
}

Verdict on(const RemoveUser& cmd, Ctx& c) {
  auto it = c.account.users.find(cmd.user_id);
  if (it == c.account.users.end()) {
    return reject(RejectionCode::user_not_found, "user " + cmd.user_id + " is not in the account");
  }
  if (it->second.has_role(Role::global_admin)) {
    if (c.account.global_admin_count() == 1) {
      return reject(RejectionCode::last_global_admin,
                    "user " + cmd.user_id + " is the account's last global admin");
    }
    if (!actor_has(c, Role::global_admin)) {
      return reject(RejectionCode::global_admin_grant_requires_global_admin,
                    "only a global admin removes a global admin");
    }
  }
  if (holds_benefits(c.account, cmd.user_id, c.now())) {
    return reject(RejectionCode::user_holds_benefits,
                  "user " + cmd.user_id + " holds assigned benefits; unassign or transfer them first");
  }
  c.to_account(UserRemoved{cmd.user_id});
  return std::nullopt;
}

Verdict on(const ChangeUserRoles& cmd, Ctx& c) {
  auto it = c.account.users.find(cmd.user_id);
  if (it == c.account.users.end()) {
    return reject(RejectionCode::user_not_found, "user " + cmd.user_id + " is not in the account");
  }
  const AccountUser& u = it->second;
  if (auto r = check_role_list(cmd.roles, u.guest)) return r;
  std::vector<Role> before = u.roles, after = cmd.roles;
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  if (before == after) {
    return reject(RejectionCode::role_list_invalid, "the user already holds exactly these roles");
  }
  if (auto r = check_role_grant(c, u.roles, cmd.roles)) return r;
  if (u.has_role(Role::global_admin) && !has(cmd.roles, Role::global_admin) &&
      c.account.global_admin_count() == 1) {
    return reject(RejectionCode::last_global_admin,
                  "user " + cmd.user_id + " is the account's last global admin");
  }
  c.to_account(UserRolesChanged{cmd.user_id, cmd.roles, u.roles});
  return std::nullopt;
}

Verdict on(const AddLocation& cmd, Ctx& c) {
  if (is_blank(cmd.name)) {
    return reject(RejectionCode::location_name_required, "a location needs a name");
  }
  if (auto r = check_optional_text("name", cmd.name, limits::legal_name_bytes_max)) return r;
  if (auto r = check_postal_address(cmd.address, RejectionCode::address_incomplete)) return r;
  const std::string id = c.cmd.account_id + "/loc-" + std::to_string(c.account.locations_added + 1);
  c.to_account(LocationAdded{id, cmd.name, cmd.address});
  return std::nullopt;
}

Verdict on(const AssociateTenant& cmd, Ctx& c) {
  if (!is_identifier(cmd.tenant_id, 64) || cmd.tenant_id.find(':') != std::string::npos) {
    return reject(RejectionCode::tenant_id_invalid,
                  "tenant id must be 1-64 letters, digits, '.', '_' or '-' (a directory GUID)");
  }
  if (auto r = check_text("domain", cmd.domain, 253)) return r;
  const TenantClaimState& claim = c.agg.tenant(cmd.tenant_id);
  if (claim.account_id == c.cmd.account_id) {
    return reject(RejectionCode::tenant_already_associated,
                  "tenant " + cmd.tenant_id + " is already associated with this account");
  }
  if (!claim.account_id.empty()) {
    return reject(RejectionCode::tenant_belongs_to_another_account,
                  "tenant " + cmd.tenant_id + " belongs to another account; a tenant belongs to "
                  "exactly one account");
  }
  if (cmd.primary && std::any_of(c.account.tenants.begin(), c.account.tenants.end(),
                                 [](const auto& t) { return t.second.primary; })) {
    return reject(RejectionCode::primary_tenant_already_set, "the account already has a primary tenant");
  }
  c.to_account(TenantAssociated{cmd.tenant_id, cmd.domain, cmd.primary});
  c.to(tenant_stream(cmd.tenant_id), {c.cmd.account_id}, TenantClaimed{cmd.tenant_id, c.cmd.account_id});
  return std::nullopt;
}

Verdict on(const RemoveTenant& cmd, Ctx& c) {
  auto it = c.account.tenants.find(cmd.tenant_id);
  if (it == c.account.tenants.end()) {
    return reject(RejectionCode::tenant_not_found,
                  "tenant " + cmd.tenant_id.substr(0, 64) + " is not associated with this account");
  }
  if (it->second.primary) {
    return reject(RejectionCode::primary_tenant_not_removable, "the primary tenant cannot be removed");
  }
  (void)c.agg.tenant(cmd.tenant_id);  // read: its claim is released below
  c.to_account(TenantRemoved{cmd.tenant_id});
  c.to(tenant_stream(cmd.tenant_id), {c.cmd.account_id}, TenantReleased{cmd.tenant_id, c.cmd.account_id});
  return std::nullopt;
}

namespace {
Verdict check_notification_email(std::string_view field, std::string_view email) {
  if (auto r = check_email_shape(email)) {
    return reject(RejectionCode::email_invalid, std::string(field) + " is not an email address");
  }
  const std::string domain = lower(email.substr(email.find('@') + 1));
  if (domain == "onmicrosoft.com" || domain.ends_with(".onmicrosoft.com")) {
    return reject(RejectionCode::notification_domain_not_allowed,
                  std::string(field) + " is an onmicrosoft.com address; the ledger never sends there");
  }
  return std::nullopt;
}
}  // namespace

Verdict on(const ChangeNotificationSettings& cmd, Ctx& c) {
  if (auto r = check_notification_email("default_email", cmd.default_email)) return r;
  if (cmd.alternate_email && !cmd.alternate_email->empty()) {
    if (auto r = check_notification_email("alternate_email", *cmd.alternate_email)) return r;
  }
  c.to_account(NotificationSettingsChanged{cmd.default_email, cmd.alternate_email.value_or("")});
  return std::nullopt;
}

namespace {
struct ProgramRequirements {
  std::string_view program;
  std::vector<std::string_view> requirements;
};

// R-ACC-10: each program lists its requirements, checked in this order.
const std::vector<ProgramRequirements>& program_table() {
  static const std::vector<ProgramRequirements> t = {
      {"partner_network", {"account_verified"}},
      {"csp", {"account_verified", "partner_network_enrolled", "primary_tenant_associated"}},
      {"isv", {"account_verified", "partner_network_enrolled"}},
      {"co_sell", {"partner_network_enrolled", "competency_attained", "marketing_contact_assigned"}},
  };
  return t;
}

bool requirement_met(const AccountState& a, std::string_view req) {
  if (req == "account_verified") return a.verification.status == VerificationStatus::authorized;
  if (req == "partner_network_enrolled") return a.programs.contains("partner_network");
  if (req == "primary_tenant_associated") {
    return std::any_of(a.tenants.begin(), a.tenants.end(), [](const auto& t) { return t.second.primary; });
  }
  if (req == "competency_attained") return !a.competency_levels.empty();
  if (req == "marketing_contact_assigned") return a.marketing_contact.has_value();
  return false;
}
}  // namespace

Verdict on(const EnrollInProgram& cmd, Ctx& c) {
  const auto& t = program_table();
  auto it = std::find_if(t.begin(), t.end(), [&](const auto& p) { return p.program == cmd.program; });
  if (it == t.end()) {
    return reject(RejectionCode::program_unknown,
                  "program '" + cmd.program.substr(0, 32) +
                      "' is not one of partner_network, csp, isv, co_sell");
  }
  if (c.account.programs.contains(cmd.program)) {
    return reject(RejectionCode::program_already_enrolled, "already enrolled in " + cmd.program);
  }
  ProgramEnrolled e{cmd.program, {}};
  for (std::string_view req : it->requirements) {
    if (!requirement_met(c.account, req)) {
      return reject(RejectionCode::program_requirement_unmet,
                    "program " + cmd.program + " requires " + std::string(req) + ", which is not met");
    }
    e.requirements_met.emplace_back(req);
  }
  c.to_account(std::move(e));
  return std::nullopt;
}

Verdict on(const SuspendAccount& cmd, Ctx& c) {
  if (auto r = check_text("reason", cmd.reason, 1000)) return r;
  if (c.account.suspended) {
    return reject(RejectionCode::account_suspended, "the account is already suspended");
  }
  c.to_account(AccountSuspended{cmd.reason});
  return std::nullopt;
}

Verdict on(const ReinstateAccount& cmd, Ctx& c) {
  if (auto r = check_text("reason", cmd.reason, 1000)) return r;
  if (!c.account.suspended) {
    return reject(RejectionCode::account_not_suspended, "the account is not suspended");
  }
  c.to_account(AccountReinstated{cmd.reason});
  return std::nullopt;
}

Verdict on(const ReviewBusinessInfo&, Ctx& c) {
  c.to_account(BusinessInfoReviewed{c.user()});
  return std::nullopt;
}

Verdict on(const RecordCompetency& cmd, Ctx& c) {
  if (cmd.level != "silver" && cmd.level != "gold") {
    return reject(RejectionCode::competency_level_invalid, "competency level must be silver or gold");
  }
  if (auto r = check_text("competency", cmd.competency, 128)) return r;
  c.to_account(CompetencyAttained{cmd.level, cmd.competency});
  return std::nullopt;
}

Verdict on(const AssignMarketingContact& cmd, Ctx& c) {
  if (!c.account.users.contains(cmd.user_id)) {
    return reject(RejectionCode::user_not_found,
                  "the marketing contact must be a user of the account; " + cmd.user_id.substr(0, 64) +
                      " is not");
  }
  if (auto r = check_email_shape(cmd.email)) return r;
  if (lower(cmd.email) == lower(c.account.primary_contact.email)) {
    return reject(RejectionCode::marketing_email_must_differ,
                  "the marketing contact's email must differ from the account's own email");
  }
  if (auto r = check_phone_number(cmd.phone)) return r;
  if (!is_language_tag(cmd.preferred_language)) {
    return reject(RejectionCode::preferred_language_invalid,
                  "preferred language must be a language tag such as en or pt-BR");
  }
  c.to_account(MarketingContactAssigned{cmd.user_id, cmd.email, cmd.phone, cmd.preferred_language});
  return std::nullopt;
}

}  // namespace mledger::decide_detail
