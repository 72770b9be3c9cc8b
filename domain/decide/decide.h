#pragma once
// The domain's one entry point: decide what a command means.
//
// decide() checks the actor (permissions.h), reads the aggregates the command
// touches through `aggregates`, applies every rule, and returns either the
// events to append, each with its stream and the accounts it concerns, or the
// first rule that said no. Pure: no I/O beyond `aggregates`, no clock (the
// command's `now`), no randomness (ids derive from the command id).

#include <string>
#include <vector>

#include "domain/account/enrollment_policy.h"
#include "domain/commands/command.h"
#include "domain/core/rejection.h"
#include "domain/core/result.h"
#include "domain/events/event.h"
#include "domain/ports/aggregates.h"

namespace mledger {

struct Emitted {
  std::string stream;
  std::vector<std::string> account_ids;
  EventPayload payload;
};

using Decision = Result<std::vector<Emitted>, Rejection>;

struct DomainPolicy {
  EnrollmentPolicy enrollment;
  int64_t merge_invitation_days = 30;  // R-MRG-03: a sent invitation expires after
};

[[nodiscard]] Decision decide(const Command& command, Aggregates& aggregates,
                              const DomainPolicy& policy);

}  // namespace mledger
