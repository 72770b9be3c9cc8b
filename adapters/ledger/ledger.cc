#include "adapters/ledger/ledger.h"

#include <cassert>

#include "adapters/ledger/log_aggregates.h"

namespace mledger {

namespace {

CommandResult rejected(Rejection r) {
  CommandResult out;
  out.kind = CommandResult::Kind::rejected;
  out.rejection = std::move(r);
  return out;
}

Rejection reused(const std::string& command_id) {
  return Rejection{RejectionCode::command_id_reused_with_different_content,
                   "command id " + command_id + " was used before for a different command (R-LED-02)"};
}

}  // namespace

Ledger::Ledger(EventLog& log, GroupCommitWriter& writer, Clock& clock, IdSource& ids,
               LedgerOptions options)
    : log_(log), writer_(writer), clock_(clock), ids_(ids), options_(std::move(options)) {}

StatusOr<CommandResult> Ledger::execute(const Command& command, const Hash256& digest) {
  const CommandContext& ctx = command.context;
  auto first = log_.find_command(ctx.command_id);
  if (!first.ok()) return Err{first.error()};
  if (first->has_value()) {
    if ((*first)->command_digest != digest) return rejected(reused(ctx.command_id));
    CommandResult out;
    out.kind = CommandResult::Kind::duplicate;
    out.events = std::move((*first)->events);
    return out;
  }

  for (int attempt = 0; attempt <= options_.conflict_retries_max; ++attempt) {
    LogAggregates aggregates(log_, options_.stream_events_max);
    Decision decision = decide(command, aggregates, options_.policy);
    if (!aggregates.read_error().ok()) return Err{aggregates.read_error()};
    if (!decision.ok()) return rejected(decision.error());

    AppendRequest req;
    req.command_id = ctx.command_id;
    req.command_digest = digest;
    req.metadata = EventMetadata{ctx.command_id,
                                 ctx.correlation_id.empty() ? ctx.command_id : ctx.correlation_id,
                                 ctx.causation_id, ctx.actor, clock_.now(), ctx.now};
    req.expectations = aggregates.expectations();
    for (Emitted& e : decision.value()) {
      // A decision writes only to streams it read: that is what makes the
      // expected versions cover everything it relied on.
      assert(aggregates.was_read(e.stream) && "a decider wrote to a stream it did not read");
      req.events.push_back(
          NewEvent{std::move(e.stream), ids_.next_id(), std::move(e.account_ids), std::move(e.payload)});
    }
    auto outcome = writer_.append(std::move(req));
    if (!outcome.ok()) return Err{outcome.error()};
    switch (outcome->status) {
      case AppendStatus::appended:
      case AppendStatus::duplicate: {
        CommandResult out;
        out.kind = outcome->status == AppendStatus::appended ? CommandResult::Kind::accepted
                                                             : CommandResult::Kind::duplicate;
        out.events = std::move(outcome->events);
        return out;
      }
      case AppendStatus::command_id_reused:
        return rejected(reused(ctx.command_id));
      case AppendStatus::conflict:
        continue;  // someone else appended to a stream first: decide again
    }
  }
  return fail(StatusCode::unavailable, "command " + ctx.command_id + " lost " +
                                           std::to_string(options_.conflict_retries_max + 1) +
                                           " races for its streams; try again");
}

StatusOr<AccountState> Ledger::account_state(std::string_view account_id) {
  LogAggregates aggregates(log_, options_.stream_events_max);
  AccountState state = aggregates.account(account_id);
  if (!aggregates.read_error().ok()) return Err{aggregates.read_error()};
  return state;
}

StatusOr<MergePairState> Ledger::merge_pair_state(std::string_view a, std::string_view b) {
  LogAggregates aggregates(log_, options_.stream_events_max);
  MergePairState state = aggregates.merge_pair(a, b);
  if (!aggregates.read_error().ok()) return Err{aggregates.read_error()};
  return state;
}

StatusOr<OfferCatalogue> Ledger::catalogue() {
  LogAggregates aggregates(log_, options_.stream_events_max);
  OfferCatalogue c = aggregates.catalogue();
  if (!aggregates.read_error().ok()) return Err{aggregates.read_error()};
  return c;
}

}  // namespace mledger
