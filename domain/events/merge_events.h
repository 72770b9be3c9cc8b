#pragma once
// Events of account-merge invitations (R-MRG-*). An invitation lives on the
// stream of its pair of accounts ("merge-<a>+<b>", a < b), which keeps "at most
// one pending invitation per pair" under concurrency; the merge itself is
// recorded on both accounts' streams.

#include <string>
#include <string_view>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/time.h"

namespace mledger {

struct MergeInvitationSent {
  static constexpr std::string_view kName = "MergeInvitationSent";
  std::string invitation_id;
  std::string initiator_account_id;
  std::string invitee_account_id;
  Instant expires;
  MLEDGER_FIELDS(invitation_id, initiator_account_id, invitee_account_id, expires)
  friend bool operator==(const MergeInvitationSent&, const MergeInvitationSent&) = default;
};

struct MergeInvitationAccepted {
  static constexpr std::string_view kName = "MergeInvitationAccepted";
  std::string invitation_id;
  MLEDGER_FIELDS(invitation_id)
  friend bool operator==(const MergeInvitationAccepted&, const MergeInvitationAccepted&) = default;
};

struct MergeInvitationDeclined {
  static constexpr std::string_view kName = "MergeInvitationDeclined";
  std::string invitation_id;
  std::string reason;  // may be empty
  MLEDGER_FIELDS(invitation_id, reason)
  friend bool operator==(const MergeInvitationDeclined&, const MergeInvitationDeclined&) = default;
};

struct MergeInvitationWithdrawn {
  static constexpr std::string_view kName = "MergeInvitationWithdrawn";
  std::string invitation_id;
  MLEDGER_FIELDS(invitation_id)
  friend bool operator==(const MergeInvitationWithdrawn&, const MergeInvitationWithdrawn&) = default;
};

struct MergeInvitationExpired {
  static constexpr std::string_view kName = "MergeInvitationExpired";
  std::string invitation_id;
  MLEDGER_FIELDS(invitation_id)
  friend bool operator==(const MergeInvitationExpired&, const MergeInvitationExpired&) = default;
};

// On the pair's stream: the invitation reached `completed`.
struct MergeInvitationCompleted {
  static constexpr std::string_view kName = "MergeInvitationCompleted";
  std::string invitation_id;
  MLEDGER_FIELDS(invitation_id)
  friend bool operator==(const MergeInvitationCompleted&, const MergeInvitationCompleted&) = default;
};

// A membership the merged company holds for an offer the invitee brought.
struct MergedMembership {
  std::string offer_id;
  std::string order_id;
  Instant anniversary;
  MLEDGER_FIELDS(offer_id, order_id, anniversary)
  friend bool operator==(const MergedMembership&, const MergedMembership&) = default;
};

// R-MRG-05, on the initiator's stream, after the moved users, locations,
// tenants and benefits (recorded as their own events just before it).
struct AccountsMerged {
  static constexpr std::string_view kName = "AccountsMerged";
  std::string invitation_id;
  std::string initiator_account_id;
  std::string invitee_account_id;
  std::vector<std::string> moved_location_ids;  // the invitee's global id first
  std::vector<std::string> moved_user_ids;
  std::vector<std::string> kept_tenant_ids;
  Instant action_pack_anniversary;  // the later of the two (zero if neither had one)
  std::vector<MergedMembership> memberships;
  MLEDGER_FIELDS(invitation_id, initiator_account_id, invitee_account_id, moved_location_ids,
                 moved_user_ids, kept_tenant_ids, action_pack_anniversary, memberships)
  friend bool operator==(const AccountsMerged&, const AccountsMerged&) = default;
};

// R-MRG-05, on the invitee's stream: it is now a location of `into_account_id`.
struct AccountMergedAway {
  static constexpr std::string_view kName = "AccountMergedAway";
  std::string invitation_id;
  std::string into_account_id;
  MLEDGER_FIELDS(invitation_id, into_account_id)
  friend bool operator==(const AccountMergedAway&, const AccountMergedAway&) = default;
};

}  // namespace mledger
