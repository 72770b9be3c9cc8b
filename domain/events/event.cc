#include "domain/events/event.h"

namespace mledger {

namespace {
struct TypeName {
  std::string_view operator()(const PartnerAccountEnrolled&) const {
    return "PartnerAccountEnrolled";
  }
  std::string_view operator()(const UserAdded&) const { return "UserAdded"; }
};
}  // namespace

std::string_view event_type_name(const EventPayload& payload) {
  return std::visit(TypeName{}, payload);
}

}  // namespace mledger
