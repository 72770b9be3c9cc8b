// RFC 3339 instants (R-LED-03: times are UTC instants).
// covers R-LED-03

#include <gtest/gtest.h>

#include "domain/core/time.h"

namespace mledger {
namespace {

TEST(Time, R_LED_03_parses_and_formats_utc) {
  auto t = parse_rfc3339("2026-01-05T09:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->micros_since_epoch, 1'767'603'600'000'000);
  EXPECT_EQ(format_rfc3339(*t), "2026-01-05T09:00:00Z");
  auto f = parse_rfc3339("2024-02-29T23:59:59.000250Z");
  ASSERT_TRUE(f);
  EXPECT_EQ(format_rfc3339(*f), "2024-02-29T23:59:59.000250Z");
}

TEST(Time, R_LED_03_converts_offsets_to_utc) {
  EXPECT_EQ(parse_rfc3339("2026-01-05T10:00:00+01:00"), parse_rfc3339("2026-01-05T09:00:00Z"));
  EXPECT_EQ(parse_rfc3339("2026-01-04T23:30:00-09:30"), parse_rfc3339("2026-01-05T09:00:00Z"));
}

TEST(Time, R_LED_03_rejects_non_instants) {
  for (const char* bad : {"", "2026-01-05", "2026-01-05T09:00:00", "2026-02-30T00:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-01-05T24:00:00Z", "2026-01-05 09:00:00Z",
                          "2026-01-05T09:00:00.Z", "2026-01-05T09:00:00Zjunk"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

TEST(Time, R_LED_03_civil_days_round_trip) {
  for (int64_t d = -800000; d < 800000; d += 997) {
    const CivilDate c = civil_from_days(d);
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), d);
  }
}

}  // namespace
}  // namespace mledger
