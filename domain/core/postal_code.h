#pragma once
// R-ORD-03: the form of a postal code in the countries whose form the ledger
// knows (the seeds', the demo's and the largest markets'). Pure.

#include <optional>
#include <string>
#include <string_view>

namespace mledger {

// The postal code compared and checked: upper case, spaces and '-' removed.
std::string normalized_postal_code(std::string_view postal_code);

// The forms of `country`'s postal codes (ISO 3166-1 alpha-2, upper case), as
// written in docs/rules.md: '9' a digit, 'A' a letter, others literal, each
// form matched against the normalized code; nullopt for a country the ledger
// knows no form of (then any code is accepted).
std::optional<std::string_view> postal_code_forms(std::string_view country);

// Whether `postal_code` has one of `country`'s forms (true for a country whose
// form the ledger does not know).
bool postal_code_fits(std::string_view country, std::string_view postal_code);

}  // namespace mledger
