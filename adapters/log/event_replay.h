#pragma once
// Replay: the events of a log in order, decoded and chain-checked, over two
// threads. A reader thread scans the stored envelopes (EventLog::
// scan_envelopes: RocksDB's iterator, block decompression) and copies them,
// each at a word boundary, into batches; the calling thread checks each one's
// chain link over its bytes (ChainVerifier: SHA-256, nothing decoded), decodes
// it in place (codec::decode_linked) and hands it on. The two overlap through
// a bounded queue of batches. (The hash sits on the decoding side because the
// profile put the scan alone at about as much CPU as hash and decode together
// once decoding stopped going through Cap'n Proto's dynamic API.)
//
// Used where the whole log, or a long run of it, is read and decoded: `mledger
// bench replay` and every other full read that needs decoded events.

#include <cstddef>
#include <cstdint>
#include <functional>

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

}  // namespace mledger
