#include "adapters/merkle/tree_checker.h"

#include "adapters/crypto/sha256.h"

namespace mledger::merkle {

bool TreeChecker::feed(uint64_t seq, const Hash256& chain_hash) {
  if (first_bad_seq_) return false;
  computed_.append(chain_hash, [&](unsigned level, uint64_t index, const Hash256& expected) {
    if (first_bad_seq_ || level < lowest_level_) return;
    const std::string node = "Merkle tree node (level " + std::to_string(level) + ", index " +
                             std::to_string(index) + ")";
    auto stored = stored_(level, index);
    if (!stored.ok()) {
      first_bad_seq_ = seq;
      problem_ = node + " cannot be read: " + stored.error().message();
    } else if (*stored != expected) {
      first_bad_seq_ = seq;
      problem_ = node + " is " + to_hex(*stored) + " but the chain gives " + to_hex(expected);
    }
  });
  return !first_bad_seq_;
}

bool TreeChecker::finish(uint64_t stored_size) {
  if (first_bad_seq_) return false;
  if (stored_size != computed_.size()) {
    first_bad_seq_ = std::min(stored_size, computed_.size()) + 1;
    problem_ = "the Merkle tree covers " + std::to_string(stored_size) + " events but the chain holds " +
               std::to_string(computed_.size());
  }
  return !first_bad_seq_;
}

}  // namespace mledger::merkle
