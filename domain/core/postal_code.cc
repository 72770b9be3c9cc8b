#include "domain/core/postal_code.h"

#include <array>
#include <cctype>
#include <utility>

namespace mledger {

namespace {

// Forms separated by '|', matched against the normalized code (no spaces, no
// '-'): Canada "A1A 1A1" is "A9A9A9", Japan "100-0001" is "9999999".
constexpr std::array<std::pair<std::string_view, std::string_view>, 38> kForms{{
    {"AM", "9999"},           {"AT", "9999"},        {"AU", "9999"},
    {"BE", "9999"},           {"BR", "99999999"},    {"CA", "A9A9A9"},
    {"CH", "9999"},           {"CN", "999999"},      {"CZ", "99999"},
    {"DE", "99999"},          {"DK", "9999"},        {"ES", "99999"},
    {"FI", "99999"},          {"FR", "99999"},
    {"GB", "A99AA|A999AA|AA99AA|AA999AA|A9A9AA|AA9A9AA"},
    {"HU", "9999"},           {"IN", "999999"},      {"IT", "99999"},
    {"JP", "9999999"},        {"KG", "999999"},      {"KR", "99999"},
    {"KZ", "999999"},        {"MD", "9999|MD9999"}, {"MX", "99999"},
    {"NL", "9999AA"},         {"NO", "9999"},        {"NZ", "9999"},
    {"PL", "99999"},          {"PT", "9999999"},     {"RO", "999999"},
    {"RU", "999999"},         {"SE", "99999"},       {"SK", "99999"},
    {"TR", "99999"},          {"UA", "99999"},       {"US", "99999|999999999"},
    {"UZ", "999999"},         {"ZA", "9999"},
}};

bool matches(std::string_view form, std::string_view code) {
  if (form.size() != code.size()) return false;
  for (size_t i = 0; i < form.size(); ++i) {
    const unsigned char f = static_cast<unsigned char>(form[i]);
    const unsigned char ch = static_cast<unsigned char>(code[i]);
    if (f == '9' ? !std::isdigit(ch) : f == 'A' ? !std::isalpha(ch) : f != ch) return false;
  }
  return true;
}

}  // namespace

std::string normalized_postal_code(std::string_view postal_code) {
  std::string out;
  for (unsigned char ch : postal_code) {
    if (std::isspace(ch) || ch == '-') continue;
    out.push_back(static_cast<char>(std::toupper(ch)));
  }
  return out;
}

std::optional<std::string_view> postal_code_forms(std::string_view country) {
  for (const auto& [c, forms] : kForms) {
    if (c == country) return forms;
  }
  return std::nullopt;
}

bool postal_code_fits(std::string_view country, std::string_view postal_code) {
  const auto forms = postal_code_forms(country);
  if (!forms) return true;
  const std::string code = normalized_postal_code(postal_code);
  std::string_view rest = *forms;
  while (true) {
    const size_t bar = rest.find('|');
    if (matches(rest.substr(0, bar), code)) return true;
    if (bar == std::string_view::npos) return false;
    rest.remove_prefix(bar + 1);
  }
}

}  // namespace mledger
