#pragma once
// What enrollment accepts as a work email (R-ACC-01). Data, not code: the
// personal mailbox domains are configurable; the defaults are the rule's list.

#include <set>
#include <string>
#include <string_view>

namespace mledger {

struct EnrollmentPolicy {
  // Lower-case domains of personal mailboxes (R-ACC-01 [seed]).
  std::set<std::string, std::less<>> personal_email_domains{
      "gmail.com", "googlemail.com", "hotmail.com", "outlook.com", "live.com",
      "msn.com",   "yahoo.com",      "aol.com",     "icloud.com",  "me.com"};
  // Lower-case local parts of shared role mailboxes (R-ACC-01 [docs]).
  std::set<std::string, std::less<>> role_mailbox_local_parts{
      "info", "admin", "administrator", "email", "marketing", "sales", "support",
      "contact", "office", "hello", "webmaster", "postmaster", "noreply", "no-reply"};
  // Countries whose hand-entered addresses go through address validation (R-ACC-03).
  std::set<std::string, std::less<>> address_validation_countries{"AM", "HU", "KG",
                                                                   "MD", "UZ", "RU"};
};

}  // namespace mledger
