#include "domain/account/account_state.h"

#include <cassert>

namespace mledger {

namespace {
struct Apply {
  AccountState& s;
  void operator()(const PartnerAccountEnrolled& e) const {
    assert(!s.enrolled);
    s.enrolled = true;
    s.account_id = e.account_id;
    s.legal_name = e.legal_name;
    s.address = e.address;
    s.phone = e.phone;
    s.primary_contact = e.primary_contact;
  }
  void operator()(const UserAdded& e) const {
    s.users[e.user_id] = AccountUser{e.email, e.display_name, e.guest, e.roles};
  }
};
}  // namespace

AccountState evolve(AccountState state, const EventPayload& event) {
  std::visit(Apply{state}, event);
  return state;
}

}  // namespace mledger
