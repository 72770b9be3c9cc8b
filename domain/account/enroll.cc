#include "domain/account/enroll.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "domain/core/country.h"
#include "domain/core/limits.h"

namespace mledger {

namespace {

Err<Rejection> reject(RejectionCode code, std::string message) {
  return Err<Rejection>{Rejection{code, std::move(message)}};
}

std::optional<Rejection> rejection(RejectionCode code, std::string message) {
  return Rejection{code, std::move(message)};
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool is_valid_account_id(std::string_view id) {
  if (id.empty() || id.size() > limits::account_id_bytes_max) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

std::optional<Rejection> check_phone_number(std::string_view phone) {
  if (phone.empty()) {
    return rejection(RejectionCode::phone_number_invalid,
                     "company phone number is empty (R-ACC-02)");
  }
  for (char c : phone) {
    if (c < '0' || c > '9') {
      return rejection(RejectionCode::phone_number_invalid,
                       "company phone number may hold digits only: no spaces, no special "
                       "characters, no country code (R-ACC-02)");
    }
  }
  if (phone.size() > limits::phone_digits_max) {
    return rejection(RejectionCode::phone_number_too_long,
                     "company phone number has " + std::to_string(phone.size()) +
                         " digits; at most 10 are allowed (R-ACC-02)");
  }
  return std::nullopt;
}

std::optional<Rejection> check_email_address(std::string_view email) {
  const size_t at = email.find('@');
  const bool shaped = !email.empty() && email.size() <= limits::email_bytes_max &&
                      at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
                      email.find('@', at + 1) == std::string_view::npos &&
                      std::none_of(email.begin(), email.end(),
                                   [](unsigned char c) { return c <= ' ' || c == 0x7f; });
  const std::string domain = shaped ? lower(email.substr(at + 1)) : std::string();
  if (!shaped || domain.find('.') == std::string::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string::npos) {
    return rejection(RejectionCode::email_invalid,
                     "work email '" + std::string(email.substr(0, 64)) +
                         "' is not an email address (R-ACC-01)");
  }
  return std::nullopt;
}

std::optional<Rejection> check_work_email(std::string_view email, const EnrollmentPolicy& policy) {
  if (auto r = check_email_address(email)) return r;
  const size_t at = email.find('@');
  const std::string domain = lower(email.substr(at + 1));
  if (policy.personal_email_domains.contains(domain)) {
    return rejection(RejectionCode::personal_email_not_supported,
                     "work email is at the personal mailbox domain " + domain +
                         "; enroll with a company email (R-ACC-01)");
  }
  const std::string local = lower(email.substr(0, at));
  if (policy.role_mailbox_local_parts.contains(local)) {
    return rejection(RejectionCode::role_email_not_supported,
                     "work email " + local + "@ is a shared role mailbox; use a person's "
                     "company email (R-ACC-01)");
  }
  return std::nullopt;
}

std::optional<Rejection> check_postal_address(const PostalAddress& a, RejectionCode incomplete) {
  if (blank(a.line1) || blank(a.city) || a.country.empty()) {
    return rejection(incomplete, "address needs at least line1, city and country (R-ACC-01)");
  }
  for (const std::string* f : {&a.line1, &a.line2, &a.city, &a.region, &a.postal_code}) {
    if (f->size() > limits::address_field_bytes_max) {
      return rejection(RejectionCode::address_field_too_long,
                       "an address field is longer than 256 bytes (R-ACC-01)");
    }
  }
  if (!is_iso_country_code(a.country)) {
    return rejection(RejectionCode::country_code_invalid,
                     "country '" + a.country.substr(0, 8) +
                         "' is not an ISO 3166-1 alpha-2 code such as DE or US (R-ACC-01)");
  }
  return std::nullopt;
}

namespace {

std::optional<Rejection> check_contact(const ContactPerson& c, const EnrollmentPolicy& policy) {
  if (blank(c.first_name) || blank(c.last_name)) {
    return rejection(RejectionCode::primary_contact_name_required,
                     "primary contact needs a first and a last name (R-ACC-01)");
  }
  if (c.first_name.size() > limits::person_name_bytes_max ||
      c.last_name.size() > limits::person_name_bytes_max) {
    return rejection(RejectionCode::primary_contact_name_too_long,
                     "primary contact name is longer than 128 bytes (R-ACC-01)");
  }
  if (auto r = check_work_email(c.email, policy)) return r;
  // R-ACC-08: the contact's email becomes the default notification email.
  const std::string domain = lower(c.email.substr(c.email.find('@') + 1));
  if (domain == "onmicrosoft.com" || domain.ends_with(".onmicrosoft.com")) {
    return rejection(RejectionCode::notification_domain_not_allowed,
                     "primary contact email is at " + domain + "; it becomes the notification "
                     "email, and the ledger never sends to an onmicrosoft.com address (R-ACC-08)");
  }
  return std::nullopt;
}

// R-ACC-03: DUNS look-up, or entry by hand with validation in some countries.
std::optional<Rejection> check_company_source(const EnrollPartnerAccount& cmd,
                                              const EnrollmentPolicy& policy) {
  if (cmd.duns_number) {
    const std::string& d = *cmd.duns_number;
    if (d.size() != 9 || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return rejection(RejectionCode::duns_number_invalid,
                       "DUNS number must be exactly 9 digits (R-ACC-03)");
    }
  }
  const bool validating = !cmd.duns_number &&
                          policy.address_validation_countries.contains(cmd.address.country);
  const bool has_validation = cmd.validated_address.has_value() || cmd.kept_address.has_value();
  if (validating && (!cmd.validated_address || !cmd.kept_address)) {
    return rejection(RejectionCode::address_validation_required,
                     "a hand-entered address in " + cmd.address.country +
                         " goes through address validation: give validated_address and "
                         "kept_address (R-ACC-03)");
  }
  if (!validating && has_validation) {
    return rejection(RejectionCode::address_validation_not_applicable,
                     "address validation applies only to hand-entered addresses in AM, HU, "
                     "KG, MD, UZ and RU (R-ACC-03)");
  }
  if (validating) {
    if (auto r = check_postal_address(*cmd.validated_address,
                                      RejectionCode::validated_address_incomplete)) {
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace

EnrollDecision decide_enroll(const AccountState& state, const CommandContext& ctx,
                       const EnrollPartnerAccount& cmd, const EnrollmentPolicy& policy) {
  if (ctx.actor.kind != ActorKind::user || ctx.actor.account_id != ctx.account_id ||
      ctx.actor.user_id.empty()) {
    return reject(RejectionCode::actor_not_allowed,
                  "an account is enrolled by the partner user who signs it up (R-ROLE-05)");
  }
  if (!is_valid_account_id(ctx.account_id)) {
    return reject(RejectionCode::account_id_invalid,
                  "account id must be 1-64 letters, digits, '-', '_' or '.'");
  }
  if (state.enrolled) {
    return reject(RejectionCode::account_already_enrolled,
                  "account " + ctx.account_id + " is already enrolled (R-ACC-01)");
  }
  if (cmd.legacy_membership_id) {
    return reject(RejectionCode::legacy_membership_not_recoverable,
                  "legacy membership id " + cmd.legacy_membership_id->substr(0, 64) +
                      " from the retired membership center cannot be recovered: enroll "
                      "without it as a new company, which gets a new partner id (R-ACC-09)");
  }
  if (blank(cmd.legal_name)) {
    return reject(RejectionCode::legal_name_required, "company legal name is empty (R-ACC-01)");
  }
  if (cmd.legal_name.size() > limits::legal_name_bytes_max) {
    return reject(RejectionCode::legal_name_too_long,
                  "company legal name is longer than 256 bytes (R-ACC-01)");
  }
  if (auto r = check_postal_address(cmd.address, RejectionCode::address_incomplete)) {
    return Err<Rejection>{*r};
  }
  if (auto r = check_phone_number(cmd.phone)) return Err<Rejection>{*r};
  if (auto r = check_contact(cmd.primary_contact, policy)) return Err<Rejection>{*r};
  if (auto r = check_company_source(cmd, policy)) return Err<Rejection>{*r};

  PartnerAccountEnrolled enrolled;
  enrolled.account_id = ctx.account_id;
  enrolled.legal_name = cmd.legal_name;
  enrolled.phone = cmd.phone;
  enrolled.primary_contact = cmd.primary_contact;
  enrolled.enrolled_by_user_id = ctx.actor.user_id;
  if (cmd.duns_number) {
    enrolled.source = CompanySource::duns_lookup;
    enrolled.duns_number = *cmd.duns_number;
  } else {
    enrolled.source = CompanySource::entered_by_hand;
  }
  enrolled.address = cmd.address;
  if (cmd.validated_address) {
    enrolled.address_validation =
        AddressValidation{cmd.address, *cmd.validated_address, *cmd.kept_address};
    if (*cmd.kept_address == AddressKept::validated) enrolled.address = *cmd.validated_address;
  }

  UserAdded admin;
  admin.account_id = ctx.account_id;
  admin.user_id = ctx.actor.user_id;
  admin.email = cmd.primary_contact.email;
  admin.display_name = cmd.primary_contact.first_name + " " + cmd.primary_contact.last_name;
  admin.guest = false;
  admin.roles = {Role::global_admin};

  std::vector<EventPayload> events;
  events.emplace_back(std::move(enrolled));
  events.emplace_back(std::move(admin));
  return events;
}

}  // namespace mledger
