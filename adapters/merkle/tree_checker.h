#pragma once
// TreeChecker: checks a stored Merkle tree against the hash chain. Fed each
// event's (already verified) chain hash in sequence order, it recomputes
// every complete subtree the event completes and compares it with the
// stored one, so a stored node that differs is named at the first event it
// disagrees with. Reads each stored node once (about 2 per event, or
// 2 / 2^lowest_level when only the levels from lowest_level up are stored).

#include <cstdint>
#include <optional>
#include <string>

#include "adapters/merkle/merkle.h"

namespace mledger::merkle {

class TreeChecker {
 public:
  // Checks the nodes at `lowest_level` and above (a store that computes the
  // lower ones from the chain has nothing there to check).
  explicit TreeChecker(NodeReader stored, unsigned lowest_level = 0)
      : stored_(std::move(stored)), lowest_level_(lowest_level) {}

  // Returns false once a stored node differs or cannot be read (first_bad_seq
  // and problem say which); later calls change nothing.
  bool feed(uint64_t seq, const Hash256& chain_hash);
  // After the last event: the stored tree must cover exactly the events fed.
  bool finish(uint64_t stored_size);

  const std::optional<uint64_t>& first_bad_seq() const { return first_bad_seq_; }
  const std::string& problem() const { return problem_; }

 private:
  NodeReader stored_;
  unsigned lowest_level_;
  Frontier computed_;
  std::optional<uint64_t> first_bad_seq_;
  std::string problem_;
};

}  // namespace mledger::merkle
