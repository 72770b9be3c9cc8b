#pragma once
// Events of the partner account (stream "account-<account id>"): the company,
// its verification, users and roles, locations, tenants, settings, programs.
// Past tense; fields as the business names them. Wire form: the struct of the
// same name in adapters/capnp/mledger.capnp (field names in lowerCamelCase).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/actor.h"
#include "domain/core/fields.h"
#include "domain/core/time.h"

namespace mledger {

struct PostalAddress {
  std::string line1;
  std::string line2;
  std::string city;
  std::string region;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2, upper case
  MLEDGER_FIELDS(line1, line2, city, region, postal_code, country)
  friend bool operator==(const PostalAddress&, const PostalAddress&) = default;
};

struct ContactPerson {
  std::string first_name;
  std::string last_name;
  std::string email;  // the work email (R-ACC-01)
  MLEDGER_FIELDS(first_name, last_name, email)
  friend bool operator==(const ContactPerson&, const ContactPerson&) = default;
};

MLEDGER_ENUM(CompanySource, duns_lookup, entered_by_hand)
MLEDGER_ENUM(AddressKept, entered, validated)
MLEDGER_ENUM(VerificationCheck, email_ownership, employment, business)

// R-ACC-03: a hand-entered address in a validating country records both.
struct AddressValidation {
  PostalAddress entered;
  PostalAddress validated;
  AddressKept kept = AddressKept::entered;
  MLEDGER_FIELDS(entered, validated, kept)
  friend bool operator==(const AddressValidation&, const AddressValidation&) = default;
};

// R-ACC-01..03. The enrolling user becomes the account's first global admin.
struct PartnerAccountEnrolled {
  static constexpr std::string_view kName = "PartnerAccountEnrolled";
  std::string account_id;
  std::string legal_name;
  PostalAddress address;  // the address in force (the kept one when validated)
  std::string phone;      // digits only, at most 10
  ContactPerson primary_contact;
  std::string enrolled_by_user_id;
  CompanySource source = CompanySource::entered_by_hand;
  std::string duns_number;  // set when source == duns_lookup
  std::optional<AddressValidation> address_validation;
  MLEDGER_FIELDS(account_id, legal_name, address, phone, primary_contact, enrolled_by_user_id,
                 source, duns_number, address_validation)
  friend bool operator==(const PartnerAccountEnrolled&, const PartnerAccountEnrolled&) = default;
};

// R-ACC-04: the company information after an edit; `changed_fields` names
// which of legal_name, address, phone changed.
struct CompanyInfoUpdated {
  static constexpr std::string_view kName = "CompanyInfoUpdated";
  std::string legal_name;
  PostalAddress address;
  std::string phone;
  std::vector<std::string> changed_fields;
  MLEDGER_FIELDS(legal_name, address, phone, changed_fields)
  friend bool operator==(const CompanyInfoUpdated&, const CompanyInfoUpdated&) = default;
};

// R-ACC-04: the company has a presence elsewhere; its information is read-only.
struct CompanyInfoLocked {
  static constexpr std::string_view kName = "CompanyInfoLocked";
  std::string presence;  // "csp", "legacy_membership_center", ...
  MLEDGER_FIELDS(presence)
  friend bool operator==(const CompanyInfoLocked&, const CompanyInfoLocked&) = default;
};

// R-ACC-05.
struct VerificationEmailSent {
  static constexpr std::string_view kName = "VerificationEmailSent";
  std::string email;
  uint32_t send_count = 0;  // 1 for the first send
  MLEDGER_FIELDS(email, send_count)
  friend bool operator==(const VerificationEmailSent&, const VerificationEmailSent&) = default;
};

struct EmailOwnershipConfirmed {
  static constexpr std::string_view kName = "EmailOwnershipConfirmed";
  std::string email;
  MLEDGER_FIELDS(email)
  friend bool operator==(const EmailOwnershipConfirmed&, const EmailOwnershipConfirmed&) = default;
};

struct AccountVerificationAuthorized {
  static constexpr std::string_view kName = "AccountVerificationAuthorized";
  std::vector<VerificationCheck> checks;
  MLEDGER_FIELDS(checks)
  friend bool operator==(const AccountVerificationAuthorized&,
                         const AccountVerificationAuthorized&) = default;
};

struct AccountVerificationRejected {
  static constexpr std::string_view kName = "AccountVerificationRejected";
  VerificationCheck failed_check = VerificationCheck::business;
  std::vector<std::string> fields_to_correct;  // among legal_name, address, phone
  std::string reason;
  MLEDGER_FIELDS(failed_check, fields_to_correct, reason)
  friend bool operator==(const AccountVerificationRejected&,
                         const AccountVerificationRejected&) = default;
};

struct AccountVerificationResubmitted {
  static constexpr std::string_view kName = "AccountVerificationResubmitted";
  std::vector<std::string> corrected_fields;
  MLEDGER_FIELDS(corrected_fields)
  friend bool operator==(const AccountVerificationResubmitted&,
                         const AccountVerificationResubmitted&) = default;
};

// R-ROLE-03/04: a user of the account, possibly a guest, with roles.
struct UserAdded {
  static constexpr std::string_view kName = "UserAdded";
  std::string account_id;
  std::string user_id;
  std::string email;
  std::string display_name;
  bool guest = false;
  std::vector<Role> roles;
  MLEDGER_FIELDS(account_id, user_id, email, display_name, guest, roles)
  friend bool operator==(const UserAdded&, const UserAdded&) = default;
};

struct UserRemoved {
  static constexpr std::string_view kName = "UserRemoved";
  std::string user_id;
  MLEDGER_FIELDS(user_id)
  friend bool operator==(const UserRemoved&, const UserRemoved&) = default;
};

// R-ROLE-03, R-ROLE-06: the full role set after the change, and before it.
struct UserRolesChanged {
  static constexpr std::string_view kName = "UserRolesChanged";
  std::string user_id;
  std::vector<Role> roles;
  std::vector<Role> previous_roles;
  MLEDGER_FIELDS(user_id, roles, previous_roles)
  friend bool operator==(const UserRolesChanged&, const UserRolesChanged&) = default;
};

// R-ACC-06. Location partner ids are "<global account id>/loc-<n>"; an account
// id never holds '/', so a location id is never mistaken for a global one.
struct LocationAdded {
  static constexpr std::string_view kName = "LocationAdded";
  std::string location_partner_id;
  std::string name;
  PostalAddress address;
  MLEDGER_FIELDS(location_partner_id, name, address)
  friend bool operator==(const LocationAdded&, const LocationAdded&) = default;
};

// R-ACC-07 (on the account's stream; the tenant's own stream holds its claim).
struct TenantAssociated {
  static constexpr std::string_view kName = "TenantAssociated";
  std::string tenant_id;
  std::string domain;
  bool primary = false;
  MLEDGER_FIELDS(tenant_id, domain, primary)
  friend bool operator==(const TenantAssociated&, const TenantAssociated&) = default;
};

struct TenantRemoved {
  static constexpr std::string_view kName = "TenantRemoved";
  std::string tenant_id;
  MLEDGER_FIELDS(tenant_id)
  friend bool operator==(const TenantRemoved&, const TenantRemoved&) = default;
};

// R-ACC-08.
struct NotificationSettingsChanged {
  static constexpr std::string_view kName = "NotificationSettingsChanged";
  std::string default_email;
  std::string alternate_email;  // for overdue invoices; may be empty
  MLEDGER_FIELDS(default_email, alternate_email)
  friend bool operator==(const NotificationSettingsChanged&,
                         const NotificationSettingsChanged&) = default;
};

// R-ACC-10.
struct ProgramEnrolled {
  static constexpr std::string_view kName = "ProgramEnrolled";
  std::string program;
  std::vector<std::string> requirements_met;
  MLEDGER_FIELDS(program, requirements_met)
  friend bool operator==(const ProgramEnrolled&, const ProgramEnrolled&) = default;
};

// R-ORD-02: a suspended account buys nothing.
struct AccountSuspended {
  static constexpr std::string_view kName = "AccountSuspended";
  std::string reason;
  MLEDGER_FIELDS(reason)
  friend bool operator==(const AccountSuspended&, const AccountSuspended&) = default;
};

struct AccountReinstated {
  static constexpr std::string_view kName = "AccountReinstated";
  std::string reason;
  MLEDGER_FIELDS(reason)
  friend bool operator==(const AccountReinstated&, const AccountReinstated&) = default;
};

// R-ORD-08: renewal needs a review in the last 30 days.
struct BusinessInfoReviewed {
  static constexpr std::string_view kName = "BusinessInfoReviewed";
  std::string reviewed_by_user_id;
  MLEDGER_FIELDS(reviewed_by_user_id)
  friend bool operator==(const BusinessInfoReviewed&, const BusinessInfoReviewed&) = default;
};

// R-ORD-01: Silver and Gold need a competency at their level.
struct CompetencyAttained {
  static constexpr std::string_view kName = "CompetencyAttained";
  std::string level;  // "silver" | "gold"
  std::string competency;
  MLEDGER_FIELDS(level, competency)
  friend bool operator==(const CompetencyAttained&, const CompetencyAttained&) = default;
};

// R-GTM-02.
struct MarketingContactAssigned {
  static constexpr std::string_view kName = "MarketingContactAssigned";
  std::string user_id;
  std::string email;
  std::string phone;
  std::string preferred_language;
  MLEDGER_FIELDS(user_id, email, phone, preferred_language)
  friend bool operator==(const MarketingContactAssigned&, const MarketingContactAssigned&) = default;
};

// R-BEN-04: the licensing, prepaid and credit offers a user may hold outside
// the account's benefits; an Azure bulk credit is never combined with them.
MLEDGER_ENUM(LicensingOffer, enterprise_agreement, cloud_solution_provider, azure_in_open,
             azure_pass, action_pack)

// R-BEN-04: the service records that a user of the account holds (or no longer
// holds) another licensing, prepaid or credit offer.
struct UserLicensingOfferRecorded {
  static constexpr std::string_view kName = "UserLicensingOfferRecorded";
  std::string user_id;
  LicensingOffer offer = LicensingOffer::enterprise_agreement;
  bool held = true;  // false: the user no longer holds it
  MLEDGER_FIELDS(user_id, offer, held)
  friend bool operator==(const UserLicensingOfferRecorded&, const UserLicensingOfferRecorded&) = default;
};

// R-ACC-07: which account a directory tenant belongs to. On the tenant's own
// stream ("tenant-<id>"), so that two accounts never claim one tenant.
struct TenantClaimed {
  static constexpr std::string_view kName = "TenantClaimed";
  std::string tenant_id;
  std::string account_id;
  MLEDGER_FIELDS(tenant_id, account_id)
  friend bool operator==(const TenantClaimed&, const TenantClaimed&) = default;
};

struct TenantReleased {
  static constexpr std::string_view kName = "TenantReleased";
  std::string tenant_id;
  std::string account_id;
  MLEDGER_FIELDS(tenant_id, account_id)
  friend bool operator==(const TenantReleased&, const TenantReleased&) = default;
};

}  // namespace mledger
