#pragma once
// Read model: an account's profile as the account page shows it, folded from
// the account's events. Pure: no storage, no clock. Events of other types or
// other accounts are ignored, so the fold can be fed a whole log.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/events/event.h"

namespace mledger::projections {

struct ProfileUser {
  std::string user_id;
  std::string email;
  std::string display_name;
  bool guest = false;
  std::vector<Role> roles;
  Instant added_at;
};

struct AccountProfile {
  std::string account_id;
  bool enrolled = false;
  std::string legal_name;
  PostalAddress address;
  std::string phone;
  ContactPerson primary_contact;
  CompanySource source = CompanySource::entered_by_hand;
  std::string duns_number;
  bool address_validated = false;
  Instant enrolled_at;
  std::map<std::string, ProfileUser> users;  // by user id
  uint64_t last_seq = 0;                     // last event folded in
};

// Folds one recorded event into the profile of `profile.account_id`.
void apply(AccountProfile& profile, const RecordedEvent& event);

}  // namespace mledger::projections
