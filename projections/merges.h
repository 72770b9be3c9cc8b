#pragma once
// Projection "merges": the account-merge invitations an account sent or
// received, with each one's outcome (R-MRG-*). The views split them into
// inbox (received, awaiting an answer), outbox (sent, not yet settled) and
// history (all, newest first).

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "projections/entities.h"
#include "projections/projection.h"

namespace mledger::projections {

MLEDGER_ENUM(InvitationOutcome, sent, accepted, declined, withdrawn, expired, completed)

struct InvitationRecord {
  std::string invitation_id;
  std::string initiator_account_id;
  std::string invitee_account_id;
  InvitationOutcome status = InvitationOutcome::sent;
  Instant sent_at;
  Instant expires;
  std::optional<Instant> settled_at;  // when it left `sent`/`accepted` for good
  std::optional<Instant> accepted_at;
  std::string decline_reason;
  MLEDGER_FIELDS(invitation_id, initiator_account_id, invitee_account_id, status, sent_at,
                 expires, settled_at, accepted_at, decline_reason)
  friend bool operator==(const InvitationRecord&, const InvitationRecord&) = default;
};

struct AccountMerges {
  std::vector<InvitationRecord> invitations;  // in the order they were sent
  MLEDGER_FIELDS(invitations)
  friend bool operator==(const AccountMerges&, const AccountMerges&) = default;
};

// The read model: what the account's merge page shows.
struct MergeInvitationsView {
  std::string account_id;
  std::vector<InvitationRecord> inbox;    // received, not yet answered
  std::vector<InvitationRecord> outbox;   // sent, awaiting an answer or the merge
  std::vector<InvitationRecord> history;  // every invitation, newest first
  MLEDGER_FIELDS(account_id, inbox, outbox, history)
};

MergeInvitationsView merge_invitations_view(const AccountMerges& doc, const std::string& account_id);

struct MergesProjection {
  using Doc = AccountMerges;
  static constexpr std::string_view kName = "merges";
  static constexpr uint32_t kVersion = 2;  // 2: a document per invitation, binary (issue 13)
  // By position, in the order they were sent.
  static constexpr std::array<std::string_view, 1> kEntityKinds = {"invitations"};
  static void documents_of(const RecordedEvent& e, std::vector<std::string>& ids);
  static void apply(Doc& doc, const std::string& account_id, const RecordedEvent& e);
  // A new invitation, or the one the event settles.
  static void touched(const Doc& before, const std::string& account_id, const RecordedEvent& e,
                      Touched& out);
};

}  // namespace mledger::projections
