#pragma once
// Walks stored envelopes in key order and checks the hash chain: sequence
// numbers gap-free from 1 (or from where it was told to start), each key
// equal to its body's seq, each body hashing to its hash (over the stored
// bytes: nothing is decoded), each prev_hash equal to the hash before. Stops
// at the first problem and names it.

#include <string>
#include <string_view>

#include "adapters/capnp/event_codec.h"
#include "domain/ports/event_log.h"

namespace mledger {

class ChainVerifier {
 public:
  // Checks from seq 1 on (prev_hash of event 1: zeros).
  ChainVerifier() = default;
  // Checks from `checked.seq + 1` on, `checked` being the link of the event
  // before (its seq and hash), taken as good.
  explicit ChainVerifier(const LogDigest& checked) { report_.digest = checked; }

  // Returns false once the chain is broken; later calls change nothing.
  bool feed(uint64_t key_seq, std::string_view envelope);
  // feed() with the envelope's link already opened (codec::open_link(), on
  // another thread): the same checks, the same report.
  bool feed_link(uint64_t key_seq, const StatusOr<codec::ChainLink>& link);
  const ChainReport& report() const { return report_; }

 private:
  bool broken(uint64_t seq, std::string problem);  // records the first problem; false
  bool missing(uint64_t key_seq);                   // true (recorded) when key_seq skips one

  ChainReport report_;
};

}  // namespace mledger
