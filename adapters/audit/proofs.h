#pragma once
// Proof files (docs/audit.md, "Proofs"): a signed tree head with the proof
// that an event is in its tree (inclusion), or that an older signed head's
// tree is a prefix of a newer one's (consistency), as one JSON document that
// check_proof() checks offline, with the ledger's public key and nothing of
// the ledger:
//   {"format": 1, "proof": "inclusion", "seq": N, "chain_hash": hex,
//    "tree_size": S, "path": [hex, ...], "tree_head": {head}}
//   {"format": 1, "proof": "consistency", "from_size": M, "to_size": S,
//    "path": [hex, ...], "from_head": {head}, "to_head": {head}}
// A head is tree_head_to_json()'s. path: RFC 9162's PATH / PROOF, nearest the
// leaves first; the leaf is SHA-256(0x00 || chain_hash).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/audit/tree_head.h"
#include "adapters/rocksdb/rocksdb_event_log.h"

namespace mledger {

inline constexpr size_t kTreeHeadsListedMax = 10000;

// The stored signed head of exactly `size` (the latest when absent);
// not_found naming the nearest signed sizes when there is none.
[[nodiscard]] StatusOr<TreeHead> signed_head(RocksDbEventLog& log, std::optional<uint64_t> size);

// RFC 9162 PATH of event `seq` (leaf seq - 1) in `log`'s tree of `size`;
// invalid_argument unless 0 < seq <= size.
[[nodiscard]] StatusOr<std::vector<Hash256>> inclusion_path(EventLog& log, uint64_t seq, uint64_t size);

// The proof documents above, against signed heads of `log`'s tree.
// invalid_argument when seq is not within head's tree (or sizes are not
// 0 < from <= to).
[[nodiscard]] StatusOr<nlohmann::json> inclusion_proof_document(EventLog& log, const TreeHead& head,
                                                                uint64_t seq);
[[nodiscard]] StatusOr<nlohmann::json> consistency_proof_document(EventLog& log, const TreeHead& from,
                                                                  const TreeHead& to);

struct ProofVerdict {
  std::string refused;  // empty: the proof holds; otherwise why not
  std::string proven;   // what it proves, one sentence (when it holds)
};

// Checks a proof document: its heads signed by `key` (of one ledger), the
// proof's sizes those of its heads, the path leading to the signed root(s).
// `trusted` (a head the auditor kept, checked with `key` too): a head older
// than it (a smaller tree) is refused as a replay, one of its size with
// another root as a fork, one of another ledger as such.
ProofVerdict check_proof(const nlohmann::json& doc, const Ed25519PublicKey& key,
                         const std::optional<TreeHead>& trusted);

}  // namespace mledger
