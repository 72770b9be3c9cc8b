#pragma once
// Stream names: one stream per aggregate instance. Account ids hold only
// [A-Za-z0-9._-], so the separators below never occur inside an id.

#include <string>
#include <string_view>

namespace mledger {

inline std::string account_stream(std::string_view account_id) {
  return "account-" + std::string(account_id);
}
inline std::string key_stream(std::string_view key) { return "key-" + std::string(key); }
inline std::string tenant_stream(std::string_view tenant_id) {
  return "tenant-" + std::string(tenant_id);
}
// Unordered pair: the same stream whichever account invites.
inline std::string merge_pair_stream(std::string_view a, std::string_view b) {
  return a < b ? "merge-" + std::string(a) + "+" + std::string(b)
               : "merge-" + std::string(b) + "+" + std::string(a);
}
inline constexpr std::string_view kCatalogueStream = "catalogue";

}  // namespace mledger
