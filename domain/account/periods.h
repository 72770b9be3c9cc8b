#pragma once
// The periods the rules count in days, shared by the deciders, the deadlines
// and the read models that show the dates they produce.
//
// One convention for every period (docs/rules.md, "Periods"): a period of N
// days that starts at T holds each instant t with T <= t < T + N days. "Within
// N days of T" is inside it; from T + N days on it has ended, and whatever the
// rule opens at its end (an expiry, a reassignment, a lapse) is open from that
// very instant. No period ends "at the end of a day": instants, not dates.

#include <cstdint>

#include "domain/core/time.h"

namespace mledger {

inline constexpr int64_t kWireOrderDays = 30;      // R-ORD-04: a wire order expires unpaid
inline constexpr int64_t kRefundDays = 30;         // R-ORD-06
inline constexpr int64_t kRenewalWindowDays = 30;  // R-ORD-08: after the anniversary
inline constexpr int64_t kReviewDays = 30;         // R-ORD-08: business info reviewed within
inline constexpr int64_t kYearDays = 365;          // R-ORD-08
inline constexpr int64_t kUserBenefitGraceDays = 30;  // R-ORD-09
inline constexpr int64_t kReassignDays = 90;       // R-BEN-05: Visual Studio reassignment
inline constexpr int64_t kReplacementDays = 30;    // R-KEY-05: replacement key

// The first instant after a period of `days` that starts at `start`.
inline Instant period_end(Instant start, int64_t days) { return plus_days(start, days); }

// Whether `now` is still within `days` of `start` (now < start + days).
inline bool within_period(Instant start, int64_t days, Instant now) {
  return now < period_end(start, days);
}

}  // namespace mledger
