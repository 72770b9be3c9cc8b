#pragma once
// Commands of the partner account: enrollment, verification, company
// information, users and roles, locations, tenants, settings, programs.
// `kName` is the command's `type` in its JSON form; the fields are its `data`
// (std::optional fields may be left out). Who may issue each: permissions.h.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/fields.h"
#include "domain/events/account_events.h"

namespace mledger {

// R-ACC-01..03, R-ACC-09: sign a company up. The issuing user becomes its first
// global admin.
struct EnrollPartnerAccount {
  static constexpr std::string_view kName = "enroll_partner_account";
  std::string legal_name;
  PostalAddress address;  // as entered by hand, or as found by the DUNS look-up
  std::string phone;
  ContactPerson primary_contact;
  std::optional<std::string> duns_number;          // set when found by DUNS id
  std::optional<PostalAddress> validated_address;  // R-ACC-03, validating countries only
  std::optional<AddressKept> kept_address;         // which of the two the user kept
  std::optional<std::string> legacy_membership_id;  // R-ACC-09: never recoverable
  MLEDGER_FIELDS(legal_name, address, phone, primary_contact, duns_number, validated_address,
                 kept_address, legacy_membership_id)
};

// R-ACC-04, R-ACC-05: edit the company information (absent fields unchanged).
struct UpdateCompanyInfo {
  static constexpr std::string_view kName = "update_company_info";
  std::optional<std::string> legal_name;
  std::optional<PostalAddress> address;
  std::optional<std::string> phone;
  MLEDGER_FIELDS(legal_name, address, phone)
};

// R-ACC-04, R-ACC-05 (service): the company information of a read-only
// account, as corrected where it is managed (the presence that made it
// read-only). While verification is rejected, each changed field counts as
// corrected: the way out of a rejection that the partner cannot edit itself.
struct SyncCompanyInfo {
  static constexpr std::string_view kName = "sync_company_info";
  std::optional<std::string> legal_name;
  std::optional<PostalAddress> address;
  std::optional<std::string> phone;
  MLEDGER_FIELDS(legal_name, address, phone)
};

// R-ACC-04 (service): the company has a presence elsewhere.
struct LockCompanyInfo {
  static constexpr std::string_view kName = "lock_company_info";
  std::string presence;
  MLEDGER_FIELDS(presence)
};

// R-ACC-05: (re)send the verification email to the primary contact.
struct SendVerificationEmail {
  static constexpr std::string_view kName = "send_verification_email";
  MLEDGER_FIELDS()
};

// R-ACC-05 (service): the contact followed the link.
struct ConfirmEmailOwnership {
  static constexpr std::string_view kName = "confirm_email_ownership";
  std::string email;
  MLEDGER_FIELDS(email)
};

// R-ACC-05 (service).
struct AuthorizeVerification {
  static constexpr std::string_view kName = "authorize_verification";
  MLEDGER_FIELDS()
};

struct RejectVerification {
  static constexpr std::string_view kName = "reject_verification";
  VerificationCheck failed_check = VerificationCheck::business;
  std::vector<std::string> fields_to_correct;
  std::string reason;
  MLEDGER_FIELDS(failed_check, fields_to_correct, reason)
};

// R-ACC-05: back to pending once every field to correct was edited.
struct ResubmitVerification {
  static constexpr std::string_view kName = "resubmit_verification";
  MLEDGER_FIELDS()
};

// R-ROLE-03/04.
struct AddUser {
  static constexpr std::string_view kName = "add_user";
  std::string user_id;
  std::string email;
  std::string display_name;
  bool guest = false;
  std::vector<Role> roles;
  MLEDGER_FIELDS(user_id, email, display_name, guest, roles)
};

// R-ROLE-03, R-ROLE-06.
struct RemoveUser {
  static constexpr std::string_view kName = "remove_user";
  std::string user_id;
  MLEDGER_FIELDS(user_id)
};

// R-ROLE-03/04/06: `roles` is the full set after the change.
struct ChangeUserRoles {
  static constexpr std::string_view kName = "change_user_roles";
  std::string user_id;
  std::vector<Role> roles;
  MLEDGER_FIELDS(user_id, roles)
};

// R-ACC-06: the ledger assigns the location partner id.
struct AddLocation {
  static constexpr std::string_view kName = "add_location";
  std::string name;
  PostalAddress address;
  MLEDGER_FIELDS(name, address)
};

// R-ACC-07.
struct AssociateTenant {
  static constexpr std::string_view kName = "associate_tenant";
  std::string tenant_id;
  std::string domain;
  bool primary = false;
  MLEDGER_FIELDS(tenant_id, domain, primary)
};

struct RemoveTenant {
  static constexpr std::string_view kName = "remove_tenant";
  std::string tenant_id;
  MLEDGER_FIELDS(tenant_id)
};

// R-ACC-08.
struct ChangeNotificationSettings {
  static constexpr std::string_view kName = "change_notification_settings";
  std::string default_email;
  std::optional<std::string> alternate_email;
  MLEDGER_FIELDS(default_email, alternate_email)
};

// R-ACC-10.
struct EnrollInProgram {
  static constexpr std::string_view kName = "enroll_in_program";
  std::string program;
  MLEDGER_FIELDS(program)
};

// R-ORD-02 (service).
struct SuspendAccount {
  static constexpr std::string_view kName = "suspend_account";
  std::string reason;
  MLEDGER_FIELDS(reason)
};

struct ReinstateAccount {
  static constexpr std::string_view kName = "reinstate_account";
  std::string reason;
  MLEDGER_FIELDS(reason)
};

// R-ORD-08: an admin reviewed the business information.
struct ReviewBusinessInfo {
  static constexpr std::string_view kName = "review_business_info";
  MLEDGER_FIELDS()
};

// R-ORD-01 (service): a competency at a level, prerequisite of Silver/Gold.
struct RecordCompetency {
  static constexpr std::string_view kName = "record_competency";
  std::string level;
  std::string competency;
  MLEDGER_FIELDS(level, competency)
};

// R-GTM-02.
struct AssignMarketingContact {
  static constexpr std::string_view kName = "assign_marketing_contact";
  std::string user_id;
  std::string email;
  std::string phone;
  std::string preferred_language;
  MLEDGER_FIELDS(user_id, email, phone, preferred_language)
};

}  // namespace mledger
