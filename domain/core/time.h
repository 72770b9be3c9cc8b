#pragma once
// Time in the ledger: UTC instants as microseconds since the Unix epoch
// (R-LED-03). The domain never reads a clock; every instant is an input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mledger {

struct Instant {
  int64_t micros_since_epoch = 0;

  friend auto operator<=>(const Instant&, const Instant&) = default;
};

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

inline Instant plus_days(Instant t, int64_t days) {
  return Instant{t.micros_since_epoch + days * kMicrosPerDay};
}

// Parses RFC 3339 ("2026-01-05T10:00:00Z", "2026-01-05T10:00:00.123456+01:00").
// Returns nullopt when the text is not a valid RFC 3339 date-time. An offset is
// converted to UTC; fractions beyond microseconds are truncated.
std::optional<Instant> parse_rfc3339(std::string_view text);

// Formats as RFC 3339 in UTC with a trailing "Z"; microseconds are printed only
// when non-zero ("2026-01-05T10:00:00Z", "2026-01-05T10:00:00.000250Z").
std::string format_rfc3339(Instant t);

// Days since the epoch of a proleptic Gregorian civil date, and back.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};
CivilDate civil_from_days(int64_t days);

}  // namespace mledger
