#pragma once
// Commands of the partner account aggregate.

#include <optional>
#include <string>

#include "domain/events/account_events.h"

namespace mledger {

// R-ACC-01..03: sign a company up. The issuing user becomes its first global admin.
struct EnrollPartnerAccount {
  std::string legal_name;
  PostalAddress address;  // as entered by hand, or as found by the DUNS look-up
  std::string phone;
  ContactPerson primary_contact;
  std::optional<std::string> duns_number;         // set when found by DUNS id
  std::optional<PostalAddress> validated_address;  // R-ACC-03, validating countries only
  std::optional<AddressKept> kept_address;         // which of the two the user kept
};

}  // namespace mledger
