#pragma once
// ReadModelSnapshots: snapshots of an account's read-model documents (the
// fold `mledger audit state` makes: projections::AccountDocs), so that the
// account's state at a point folds only the events after the nearest
// snapshot at or before it (adapters/projections/read_models.h).
//
// A snapshot holds the fold of the account's first `position` events (its
// account index: every stream that concerns it) and names the account, the
// position, the log seq and the chain hash of the last event folded, the
// read-model fold version (kReadModelFoldVersion: the projections' own
// versions) and the largest business (`occurred_at`) and recorded
// (`recorded_at`) times over the events folded: it serves `--as-of T` only if
// every event it folded is at or before T on the chosen clock. Its bytes are
// the snapshot frame (adapters/snapshots/snapshot_codec.h, magic "MLRMSN01")
// with the documents in the read models' binary encoding
// (adapters/projections/binary_document.h).
//
// Storage: a SnapshotStore (a ledger's snapshots directory, beside the
// decision snapshots), one entry per snapshot ("read-model/<position>/<account>")
// and an index per account ("read-model-index/<account>", itself a checked
// frame) listing the snapshots kept: at most `kept_per_account_max`; when one
// more is added, the one whose removal leaves the smallest gap between its
// neighbours goes (the newest and the oldest stay), so the kept ones stay
// about evenly spread over the account's history. The index is only a
// guide: every snapshot is checked before it is used.
//
// Reading: nearest() tries the account's snapshots from the largest position
// down and returns the first that `usable` accepts and that passes every
// check: its bytes decode and match their checksum, it names the account,
// the position and the summary the index lists, its fold version is the
// current one, and the log's event at its seq has the chain hash it recorded
// (snapshot_problem(), the decision snapshots' own check). A snapshot that
// fails is ignored (counted, with the reason), dropped from the index and
// erased: never trusted. At most kept_per_account_max are tried.
//
// Writing is off the reader's path: wants() says whether a fold that has just
// passed `position` should offer its documents (a multiple of
// events_between_snapshots that the index does not hold); offer() hands them
// to a bounded queue (a full queue drops the offer); a background thread
// encodes and writes the snapshot, then the index (the store replaces each
// whole, so a crash leaves the old index or the new one, and at worst an
// unlisted snapshot that is replaced when that position is offered again).
// flush() waits until the queue is empty; the destructor flushes, then stops
// the thread. Only documents folded from the log are offered: events are
// never at risk, and a snapshot is disposable.
//
// Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/snapshots/background_writes.h"
#include "domain/ports/event_log.h"
#include "domain/ports/snapshot_store.h"
#include "projections/all.h"

namespace mledger {

// The version of the fold a read-model snapshot holds: the projections'
// versions, one byte each; a snapshot of any other is stale.
inline constexpr uint32_t kReadModelFoldVersion =
    (projections::AccountsProjection::kVersion << 24) | (projections::OrdersProjection::kVersion << 16) |
    (projections::KeysProjection::kVersion << 8) | projections::MergesProjection::kVersion;
static_assert(projections::AccountsProjection::kVersion < 256 && projections::OrdersProjection::kVersion < 256 &&
              projections::KeysProjection::kVersion < 256 && projections::MergesProjection::kVersion < 256);

struct ReadModelSnapshotOptions {
  // A snapshot is offered at every multiple of this many account events.
  uint64_t events_between_snapshots = 10000;
  size_t kept_per_account_max = 128;  // snapshots kept per account (>= 2; the index holds at most 4096)
  size_t queue_max = 4;              // offers waiting to be written; more are dropped
  // The fold version written and required (tests change it to stand for
  // another build).
  uint32_t fold_version = kReadModelFoldVersion;
};

// What a snapshot is of: the index's entry and the snapshot's own header.
struct ReadModelSnapshotSummary {
  uint64_t position = 0;  // the account's events folded (>= 1)
  uint64_t seq = 0;       // the log seq of the last of them
  Instant occurred_at_max;
  Instant recorded_at_max;
  bool operator==(const ReadModelSnapshotSummary&) const = default;
};

struct ReadModelSnapshotAt {
  ReadModelSnapshotSummary summary;
  projections::AccountDocs docs;  // docs.last_seq == summary.seq
};

struct ReadModelSnapshotStats {
  uint64_t loaded = 0;    // snapshots that passed every check and were used
  uint64_t written = 0;
  uint64_t dropped = 0;   // offers dropped because the queue was full
  uint64_t ignored = 0;   // snapshots (or indexes) that failed a check (then erased)
  uint64_t failures = 0;  // reads or writes the store or log failed
  std::string last_ignored;  // why the last ignored one was
};

class ReadModelSnapshots {
 public:
  ReadModelSnapshots(EventLog& log, SnapshotStore& store, ReadModelSnapshotOptions options);
  ~ReadModelSnapshots();
  ReadModelSnapshots(const ReadModelSnapshots&) = delete;
  ReadModelSnapshots& operator=(const ReadModelSnapshots&) = delete;

  // The snapshot of `account` with the largest position that `usable`
  // accepts and that passes every check, or nullopt.
  std::optional<ReadModelSnapshotAt> nearest(const std::string& account,
                                             const std::function<bool(const ReadModelSnapshotSummary&)>& usable);

  // Whether a fold of `account` that has just folded its event number
  // `position` should offer() its documents (cheap: call it every event).
  bool wants(const std::string& account, uint64_t position);
  // `docs` is the fold of the account's first summary.position events.
  void offer(const std::string& account, const ReadModelSnapshotSummary& summary,
             std::shared_ptr<const projections::AccountDocs> docs);

  void flush();
  ReadModelSnapshotStats stats() const;

 private:
  struct Offer {
    std::string account;
    ReadModelSnapshotSummary summary;
    std::shared_ptr<const projections::AccountDocs> docs;
  };
  void write(const Offer& offer);
  std::vector<ReadModelSnapshotSummary> read_index(const std::string& account);
  // Makes listed_ `account`'s positions in `index`. Called holding mu_.
  void list(const std::string& account, const std::vector<ReadModelSnapshotSummary>& index);
  Status write_index(const std::string& account, const std::vector<ReadModelSnapshotSummary>& index);
  std::optional<ReadModelSnapshotAt> checked(const std::string& account, const ReadModelSnapshotSummary& listed);
  void ignore(const std::string& account, const ReadModelSnapshotSummary* listed, const std::string& why);
  void count_failure();

  EventLog& log_;
  SnapshotStore& store_;
  const ReadModelSnapshotOptions options_;
  mutable std::mutex mu_;
  std::mutex index_mu_;              // one index read-modify-write at a time
  std::string listed_account_;       // the account whose positions listed_ holds
  std::vector<uint64_t> listed_;     // its indexed positions, as last read or written
  ReadModelSnapshotStats stats_;
  BackgroundWrites<Offer> writes_;  // last: its thread starts once the rest is initialized
};

// Encodes / decodes a read-model snapshot's bytes (exposed for tests and
// the bench). decode checks the form and checksum only (corruption naming
// what is wrong); whether it may be used is nearest()'s check.
std::string encode_read_model_snapshot(const std::string& account, const ReadModelSnapshotSummary& summary,
                                       const Hash256& event_hash, uint32_t fold_version,
                                       const projections::AccountDocs& docs);
struct DecodedReadModelSnapshot {
  std::string account;
  uint32_t fold_version = 0;
  Hash256 event_hash{};
  ReadModelSnapshotAt at;
};
[[nodiscard]] StatusOr<DecodedReadModelSnapshot> decode_read_model_snapshot(std::string_view bytes);

// The store's names of an account's snapshot at `position` and of its index.
std::string read_model_snapshot_name(const std::string& account, uint64_t position);
std::string read_model_index_name(const std::string& account);

}  // namespace mledger
