#pragma once
// Who may call which endpoint (docs/api.md, "Access"): R-ROLE-05 at the API's
// edge. A partner user reaches only its own account; the auditor reads every
// account and writes nothing; the operator runs operations (and changes the
// offer catalogue, its one command); the service and partner users issue
// commands. The ledger still checks each command
// against its permission table (domain/access/permissions.h) with the roles
// it has recorded: this check comes first and is about the token alone.

#include <optional>
#include <string>
#include <string_view>

#include "adapters/auth/bearer_token.h"
#include "domain/commands/command.h"

namespace mledger::http {

enum class Audience {
  anyone,            // no token needed (health)
  account_readers,   // the account's own partner users, and auditors
  auditors,          // history, state as of, export, digest
  operators,         // projections, metrics
  command_issuers,   // partner users (own account), the service, the operator (catalogue only)
  service,           // the clock's commands (POST /v1/tick)
};

struct Denial {
  std::string code;  // "not_own_account", "actor_not_allowed", "actor_not_token_subject"
  std::string rule;  // "R-ROLE-05"
  std::string message;
};

// `account_id`: the account the path names ("" when none).
std::optional<Denial> check_access(Audience audience, const auth::TokenClaims& token,
                                   std::string_view account_id);

// A command sent with `token`: its actor must be the token's subject (same
// kind, user id and, for partner users, account); a partner user's command
// must target the token's account; an operator's must be the catalogue's.
std::optional<Denial> check_command(const auth::TokenClaims& token, const Command& command);

}  // namespace mledger::http
