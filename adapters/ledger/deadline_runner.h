#pragma once
// The time-driven rules as commands: walks every account and merge-invitation
// pair in the log, asks the domain what is due at `now`
// (domain/decide/deadlines.h) and executes each as the `service` actor
// `principal`. Each command's id names the item that fell due
// ("tick:<type>:<account>:<item>"), and its digest leaves `now` out, so a
// second run (or a run after a crash) writes nothing new.
// Used by `mledger tick` and by the server's POST /v1/tick.

#include <functional>
#include <string>

#include "adapters/ledger/ledger.h"

namespace mledger {

struct DueOutcome {
  std::string command_id;
  std::string type;  // the command's type name
  const CommandResult* result = nullptr;
};

// Calls `each` for every command issued, in order. Stops at the first
// infrastructure failure and returns it (earlier commands stay durable).
[[nodiscard]] Status issue_due_commands(Ledger& ledger, EventLog& log, Instant now,
                                        const std::string& principal,
                                        const std::function<void(const DueOutcome&)>& each);

}  // namespace mledger
