#pragma once
// The account statement of an export (docs/audit.md, "Export format"): the
// ledger's signed word that, at one signed tree head, an account's events are
// exactly a given list. Signed with the tree-head key (a message of its own
// magic, so it is never taken for a head); checked offline by ExportChecker.

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/audit/tree_head.h"
#include "adapters/crypto/sha256.h"

namespace mledger {

// The account statement the trailer's account_signature signs, byte for byte:
//   "mledger-account-events-v1" (25 ASCII bytes), one 0x00 byte,
//   the ledger id (16 ASCII hex digits), tree_size (8 bytes, big-endian),
//   root_hash (32 bytes), the account id's length (8 bytes, big-endian),
//   the account id (its bytes), the event count (8 bytes, big-endian),
//   events_digest (32 bytes): SHA-256 over, for each exported event in order,
//   its seq (8 bytes, big-endian) and its chain hash (32 bytes).
std::string account_statement_message(const TreeHead& head, std::string_view account,
                                      uint64_t events, const Hash256& events_digest);

// Feeds (seq, chain hash) pairs into the events_digest above.
class AccountEventsDigest {
 public:
  AccountEventsDigest() { sha_.begin(); }
  void add(uint64_t seq, const Hash256& hash);
  Hash256 finish() { return sha_.finish(); }

 private:
  Sha256 sha_;
};

}  // namespace mledger
