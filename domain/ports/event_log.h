#pragma once
// EventLog: the port every event store implements (RocksDB on disk, memory in
// tests). One contract test suite (tests/adapters/event_log_contract_test.cc)
// runs against every implementation.
//
// Thread safety: append_batch() is called by one writer at a time (the group
// commit writer); every read may run concurrently with it and with each other.
// A read sees whole batches only: never part of an append.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger {

// Optimistic concurrency: the stream must be at exactly this version when the
// request is applied (0 = the stream must not exist yet). Every stream that a
// request writes must be listed; a request may list streams it only read.
struct StreamExpectation {
  std::string stream;
  uint64_t expected_version = 0;
};

// The space a command id is unique in (R-LED-02), as payment APIs scope
// their idempotency keys: the acting account ("account:<id>") for users and
// auditors; one space, "system", for the system actors (operators and
// services, the deadline runner's clock among them). The same id in two
// spaces names two commands; one space cannot see or take another's ids.
inline std::string command_scope(const Actor& actor) {
  if (actor.kind == ActorKind::user || actor.kind == ActorKind::auditor) {
    return "account:" + actor.account_id;
  }
  return "system";
}

struct AppendRequest {
  std::string command_id;       // idempotency key (R-LED-02), unique within
                                // command_scope(metadata.actor)
  Hash256 command_digest{};     // identifies the command's content
  EventMetadata metadata;       // copied onto every event (command_id included)
  std::vector<StreamExpectation> expectations;
  std::vector<NewEvent> events;  // at least one; at most limits::events_per_command_max
  // Optional, one per event when present: each event's wire body already
  // encoded with placeholder positions, made on the submitting thread so that
  // the single writer only patches positions and extends the chain. An
  // implementation encodes the events itself when this is empty.
  std::vector<std::string> encoded_bodies;
  // Pipelining (see GroupCommitWriter::open_chain): requests of one
  // append_batch() call with the same nonzero `chain` were decided each over
  // the events of the earlier ones. Once one of them is not appended
  // (conflict, duplicate, id reused), the later ones are not applied either:
  // they report conflict with an empty conflict_stream. 0: no chain.
  uint64_t chain = 0;
};

struct EventPosition {
  uint64_t seq = 0;
  std::string stream;
  uint64_t version = 0;
  std::string event_id;
  std::string type;
  Hash256 hash{};
  friend bool operator==(const EventPosition&, const EventPosition&) = default;
};

enum class AppendStatus {
  appended,         // the events are durable; `events` says where they are
  duplicate,        // the command id was appended before with the same digest:
                    // nothing written, `events` is the first outcome
  conflict,         // a stream was not at its expected version, or an earlier
                    // request of its chain was not appended: nothing written
  command_id_reused // the command id was used before for different content
};

struct AppendOutcome {
  AppendStatus status = AppendStatus::appended;
  std::vector<EventPosition> events;
  std::string conflict_stream;  // conflict only
  uint64_t expected_version = 0;
  uint64_t actual_version = 0;
  Hash256 command_digest{};     // find_command only: the digest first appended
};

// Where the chain stands: an auditor keeps it and checks it later.
struct LogDigest {
  uint64_t seq = 0;  // last sequence number, 0 for an empty log
  Hash256 head{};    // hash of event `seq` (zeros for an empty log)
  friend bool operator==(const LogDigest&, const LogDigest&) = default;
};

struct ChainReport {
  uint64_t events_checked = 0;
  LogDigest digest;                   // of the last good event
  std::optional<uint64_t> first_bad_seq;  // set when the chain is broken
  std::string problem;                // what was wrong at first_bad_seq
  uint64_t tree_size = 0;             // events the Merkle tree covers (checked
                                      // against the chain with it)
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Applies the requests in order, all in one durable (synced) write. Each
  // request is atomic on its own: it is appended whole, or (conflict,
  // duplicate, id reused) changes nothing; a later request sees what the
  // earlier ones appended. On a Status failure nothing of the batch is
  // written and the log may refuse further appends (a disk that failed a
  // sync is not trusted again without a reopen).
  [[nodiscard]] virtual StatusOr<std::vector<AppendOutcome>> append_batch(
      std::span<const AppendRequest> requests) = 0;

  // Events of one stream with version >= from_version, at most max_count.
  [[nodiscard]] virtual StatusOr<std::vector<RecordedEvent>> read_stream(
      std::string_view stream, uint64_t from_version, size_t max_count) = 0;

  // Events with seq >= from_seq in order, at most max_count.
  [[nodiscard]] virtual StatusOr<std::vector<RecordedEvent>> read_global(uint64_t from_seq,
                                                                         size_t max_count) = 0;

  // Events concerning `account_id` with seq >= from_seq in order, at most max_count.
  [[nodiscard]] virtual StatusOr<std::vector<RecordedEvent>> read_account(
      std::string_view account_id, uint64_t from_seq, size_t max_count) = 0;

  // Current version of a stream (0 when it does not exist).
  [[nodiscard]] virtual StatusOr<uint64_t> stream_version(std::string_view stream) = 0;

  // Names of streams starting with `prefix` that sort after `after` (empty:
  // from the first), in byte order, at most max_count. For walking every
  // account or every invitation without reading events.
  [[nodiscard]] virtual StatusOr<std::vector<std::string>> list_streams(std::string_view prefix,
                                                                        std::string_view after,
                                                                        size_t max_count) = 0;

  // The outcome of the command appended with `command_id` in `scope`
  // (command_scope() of its actor), or nullopt if the id is unknown there
  // (whatever other scopes hold).
  [[nodiscard]] virtual StatusOr<std::optional<AppendOutcome>> find_command(
      std::string_view scope, std::string_view command_id) = 0;

  [[nodiscard]] virtual StatusOr<LogDigest> digest() = 0;

  // Calls `fn` with the stored envelope of each event from `from_seq` on
  // (the sealed bytes of docs/event-log.md, not opened or checked), in order,
  // until it returns false. For readers that decode on their own (the Kafka
  // publisher copies them to Kafka as they are).
  [[nodiscard]] virtual Status scan_envelopes(
      uint64_t from_seq, const std::function<bool(uint64_t, std::string_view)>& fn) = 0;

  // Makes appends that another process made visible to this instance's reads
  // (a RocksDB secondary instance beside the writer). A log that is itself
  // the writer always sees its own appends: OK, nothing to do.
  [[nodiscard]] virtual Status catch_up() = 0;

  // Recomputes the hash chain from seq 1: every stored byte is covered. A
  // broken chain is a report (first_bad_seq), not a failed Status; Status
  // failures are for I/O. `progress` (may be empty) is called now and then
  // with the events checked so far.
  [[nodiscard]] virtual StatusOr<ChainReport> verify_chain(
      const std::function<void(uint64_t)>& progress) = 0;

  // The Merkle tree over the log (RFC 9162; adapters/merkle/merkle.h): leaf
  // i is the chain hash of event i + 1, maintained in the same atomic write
  // as the events. tree_size() is the number of events it covers (digest().seq
  // once built; a ledger from before the tree is built when a writer opens
  // it). tree_node() is the hash of complete subtree (level, index): the
  // 2^level leaves from index * 2^level on (an implementation may store only
  // some levels and compute the others from the events' chain hashes);
  // not_found when that subtree is not complete within tree_size().
  [[nodiscard]] virtual StatusOr<uint64_t> tree_size() = 0;
  [[nodiscard]] virtual StatusOr<Hash256> tree_node(unsigned level, uint64_t index) = 0;
};

}  // namespace mledger
