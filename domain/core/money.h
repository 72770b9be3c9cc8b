#pragma once
// Money: integer minor units of an ISO 4217 currency (R-LED-03). Never a float.

#include <cstdint>
#include <string>

#include "domain/core/fields.h"

namespace mledger {

struct Money {
  int64_t amount_minor = 0;
  std::string currency;  // ISO 4217, e.g. "USD"
  MLEDGER_FIELDS(amount_minor, currency)
  friend bool operator==(const Money&, const Money&) = default;
};

}  // namespace mledger
