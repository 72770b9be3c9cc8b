#pragma once
// Who issues a command (R-ROLE-01, R-ROLE-05). A partner user belongs to one
// account and holds roles inside it; system actors stand outside every account.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mledger {

enum class ActorKind { user, auditor, operator_, service };

#define MLEDGER_ROLES(X)   \
  X(global_admin)          \
  X(account_admin)         \
  X(user_management_admin) \
  X(mpn_partner_admin)     \
  X(admin_agent)           \
  X(incentives_admin)      \
  X(referrals_admin)       \
  X(business_profile_admin)

enum class Role {
#define MLEDGER_X(r) r,
  MLEDGER_ROLES(MLEDGER_X)
#undef MLEDGER_X
};

std::string_view role_name(Role role);
std::span<const std::string_view> enum_names(Role);
std::span<const std::string_view> enum_names(ActorKind);
std::optional<Role> parse_role(std::string_view name);
std::string_view actor_kind_name(ActorKind kind);
std::optional<ActorKind> parse_actor_kind(std::string_view name);

struct Actor {
  ActorKind kind = ActorKind::user;
  std::string account_id;  // empty for system actors
  std::string user_id;     // the person or the system principal
  std::vector<Role> roles;

  bool has_role(Role r) const;
  friend bool operator==(const Actor&, const Actor&) = default;
};

}  // namespace mledger
