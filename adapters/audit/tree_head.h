#pragma once
// Signed tree heads: the ledger's signed statement "my Merkle tree of
// tree_size events has root_hash" (docs/audit.md, "Signed tree heads").
//
// The signed message, byte for byte (Ed25519 over exactly these 85 bytes):
//   "mledger-tree-head-v1" (20 ASCII bytes), one 0x00 byte,
//   the ledger id (16 ASCII lowercase hex digits),
//   tree_size (8 bytes, big-endian), root_hash (32 bytes),
//   timestamp (8 bytes, big-endian: microseconds since the Unix epoch, UTC).
// The ledger id is the first 16 hex digits of event 1's chain hash (as the
// Kafka publisher's CloudEvents source): two ledgers never share one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/crypto/ed25519.h"
#include "domain/core/time.h"
#include "domain/ports/event_log.h"

namespace mledger {

inline constexpr size_t kTreeHeadSignedBytes = 85;

struct TreeHead {
  uint64_t tree_size = 0;
  Hash256 root_hash{};
  Instant timestamp;
  std::string ledger_id;  // 16 lowercase hex digits
  std::string signature;  // 64 bytes
  friend bool operator==(const TreeHead&, const TreeHead&) = default;
};

// The signed message (above).
std::string tree_head_message(const TreeHead& head);

// The head of `log`'s whole tree now, signed with `key` at `now`. not_found
// when the log is empty (there is no ledger id yet).
[[nodiscard]] StatusOr<TreeHead> sign_tree_head(EventLog& log, const Ed25519PrivateKey& key, Instant now);

// "" when `head` is signed by `key`; otherwise why not.
std::string check_tree_head(const TreeHead& head, const Ed25519PublicKey& key);

// `head` against a head the auditor kept (and checked): "" when it is the same
// ledger's, of the trusted size or larger, and not of the trusted size with
// another root; otherwise why not (a replayed head, a fork, another ledger).
std::string against_trusted(const TreeHead& head, const std::optional<TreeHead>& trusted);

// The ledger id of a non-empty log; not_found when it is empty.
[[nodiscard]] StatusOr<std::string> ledger_id_of(EventLog& log);

// JSON: {"tree_size", "root_hash" (hex), "timestamp" (RFC 3339, UTC),
// "ledger_id", "signature" (base64)}. Parsing is strict: every field, of its
// type, nothing else; invalid_argument naming the first problem.
nlohmann::json tree_head_to_json(const TreeHead& head);
[[nodiscard]] StatusOr<TreeHead> tree_head_from_json(const nlohmann::json& j);

// Stored form (the tree_heads family): the message followed by the signature.
std::string encode_tree_head(const TreeHead& head);
[[nodiscard]] StatusOr<TreeHead> decode_tree_head(std::string_view bytes);

}  // namespace mledger
