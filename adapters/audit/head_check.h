#pragma once
// Fork evidence from signed tree heads (docs/audit.md, "Heads others can
// see"; docs/kafka.md, "<prefix>.tree-heads"). A ledger that showed two
// parties two histories has to sign two heads of one tree size with
// different root hashes: HeadChecker, fed every head an auditor collected
// (the tree-heads topic, `audit tree-heads --json`, heads kept from proofs),
// names such a pair. Each head is first checked: its JSON strict
// (tree_head_from_json), its signature by the ledger's public key, its
// ledger id that of the heads before it; a head that fails is refused,
// named by its place, and proves nothing (anyone can write a head signed by
// another key). With the ledger at hand (`consistency`), consecutive sizes
// are also checked with an RFC 9162 consistency proof from it: a head the
// ledger cannot prove consistent with the previous one is named too.
//
// Bounded: at most kHeadsCheckedMax heads, kFindingsMax findings of each
// kind (the count of the rest is kept).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/audit/tree_head.h"

namespace mledger {

inline constexpr size_t kHeadsCheckedMax = 10'000'000;
inline constexpr size_t kFindingsMax = 100;

// The consistency proof from the tree of from_size to that of to_size, and
// the ledger's tree size (what it can prove up to).
struct ConsistencySource {
  uint64_t tree_size = 0;
  std::function<StatusOr<std::vector<Hash256>>(uint64_t from_size, uint64_t to_size)> proof;
};

struct HeadCheckReport {
  uint64_t heads_checked = 0;   // well-formed, signed by the key, of the ledger
  uint64_t sizes = 0;           // distinct tree sizes among them
  uint64_t smallest_size = 0, largest_size = 0;
  std::string ledger_id;
  std::vector<std::string> forks;       // two signed heads of one size, different roots
  std::vector<std::string> inconsistent;  // consecutive heads the ledger's proof does not join
  std::vector<std::string> refused;     // heads that prove nothing (unsigned, malformed, ...)
  uint64_t findings_left_out = 0;
  bool holds() const { return forks.empty() && inconsistent.empty() && refused.empty() && findings_left_out == 0; }
};

class HeadChecker {
 public:
  explicit HeadChecker(Ed25519PublicKey key) : key_(std::move(key)) {}

  // One head as JSON text; `where` names it in findings ("line 3", "offset 7").
  void add(std::string_view where, std::string_view json_text);
  // Checks consecutive sizes against the ledger (optional), then reports.
  HeadCheckReport finish(const std::optional<ConsistencySource>& ledger);

 private:
  struct Seen {
    Hash256 root{};
    std::string where;
  };
  void note(std::vector<std::string>& into, std::string finding);

  Ed25519PublicKey key_;
  std::map<uint64_t, Seen> by_size_;  // the first signed head of each size
  HeadCheckReport report_;
};

}  // namespace mledger
