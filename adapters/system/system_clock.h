#pragma once
// The machine's UTC clock, and a fixed clock for tests and replays.

#include <atomic>

#include "domain/ports/clock.h"

namespace mledger {

class SystemClock final : public Clock {
 public:
  Instant now() override;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(Instant t) : t_(t.micros_since_epoch) {}
  Instant now() override { return Instant{t_.load()}; }
  void set(Instant t) { t_.store(t.micros_since_epoch); }

 private:
  std::atomic<int64_t> t_;
};

}  // namespace mledger
