#include "domain/decide/deadlines.h"

#include <algorithm>

#include "domain/account/periods.h"

namespace mledger {

std::vector<DueCommand> due_commands(const AccountState& a, Instant now) {
  std::vector<DueCommand> due;
  if (!a.enrolled || !a.merged_into.empty()) return due;
  for (const auto& [id, o] : a.orders) {
    if (o.payment_method == PaymentMethod::wire && o.status == OrderStatus::awaiting_payment &&
        !within_period(o.placed_at, kWireOrderDays, now)) {
      due.push_back({a.account_id, "order:" + id, ExpireWireOrder{id}});
    }
  }
  for (const auto& [offer, m] : a.memberships) {
    if (!m.live()) continue;
    const std::string year = std::to_string(m.anniversary.micros_since_epoch);
    if (m.status == MembershipStatus::active && now >= m.anniversary) {
      due.push_back({a.account_id, "membership:" + offer + ":" + year, OpenRenewalWindow{offer}});
    }
    const bool renewal_unpaid = std::any_of(a.orders.begin(), a.orders.end(), [&](const auto& o) {
      return o.second.offer_id == offer && o.second.renewal &&
             o.second.status == OrderStatus::awaiting_payment;
    });
    if (!within_period(m.anniversary, kRenewalWindowDays, now) && !renewal_unpaid) {
      due.push_back({a.account_id, "membership:" + offer + ":" + year, LapseMembership{offer}});
    }
  }
  for (const auto& [id, r] : a.go_to_market_requests) {
    if (r.status == GoToMarketStatus::active && now >= r.expiry) {
      due.push_back({a.account_id, "go_to_market:" + id, ExpireGoToMarketOffer{id}});
    }
  }
  return due;
}

std::vector<DueCommand> due_commands(const MergePairState& pair, Instant now) {
  std::vector<DueCommand> due;
  if (pair.status == InvitationStatus::sent && now >= pair.latest.expires) {
    due.push_back({pair.latest.initiator_account_id, "invitation:" + pair.latest.invitation_id,
                   ExpireMergeInvitation{pair.latest.invitation_id, pair.latest.invitee_account_id}});
  }
  return due;
}

}  // namespace mledger
