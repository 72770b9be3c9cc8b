#include "domain/commands/command.h"

namespace mledger {

namespace {
struct TypeName {
  std::string_view operator()(const EnrollPartnerAccount&) const {
    return "enroll_partner_account";
  }
};
}  // namespace

std::string_view command_type_name(const CommandBody& body) {
  return std::visit(TypeName{}, body);
}

}  // namespace mledger
