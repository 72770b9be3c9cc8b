// The "merges" projection and the merge page (merge_invitations_view): given
// the invitation events on the pair's stream ("merge-<a>+<b>", concerning both
// accounts), then each account's inbox, outbox and history.
// covers R-MRG-03, R-MRG-04, R-MRG-05, R-MRG-06

#include <gtest/gtest.h>

#include "projections/merges.h"
#include "tests/projections/recorded.h"

namespace mledger::projections {
namespace {

using testing::day;
using testing::documents_of;
using testing::fold;
using testing::on_account;
using testing::recorded;

const std::string kContoso = "contoso";
const std::string kFabrikam = "fabrikam";
const std::string kNorthwind = "northwind";

// An event of the pair's invitation, as the merge deciders record it.
RecordedEvent on_pair(uint64_t seq, const std::string& initiator, const std::string& invitee,
                      EventPayload payload, Instant at) {
  return recorded(seq, merge_pair_stream(initiator, invitee), {initiator, invitee}, std::move(payload), at);
}

RecordedEvent sent(uint64_t seq, const std::string& id, const std::string& initiator,
                   const std::string& invitee, Instant at) {
  return on_pair(seq, initiator, invitee, MergeInvitationSent{id, initiator, invitee, plus_days(at, 30)}, at);
}

std::vector<std::string> ids_of(const std::vector<InvitationRecord>& v) {
  std::vector<std::string> ids;
  for (const auto& r : v) ids.push_back(r.invitation_id);
  return ids;
}

using Ids = std::vector<std::string>;

TEST(MergesProjection, R_MRG_06_sent_is_in_the_invitee_inbox_and_the_initiator_outbox) {
  const Instant t = day(2026, 5, 11, 9);
  const std::vector<RecordedEvent> log = {sent(1, "inv-2026-05", kContoso, kFabrikam, t)};
  EXPECT_EQ(documents_of<MergesProjection>(log[0]), (Ids{kContoso, kFabrikam}));
  EXPECT_EQ(log[0].stream, "merge-contoso+fabrikam");

  const AccountMerges contoso = fold<MergesProjection>(kContoso, log);
  const AccountMerges fabrikam = fold<MergesProjection>(kFabrikam, log);
  EXPECT_EQ(contoso, fabrikam);  // one invitation, the same record on both sides
  ASSERT_EQ(contoso.invitations.size(), 1u);
  const InvitationRecord& r = contoso.invitations[0];
  EXPECT_EQ(r.invitation_id, "inv-2026-05");
  EXPECT_EQ(r.initiator_account_id, kContoso);
  EXPECT_EQ(r.invitee_account_id, kFabrikam);
  EXPECT_EQ(r.status, InvitationOutcome::sent);
  EXPECT_EQ(r.sent_at, t);
  EXPECT_EQ(r.expires, plus_days(t, 30));
  EXPECT_FALSE(r.settled_at.has_value());
  EXPECT_FALSE(r.accepted_at.has_value());

  const MergeInvitationsView initiator = merge_invitations_view(contoso, kContoso);
  EXPECT_EQ(initiator.account_id, kContoso);
  EXPECT_TRUE(initiator.inbox.empty());
  EXPECT_EQ(ids_of(initiator.outbox), Ids{"inv-2026-05"});
  EXPECT_EQ(ids_of(initiator.history), Ids{"inv-2026-05"});

  const MergeInvitationsView invitee = merge_invitations_view(fabrikam, kFabrikam);
  EXPECT_EQ(invitee.account_id, kFabrikam);
  EXPECT_EQ(ids_of(invitee.inbox), Ids{"inv-2026-05"});
  EXPECT_TRUE(invitee.outbox.empty());
  EXPECT_EQ(ids_of(invitee.history), Ids{"inv-2026-05"});
}

TEST(MergesProjection, R_MRG_03_accepted_stays_in_the_outbox_and_leaves_the_inbox) {
  const Instant t = day(2026, 5, 11, 9);
  const Instant accepted_at = day(2026, 5, 12, 14);
  const std::vector<RecordedEvent> log = {
      sent(1, "inv-1", kContoso, kFabrikam, t),
      on_pair(2, kContoso, kFabrikam, MergeInvitationAccepted{"inv-1"}, accepted_at),
  };
  EXPECT_EQ(documents_of<MergesProjection>(log[1]), (Ids{kContoso, kFabrikam}));
  const AccountMerges fabrikam = fold<MergesProjection>(kFabrikam, log);
  const AccountMerges contoso = fold<MergesProjection>(kContoso, log);
  ASSERT_EQ(contoso.invitations.size(), 1u);
  EXPECT_EQ(contoso.invitations[0].status, InvitationOutcome::accepted);
  EXPECT_EQ(contoso.invitations[0].accepted_at, accepted_at);
  EXPECT_FALSE(contoso.invitations[0].settled_at.has_value());  // the merge is still to be confirmed
  EXPECT_EQ(fabrikam, contoso);

  const MergeInvitationsView initiator = merge_invitations_view(contoso, kContoso);
  EXPECT_EQ(ids_of(initiator.outbox), Ids{"inv-1"});
  EXPECT_TRUE(initiator.inbox.empty());
  const MergeInvitationsView invitee = merge_invitations_view(fabrikam, kFabrikam);
  EXPECT_TRUE(invitee.inbox.empty());  // answered
  EXPECT_TRUE(invitee.outbox.empty());
  EXPECT_EQ(ids_of(invitee.history), Ids{"inv-1"});
}

// Each settled outcome: only in the history of both accounts, with settled_at.
void expect_settled_in_history_only(const std::vector<RecordedEvent>& log, InvitationOutcome outcome,
                                    Instant settled_at) {
  for (const std::string& account : {kContoso, kFabrikam}) {
    const AccountMerges doc = fold<MergesProjection>(account, log);
    ASSERT_EQ(doc.invitations.size(), 1u) << account;
    EXPECT_EQ(doc.invitations[0].status, outcome) << account;
    EXPECT_EQ(doc.invitations[0].settled_at, settled_at) << account;
    const MergeInvitationsView v = merge_invitations_view(doc, account);
    EXPECT_TRUE(v.inbox.empty()) << account;
    EXPECT_TRUE(v.outbox.empty()) << account;
    EXPECT_EQ(ids_of(v.history), Ids{"inv-1"}) << account;
  }
}

TEST(MergesProjection, R_MRG_03_declined_with_a_reason_is_history_only) {
  const Instant t = day(2026, 5, 11, 9);
  const Instant declined_at = day(2026, 5, 13, 10);
  const std::vector<RecordedEvent> log = {
      sent(1, "inv-1", kContoso, kFabrikam, t),
      on_pair(2, kContoso, kFabrikam, MergeInvitationDeclined{"inv-1", "we stay independent this year"},
              declined_at),
  };
  expect_settled_in_history_only(log, InvitationOutcome::declined, declined_at);
  EXPECT_EQ(fold<MergesProjection>(kFabrikam, log).invitations[0].decline_reason,
            "we stay independent this year");
}

TEST(MergesProjection, R_MRG_03_withdrawn_by_the_initiator_is_history_only) {
  const Instant t = day(2026, 5, 11, 9);
  const Instant withdrawn_at = day(2026, 5, 14, 10);
  const std::vector<RecordedEvent> log = {
      sent(1, "inv-1", kContoso, kFabrikam, t),
      on_pair(2, kContoso, kFabrikam, MergeInvitationAccepted{"inv-1"}, day(2026, 5, 12)),
      on_pair(3, kContoso, kFabrikam, MergeInvitationWithdrawn{"inv-1"}, withdrawn_at),
  };
  expect_settled_in_history_only(log, InvitationOutcome::withdrawn, withdrawn_at);
  EXPECT_EQ(fold<MergesProjection>(kContoso, log).invitations[0].accepted_at, day(2026, 5, 12));
}

TEST(MergesProjection, R_MRG_03_expired_unanswered_is_history_only) {
  const Instant t = day(2026, 5, 11, 9);
  const std::vector<RecordedEvent> log = {
      sent(1, "inv-1", kContoso, kFabrikam, t),
      on_pair(2, kContoso, kFabrikam, MergeInvitationExpired{"inv-1"}, plus_days(t, 30)),
  };
  expect_settled_in_history_only(log, InvitationOutcome::expired, plus_days(t, 30));
}

TEST(MergesProjection, R_MRG_05_completed_merge_is_history_only) {
  const Instant t = day(2026, 5, 11, 9);
  const Instant confirmed_at = day(2026, 5, 15, 16);
  // ConfirmMerge: the moved items and AccountsMerged on the initiator's
  // stream, AccountMergedAway on the invitee's, then the pair's completion.
  const std::vector<RecordedEvent> log = {
      sent(1, "inv-1", kContoso, kFabrikam, t),
      on_pair(2, kContoso, kFabrikam, MergeInvitationAccepted{"inv-1"}, day(2026, 5, 12)),
      recorded(3, account_stream(kContoso), {kContoso, kFabrikam},
               LocationAdded{kFabrikam, "Fabrikam OOO", PostalAddress{"Tverskaya St 7", "", "Moscow", "", "125009", "RU"}},
               confirmed_at),
      recorded(4, account_stream(kContoso), {kContoso, kFabrikam},
               AccountsMerged{"inv-1", kContoso, kFabrikam, {kFabrikam}, {}, {}, {}, {}}, confirmed_at),
      recorded(5, account_stream(kFabrikam), {kFabrikam, kContoso}, AccountMergedAway{"inv-1", kContoso},
               confirmed_at),
      on_pair(6, kContoso, kFabrikam, MergeInvitationCompleted{"inv-1"}, confirmed_at),
  };
  for (size_t i = 2; i <= 4; ++i) EXPECT_TRUE(documents_of<MergesProjection>(log[i]).empty()) << i;
  expect_settled_in_history_only(log, InvitationOutcome::completed, confirmed_at);
}

TEST(MergesProjection, R_MRG_06_history_is_newest_first_across_pairs) {
  const std::vector<RecordedEvent> log = {
      sent(1, "inv-1", kContoso, kFabrikam, day(2026, 1, 5)),
      on_pair(2, kContoso, kFabrikam, MergeInvitationDeclined{"inv-1", ""}, day(2026, 1, 6)),
      sent(3, "inv-2", kNorthwind, kContoso, day(2026, 2, 1)),  // Contoso is invited
      sent(4, "inv-3", kContoso, kFabrikam, day(2026, 3, 1)),   // the pair again, after the decline
  };
  EXPECT_EQ(log[2].stream, "merge-contoso+northwind");
  EXPECT_EQ(documents_of<MergesProjection>(log[2]), (Ids{kNorthwind, kContoso}));

  const AccountMerges contoso = fold<MergesProjection>(kContoso, log);
  EXPECT_EQ(ids_of(contoso.invitations), (Ids{"inv-1", "inv-2", "inv-3"}));  // as sent
  const MergeInvitationsView v = merge_invitations_view(contoso, kContoso);
  EXPECT_EQ(ids_of(v.history), (Ids{"inv-3", "inv-2", "inv-1"}));
  EXPECT_EQ(ids_of(v.inbox), Ids{"inv-2"});
  EXPECT_EQ(ids_of(v.outbox), Ids{"inv-3"});
  EXPECT_EQ(v.history[2].status, InvitationOutcome::declined);
  EXPECT_EQ(v.history[2].decline_reason, "");

  // Fabrikam never saw Northwind's invitation; Northwind never saw the pair's.
  EXPECT_EQ(ids_of(fold<MergesProjection>(kFabrikam, log).invitations), (Ids{"inv-1", "inv-3"}));
  EXPECT_EQ(ids_of(fold<MergesProjection>(kNorthwind, log).invitations), Ids{"inv-2"});
}

TEST(MergesProjection, events_of_other_streams_are_not_folded) {
  const Instant t = day(2026, 5, 11, 9);
  EXPECT_TRUE(documents_of<MergesProjection>(on_account(1, kContoso, UserRemoved{"u-2"}, t)).empty());
  EXPECT_TRUE(documents_of<MergesProjection>(
                  recorded(2, "tenant-8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b", {kContoso, kFabrikam},
                           TenantClaimed{"8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b", kContoso}, t))
                  .empty());
}

}  // namespace
}  // namespace mledger::projections
