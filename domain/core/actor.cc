#include "domain/core/actor.h"

#include <algorithm>

namespace mledger {

std::string_view role_name(Role role) {
  switch (role) {
#define MLEDGER_X(r) \
  case Role::r:      \
    return #r;
    MLEDGER_ROLES(MLEDGER_X)
#undef MLEDGER_X
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
#define MLEDGER_X(r) \
  if (name == #r) return Role::r;
  MLEDGER_ROLES(MLEDGER_X)
#undef MLEDGER_X
  return std::nullopt;
}

std::string_view actor_kind_name(ActorKind kind) {
  switch (kind) {
    case ActorKind::user: return "user";
    case ActorKind::auditor: return "auditor";
    case ActorKind::operator_: return "operator";
    case ActorKind::service: return "service";
  }
  return "unknown";
}

std::optional<ActorKind> parse_actor_kind(std::string_view name) {
  if (name == "user") return ActorKind::user;
  if (name == "auditor") return ActorKind::auditor;
  if (name == "operator") return ActorKind::operator_;
  if (name == "service") return ActorKind::service;
  return std::nullopt;
}

std::span<const std::string_view> enum_names(Role) {
  static constexpr std::string_view names[] = {
#define MLEDGER_X(r) std::string_view(#r),
      MLEDGER_ROLES(MLEDGER_X)
#undef MLEDGER_X
  };
  return names;
}

std::span<const std::string_view> enum_names(ActorKind) {
  static constexpr std::string_view names[] = {"user", "auditor", "operator", "service"};
  return names;
}

bool Actor::has_role(Role r) const {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

}  // namespace mledger
