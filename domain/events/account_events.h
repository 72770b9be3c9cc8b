#pragma once
// Events of the partner account aggregate (stream "account-<account id>").
// Past tense; each field as the business names it. Wire form: PartnerAccountEnrolled
// and UserAdded in adapters/capnp/mledger.capnp.

#include <optional>
#include <string>
#include <vector>

#include "domain/core/actor.h"

namespace mledger {

struct PostalAddress {
  std::string line1;
  std::string line2;
  std::string city;
  std::string region;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2, upper case
  friend bool operator==(const PostalAddress&, const PostalAddress&) = default;
};

struct ContactPerson {
  std::string first_name;
  std::string last_name;
  std::string email;  // the work email (R-ACC-01)
  friend bool operator==(const ContactPerson&, const ContactPerson&) = default;
};

enum class CompanySource { duns_lookup, entered_by_hand };
enum class AddressKept { entered, validated };

// R-ACC-03: a hand-entered address in a validating country records both.
struct AddressValidation {
  PostalAddress entered;
  PostalAddress validated;
  AddressKept kept = AddressKept::entered;
  friend bool operator==(const AddressValidation&, const AddressValidation&) = default;
};

// R-ACC-01..03. The enrolling user becomes the account's first global admin.
struct PartnerAccountEnrolled {
  std::string account_id;
  std::string legal_name;
  PostalAddress address;  // the address in force (the kept one when validated)
  std::string phone;      // digits only, at most 10
  ContactPerson primary_contact;
  std::string enrolled_by_user_id;
  CompanySource source = CompanySource::entered_by_hand;
  std::string duns_number;  // set when source == duns_lookup
  std::optional<AddressValidation> address_validation;
  friend bool operator==(const PartnerAccountEnrolled&, const PartnerAccountEnrolled&) = default;
};

// R-ROLE-03/04: a user of the account, possibly a guest, with roles.
struct UserAdded {
  std::string account_id;
  std::string user_id;
  std::string email;
  std::string display_name;
  bool guest = false;
  std::vector<Role> roles;
  friend bool operator==(const UserAdded&, const UserAdded&) = default;
};

}  // namespace mledger
