#pragma once
// The merge invitations between one pair of accounts: a fold of the pair's
// stream ("merge-<a>+<b>"). At most one is pending at a time (R-MRG-04).

#include <set>
#include <string>

#include "domain/events/event.h"

namespace mledger {

enum class InvitationStatus { none, sent, accepted, declined, withdrawn, expired, completed };

struct MergePairState {
  // The latest invitation between the pair.
  InvitationStatus status = InvitationStatus::none;
  MergeInvitationSent latest;
  std::set<std::string> invitation_ids;  // every id ever used by the pair

  friend bool operator==(const MergePairState&, const MergePairState&) = default;
  bool pending() const {
    return status == InvitationStatus::sent || status == InvitationStatus::accepted;
  }
};

void apply(MergePairState& state, const EventPayload& event, Instant at);

// Tenants: which account holds a directory tenant (R-ACC-07), a fold of
// "tenant-<id>".
struct TenantClaimState {
  std::string account_id;  // empty when unclaimed
};

void apply(TenantClaimState& state, const EventPayload& event, Instant at);

}  // namespace mledger
