#pragma once
// ProjectionEngine: keeps the stored projections in step with the event log.
//
// - catch_up(): folds the events after each live generation's checkpoint into
//   it, up to the log's head. A projection with no live generation of this
//   build's fold version (new, changed, or built from another log) is built
//   from event 1 into a new generation that then becomes live.
// - rebuild(): builds new generations of the named projections from event 1
//   beside the live ones (readers keep reading the live ones), following the
//   log while it grows (up to three more passes after the first), and then
//   promotes them; what a writer appended after the last pass is left to the
//   next catch-up. An
//   unfinished build of the same version (a killed rebuild) is resumed from
//   its checkpoint, not restarted.
// - verify(): folds scratch generations up to each live checkpoint and
//   compares them document by document with the live ones, then drops them.
//
// Every fold commits documents and checkpoint together (ProjectionStore::
// commit) at its end and every `commit_every_events` events,
// `commit_every_seconds` or `memory_bytes_max` of documents held, so a
// crash resumes exactly after the last commit. Before folding on from a checkpoint the engine checks that the
// log's event at that sequence still has the checkpoint's hash.
//
// Events are read in one continuous scan of the log (replay_events,
// adapters/log/event_replay.h: read and hashed on its reading thread, decoded
// on a second one), up to four batches ahead of the fold.
//
// Memory: at most 5 x `read_batch_events` decoded events (and replay_events'
// own queue of envelopes, ReplayLimits) and about
// `memory_bytes_max` of documents (all generations of a fold together, cached
// and changed, estimated as decoded: kDecodedBytesPerStoredByte x their
// stored size) are held, however long the log and however many accounts;
// between catch-ups, about `kept_bytes_max` per live generation.
//
// Only this engine writes the live generations of its store (the store is
// opened by one process), so documents kept from the last catch-up are the
// stored ones; a fold that fails drops them all.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/projections/bulk_spill.h"
#include "adapters/projections/projection_store.h"
#include "adapters/projections/stored_projection.h"
#include "domain/ports/event_log.h"

namespace mledger {

struct EventBatch;  // a batch of events read in order (projection_engine.cc)

// The figures of one pass of a bulk load, reported as it ends.
struct BulkPassReport {
  uint64_t number = 0;            // 1: the first pass
  bool reads_log = true;          // the first pass reads the log in order; later
                                  // ones their accounts' events from the spill, or
                                  // by the account index
  bool reads_spill = false;       // a later pass that read the spill
  double accounts_share = 0;      // the share of all partitions it loaded
  uint64_t events_read = 0;
  uint64_t accounts_loaded = 0;   // accounts whose documents it wrote (in the
                                  // projection that holds the most)
  uint64_t accounts_left = 0;     // accounts noted for later passes, after it
                                  // (0 when they are spilled: not counted)
  uint64_t spill_bytes = 0;       // written to the spill so far
  double seconds = 0;             // the whole pass, of which:
  double read_seconds = 0;        //   the fold waiting for the events read ahead
  double write_seconds = 0;       //   writing and ingesting its documents
  uint64_t resident_bytes = 0;    // the process's resident set before its documents
                                  // were written (what it folded, all held)
  uint64_t heap_bytes = 0;        // the allocator's count at the same point
  uint64_t peak_resident_bytes = 0;  // the process's peak resident set so far
};

struct ProjectionProgress {
  std::string phase;    // "catch-up", "rebuild", "verify"
  uint64_t done = 0;    // events read so far in this fold
  uint64_t total = 0;   // events this fold reads (grows when following the log)
  double seconds = 0;   // since the fold started
  // Set on the report made as a pass of a bulk load ends.
  std::optional<BulkPassReport> pass_done;
};
using ProgressFn = std::function<void(const ProjectionProgress&)>;

// A fold commits (documents and checkpoints, atomically) at its end and
// whenever one of these is reached, whichever comes first.
struct ProjectionEngineOptions {
  size_t read_batch_events = 2048;
  size_t commit_every_events = 1'000'000;
  double commit_every_seconds = 10;
  // The memory bound of a fold (`mledger projections --memory-mib`).
  // - A catch-up counts the documents it holds, all its generations
  //   together, estimated as decoded in memory: cached ones
  //   (kDecodedBytesPerStoredByte x stored size) and changed ones (twice
  //   their stored size: the pending bytes and the commit's batch). Reaching
  //   it commits; a commit then forgets cached documents down to three
  //   quarters of it.
  // - A bulk load (below) counts the process's resident set above
  //   resident_base_bytes, as the kernel counts it: its folders, the events
  //   read ahead, the accounts left for later passes, RocksDB's caches, table
  //   readers and buffers, and the allocator's free and fragmented pages
  //   alike. Reaching it narrows the pass's range of partitions (and gives
  //   the freed pages back to the system), down to
  //   kAccountPartitions / kBulkPassesMax, held whatever it takes.
  // The default keeps a rebuild of the realistic bench ledgers under 512 MiB
  // of peak RSS at 1M and at 10M events (docs/operations.md, Limits).
  size_t memory_bytes_max = size_t{448} << 20;
  // The resident set a bulk load does not count against memory_bytes_max:
  // what the process held before it opened the ledger (its code and
  // libraries; resident_set_bytes() then). 0 counts all of it.
  size_t resident_base_bytes = 0;
  // Documents of each live generation kept decoded from one catch_up() to the
  // next (so a live projector does not read and decode them again every
  // time), estimated as above; 0 keeps none.
  size_t kept_bytes_max = 32 << 20;
  // A generation built from event 1 (rebuild, verify, a catch-up of a
  // missing projection) is bulk loaded: folded in memory a range of account
  // partitions at a time, each range's documents written sorted and loaded
  // at once (ProjectionStore::bulk_load). The first pass reads the log in
  // order; the later ones read only their accounts' documents and events,
  // from the spill (spill_directory) or else by the account index, on
  // reading threads ahead of the fold. false: built by commits like a
  // catch-up (for tests and comparison).
  bool bulk_load = true;
  // Where a bulk load sets aside what its first pass leaves to later passes
  // (BulkSpill: the accounts' documents as folded so far and their events
  // from then on), so that those passes read it in order instead of each
  // event through the log's account index. Created when the first pass first
  // narrows its range, if what is left of the log (estimated at the mean
  // envelope size so far) fits spill_bytes_max and half the free space of
  // its disk; removed when the bulk load ends. Empty, or a bound of 0: never spill.
  std::string spill_directory;
  uint64_t spill_bytes_max = uint64_t{64} << 30;
  // Called before each look at the log's head (for a secondary instance that
  // follows a writer in another process: RocksDbEventLog::catch_up). May be empty.
  std::function<Status()> refresh_log;
};

// A bulk load makes at most this many passes (its narrowest range of
// partitions is kAccountPartitions / kBulkPassesMax, held whatever it takes).
inline constexpr uint64_t kBulkPassesMax = 256;

struct ProjectionStatus {
  std::string name;
  uint32_t version = 0;  // this build's fold
  std::optional<Generation> live;
  std::optional<Generation> building;  // an unfinished rebuild
  uint64_t head_seq = 0;
  uint64_t lag = 0;         // events after the live checkpoint (all of them when none)
  uint64_t size_bytes = 0;  // of the live generation
  // "current", "behind" (lag > 0), "stale" (live built by another fold
  // version: catch-up rebuilds it) or "missing" (never built).
  std::string state;
};

struct ProjectionDifferences {
  std::string name;
  uint64_t at_seq = 0;     // both generations folded up to here
  uint64_t compared = 0;   // documents compared
  uint64_t differing = 0;  // documents that differ, or exist on one side only
  std::vector<std::string> first_differing;  // up to 10 document keys
};

// Thread safety: any method may be called from any thread. catch_up(),
// rebuild() and verify() run one at a time (a second waits for the first);
// status() and live() do not wait for them.
class ProjectionEngine {
 public:
  ProjectionEngine(ProjectionStore& store, EventLog& log,
                   std::vector<std::unique_ptr<StoredProjection>> projections,
                   ProjectionEngineOptions options = {});

  const std::vector<std::unique_ptr<StoredProjection>>& projections() const { return projections_; }
  // The projection named `name`, or nullptr.
  const StoredProjection* find(std::string_view name) const;

  [[nodiscard]] StatusOr<std::vector<ProjectionStatus>> status();
  [[nodiscard]] Status catch_up(const ProgressFn& progress);
  // `names` empty: every projection. Unknown names are invalid_argument.
  [[nodiscard]] Status rebuild(const std::vector<std::string>& names, const ProgressFn& progress);
  [[nodiscard]] StatusOr<std::vector<ProjectionDifferences>> verify(const std::vector<std::string>& names,
                                                                   const ProgressFn& progress);

  // The live generation of `name` (not_found when it was never built).
  [[nodiscard]] StatusOr<Generation> live(std::string_view name);

 private:
  struct Target {
    const StoredProjection* projection = nullptr;
    Generation generation;
    uint64_t until = 0;  // fold events up to this sequence
    std::unique_ptr<Folder> folder;
    ProjectionCheckpoint pending;  // the last event folded, committed or not
  };
  StatusOr<std::vector<const StoredProjection*>> select(const std::vector<std::string>& names) const;
  StatusOr<uint64_t> head();
  // Whether the log still holds the event the checkpoint names.
  StatusOr<bool> on_this_log(const ProjectionCheckpoint& checkpoint, uint64_t head_seq);
  // A building generation of `p` to continue: resumed or new.
  StatusOr<Generation> building_generation(const StoredProjection& p,
                                           const std::vector<Generation>& generations,
                                           uint64_t head_seq);
  Target target(const StoredProjection* p, const Generation& g, uint64_t until);
  Status fold(std::vector<Target>& targets, std::string_view phase, const ProgressFn& progress);
  // A bulk load: folds the targets with nothing folded yet (checkpoint 0) from
  // event 1, a range of account partitions per pass, and loads their
  // documents. A pass over the bound narrows its range to what fits when
  // projected to the end of the log; the next pass's range is sized by the
  // memory per partition the last one held.
  struct BulkTarget {
    Target* target = nullptr;
    uint64_t below = 0;             // partitions loaded: [0, below)
    ProjectionCheckpoint until;     // the last event folded into them (seq 0: none yet)
  };
  struct BulkPass {
    std::string_view phase;
    const ProgressFn& progress;
    std::chrono::steady_clock::time_point start;
    uint64_t events_read = 0;  // by the passes before this one
    uint64_t passes = 0;
    size_t held_bytes = 0;     // the heap the last pass's folders held at its end
    size_t other_bytes = 0;    // what else the bound counted then
    uint64_t accounts_read = 0;        // by the account passes before this one
    uint64_t account_events_read = 0;  // by the account passes before this one
    size_t accounts_left = 0;          // noted for the account passes as this one began
    bool may_spill = true;             // false: the spill passed its bound in an earlier try
    bool spill_overflowed = false;     // the spill passed its bound (its estimate fell short)
    bool spill_decided = false;        // whether to spill, decided as the first pass first narrows
    std::unique_ptr<BulkSpill> spill = nullptr;  // null: later passes read by the account index
    double envelope_bytes = 0;         // the mean size of an event's envelope in the first pass
                                       // (as it decides to spill: more than a spilled event takes)
    double held_per_spilled_byte = 0;  // the last spilled pass's heap per byte of spill it read
    size_t room_bytes = 0;             // what the bound left its folders then
  };
  // The end of the next spilled pass from `from`: whole buckets, as many as
  // fit at the last spilled pass's memory per byte of the spill (the first
  // one: `below`, sized by partitions, down to a bucket's end).
  static uint64_t spilled_pass_below(const BulkPass& pass, uint64_t from, uint64_t below);
  Status bulk_fold(std::vector<Target>& targets, std::string_view phase, const ProgressFn& progress);
  Status bulk_fold_group(std::vector<BulkTarget>& group, uint64_t until, std::string_view phase,
                         const ProgressFn& progress);
  // The passes of bulk_fold_group(); a spill that passes its bound (the first
  // pass's estimate fell short) stops them with pass.spill_overflowed set,
  // before anything was loaded.
  Status bulk_passes(std::vector<BulkTarget>& group, uint64_t until, BulkPass& pass);
  // The first pass: reads events [1, until] in order and folds partitions
  // [from, below); `below` comes down when the bound is reached. Adds to
  // `rest` every account of a partition at or above the final `below`.
  Status bulk_pass(std::vector<BulkTarget>& group, uint64_t until, uint64_t from, uint64_t& below,
                   BulkPass& pass, std::set<std::string>& rest);
  // Folds a batch of the first pass: each event (seq checked against `seq`,
  // which it advances) into partitions [from, below) (an event the reader did
  // not decode names none); the accounts it names at or above `below`: adds
  // the event to their buckets of the spill (spill_event), or notes them in
  // `rest` when there is none.
  Status fold_in_order(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                       const EventBatch& batch, uint64_t from, uint64_t below, uint64_t& seq, BulkPass& pass,
                       std::set<std::string>& rest);
  // Adds event k of the batch (its body) to the spill's buckets of the
  // accounts it names at or above `below` (all of them: a later pass's
  // folders skip what their projection does not fold). The batch is routed;
  // `buckets` is scratch.
  static Status spill_event(const EventBatch& batch, size_t k, uint64_t below, BulkSpill& spill,
                            std::vector<uint64_t>& buckets);
  // The first pass narrowed to partitions below `below`, having folded up to
  // `last`: each folder forgets the accounts at or above it, spilling their
  // documents, or noting them in `rest` when there is no spill. The first
  // time, decides whether to spill (open_spill), from the envelope bytes and
  // events read so far and the documents it holds. Whether the pass now spills.
  StatusOr<bool> leave_from(std::vector<std::unique_ptr<BulkFolder>>& folders, uint64_t below,
                            const ProjectionCheckpoint& last, uint64_t until, std::pair<uint64_t, uint64_t> read,
                            size_t documents_bytes, BulkPass& pass, std::set<std::string>& rest);
  // A spill in options_.spill_directory for `events_left` events of
  // `envelope_bytes` each and `documents_bytes` of documents, or null (see
  // spill_directory).
  StatusOr<std::unique_ptr<BulkSpill>> open_spill(double envelope_bytes, uint64_t events_left,
                                                  size_t documents_bytes);
  // Routes a batch its reader did not route (read before the spill began):
  // its envelopes read from the log again, each checked against its event,
  // give each event's partitions and body.
  Status route_again(EventBatch& batch);
  // Each later pass when spilled: folds partitions [from, below) from the
  // spill's buckets that hold them (BulkSpill, read ahead on a thread of
  // its own); narrows `below` when over the bound.
  Status bulk_spill_pass(std::vector<BulkTarget>& group, uint64_t until, uint64_t from, uint64_t& below,
                         BulkPass& pass);
  // The fold of bulk_spill_pass(); notes in `report` the events read and the
  // time waited for them, in `pass` the memory held at the end.
  Status fold_spill(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                    uint64_t from, uint64_t& below, BulkPass& pass, BulkPassReport& report);
  // Folds one record of the spill's bucket `bucket` into the accounts of
  // partitions [from, below) in that bucket.
  Status fold_spilled(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                      uint64_t from, uint64_t below, uint64_t bucket,
                      std::variant<RecordedEvent, SpilledDocuments>& record);
  // The checkpoint of event `seq` (a later pass's documents are folded up to it).
  StatusOr<ProjectionCheckpoint> checkpoint_at(uint64_t seq);
  // Each later pass without a spill: folds the accounts of `rest` in partitions [from, below)
  // from their own events (the log's account index, read on threads ahead
  // of the fold), so the log is read once in all, whatever the number of
  // passes; removes them from `rest`.
  Status bulk_account_pass(std::vector<BulkTarget>& group, uint64_t until, uint64_t from, uint64_t& below,
                           BulkPass& pass, std::set<std::string>& rest);
  // Folds the events [1, until] of `accounts` (read ahead on reading
  // threads, AccountReader) into the folders of the targets that have not
  // loaded their partitions; narrows `below` when over the bound. The
  // number of accounts folded; notes the events read and the time waited
  // for them in `report`, the memory held at the end in `pass`.
  StatusOr<uint64_t> fold_accounts(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                                   const std::vector<const std::string*>& accounts, uint64_t until, uint64_t from,
                                   uint64_t& below, BulkPass& pass, BulkPassReport& report);
  // Writes each target's documents of [its below, below) and records its
  // progress (the partitions below `below`, folded up to `last`).
  Status bulk_write(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                    const ProjectionCheckpoint& last, uint64_t below);
  // Ends a pass over partitions [from, below): notes in `report` what it
  // holds, then writes its documents (bulk_write) and notes how long that took.
  Status end_pass(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                  const ProjectionCheckpoint& last, uint64_t from, uint64_t below, BulkPassReport& report,
                  size_t accounts_left);
  static void report_bulk(const BulkPass& pass, ProjectionProgress& p, uint64_t read, uint64_t until,
                          uint64_t from, uint64_t below);
  static void report_accounts(const BulkPass& pass, ProjectionProgress& p, uint64_t read, uint64_t visited,
                              size_t accounts_left);
  // Within a later pass over [from, below), `done` of it folded: when over the
  // bound, narrows `below` to the partitions that fit (fitting_below, the
  // folders holding held()) and has the folders forget the others (those
  // left are read again by the next pass); whether it did.
  bool narrowed_within(std::vector<std::unique_ptr<BulkFolder>>& folders, uint64_t from, uint64_t& below,
                       double done, const std::function<size_t()>& held);
  // What a bulk load counts against memory_bytes_max now.
  size_t counted_bytes() const;
  // The `below` a pass over [from, below) keeps when `counted` is over the
  // bound: the partitions whose folders, grown to `held` over `done_share`
  // of the pass and growing on alike, fit what the rest of the counted
  // memory leaves of the bound (at most half of them, at least kWidthMin).
  uint64_t fitting_below(size_t counted, size_t held, double done_share, uint64_t from, uint64_t below) const;
  Status commit(std::vector<Target>& targets);
  // The memory the targets' documents take, estimated (see memory_bytes_max).
  static size_t held_bytes(const std::vector<Target>& targets);
  Status compare(uint64_t live_id, uint64_t scratch_id, ProjectionDifferences& out);

  ProjectionStore& store_;
  EventLog& log_;
  std::vector<std::unique_ptr<StoredProjection>> projections_;
  ProjectionEngineOptions options_;
  std::mutex folding_;  // catch_up, rebuild and verify run one at a time
  // The folders (document caches) of live generations, by generation id,
  // between catch-ups. Guarded by folding_.
  std::map<uint64_t, std::unique_ptr<Folder>> kept_;
};

}  // namespace mledger
