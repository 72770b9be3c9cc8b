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
//
// Folded states are cached between commands (LedgerOptions::
// aggregate_cache_streams_max): a decision folds only the events appended to
// its streams since the cached version, and an accepted command's states are
// cached at their new versions once durable. The cache never decides: the
// events after a cached version are always read first. Given a SnapshotStore,
// an account not in the cache starts from its latest valid snapshot
// (adapters/snapshots/snapshotter.h), and states folded far enough past it
// are snapshotted by a background thread, off the command's path. No stream
// is too long to fold: it is read and folded a chunk at a time.

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "adapters/ledger/aggregate_cache.h"
#include "adapters/snapshots/snapshotter.h"
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
  size_t batch_commands_max = 10000;   // longest execute_batch()
  // Folded states kept between commands (adapters/ledger/aggregate_cache.h),
  // least recently used evicted; 0 folds every stream from its start each time.
  size_t aggregate_cache_streams_max = 20000;
  SnapshotOptions snapshots;  // used when the Ledger is given a SnapshotStore
};

struct CommandResult {
  enum class Kind { accepted, duplicate, rejected };
  Kind kind = Kind::accepted;
  std::vector<EventPosition> events;  // accepted or duplicate
  std::optional<Rejection> rejection;  // rejected
};

struct BatchItem {
  const Command* command = nullptr;
  Hash256 digest{};
};

class LogAggregates;

class Ledger {
 public:
  // `snapshots` may be null: no snapshots are read or written.
  Ledger(EventLog& log, GroupCommitWriter& writer, Clock& clock, IdSource& ids,
         LedgerOptions options, SnapshotStore* snapshots = nullptr);
  // Writes the snapshots still queued, then stops their thread.
  ~Ledger();

  // `digest` identifies the command's content (e.g. SHA-256 of its canonical
  // JSON) so that a reused command id with other content is caught.
  [[nodiscard]] StatusOr<CommandResult> execute(const Command& command, const Hash256& digest);

  // Runs `work` soon on a thread that may block (never inline, never on the
  // writer's thread).
  using Defer = std::function<void(std::function<void()>)>;
  using Done = std::function<void(StatusOr<CommandResult>)>;
  // execute() without parking the calling thread while the append becomes
  // durable: decides on the calling thread, then calls `done` exactly once
  // with the outcome execute() would return: on the writer's thread once the
  // events are durable (it must be quick, see GroupCommitWriter::submit_then),
  // or on the calling thread when the command is settled without an append.
  // A command that loses a race for its streams is decided again through
  // `defer`. The Ledger must outlive every command in flight.
  void execute_then(std::shared_ptr<const Command> command, const Hash256& digest, Defer defer, Done done);

  // Executes `items` with the outcome of executing them one by one, in order, with
  // execute(): each command is decided over the state left by the earlier ones. But the
  // appends are pipelined: every accepted command's request is submitted to the writer
  // without waiting for the previous to be durable, so a batch costs about one synced
  // write. A command whose append conflicts (another writer moved a stream it read), and
  // every later one, is decided again in order on the new state. Results are in `items`'
  // order; each is ready only when its events are durable. A command id that appears twice
  // in the batch: the second is a duplicate of the first (same digest) or rejected
  // command_id_reused_with_different_content. After an infrastructure failure, that item
  // and every later one carry the failure (later ones: unavailable, "not executed: an
  // earlier command in the batch failed") and are not executed.
  // At most batch_commands_max items (more: every item fails limit_exceeded, nothing done).
  [[nodiscard]] std::vector<StatusOr<CommandResult>> execute_batch(std::span<const BatchItem> items);

  // Current states, folded from the log (for `mledger tick` and read paths).
  [[nodiscard]] StatusOr<AccountState> account_state(std::string_view account_id);
  [[nodiscard]] StatusOr<MergePairState> merge_pair_state(std::string_view a, std::string_view b);
  [[nodiscard]] StatusOr<OfferCatalogue> catalogue();

  [[nodiscard]] AggregateCacheStats aggregate_cache_stats() const { return cache_.stats(); }
  [[nodiscard]] SnapshotStats snapshot_stats() const;
  // Waits until the snapshots queued so far are written.
  void flush_snapshots();

 private:
  // The outcome of an earlier execution of the context's command id within
  // its actor's scope (command_scope()): duplicate (same digest) or rejected
  // as a reused id; nullopt when there was none.
  StatusOr<std::optional<CommandResult>> earlier_outcome(const CommandContext& ctx,
                                                         const Hash256& digest);
  struct Round;
  // One pass of execute_batch over items [from, end): decides each over the
  // batch's kept states, submits the accepted ones as one chain, then waits.
  void run_round(std::span<const BatchItem> items, Round& round);
  // One decision of execute(): settled (rejected, a duplicate, a read
  // failure), or a request to append over the states in `aggregates`.
  struct Attempt {
    std::optional<StatusOr<CommandResult>> settled;
    std::unique_ptr<LogAggregates> aggregates;
    AppendRequest request;
  };
  Attempt attempt_decision(const Command& command, const Hash256& digest);
  // The answer for an append's outcome; nullopt when it lost a race (conflict).
  static std::optional<StatusOr<CommandResult>> settle(StatusOr<AppendOutcome> outcome,
                                                       LogAggregates& aggregates, const CommandContext& ctx);
  Err<Status> lost_races(const CommandContext& ctx) const;
  void attempt_then(std::shared_ptr<const Command> command, const Hash256& digest, int attempt, Defer defer,
                    Done done);
  // The append request for an accepted decision over `aggregates`.
  AppendRequest request_for(const Command& command, const Hash256& digest,
                            const LogAggregates& aggregates, std::vector<Emitted> emitted);

  EventLog& log_;
  GroupCommitWriter& writer_;
  Clock& clock_;
  IdSource& ids_;
  LedgerOptions options_;
  AggregateCache cache_;
  std::unique_ptr<Snapshotter> snapshotter_;  // null without a SnapshotStore
};

}  // namespace mledger
