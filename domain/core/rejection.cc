#include "domain/core/rejection.h"

namespace mledger {

std::string_view code_name(RejectionCode code) {
  switch (code) {
#define MLEDGER_X(c, rule) \
  case RejectionCode::c:   \
    return #c;
    MLEDGER_REJECTION_CODES(MLEDGER_X)
#undef MLEDGER_X
  }
  return "unknown_rejection";
}

std::string_view rule_id(RejectionCode code) {
  switch (code) {
#define MLEDGER_X(c, rule) \
  case RejectionCode::c:   \
    return rule;
    MLEDGER_REJECTION_CODES(MLEDGER_X)
#undef MLEDGER_X
  }
  return "";
}

std::span<const RejectionCode> all_rejection_codes() {
  static constexpr RejectionCode codes[] = {
#define MLEDGER_X(c, rule) RejectionCode::c,
      MLEDGER_REJECTION_CODES(MLEDGER_X)
#undef MLEDGER_X
  };
  return codes;
}

}  // namespace mledger
