#pragma once
// Commands of account-merge invitations (R-MRG-*). The command's account is
// the one acting: the initiator sends, withdraws and confirms; the invitee
// accepts and declines.

#include <string>
#include <string_view>

#include "domain/core/fields.h"

namespace mledger {

struct SendMergeInvitation {
  static constexpr std::string_view kName = "send_merge_invitation";
  std::string invitation_id;
  std::string invitee_partner_id;  // a global partner id (R-MRG-01)
  MLEDGER_FIELDS(invitation_id, invitee_partner_id)
};

struct AcceptMergeInvitation {
  static constexpr std::string_view kName = "accept_merge_invitation";
  std::string invitation_id;
  std::string initiator_account_id;
  MLEDGER_FIELDS(invitation_id, initiator_account_id)
};

struct DeclineMergeInvitation {
  static constexpr std::string_view kName = "decline_merge_invitation";
  std::string invitation_id;
  std::string initiator_account_id;
  std::string reason;
  MLEDGER_FIELDS(invitation_id, initiator_account_id, reason)
};

struct WithdrawMergeInvitation {
  static constexpr std::string_view kName = "withdraw_merge_invitation";
  std::string invitation_id;
  std::string invitee_account_id;
  MLEDGER_FIELDS(invitation_id, invitee_account_id)
};

struct ConfirmMerge {
  static constexpr std::string_view kName = "confirm_merge";
  std::string invitation_id;
  std::string invitee_account_id;
  MLEDGER_FIELDS(invitation_id, invitee_account_id)
};

// Time-driven (service, or `mledger tick`); the command's account is the initiator.
struct ExpireMergeInvitation {
  static constexpr std::string_view kName = "expire_merge_invitation";
  std::string invitation_id;
  std::string invitee_account_id;
  MLEDGER_FIELDS(invitation_id, invitee_account_id)
};

}  // namespace mledger
