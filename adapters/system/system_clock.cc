#include "adapters/system/system_clock.h"

#include <chrono>

namespace mledger {

Instant SystemClock::now() {
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  return Instant{std::chrono::duration_cast<std::chrono::microseconds>(since).count()};
}

}  // namespace mledger
