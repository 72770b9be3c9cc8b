#pragma once
// A command: what someone asks the ledger to do, with who, when and for which
// account (R-LED-02). The domain never reads a clock: `now` is an input.

#include <string>
#include <string_view>
#include <variant>

#include "domain/commands/account_commands.h"
#include "domain/core/actor.h"
#include "domain/core/time.h"

namespace mledger {

using CommandBody = std::variant<EnrollPartnerAccount>;

// "enroll_partner_account": the `type` of the command's JSON form.
std::string_view command_type_name(const CommandBody& body);

struct CommandContext {
  std::string command_id;  // client-chosen; a retry with the same id writes nothing new
  std::string correlation_id;
  std::string causation_id;
  Actor actor;
  std::string account_id;  // the partner account the command targets
  Instant now;             // the caller's clock
};

struct Command {
  CommandContext context;
  CommandBody body;
};

}  // namespace mledger
