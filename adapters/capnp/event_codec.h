#pragma once
// Codec between the domain's RecordedEvent and the wire Envelope of
// mledger.capnp, and the hash chain that seals each event.
//
// seal():  encodes the body canonically and computes
//          hash = SHA-256(prev_hash || body). Returns the envelope bytes (a flat
//          single-segment Cap'n Proto message) and sets event.hash.
// open():  the reverse, for bytes read from anywhere (disk, network, a file):
//          checks the size limit, recomputes the hash over the stored body
//          bytes and decodes the body in place (from an aligned copy of the
//          body when the bytes are not 8-byte aligned) with explicit
//          ReaderOptions. Every failure is a `corruption` Status naming what
//          was wrong; open() never throws and never asserts on bad bytes.
// All functions here are thread-safe.
//
// The envelope every mledger writes has one fixed layout (seal_body()); it is
// read at fixed offsets, and an envelope of any other valid layout through
// Cap'n Proto. Payloads are encoded and decoded at field offsets resolved
// from the schema once (struct_codec.h), never through the dynamic API.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger::codec {

// Reader limits for bytes that came from outside this process.
inline constexpr uint64_t kTraversalLimitWords = 64 * 1024 / 8 * 4;
inline constexpr int kNestingLimit = 16;

// `event.prev_hash` must be set; `event.hash` is overwritten. Fails with
// limit_exceeded when the envelope would exceed limits::event_bytes_max.
[[nodiscard]] StatusOr<std::string> seal(RecordedEvent& event);

[[nodiscard]] StatusOr<RecordedEvent> open(std::string_view envelope_bytes);

// The three steps of seal(), for the append path, which encodes bodies on the
// submitting threads and leaves only positions and the chain to the writer:
//   encode_body()          canonical body bytes; seq and version may be
//                          placeholders (any non-zero value)
//   patch_body_position()  writes the real seq and version into those bytes
//                          (fixed offsets of the canonical layout; the result
//                          equals encode_body() with the real values)
//   seal_body()            copies a body into its envelope once, writes the
//                          real position there, and chains it to prev_hash
[[nodiscard]] StatusOr<std::string> encode_body(uint64_t seq, uint64_t version,
                                                const NewEvent& event,
                                                const EventMetadata& metadata);
void patch_body_position(std::string& body, uint64_t seq, uint64_t version);
struct SealedEnvelope {
  std::string bytes;
  Hash256 hash{};
};
SealedEnvelope seal_body(const Hash256& prev_hash, uint64_t seq, uint64_t version,
                         std::string_view body);

// The chain link of an envelope without decoding it: checks that the hash
// matches the body (over the stored bytes) and reads the body's seq in place.
// Used by verification scans.
struct ChainLink {
  uint64_t seq = 0;
  Hash256 prev_hash{};
  Hash256 hash{};
};
[[nodiscard]] StatusOr<ChainLink> open_link(std::string_view envelope_bytes);

// open() without recomputing the hash: only for bytes whose hash this process
// has already checked with open_link() (the replay pipeline checks on one
// thread and decodes on another). Every other check of open() is made.
[[nodiscard]] StatusOr<RecordedEvent> decode_linked(std::string_view envelope_bytes);

// The body of an envelope (the canonical EventBody bytes its hash covers,
// without the hashes and the envelope's framing), for bytes whose hash this
// process has already checked: a view into `envelope_bytes` for the layout
// every mledger writes, else into `copy`. corruption on bad bytes.
[[nodiscard]] StatusOr<std::string_view> body_linked(std::string_view envelope_bytes, std::string& copy);

// decode_linked() of a body alone (body_linked()): the event, every check of
// decode_linked() made, without its prev_hash and hash (zeros).
[[nodiscard]] StatusOr<RecordedEvent> decode_body_linked(std::string_view body_bytes);

// The accounts an envelope's event names: its stream's account ("account-<id>",
// account_of_stream) and then each of its account ids, as `account(id)`
// calls with views into `envelope_bytes` (valid during the call; perhaps
// repeated), read in place without decoding the rest. Like decode_linked(),
// only for bytes whose hash this process has already checked; every other
// check of the body's shape is made. Returns the event's seq. Used where
// events are routed by account without being decoded (a bulk load's spill).
[[nodiscard]] StatusOr<uint64_t> accounts_named_linked(std::string_view envelope_bytes,
                                                       const std::function<void(std::string_view)>& account);

// Everything of an envelope but its payload, for paths that route or label
// events without decoding them (the Kafka publisher). Checks the hash as
// open() does; fails with `corruption` on bad bytes, never throws.
struct EventHead {
  uint64_t seq = 0;
  std::string stream;
  uint64_t version = 0;
  std::string event_id;
  std::string type;
  std::string command_id;
  uint32_t schema_version = 0;
  int64_t recorded_at_micros = 0;
  std::vector<std::string> account_ids;
  Actor actor;  // whose command it was (its command_scope())
  Hash256 prev_hash{};
  Hash256 hash{};
};
[[nodiscard]] StatusOr<EventHead> open_head(std::string_view envelope_bytes);

}  // namespace mledger::codec
