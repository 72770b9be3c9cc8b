#include "adapters/log/chain_verifier.h"

namespace mledger {

bool ChainVerifier::broken(uint64_t seq, std::string problem) {
  report_.first_bad_seq = seq;
  report_.problem = std::move(problem);
  return false;
}

bool ChainVerifier::missing(uint64_t key_seq) {
  const uint64_t expected = report_.digest.seq + 1;
  if (key_seq == expected) return false;
  broken(expected, "event " + std::to_string(expected) + " is missing (next stored is " +
                       std::to_string(key_seq) + ")");
  return true;
}

bool ChainVerifier::feed(uint64_t key_seq, std::string_view envelope) {
  if (report_.first_bad_seq || missing(key_seq)) return false;
  return feed_link(key_seq, codec::open_link(envelope));
}

bool ChainVerifier::feed_link(uint64_t key_seq, const StatusOr<codec::ChainLink>& link) {
  if (report_.first_bad_seq || missing(key_seq)) return false;
  if (!link.ok()) return broken(key_seq, link.error().message());
  if (link->seq != key_seq) {
    return broken(key_seq, "stored under seq " + std::to_string(key_seq) + " but says seq " +
                               std::to_string(link->seq));
  }
  if (link->prev_hash != report_.digest.head) {
    return broken(key_seq, "prev_hash does not match the hash of event " +
                               std::to_string(report_.digest.seq));
  }
  report_.digest = LogDigest{key_seq, link->hash};
  ++report_.events_checked;
  return true;
}

}  // namespace mledger
