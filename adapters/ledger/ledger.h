#pragma once
// Ledger: executes commands. For each command it lets the domain decide
// (domain/decide/decide.h) over the current state of every aggregate the
// command touches, folded from the log, and appends the decided events through
// the group-commit writer with, for every stream the decision read, the
// version it read (optimistic concurrency over everything a decision saw). A
// conflict means another command won the race: the command is decided again
// on the new state, up to conflict_retries_max times.
//
// Outcomes: accepted (events durable), duplicate (the command id was executed
// before with the same content: its first outcome, nothing written), or
// rejected (a business rule said no: nothing written). Infrastructure failures
// are a Status. Rejected commands leave no trace, so a retried rejected
// command is decided afresh. Thread-safe.

#include <optional>
#include <vector>

#include "adapters/writer/group_commit_writer.h"
#include "domain/commands/command.h"
#include "domain/core/rejection.h"
#include "domain/core/streams.h"
#include "domain/decide/decide.h"
#include "domain/ports/clock.h"
#include "domain/ports/event_log.h"
#include "domain/ports/id_source.h"

namespace mledger {

struct LedgerOptions {
  DomainPolicy policy;
  int conflict_retries_max = 8;
  size_t stream_events_max = 1 << 20;  // longest stream the ledger will fold
};

struct CommandResult {
  enum class Kind { accepted, duplicate, rejected };
  Kind kind = Kind::accepted;
  std::vector<EventPosition> events;  // accepted or duplicate
  std::optional<Rejection> rejection;  // rejected
};

class Ledger {
 public:
  Ledger(EventLog& log, GroupCommitWriter& writer, Clock& clock, IdSource& ids,
         LedgerOptions options);

  // `digest` identifies the command's content (e.g. SHA-256 of its canonical
  // JSON) so that a reused command id with other content is caught.
  [[nodiscard]] StatusOr<CommandResult> execute(const Command& command, const Hash256& digest);

  // Current states, folded from the log (for `mledger tick` and read paths).
  [[nodiscard]] StatusOr<AccountState> account_state(std::string_view account_id);
  [[nodiscard]] StatusOr<MergePairState> merge_pair_state(std::string_view a, std::string_view b);
  [[nodiscard]] StatusOr<OfferCatalogue> catalogue();

 private:
  EventLog& log_;
  GroupCommitWriter& writer_;
  Clock& clock_;
  IdSource& ids_;
  LedgerOptions options_;
};

}  // namespace mledger
