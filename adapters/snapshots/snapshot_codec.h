#pragma once
// The bytes of a snapshot of an account's decision state (the fold of
// domain/account/retire.h): what it is of, and a checksum of all of it.
//
//   "MLSNAP01"                      magic, 8 bytes
//   fold_version                    u32, little-endian
//   version                         u64: the stream's events folded into it
//   event_hash                      32 bytes: chain hash of the event at `version`
//   stream                          u32 length + bytes
//   state                           u64 length + CBOR of the state's fields
//                                   (adapters/json/fields_json.h, the JSON form in CBOR)
//   checksum                        32 bytes: SHA-256 of everything above
//
// Every snapshot kind shares this frame (magic, fold version, version, event
// hash, name, body, checksum) and differs in its magic and body: the decision
// states' body is the CBOR state; read-model snapshots
// (adapters/snapshots/read_model_snapshots.h) have their own.
//
// decode_snapshot checks the form and the checksum only; whether the snapshot
// may be used (its fold version, its stream, the log's event at its version)
// is the reader's check (snapshot_problem below, used by every reader).

#include <cstdint>
#include <string>

#include <vector>

#include "domain/account/account_state.h"
#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger {

struct AccountSnapshot {
  std::string stream;
  uint64_t version = 0;
  Hash256 event_hash{};
  uint32_t fold_version = 0;
  AccountState state;
};

// The shared frame: `stream` names what the snapshot is of, `version` how far
// it folded, `event_hash` the chain hash of the last event folded.
struct SnapshotFrame {
  uint32_t fold_version = 0;
  uint64_t version = 0;
  Hash256 event_hash{};
  std::string stream;
  std::string body;
};

// `magic` is 8 bytes and names the snapshot kind.
std::string encode_frame(std::string_view magic, const SnapshotFrame& frame);
// corruption naming what is wrong: too short, another magic, lengths that do
// not add up, a checksum that does not match.
[[nodiscard]] StatusOr<SnapshotFrame> decode_frame(std::string_view magic, std::string_view bytes);

// Why a decoded frame may not be used, or "" when it may: it must name
// `stream` and `fold_version`, and it must have been taken at an event of
// this log: `found` is what the log holds at the position the snapshot names
// (read_stream(stream, version, 1) when `by_seq` is false, read_global(seq, 1)
// when true), and its first event must sit at `position` (>= 1) and have the
// frame's chain hash. A snapshot of another ledger, or of a log that was
// rewritten or restored from an older backup, fails the last check.
std::string snapshot_problem(const SnapshotFrame& frame, std::string_view stream, uint32_t fold_version,
                             const std::vector<RecordedEvent>& found, uint64_t position, bool by_seq);

std::string encode_snapshot(const AccountSnapshot& snapshot);

// corruption naming what is wrong: too short, bad magic, lengths that do not
// add up, a checksum that does not match, a state that does not parse.
[[nodiscard]] StatusOr<AccountSnapshot> decode_snapshot(std::string_view bytes);

}  // namespace mledger
