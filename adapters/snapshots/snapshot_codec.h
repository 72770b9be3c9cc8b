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
// decode_snapshot checks the form and the checksum only; whether the snapshot
// may be used (its fold version, its stream, the log's event at its version)
// is the reader's check (adapters/snapshots/snapshotter.h).

#include <cstdint>
#include <string>

#include "domain/account/account_state.h"
#include "domain/core/status.h"

namespace mledger {

struct AccountSnapshot {
  std::string stream;
  uint64_t version = 0;
  Hash256 event_hash{};
  uint32_t fold_version = 0;
  AccountState state;
};

std::string encode_snapshot(const AccountSnapshot& snapshot);

// corruption naming what is wrong: too short, bad magic, lengths that do not
// add up, a checksum that does not match, a state that does not parse.
[[nodiscard]] StatusOr<AccountSnapshot> decode_snapshot(std::string_view bytes);

}  // namespace mledger
