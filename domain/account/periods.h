#pragma once
// The periods the rules count in days, shared by the deciders, the deadlines
// and the read models that show the dates they produce.

#include <cstdint>

namespace mledger {

inline constexpr int64_t kWireOrderDays = 30;      // R-ORD-04: a wire order expires unpaid
inline constexpr int64_t kRefundDays = 30;         // R-ORD-06
inline constexpr int64_t kRenewalWindowDays = 30;  // R-ORD-08: after the anniversary
inline constexpr int64_t kReviewDays = 30;         // R-ORD-08: business info reviewed within
inline constexpr int64_t kYearDays = 365;          // R-ORD-08
inline constexpr int64_t kUserBenefitGraceDays = 30;  // R-ORD-09
inline constexpr int64_t kReassignDays = 90;       // R-BEN-05: Visual Studio reassignment

}  // namespace mledger
