#include "domain/merges/merge_state.h"

namespace mledger {

void apply(MergePairState& s, const EventPayload& event, Instant) {
  if (const auto* e = std::get_if<MergeInvitationSent>(&event)) {
    s.status = InvitationStatus::sent;
    s.latest = *e;
    s.invitation_ids.insert(e->invitation_id);
  } else if (std::holds_alternative<MergeInvitationAccepted>(event)) {
    s.status = InvitationStatus::accepted;
  } else if (std::holds_alternative<MergeInvitationDeclined>(event)) {
    s.status = InvitationStatus::declined;
  } else if (std::holds_alternative<MergeInvitationWithdrawn>(event)) {
    s.status = InvitationStatus::withdrawn;
  } else if (std::holds_alternative<MergeInvitationExpired>(event)) {
    s.status = InvitationStatus::expired;
  } else if (std::holds_alternative<MergeInvitationCompleted>(event)) {
    s.status = InvitationStatus::completed;
  }
}

void apply(TenantClaimState& s, const EventPayload& event, Instant) {
  if (const auto* c = std::get_if<TenantClaimed>(&event)) {
    s.account_id = c->account_id;
  } else if (std::holds_alternative<TenantReleased>(event)) {
    s.account_id.clear();
  }
}

}  // namespace mledger
