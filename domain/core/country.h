#pragma once
#include <string_view>

namespace mledger {
// True for an assigned ISO 3166-1 alpha-2 code in upper case ("DE", "RU").
bool is_iso_country_code(std::string_view code);
}  // namespace mledger
