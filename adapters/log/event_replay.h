#pragma once
// Replay: the events of a log in order, decoded and chain-checked, over two
// threads. A reader thread scans the stored envelopes (EventLog::
// scan_envelopes: RocksDB's iterator, block decompression) and copies them,
// each at a word boundary, into batches; the calling thread checks each one's
// chain link (ChainVerifier), decodes it in place (codec::decode_linked) and
// hands it on. The two overlap through a bounded queue of batches.
//
// The hash of each envelope over its stored bytes (SHA-256, nothing decoded,
// the costly part of a link) is computed on either thread, balanced by the
// queue: the reader hashes a batch itself when an earlier one still waits for
// the decoder (the decoder is the slower side), else leaves it to the
// decoder. The links are compared in order on the decoding thread either way,
// so a broken chain is named at the same seq.
//
// Used where the whole log, or a long run of it, is read and decoded: `mledger
// bench replay` and every other full read that needs decoded events.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "domain/core/status.h"
#include "domain/events/event.h"
#include "domain/ports/event_log.h"

namespace mledger {

struct ReplayLimits {
  // A batch is handed to the decoder when it holds this many events or this
  // many envelope bytes (an event of limits::event_bytes_max always fits).
  size_t batch_events_max = 1024;
  size_t batch_bytes_max = size_t{1} << 20;
  // Batches read ahead of the decoder. Memory: at most queued_batches_max + 2
  // batches (one being filled, one being decoded).
  size_t queued_batches_max = 4;
  // Where envelopes are hashed: balanced (above), or always on one thread
  // (for tests of each path, and to compare).
  enum class Hashing { balanced, on_reader, on_decoder };
  Hashing hashing = Hashing::balanced;
};

struct ReplayStats {
  uint64_t events = 0;          // events handed to `fn`
  uint64_t envelope_bytes = 0;  // their stored size
};

// Calls `fn` on the calling thread with each event of `log` from `from_seq`
// (>= 1) on, in order, until it returns false or the log ends. The chain is
// checked from `from_seq` on: seq gap-free, each key equal to its body's seq,
// each hash over its body's stored bytes, each prev_hash equal to the hash
// before (for from_seq > 1, the stored hash of event from_seq - 1, itself
// checked against its body).
//
// Returns OK at the end of the log or when `fn` returned false; the scan's
// Status on an I/O failure; `corruption` naming the seq for a broken chain or
// an event that does not decode. In every case `fn` has seen every event
// before the failure and none after it, and the reader thread has ended.
// `stats` (may be null) counts what `fn` was given.
[[nodiscard]] Status replay_events(EventLog& log, uint64_t from_seq, const ReplayLimits& limits,
                                   const std::function<bool(RecordedEvent&&)>& fn,
                                   ReplayStats* stats = nullptr);

// The body of an envelope replay_events_with_envelopes() handed out (so its
// hash was checked; codec::body_linked), kept aside and read back with a
// checksum of its own (a bulk load's spill): decoded, with every check but
// the hash (codec::decode_body_linked; no prev_hash or hash), and checked to
// say `seq`. corruption naming the seq.
[[nodiscard]] StatusOr<RecordedEvent> reopen_body(uint64_t seq, std::string_view body);

// Whether `envelope` (read from the log again) is event `seq` as replayed:
// its hash over its bytes equals `hash` (the replayed event's) and it says
// `seq`. corruption naming the seq otherwise.
[[nodiscard]] Status check_envelope(uint64_t seq, std::string_view envelope, const Hash256& hash);

// replay_events, also handing `fn` each event's envelope as stored (valid
// only during the call).
[[nodiscard]] Status replay_events_with_envelopes(
    EventLog& log, uint64_t from_seq, const ReplayLimits& limits,
    const std::function<bool(RecordedEvent&&, std::string_view envelope)>& fn, ReplayStats* stats = nullptr);

// replay_events_with_envelopes, asking first whether to decode each event: an
// event whose envelope `decode(seq, envelope)` declines (called on the
// decoding thread, its chain link already checked) is handed to `fn`
// undecoded: only its seq, prev_hash and hash are meaningful (the same
// object each time, so nothing is built for it). For a reader that needs
// only some events decoded and the rest as stored.
[[nodiscard]] Status replay_events_deciding(
    EventLog& log, uint64_t from_seq, const ReplayLimits& limits,
    const std::function<bool(uint64_t seq, std::string_view envelope)>& decode,
    const std::function<bool(RecordedEvent&&, std::string_view envelope)>& fn, ReplayStats* stats = nullptr);

}  // namespace mledger
