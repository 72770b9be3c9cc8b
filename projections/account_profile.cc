#include "projections/account_profile.h"

#include <algorithm>

namespace mledger::projections {

namespace {
struct Fold {
  AccountProfile& p;
  const RecordedEvent& e;
  void operator()(const PartnerAccountEnrolled& x) const {
    if (x.account_id != p.account_id) return;
    p.enrolled = true;
    p.legal_name = x.legal_name;
    p.address = x.address;
    p.phone = x.phone;
    p.primary_contact = x.primary_contact;
    p.source = x.source;
    p.duns_number = x.duns_number;
    p.address_validated = x.address_validation.has_value();
    p.enrolled_at = e.metadata.recorded_at;
  }
  void operator()(const UserAdded& x) const {
    if (x.account_id != p.account_id) return;
    p.users[x.user_id] =
        ProfileUser{x.user_id, x.email, x.display_name, x.guest, x.roles, e.metadata.recorded_at};
  }
  template <class Other>
  void operator()(const Other&) const {}  // the profile's fields change only by the above
};
}  // namespace

void apply(AccountProfile& profile, const RecordedEvent& event) {
  const auto& ids = event.account_ids;
  if (std::find(ids.begin(), ids.end(), profile.account_id) == ids.end()) return;
  std::visit(Fold{profile, event}, event.payload);
  profile.last_seq = event.seq;
}

}  // namespace mledger::projections
