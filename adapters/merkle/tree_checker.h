#pragma once
// TreeChecker: checks a stored Merkle tree against the hash chain. Fed each
// event's (already verified) chain hash in sequence order, it recomputes
// every complete subtree the event completes and compares it with the
// stored one, so a stored node that differs is named at the first event it
// disagrees with. Reads each stored node once (about 2 per event).

#include <cstdint>
#include <optional>
#include <string>

#include "adapters/merkle/merkle.h"

namespace mledger::merkle {

class TreeChecker {
 public:
  explicit TreeChecker(NodeReader stored) : stored_(std::move(stored)) {}

  // Returns false once a stored node differs or cannot be read (first_bad_seq
  // and problem say which); later calls change nothing.
  bool feed(uint64_t seq, const Hash256& chain_hash);
  // After the last event: the stored tree must cover exactly the events fed.
  bool finish(uint64_t stored_size);

  const std::optional<uint64_t>& first_bad_seq() const { return first_bad_seq_; }
  const std::string& problem() const { return problem_; }

 private:
  NodeReader stored_;
  Frontier computed_;
  std::optional<uint64_t> first_bad_seq_;
  std::string problem_;
};

}  // namespace mledger::merkle
