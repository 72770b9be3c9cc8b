#pragma once
// Stream names: one stream per aggregate instance. Account ids hold only
// [A-Za-z0-9._-], so the separators below never occur inside an id.

#include <string>
#include <string_view>

namespace mledger {

inline constexpr std::string_view kAccountStreamPrefix = "account-";
inline constexpr std::string_view kMergePairStreamPrefix = "merge-";

inline std::string account_stream(std::string_view account_id) {
  return std::string(kAccountStreamPrefix) + std::string(account_id);
}
// The account whose own stream `stream` is, or empty for any other stream.
inline std::string_view account_of_stream(std::string_view stream) {
  return stream.starts_with(kAccountStreamPrefix) ? stream.substr(kAccountStreamPrefix.size())
                                                  : std::string_view();
}
inline std::string key_stream(std::string_view key) { return "key-" + std::string(key); }
inline std::string tenant_stream(std::string_view tenant_id) {
  return "tenant-" + std::string(tenant_id);
}
// Unordered pair: the same stream whichever account invites.
inline std::string merge_pair_stream(std::string_view a, std::string_view b) {
  const std::string prefix(kMergePairStreamPrefix);
  return a < b ? prefix + std::string(a) + "+" + std::string(b)
               : prefix + std::string(b) + "+" + std::string(a);
}
inline constexpr std::string_view kCatalogueStream = "catalogue";

}  // namespace mledger
