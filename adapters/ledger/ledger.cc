#include "adapters/ledger/ledger.h"

#include <cassert>
#include <future>
#include <map>

#include "adapters/ledger/log_aggregates.h"

namespace mledger {

namespace {

CommandResult rejected(Rejection r) {
  CommandResult out;
  out.kind = CommandResult::Kind::rejected;
  out.rejection = std::move(r);
  return out;
}

// execute_batch() hands the writer accepted requests in groups of this many:
// queued together, a group goes into one write, so a batch of n commands
// takes at most about n / kSubmitGroupMax writes, and the first group is
// durable while later ones are decided.
constexpr size_t kSubmitGroupMax = 64;

Rejection reused(const std::string& command_id) {
  return Rejection{RejectionCode::command_id_reused_with_different_content,
                   "command id " + command_id + " was used before for a different command (R-LED-02)"};
}

}  // namespace

Ledger::Ledger(EventLog& log, GroupCommitWriter& writer, Clock& clock, IdSource& ids,
               LedgerOptions options, SnapshotStore* snapshots)
    : log_(log),
      writer_(writer),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)),
      cache_(options_.aggregate_cache_streams_max) {
  if (snapshots != nullptr) {
    snapshotter_ = std::make_unique<Snapshotter>(log_, *snapshots, options_.snapshots);
  }
}

Ledger::~Ledger() = default;

SnapshotStats Ledger::snapshot_stats() const {
  return snapshotter_ ? snapshotter_->stats() : SnapshotStats{};
}

void Ledger::flush_snapshots() {
  if (snapshotter_) snapshotter_->flush();
}

StatusOr<std::optional<CommandResult>> Ledger::earlier_outcome(const CommandContext& ctx,
                                                                const Hash256& digest) {
  const std::string& command_id = ctx.command_id;
  auto first = log_.find_command(command_scope(ctx.actor), command_id);
  if (!first.ok()) return Err{first.error()};
  if (!first->has_value()) return std::optional<CommandResult>();
  if ((*first)->command_digest != digest) return std::optional<CommandResult>(rejected(reused(command_id)));
  CommandResult out;
  out.kind = CommandResult::Kind::duplicate;
  out.events = std::move((*first)->events);
  return std::optional<CommandResult>(std::move(out));
}

StatusOr<CommandResult> Ledger::execute(const Command& command, const Hash256& digest) {
  const CommandContext& ctx = command.context;
  auto earlier = earlier_outcome(ctx, digest);
  if (!earlier.ok()) return Err{earlier.error()};
  if (earlier->has_value()) return std::move(**earlier);
  for (int attempt = 0; attempt <= options_.conflict_retries_max; ++attempt) {
    Attempt a = attempt_decision(command, digest);
    if (a.settled) return std::move(*a.settled);
    auto answer = settle(writer_.append(std::move(a.request)), *a.aggregates, ctx);
    if (answer) return std::move(*answer);  // else someone else appended to a stream first: decide again
  }
  return lost_races(ctx);
}

void Ledger::execute_then(std::shared_ptr<const Command> command, const Hash256& digest, Defer defer,
                          Done done) {
  auto earlier = earlier_outcome(command->context, digest);
  if (!earlier.ok()) return done(Err{earlier.error()});
  if (earlier->has_value()) return done(std::move(**earlier));
  attempt_then(std::move(command), digest, 0, std::move(defer), std::move(done));
}

void Ledger::attempt_then(std::shared_ptr<const Command> command, const Hash256& digest, int attempt,
                          Defer defer, Done done) {
  Attempt a = attempt_decision(*command, digest);
  if (a.settled) return done(std::move(*a.settled));
  std::shared_ptr<LogAggregates> aggregates = std::move(a.aggregates);
  writer_.submit_then(std::move(a.request), [this, command, digest, attempt, defer, done,
                                             aggregates](StatusOr<AppendOutcome> outcome) mutable {
    auto answer = settle(std::move(outcome), *aggregates, command->context);
    if (answer) return done(std::move(*answer));
    if (attempt >= options_.conflict_retries_max) return done(lost_races(command->context));
    // Decide again, but not on the writer's thread.
    defer([this, command = std::move(command), digest, attempt, defer, done = std::move(done)]() mutable {
      attempt_then(std::move(command), digest, attempt + 1, std::move(defer), std::move(done));
    });
  });
}

Ledger::Attempt Ledger::attempt_decision(const Command& command, const Hash256& digest) {
  Attempt out;
  out.aggregates = std::make_unique<LogAggregates>(log_, &cache_, snapshotter_.get());
  LogAggregates& aggregates = *out.aggregates;
  Decision decision = decide(command, aggregates, options_.policy);
  if (!aggregates.read_error().ok()) {
    out.settled = Err{aggregates.read_error()};
    return out;
  }
  if (!decision.ok()) {
    // The same command, sent twice at once, may have been appended between
    // the look-up and this decision (which then sees its effects): it is a
    // duplicate, not a rejection.
    auto raced = earlier_outcome(command.context, digest);
    if (!raced.ok()) {
      out.settled = Err{raced.error()};
    } else {
      out.settled = raced->has_value() ? std::move(**raced) : rejected(decision.error());
    }
    return out;
  }
  out.request = request_for(command, digest, aggregates, std::move(decision.value()));
  aggregates.apply_accepted(out.request.events, command.context.now);
  return out;
}

std::optional<StatusOr<CommandResult>> Ledger::settle(StatusOr<AppendOutcome> outcome,
                                                      LogAggregates& aggregates, const CommandContext& ctx) {
  if (!outcome.ok()) return StatusOr<CommandResult>(Err{outcome.error()});
  switch (outcome->status) {
    case AppendStatus::appended:
    case AppendStatus::duplicate: {
      if (outcome->status == AppendStatus::appended) aggregates.remember_durable();
      CommandResult out;
      out.kind = outcome->status == AppendStatus::appended ? CommandResult::Kind::accepted
                                                           : CommandResult::Kind::duplicate;
      out.events = std::move(outcome->events);
      return StatusOr<CommandResult>(std::move(out));
    }
    case AppendStatus::command_id_reused:
      return StatusOr<CommandResult>(rejected(reused(ctx.command_id)));
    case AppendStatus::conflict:
      break;
  }
  return std::nullopt;
}

Err<Status> Ledger::lost_races(const CommandContext& ctx) const {
  return fail(StatusCode::unavailable, "command " + ctx.command_id + " lost " +
                                           std::to_string(options_.conflict_retries_max + 1) +
                                           " races for its streams; try again");
}

AppendRequest Ledger::request_for(const Command& command, const Hash256& digest,
                                  const LogAggregates& aggregates, std::vector<Emitted> emitted) {
  const CommandContext& ctx = command.context;
  AppendRequest req;
  req.command_id = ctx.command_id;
  req.command_digest = digest;
  req.metadata = EventMetadata{ctx.command_id,
                               ctx.correlation_id.empty() ? ctx.command_id : ctx.correlation_id,
                               ctx.causation_id, ctx.actor, clock_.now(), ctx.now};
  req.expectations = aggregates.expectations();
  for (Emitted& e : emitted) {
    // A decision writes only to streams it read: that is what makes the
    // expected versions cover everything it relied on.
    assert(aggregates.was_read(e.stream) && "a decider wrote to a stream it did not read");
    req.events.push_back(
        NewEvent{std::move(e.stream), ids_.next_id(), std::move(e.account_ids), std::move(e.payload)});
  }
  return req;
}

// The state of an execute_batch() between rounds. Items before `from` are
// settled; a round settles a prefix of the rest and says where the next starts.
struct Ledger::Round {
  size_t from = 0;
  std::vector<std::optional<StatusOr<CommandResult>>> results;  // settled ones
  std::vector<int> conflicts;  // per item: appends lost to another writer
  std::optional<Status> failure;  // set: items from `from` on fail (the first with it)
};

std::vector<StatusOr<CommandResult>> Ledger::execute_batch(std::span<const BatchItem> items) {
  std::vector<StatusOr<CommandResult>> out;
  out.reserve(items.size());
  if (items.size() > options_.batch_commands_max) {
    const std::string why = "a batch holds at most " +
                            std::to_string(options_.batch_commands_max) + " commands, this one " +
                            std::to_string(items.size());
    for (size_t i = 0; i < items.size(); ++i) out.push_back(fail(StatusCode::limit_exceeded, why));
    return out;
  }
  Round round;
  round.results.resize(items.size());
  round.conflicts.assign(items.size(), 0);
  while (round.from < items.size() && !round.failure) run_round(items, round);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i < round.from) {
      assert(round.results[i].has_value());
      out.push_back(std::move(*round.results[i]));
    } else if (i == round.from) {
      out.push_back(Err{*round.failure});
    } else {
      out.push_back(fail(StatusCode::unavailable,
                         "not executed: an earlier command in the batch failed"));
    }
  }
  return out;
}

void Ledger::run_round(std::span<const BatchItem> items, Round& round) {
  const size_t n = items.size();
  auto& results = round.results;
  // Where this round stops settling items: at `stop`, the next round starts
  // (redo) or the batch fails (failure). n: everything settled.
  size_t stop = n;
  std::optional<Status> failure;
  auto stop_at = [&](size_t i, std::optional<Status> why) {
    if (i >= stop) return;
    stop = i;
    failure = std::move(why);
  };

  // Decide each item over the states the earlier ones leave; submit the
  // accepted ones as one chain, in groups, without waiting for durability.
  LogAggregates aggregates(log_, &cache_, snapshotter_.get());
  const auto chain = writer_.open_chain();
  struct InFlight {
    size_t index;
    std::future<StatusOr<AppendOutcome>> outcome;
  };
  std::vector<InFlight> in_flight;
  std::vector<AppendRequest> group;
  std::vector<size_t> group_items;
  auto submit_group = [&] {
    if (group.empty()) return;
    auto futures = writer_.submit_chained(std::move(group), chain);
    for (size_t g = 0; g < futures.size(); ++g) {
      in_flight.push_back(InFlight{group_items[g], std::move(futures[g])});
    }
    group.clear();
    group_items.clear();
  };
  std::map<std::string, size_t, std::less<>> submitted;  // scope '\0' command id -> item
  std::vector<std::pair<size_t, size_t>> duplicates;     // item -> the in-flight item it repeats
  for (size_t k = round.from; k < n; ++k) {
    const Command& command = *items[k].command;
    const Hash256& digest = items[k].digest;
    const std::string& id = command.context.command_id;
    const std::string scoped_id = command_scope(command.context.actor) + '\0' + id;
    if (auto it = submitted.find(scoped_id); it != submitted.end()) {
      if (items[it->second].digest == digest) {
        duplicates.emplace_back(k, it->second);  // settled once the first is durable
      } else {
        results[k] = rejected(reused(id));
      }
      continue;
    }
    auto earlier = earlier_outcome(command.context, digest);
    if (!earlier.ok()) {
      stop_at(k, earlier.error());
      break;
    }
    if (earlier->has_value()) {
      results[k] = std::move(**earlier);
      continue;
    }
    aggregates.begin_decision();
    Decision decision = decide(command, aggregates, options_.policy);
    if (!aggregates.read_error().ok()) {
      stop_at(k, aggregates.read_error());
      break;
    }
    if (!decision.ok()) {
      auto raced = earlier_outcome(command.context, digest);  // a twin sent at once may have landed meanwhile
      if (!raced.ok()) {
        stop_at(k, raced.error());
        break;
      }
      results[k] = raced->has_value() ? std::move(**raced) : rejected(decision.error());
      continue;
    }
    AppendRequest req = request_for(command, digest, aggregates, std::move(decision.value()));
    aggregates.apply_accepted(req.events, command.context.now);
    group.push_back(std::move(req));
    group_items.push_back(k);
    submitted.emplace(scoped_id, k);
    if (group.size() >= kSubmitGroupMax) submit_group();
  }
  submit_group();

  // Wait for every submitted request (all of them: none may outlive the
  // round), settling items up to the first that was not appended. The chain
  // guarantees that no request after it was appended either.
  bool appended_all = true;
  for (InFlight& f : in_flight) {
    auto outcome = f.outcome.get();
    if (!outcome.ok() || outcome->status != AppendStatus::appended) appended_all = false;
    if (f.index >= stop) continue;
    const std::string& id = items[f.index].command->context.command_id;
    if (!outcome.ok()) {
      stop_at(f.index, outcome.error());
      continue;
    }
    CommandResult r;
    switch (outcome->status) {
      case AppendStatus::appended:
      case AppendStatus::duplicate:  // another caller executed the same command meanwhile
        r.kind = outcome->status == AppendStatus::appended ? CommandResult::Kind::accepted
                                                            : CommandResult::Kind::duplicate;
        r.events = std::move(outcome->events);
        results[f.index] = std::move(r);
        // The later items were decided over this item's decision, not the
        // other caller's: decide them again.
        if (outcome->status == AppendStatus::duplicate) stop_at(f.index + 1, std::nullopt);
        break;
      case AppendStatus::command_id_reused:
        results[f.index] = rejected(reused(id));
        stop_at(f.index + 1, std::nullopt);
        break;
      case AppendStatus::conflict:
        assert(!outcome->conflict_stream.empty() && "the first failure of a chain is its own");
        if (++round.conflicts[f.index] > options_.conflict_retries_max) {
          stop_at(f.index, Status(StatusCode::unavailable,
                                  "command " + id + " lost " +
                                      std::to_string(options_.conflict_retries_max + 1) +
                                      " races for its streams; try again"));
        } else {
          stop_at(f.index, std::nullopt);  // decide it again, and every later one
        }
        break;
    }
  }
  // Every request this round submitted was appended: the kept states are the
  // log's, and later commands may start from them.
  if (appended_all) aggregates.remember_durable();
  for (const auto& [dup, of] : duplicates) {
    if (dup >= stop) continue;
    assert(of < dup && results[of].has_value() && results[of]->ok());
    CommandResult r;
    r.kind = CommandResult::Kind::duplicate;
    r.events = (*results[of])->events;
    results[dup] = std::move(r);
  }
  for (size_t i = stop; i < n; ++i) results[i].reset();
  round.from = stop;
  round.failure = std::move(failure);
}

StatusOr<AccountState> Ledger::account_state(std::string_view account_id) {
  LogAggregates aggregates(log_, &cache_, snapshotter_.get());
  AccountState state = aggregates.account(account_id);
  if (!aggregates.read_error().ok()) return Err{aggregates.read_error()};
  return state;
}

StatusOr<MergePairState> Ledger::merge_pair_state(std::string_view a, std::string_view b) {
  LogAggregates aggregates(log_, &cache_, snapshotter_.get());
  MergePairState state = aggregates.merge_pair(a, b);
  if (!aggregates.read_error().ok()) return Err{aggregates.read_error()};
  return state;
}

StatusOr<OfferCatalogue> Ledger::catalogue() {
  LogAggregates aggregates(log_, &cache_, snapshotter_.get());
  OfferCatalogue c = aggregates.catalogue();
  if (!aggregates.read_error().ok()) return Err{aggregates.read_error()};
  return c;
}

}  // namespace mledger
