#pragma once
// Snapshotter: snapshots of accounts' decision states (domain/account/
// retire.h), so that a decision folds only the events after the latest one.
//
// Reading: latest(stream) returns a snapshot only when every check passes:
// its bytes decode and match their checksum, it names `stream`, its fold
// version is kDecisionFoldVersion, and the log's event at its version exists
// and has the chain hash it recorded (a snapshot of another ledger, or of a
// log that was rewritten or restored from an older backup, fails this one).
// A snapshot that fails is ignored, counted (SnapshotStats::ignored, with the
// last reason), erased, and rebuilt later: never trusted.
//
// Writing is off the command's path: offer() hands (stream, state, version)
// to a bounded queue, kept only when the stream's events since its last known
// snapshot reach events_between_snapshots; a background thread reads the
// event at that version for its chain hash, encodes and writes. A full queue
// drops the offer (a snapshot is an optimisation; events are never at risk:
// only states of durable events are offered). flush() waits until the queue
// is empty; the destructor flushes, then stops the thread.
//
// Thread-safe.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/account/account_state.h"
#include "adapters/snapshots/background_writes.h"
#include "domain/ports/event_log.h"
#include "domain/ports/snapshot_store.h"

namespace mledger {

struct SnapshotOptions {
  // A stream is snapshotted again once this many events follow its last snapshot.
  uint64_t events_between_snapshots = 1000;
  size_t queue_max = 64;  // offers waiting to be written; more are dropped
  // Streams whose last snapshot version is remembered; past it, forgotten
  // (they may then be snapshotted once more than needed).
  size_t streams_remembered_max = 100000;
};

struct SnapshotStats {
  uint64_t loaded = 0;    // snapshots that passed every check and were used
  uint64_t written = 0;
  uint64_t dropped = 0;   // offers dropped because the queue was full
  uint64_t ignored = 0;   // snapshots that failed a check (then erased)
  uint64_t failures = 0;  // reads or writes the store or log failed
  std::string last_ignored;  // why the last ignored one was
};

struct SnapshotAt {
  AccountState state;
  uint64_t version = 0;
};

class Snapshotter {
 public:
  Snapshotter(EventLog& log, SnapshotStore& store, SnapshotOptions options);
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // The latest snapshot of `stream` that passes every check, or nullopt.
  std::optional<SnapshotAt> latest(const std::string& stream);

  // `state` is the decision fold of `stream`'s durable events 1..version.
  void offer(const std::string& stream, std::shared_ptr<const AccountState> state, uint64_t version);

  void flush();
  SnapshotStats stats() const;

 private:
  struct Offer {
    std::string stream;
    std::shared_ptr<const AccountState> state;
    uint64_t version = 0;
  };
  void write(const Offer& offer);
  void ignore(const std::string& stream, const std::string& why);
  void remember(const std::string& stream, uint64_t version);  // mu_ held

  EventLog& log_;
  SnapshotStore& store_;
  const SnapshotOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint64_t> snapshotted_;  // stream -> version
  SnapshotStats stats_;
  BackgroundWrites<Offer> writes_;  // last: its thread starts once the rest is initialized
};

}  // namespace mledger
