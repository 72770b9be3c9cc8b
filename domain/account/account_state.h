#pragma once
// The partner account as its deciders see it: a fold of its stream's events.

#include <map>
#include <string>
#include <vector>

#include "domain/core/actor.h"
#include "domain/events/event.h"

namespace mledger {

struct AccountUser {
  std::string email;
  std::string display_name;
  bool guest = false;
  std::vector<Role> roles;
};

struct AccountState {
  bool enrolled = false;
  std::string account_id;
  std::string legal_name;
  PostalAddress address;
  std::string phone;
  ContactPerson primary_contact;
  std::map<std::string, AccountUser> users;  // by user id
};

// Applies one event of the account's stream. Pure; total over EventPayload.
AccountState evolve(AccountState state, const EventPayload& event);

}  // namespace mledger
