#pragma once
// Test data shared by several suites: a valid enrollment and its command.

#include <string>

#include "domain/commands/command.h"
#include "domain/ports/event_log.h"

namespace mledger::testing {

inline EnrollPartnerAccount valid_enrollment() {
  EnrollPartnerAccount c;
  c.legal_name = "Contoso GmbH";
  c.address = PostalAddress{"Hauptstrasse 1", "", "Berlin", "BE", "10115", "DE"};
  c.phone = "0301234567";
  c.primary_contact = ContactPerson{"Alice", "Meyer", "alice.meyer@contoso.de"};
  return c;
}

inline CommandContext user_context(const std::string& account, const std::string& user,
                                   const std::string& command_id = "cmd-1") {
  CommandContext ctx;
  ctx.command_id = command_id;
  ctx.actor = Actor{ActorKind::user, account, user, {}};
  ctx.account_id = account;
  ctx.now = Instant{1'767'600'000'000'000};  // 2026-01-05
  return ctx;
}

// An append of `n` UserAdded events to `stream` at `expected` version.
inline AppendRequest user_added_request(const std::string& command_id, const std::string& stream,
                                        uint64_t expected, const std::string& account, int n = 1) {
  AppendRequest r;
  r.command_id = command_id;
  r.command_digest[0] = static_cast<uint8_t>(command_id.size());
  r.command_digest[1] = static_cast<uint8_t>(command_id.back());
  r.metadata.command_id = command_id;
  r.metadata.actor = Actor{ActorKind::user, account, "u-admin", {Role::global_admin}};
  r.metadata.recorded_at = Instant{1'767'600'000'000'000};
  r.metadata.occurred_at = Instant{1'767'600'000'000'000};
  r.expectations.push_back({stream, expected});
  for (int i = 0; i < n; ++i) {
    UserAdded u;
    u.account_id = account;
    u.user_id = command_id + "-user-" + std::to_string(i);
    u.email = u.user_id + "@contoso.de";
    u.display_name = "User " + std::to_string(i);
    u.roles = {Role::mpn_partner_admin};
    r.events.push_back(NewEvent{stream, command_id + "-e" + std::to_string(i), {account}, u});
  }
  return r;
}

}  // namespace mledger::testing
