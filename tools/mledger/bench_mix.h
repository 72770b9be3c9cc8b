#pragma once
// Synthetic ledgers for benchmarks. `realistic` follows each account through
// a year of partner-program life, 25 events a cycle, on the streams the
// deciders use: enrollment, users, an Action Pack order paid by card, its
// membership and benefits, keys revealed, issued and redeemed, benefits
// assigned and used, roles changed, a merge invitation sent and declined.
// The events are well-formed but not decided (the rules are not checked):
// they exist to exercise every projection at a realistic size and mix.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "domain/ports/event_log.h"

namespace mledger::cli {

class RealisticMix {
 public:
  explicit RealisticMix(uint64_t accounts);
  // The n-th command (one event) of the ledger: accounts take turns.
  AppendRequest next(uint64_t n);

 private:
  EventPayload payload(uint64_t account, uint64_t cycle, uint64_t step, std::string* stream,
                       std::vector<std::string>* account_ids);
  uint64_t accounts_;
  std::unordered_map<std::string, uint64_t> versions_;
};

}  // namespace mledger::cli
