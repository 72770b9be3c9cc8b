#pragma once
// Who may issue which command: one table (R-ROLE-*, R-ROLE-05).
//
// A partner user acts only on its own account, must be a user recorded in it,
// and must hold (as recorded by the ledger, not as claimed) global_admin
// (R-ROLE-02: everything inside its own account) or one of the command's
// roles. System actors issue only the commands listed for their kind; an
// auditor issues none. A denied command is a rejection with the entry's code.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "domain/account/account_state.h"
#include "domain/commands/command.h"
#include "domain/core/rejection.h"

namespace mledger {

struct Permission {
  std::string_view command;  // the command's type name
  ActorKind issuer = ActorKind::user;
  // For partner users: roles that allow it besides global_admin. Empty for
  // global_admin only.
  std::vector<Role> roles;
  RejectionCode denied = RejectionCode::role_not_allowed;  // a user without the roles
  bool self_enrollment = false;  // enroll: any user signing up its own account
};

// The table, one entry per command type.
std::span<const Permission> permission_table();
const Permission& permission_for(std::string_view command_type);

// Checks the actor against the table and the target account. `account` is
// the target account's state (empty for the catalogue's commands).
std::optional<Rejection> check_permission(const CommandContext& ctx, const CommandBody& body,
                                          const AccountState& account);

// Effective roles of a partner user in an account: the recorded ones.
const std::vector<Role>* recorded_roles(const AccountState& account, std::string_view user_id);

}  // namespace mledger
