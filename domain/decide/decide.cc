#include "domain/decide/decide.h"

#include <algorithm>
#include <cctype>

#include "domain/access/permissions.h"
#include "domain/core/country.h"
#include "domain/decide/decide_support.h"

namespace mledger {

namespace decide_detail {

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isspace(ch); });
}

Verdict check_text(std::string_view field, std::string_view value, size_t max_bytes) {
  if (is_blank(value)) {
    return reject(RejectionCode::field_required, std::string(field) + " is empty");
  }
  return check_optional_text(field, value, max_bytes);
}

Verdict check_optional_text(std::string_view field, std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return reject(RejectionCode::field_too_long, std::string(field) + " is longer than " +
                                                     std::to_string(max_bytes) + " bytes");
  }
  return std::nullopt;
}

Verdict check_money(const Money& m) {
  if (m.amount_minor < 0) {
    return reject(RejectionCode::amount_invalid, "an amount is negative");
  }
  if (m.currency.size() != 3 || !std::all_of(m.currency.begin(), m.currency.end(), [](char ch) {
        return ch >= 'A' && ch <= 'Z';
      })) {
    return reject(RejectionCode::currency_invalid,
                  "currency '" + m.currency.substr(0, 8) + "' is not an ISO 4217 code such as USD");
  }
  return std::nullopt;
}

bool is_identifier(std::string_view s, size_t max_bytes) {
  return !s.empty() && s.size() <= max_bytes &&
         std::all_of(s.begin(), s.end(), [](unsigned char ch) {
           return std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == ':';
         });
}

}  // namespace decide_detail

Decision decide(const Command& command, Aggregates& aggregates, const DomainPolicy& policy) {
  using namespace decide_detail;
  const CommandContext& ctx = command.context;
  static const AccountState kNoAccount;
  const AccountState& account =
      targets_account(command.body) ? aggregates.account(ctx.account_id) : kNoAccount;
  if (auto denied = check_permission(ctx, command.body, account)) return Err{*denied};
  Ctx c{ctx, aggregates, policy, account, {}};
  Verdict verdict = std::visit([&](const auto& body) { return on(body, c); }, command.body);
  if (verdict) return Err{*verdict};
  return std::move(c.out);
}

}  // namespace mledger
