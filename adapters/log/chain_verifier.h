#pragma once
// Walks stored envelopes in key order and checks the hash chain: sequence
// numbers gap-free from 1, each key equal to its body's seq, each body hashing
// to its hash, each prev_hash equal to the hash before. Stops at the first
// problem and names it.

#include <string_view>

#include "domain/ports/event_log.h"

namespace mledger {

class ChainVerifier {
 public:
  // Returns false once the chain is broken; later calls change nothing.
  bool feed(uint64_t key_seq, std::string_view envelope);
  const ChainReport& report() const { return report_; }

 private:
  ChainReport report_;
};

}  // namespace mledger
