#pragma once
// Clock port: the only way the ledger learns the time. The domain never
// calls it; adapters and tools pass the instant in.

#include "domain/core/time.h"

namespace mledger {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() = 0;  // UTC; thread-safe
};

}  // namespace mledger
