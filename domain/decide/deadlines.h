#pragma once
// Time-driven rules as commands (R-ORD-04, R-ORD-08, R-BEN-04, R-GTM-03,
// R-MRG-03): what has fallen due at `now`. The domain never reads a clock;
// `mledger tick --now T` (or any service actor) asks these functions what is
// due and issues the commands, which the deciders check again.

#include <string>
#include <vector>

#include "domain/account/account_state.h"
#include "domain/commands/command.h"
#include "domain/merges/merge_state.h"

namespace mledger {

struct DueCommand {
  std::string account_id;  // the account the command targets
  std::string item;        // what fell due: an order, a membership year, a request, an invitation
  CommandBody body;
};

// Deadlines of one account, in the order they must run: wire orders 30 days
// unpaid, anniversaries passed (renewal window), renewal windows closed
// (lapse), go-to-market offers past their expiry.
std::vector<DueCommand> due_commands(const AccountState& account, Instant now);

// An invitation still unanswered at its expiry.
std::vector<DueCommand> due_commands(const MergePairState& pair, Instant now);

}  // namespace mledger
