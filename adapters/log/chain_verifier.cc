#include "adapters/log/chain_verifier.h"

#include "adapters/capnp/event_codec.h"

namespace mledger {

bool ChainVerifier::feed(uint64_t key_seq, std::string_view envelope) {
  if (report_.first_bad_seq) return false;
  const uint64_t expected = report_.digest.seq + 1;
  auto broken = [&](uint64_t seq, std::string problem) {
    report_.first_bad_seq = seq;
    report_.problem = std::move(problem);
    return false;
  };
  if (key_seq != expected) {
    return broken(expected, "event " + std::to_string(expected) + " is missing (next stored is " +
                                std::to_string(key_seq) + ")");
  }
  auto link = codec::open_link(envelope);
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
