#pragma once
// Rejection: a business rule said no. A value, never an exception; a rejected
// command writes no event. Each code reads as a sentence, is stable once
// published (clients match on it), and names the rule it enforces.

#include <string>
#include <string_view>

namespace mledger {

// X(code, rule id). Append new codes at the end of their group; never rename.
#define MLEDGER_REJECTION_CODES(X)                          \
  /* ledger-wide */                                         \
  X(command_id_reused_with_different_content, "R-LED-02")   \
  X(actor_not_allowed, "R-ROLE-05")                         \
  /* account setup and enrollment */                        \
  X(account_already_enrolled, "R-ACC-01")                   \
  X(account_id_invalid, "R-ACC-01")                         \
  X(legal_name_required, "R-ACC-01")                        \
  X(legal_name_too_long, "R-ACC-01")                        \
  X(address_incomplete, "R-ACC-01")                         \
  X(address_field_too_long, "R-ACC-01")                     \
  X(country_code_invalid, "R-ACC-01")                       \
  X(primary_contact_name_required, "R-ACC-01")              \
  X(primary_contact_name_too_long, "R-ACC-01")              \
  X(email_invalid, "R-ACC-01")                              \
  X(personal_email_not_supported, "R-ACC-01")               \
  X(role_email_not_supported, "R-ACC-01")                   \
  X(phone_number_invalid, "R-ACC-02")                       \
  X(phone_number_too_long, "R-ACC-02")                      \
  X(duns_number_invalid, "R-ACC-03")                        \
  X(address_validation_required, "R-ACC-03")                \
  X(address_validation_not_applicable, "R-ACC-03")          \
  X(validated_address_incomplete, "R-ACC-03")

enum class RejectionCode {
#define MLEDGER_X(code, rule) code,
  MLEDGER_REJECTION_CODES(MLEDGER_X)
#undef MLEDGER_X
};

// "personal_email_not_supported"
std::string_view code_name(RejectionCode code);
// "R-ACC-01"
std::string_view rule_id(RejectionCode code);

struct Rejection {
  RejectionCode code;
  std::string message;  // for people: names the field and the rule
};

inline bool operator==(const Rejection& a, const Rejection& b) { return a.code == b.code; }

}  // namespace mledger
