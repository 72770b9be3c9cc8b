// Given/when/then tests of account-merge invitations and merges (R-MRG-01 ..
// R-MRG-06). Each rule has at least one test where it allows (accepted; events
// and state right) and one where it rejects (the rule's code; nothing appended).

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/world.h"

namespace mledger::testing {
namespace {

// contoso: alice (global admin), adam (account_admin), pam (mpn_partner_admin).
// fabrikam: frank (global admin), fay (account_admin), fred (mpn_partner_admin).
Actor alice() { return World::user("contoso", "alice"); }
Actor adam() { return World::user("contoso", "adam"); }
Actor pam() { return World::user("contoso", "pam"); }
Actor frank() { return World::user("fabrikam", "frank"); }
Actor fay() { return World::user("fabrikam", "fay"); }
Actor fred() { return World::user("fabrikam", "fred"); }

const std::string kPair = merge_pair_stream("contoso", "fabrikam");

void given_two_accounts(World& w) {
  w.enroll("contoso", "alice");
  w.add_user("contoso", "alice", "adam", {Role::account_admin});
  w.add_user("contoso", "alice", "pam", {Role::mpn_partner_admin});
  w.enroll("fabrikam", "frank");
  w.add_user("fabrikam", "frank", "fay", {Role::account_admin});
  w.add_user("fabrikam", "frank", "fred", {Role::mpn_partner_admin});
}

SendMergeInvitation invite(const std::string& id = "inv1", const std::string& invitee = "fabrikam") {
  return SendMergeInvitation{id, invitee};
}
AcceptMergeInvitation accept(const std::string& id = "inv1", const std::string& initiator = "contoso") {
  return AcceptMergeInvitation{id, initiator};
}
ConfirmMerge confirm(const std::string& id = "inv1", const std::string& invitee = "fabrikam") {
  return ConfirmMerge{id, invitee};
}

// contoso invited fabrikam at `sent` (inv1).
void given_sent(World& w, Instant sent = day(0)) {
  given_two_accounts(w);
  w.now = sent;
  w.must("contoso", adam(), invite());
}

// Northwind (nina, global admin) merged into fabrikam: "northwind" is now a
// location of fabrikam.
void given_northwind_merged_into_fabrikam(World& w) {
  w.enroll("northwind", "nina");
  w.must("fabrikam", frank(), SendMergeInvitation{"nw1", "northwind"});
  w.must("northwind", World::user("northwind", "nina"), AcceptMergeInvitation{"nw1", "fabrikam"});
  w.must("fabrikam", frank(), ConfirmMerge{"nw1", "northwind"});
  ASSERT_EQ(w.account("northwind").merged_into, "fabrikam");
}

// --- R-MRG-01: invite an active account by its global partner id -----------------

TEST(Merges, R_MRG_01_allows_inviting_an_active_account_by_global_partner_id) {
  World w;
  given_two_accounts(w);
  w.now = day(7);
  const Decision d = w.run("contoso", adam(), invite());
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(d.value().size(), 1u);
  EXPECT_EQ(d.value()[0].stream, kPair);
  const auto sent = emitted<MergeInvitationSent>(d);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], (MergeInvitationSent{"inv1", "contoso", "fabrikam", day(37)}));  // 30 days
  const MergePairState& pair = w.merge_pair("contoso", "fabrikam");
  EXPECT_EQ(pair.status, InvitationStatus::sent);
  EXPECT_TRUE(pair.pending());
}

TEST(Merges, R_MRG_01_rejects_a_location_partner_id) {
  World w;
  given_two_accounts(w);
  w.must("fabrikam", frank(), AddLocation{"Fabrikam Munich", World::billing()});
  ASSERT_EQ(w.account("fabrikam").locations.at(0).location_partner_id, "fabrikam/loc-1");
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1", "fabrikam/loc-1")),
                                  location_id_not_allowed);
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::none);
}

TEST(Merges, R_MRG_01_rejects_an_account_merged_away_which_is_now_a_location) {
  World w;
  given_two_accounts(w);
  given_northwind_merged_into_fabrikam(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1", "northwind")),
                                  location_id_not_allowed);
}

TEST(Merges, R_MRG_01_rejects_an_unknown_partner_id) {
  World w;
  given_two_accounts(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1", "nosuchcompany")), invitee_not_found);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1", "not a partner id")),
                                  invitee_not_found);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1", "")), invitee_not_found);
}

TEST(Merges, R_MRG_01_rejects_a_suspended_account) {
  World w;
  given_two_accounts(w);
  w.must("fabrikam", World::service(), SuspendAccount{"unpaid fees"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite()), invitee_not_active);
  w.must("fabrikam", World::service(), ReinstateAccount{"paid"});
  EXPECT_ACCEPTED(w.run("contoso", adam(), invite()));
}

// --- R-MRG-02: who sends and who answers --------------------------------------------

TEST(Merges, R_MRG_02_allows_account_admin_or_global_admin_to_send) {
  World w;
  given_two_accounts(w);
  w.enroll("northwind", "nina");
  EXPECT_ACCEPTED(w.run("contoso", adam(), invite("inv1", "fabrikam")));
  EXPECT_ACCEPTED(w.run("contoso", alice(), invite("inv2", "northwind")));
  EXPECT_EQ(w.merge_pair("contoso", "northwind").latest.initiator_account_id, "contoso");
}

TEST(Merges, R_MRG_02_rejects_other_roles_sending) {
  World w;
  given_two_accounts(w);
  w.add_user("contoso", "alice", "bob", {Role::user_management_admin, Role::business_profile_admin});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", pam(), invite()), role_cannot_send_merge_invitations);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::user("contoso", "bob"), invite()),
                                  role_cannot_send_merge_invitations);
}

TEST(Merges, R_MRG_02_allows_the_invitees_account_admin_or_global_admin_to_answer) {
  World w;
  given_sent(w);
  EXPECT_ACCEPTED(w.run("fabrikam", fay(), accept()));
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::accepted);

  World w2;
  given_sent(w2);
  EXPECT_ACCEPTED(w2.run("fabrikam", frank(), DeclineMergeInvitation{"inv1", "contoso", ""}));
  EXPECT_EQ(w2.merge_pair("contoso", "fabrikam").status, InvitationStatus::declined);
}

TEST(Merges, R_MRG_02_rejects_other_roles_answering) {
  World w;
  given_sent(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fred(), accept()), role_cannot_answer_merge_invitations);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fred(), DeclineMergeInvitation{"inv1", "contoso", "no"}),
                                  role_cannot_answer_merge_invitations);
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::sent);
}

TEST(Merges, R_MRG_02_rejects_the_initiator_answering_for_the_invitee) {
  World w;
  given_sent(w);
  // A user of the initiator cannot act on the invitee's account ...
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", adam(), accept()), other_account_not_accessible);
  // ... and the initiator's own account is not the invitee of inv1.
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), AcceptMergeInvitation{"inv1", "fabrikam"}),
                                  merge_invitation_not_found);
}

TEST(Merges, R_MRG_02_rejects_the_invitee_withdrawing_or_confirming) {
  World w;
  given_sent(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), WithdrawMergeInvitation{"inv1", "contoso"}),
                                  merge_invitation_not_found);
  w.must("fabrikam", fay(), accept());
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), ConfirmMerge{"inv1", "contoso"}),
                                  merge_invitation_not_found);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", pam(), confirm()), role_cannot_send_merge_invitations);
}

// --- R-MRG-03: accept/decline, confirm after acceptance, withdraw, expiry ----------

TEST(Merges, R_MRG_03_allows_accepting_then_confirming) {
  World w;
  given_sent(w);
  w.now = day(3);
  const Decision a = w.run("fabrikam", fay(), accept());
  EXPECT_ACCEPTED(a);
  ASSERT_EQ(a.value().size(), 1u);
  EXPECT_EQ(a.value()[0].stream, kPair);
  EXPECT_EQ(emitted<MergeInvitationAccepted>(a).at(0), MergeInvitationAccepted{"inv1"});
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::accepted);
  EXPECT_TRUE(w.account("fabrikam").merged_into.empty());  // nothing merged before the confirmation

  w.now = day(40);  // confirming is not bound to the invitation's expiry
  const Decision c = w.run("contoso", adam(), confirm());
  EXPECT_ACCEPTED(c);
  EXPECT_EQ(emitted<MergeInvitationCompleted>(c).size(), 1u);
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::completed);
  EXPECT_EQ(w.account("fabrikam").merged_into, "contoso");
}

TEST(Merges, R_MRG_03_allows_declining_with_or_without_a_reason) {
  World w;
  given_sent(w);
  const Decision d = w.run("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", "We stay independent"});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<MergeInvitationDeclined>(d).at(0), (MergeInvitationDeclined{"inv1", "We stay independent"}));
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::declined);

  World w2;
  given_sent(w2);
  const Decision d2 = w2.run("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", ""});
  EXPECT_ACCEPTED(d2);
  EXPECT_EQ(emitted<MergeInvitationDeclined>(d2).at(0), (MergeInvitationDeclined{"inv1", ""}));
}

TEST(Merges, R_MRG_03_rejects_a_decline_reason_over_500_bytes) {
  World w;
  given_sent(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", std::string(501, 'x')}), field_too_long);
}

TEST(Merges, R_MRG_03_rejects_confirming_before_acceptance) {
  World w;
  given_sent(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), confirm()), merge_invitation_not_accepted);
  EXPECT_TRUE(w.account("fabrikam").merged_into.empty());
}

TEST(Merges, R_MRG_03_rejects_confirming_a_declined_invitation) {
  World w;
  given_sent(w);
  w.must("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", "no"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), confirm()), merge_invitation_not_accepted);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), accept()), merge_invitation_not_pending);
}

TEST(Merges, R_MRG_03_rejects_an_unknown_invitation) {
  World w;
  given_sent(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), accept("inv9")), merge_invitation_not_found);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), confirm("inv9")), merge_invitation_not_found);
}

TEST(Merges, R_MRG_03_allows_the_initiator_to_withdraw) {
  World w;
  given_sent(w);
  const Decision d = w.run("contoso", adam(), WithdrawMergeInvitation{"inv1", "fabrikam"});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<MergeInvitationWithdrawn>(d).at(0), MergeInvitationWithdrawn{"inv1"});
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::withdrawn);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), accept()), merge_invitation_not_pending);
}

// Choice: the initiator may withdraw until it confirms, so an accepted but
// unconfirmed invitation never blocks the pair.
TEST(Merges, R_MRG_03_allows_withdrawing_after_acceptance_until_confirmed) {
  World w;
  given_sent(w);
  w.must("fabrikam", fay(), accept());
  EXPECT_ACCEPTED(w.run("contoso", adam(), WithdrawMergeInvitation{"inv1", "fabrikam"}));
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::withdrawn);
}

TEST(Merges, R_MRG_03_rejects_withdrawing_a_declined_invitation) {
  World w;
  given_sent(w);
  w.must("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", "not now"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), WithdrawMergeInvitation{"inv1", "fabrikam"}),
                                  merge_invitation_not_pending);
}

TEST(Merges, R_MRG_03_allows_accepting_on_the_last_day_before_expiry) {
  World w;
  given_sent(w, day(0));
  w.now = Instant{day(30).micros_since_epoch - 1};  // a microsecond before the 30 days are up
  EXPECT_ACCEPTED(w.run("fabrikam", fay(), accept()));
}

TEST(Merges, R_MRG_03_rejects_accepting_or_declining_after_30_days) {
  World w;
  given_sent(w, day(0));
  w.now = day(30);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), accept()), merge_invitation_expired);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", ""}),
                                  merge_invitation_expired);
}

TEST(Merges, R_MRG_03_rejects_expiring_an_invitation_before_its_expiry) {
  World w;
  given_sent(w, day(0));
  w.now = day(29);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), ExpireMergeInvitation{"inv1", "fabrikam"}),
                                  merge_invitation_not_yet_expired);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), ExpireMergeInvitation{"inv1", "fabrikam"}),
                                  actor_not_allowed);
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::sent);
}

TEST(Merges, R_MRG_03_allows_the_service_to_expire_after_30_days) {
  World w;
  given_sent(w, day(0));
  w.now = day(30);
  const Decision d = w.run("contoso", World::service(), ExpireMergeInvitation{"inv1", "fabrikam"});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<MergeInvitationExpired>(d).at(0), MergeInvitationExpired{"inv1"});
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::expired);
  EXPECT_FALSE(w.merge_pair("contoso", "fabrikam").pending());
}

TEST(Merges, R_MRG_03_allows_a_configured_expiry_period) {
  World w;
  w.policy.merge_invitation_days = 10;
  given_two_accounts(w);
  const Decision d = w.run("contoso", adam(), invite());
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<MergeInvitationSent>(d).at(0).expires, day(10));
  w.now = day(10);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), accept()), merge_invitation_expired);
  EXPECT_ACCEPTED(w.run("contoso", World::service(), ExpireMergeInvitation{"inv1", "fabrikam"}));
}

// --- R-MRG-04: no self-invitation, none to a merged-away account, one pending per pair

TEST(Merges, R_MRG_04_rejects_a_self_invitation) {
  World w;
  given_two_accounts(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1", "contoso")),
                                  self_invitation_not_allowed);
}

TEST(Merges, R_MRG_04_rejects_a_second_pending_invitation_for_the_pair) {
  World w;
  given_sent(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv2")), merge_invitation_pending);
  // The other direction is the same pair.
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), invite("inv2", "contoso")), merge_invitation_pending);
  // Accepted but not yet confirmed is still pending.
  w.must("fabrikam", fay(), accept());
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), invite("inv2", "contoso")), merge_invitation_pending);
}

TEST(Merges, R_MRG_04_allows_a_new_invitation_once_the_last_one_is_closed) {
  World w;
  given_sent(w);
  w.must("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", "not now"});
  // Either side may invite again, with a new id.
  const Decision d = w.run("fabrikam", fay(), invite("inv2", "contoso"));
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<MergeInvitationSent>(d).at(0).initiator_account_id, "fabrikam");
  EXPECT_EQ(d.value().at(0).stream, kPair);
  const MergePairState& pair = w.merge_pair("fabrikam", "contoso");
  EXPECT_EQ(pair.status, InvitationStatus::sent);
  EXPECT_EQ(pair.latest.invitation_id, "inv2");
}

TEST(Merges, R_MRG_04_rejects_reusing_an_invitation_id_of_the_pair) {
  World w;
  given_sent(w);
  w.must("contoso", adam(), WithdrawMergeInvitation{"inv1", "fabrikam"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1")), merge_invitation_id_used);
}

TEST(Merges, R_MRG_04_rejects_an_invitation_to_an_account_already_merged_away) {
  World w;
  given_two_accounts(w);
  given_northwind_merged_into_fabrikam(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv1", "northwind")),
                                  location_id_not_allowed);
}

TEST(Merges, R_MRG_04_rejects_confirming_when_the_invitee_merged_elsewhere_meanwhile) {
  World w;
  given_sent(w);
  w.enroll("northwind", "nina");
  w.must("northwind", World::user("northwind", "nina"), invite("nw1", "fabrikam"));
  w.must("fabrikam", fay(), accept());
  w.must("fabrikam", fay(), AcceptMergeInvitation{"nw1", "northwind"});
  w.must("northwind", World::user("northwind", "nina"), ConfirmMerge{"nw1", "fabrikam"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), confirm()), account_merged_away);
  EXPECT_EQ(w.account("fabrikam").merged_into, "northwind");
}

// --- R-MRG-05: the effects of a merge ----------------------------------------------------

// contoso: Action Pack o1 bought at `contoso_bought`, location contoso/loc-1,
// tenant t-con. fabrikam: Action Pack f1 bought at `fabrikam_bought`, location
// fabrikam/loc-1, tenant t-fab, Visual Studio assigned to fay at day 20.
// inv1 sent day 30, accepted day 31.
void given_merge_ready(World& w, Instant contoso_bought, Instant fabrikam_bought) {
  given_two_accounts(w);
  w.now = contoso_bought;
  w.buy("contoso", "alice", "action_pack", "o1");
  w.now = fabrikam_bought;
  w.buy("fabrikam", "frank", "action_pack", "f1");
  w.now = day(20);
  w.must("contoso", alice(), AddLocation{"Contoso Hamburg", World::billing()});
  w.must("contoso", alice(), AssociateTenant{"t-con", "contoso.example.com", true});
  w.must("fabrikam", frank(), AddLocation{"Fabrikam Munich", World::billing()});
  w.must("fabrikam", frank(), AssociateTenant{"t-fab", "fabrikam.example.com", true});
  w.must("fabrikam", frank(),
         AssignBenefit{World::benefit("fabrikam", "f1", "visual_studio_professional"), "fay"});
  w.now = day(30);
  w.must("contoso", adam(), invite());
  w.now = day(31);
  w.must("fabrikam", fay(), accept());
}

TEST(Merges, R_MRG_05_allows_the_merge_with_its_effects) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.now = day(32);
  const Decision d = w.run("contoso", adam(), confirm());
  EXPECT_ACCEPTED(d);

  const auto merged = emitted<AccountsMerged>(d);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].invitation_id, "inv1");
  EXPECT_EQ(merged[0].initiator_account_id, "contoso");
  EXPECT_EQ(merged[0].invitee_account_id, "fabrikam");
  EXPECT_EQ(merged[0].moved_location_ids, (std::vector<std::string>{"fabrikam", "fabrikam/loc-1"}));
  std::vector<std::string> moved_users = merged[0].moved_user_ids;
  std::sort(moved_users.begin(), moved_users.end());
  EXPECT_EQ(moved_users, (std::vector<std::string>{"fay", "frank", "fred"}));
  EXPECT_EQ(merged[0].kept_tenant_ids, (std::vector<std::string>{"t-fab"}));
  EXPECT_EQ(merged[0].action_pack_anniversary, day(375));  // fabrikam's, the later one

  const AccountState& c = w.account("contoso");
  // The invitee's global id becomes a location; its locations move, ids kept.
  std::vector<std::string> locations;
  for (const Location& l : c.locations) locations.push_back(l.location_partner_id);
  EXPECT_EQ(locations, (std::vector<std::string>{"contoso/loc-1", "fabrikam", "fabrikam/loc-1"}));
  EXPECT_EQ(c.locations.at(1).name, "fabrikam Ltd");
  // Users keep their roles.
  ASSERT_TRUE(c.users.contains("frank"));
  EXPECT_EQ(c.users.at("frank").roles, std::vector<Role>{Role::global_admin});
  EXPECT_EQ(c.users.at("fay").roles, std::vector<Role>{Role::account_admin});
  EXPECT_EQ(c.users.at("fred").roles, std::vector<Role>{Role::mpn_partner_admin});
  EXPECT_EQ(c.users.at("alice").roles, std::vector<Role>{Role::global_admin});
  // Tenants are not merged: both, the invitee's now claimed by the initiator.
  EXPECT_TRUE(c.tenants.contains("t-con"));
  EXPECT_TRUE(c.tenants.contains("t-fab"));
  EXPECT_TRUE(c.tenants.at("t-con").primary);
  EXPECT_EQ(w.tenant("t-fab").account_id, "contoso");
  EXPECT_EQ(w.tenant("t-con").account_id, "contoso");
  // Benefits of both stay, assignments moved with their original time.
  const std::string vs = World::benefit("fabrikam", "f1", "visual_studio_professional");
  ASSERT_TRUE(c.allocations.contains(vs));
  EXPECT_EQ(c.allocations.at(vs).offer_id, "action_pack");
  EXPECT_EQ(c.allocations.at(vs).quantity, 3u);
  EXPECT_EQ(c.allocations.at(vs).expiry, day(405));
  ASSERT_TRUE(c.allocations.at(vs).assignees.contains("fay"));
  EXPECT_EQ(c.allocations.at(vs).assignees.at("fay"), day(20));
  EXPECT_TRUE(c.allocations.contains(World::benefit("contoso", "o1", "visual_studio_professional")));
  EXPECT_EQ(c.allocations.size(), 14u);
  // Of two Action Pack anniversaries the later is kept.
  ASSERT_TRUE(c.memberships.contains("action_pack"));
  EXPECT_EQ(c.memberships.at("action_pack").anniversary, day(375));
  EXPECT_TRUE(c.memberships.at("action_pack").live());
  // The invitee is merged away.
  EXPECT_EQ(w.account("fabrikam").merged_into, "contoso");
  EXPECT_EQ(w.events<AccountMergedAway>(account_stream("fabrikam")),
            (std::vector<AccountMergedAway>{{"inv1", "contoso"}}));
}

TEST(Merges, R_MRG_05_allows_keeping_the_initiators_later_anniversary) {
  World w;
  given_merge_ready(w, day(10), day(0));
  w.now = day(32);
  const Decision d = w.run("contoso", adam(), confirm());
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<AccountsMerged>(d).at(0).action_pack_anniversary, day(375));
  EXPECT_TRUE(emitted<AccountsMerged>(d).at(0).memberships.empty());
  EXPECT_EQ(w.account("contoso").memberships.at("action_pack").anniversary, day(375));
  EXPECT_EQ(w.account("contoso").memberships.at("action_pack").order_id, "o1");
}

TEST(Merges, R_MRG_05_allows_new_locations_of_the_initiator_to_keep_their_own_numbering) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.now = day(32);
  w.must("contoso", adam(), confirm());
  const Decision d = w.run("contoso", adam(), AddLocation{"Contoso Cologne", World::billing()});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<LocationAdded>(d).at(0).location_partner_id, "contoso/loc-2");
}

TEST(Merges, R_MRG_05_rejects_commands_on_the_merged_away_account) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.now = day(32);
  w.must("contoso", adam(), confirm());
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", frank(), AddLocation{"Fabrikam Berlin", World::billing()}),
                                  account_merged_away);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w,
      w.run("fabrikam", frank(),
            AssignBenefit{World::benefit("fabrikam", "f1", "office_365_e3"), "fay"}),
      account_merged_away);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", World::service(), SuspendAccount{"x"}), account_merged_away);
}

TEST(Merges, R_MRG_05_rejects_reassigning_moved_visual_studio_within_90_days_of_the_original_assignment) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.now = day(32);
  w.must("contoso", adam(), confirm());
  const std::string vs = World::benefit("fabrikam", "f1", "visual_studio_professional");
  w.now = day(109);  // 89 days after fay got it at fabrikam (day 20)
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), TransferBenefit{vs, "fay", "adam"}),
                                  reassignment_too_soon);
  w.now = day(110);
  EXPECT_ACCEPTED(w.run("contoso", alice(), TransferBenefit{vs, "fay", "adam"}));
}

TEST(Merges, R_MRG_05_rejects_the_merge_while_the_invitee_has_pending_requests) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.competency("fabrikam", "silver");
  w.must("fabrikam", fred(),
         PlaceOrder{"w1", "silver", PaymentMethod::wire, World::billing(), std::nullopt});  // unpaid
  w.now = day(32);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), confirm()), invitee_has_pending_requests);
  EXPECT_TRUE(w.account("fabrikam").merged_into.empty());
}

// The moved allocations keep the invitee's order id ("f1"). A later order of the
// initiator that happens to carry the same order id is another order: refunding
// it must neither look at nor end the moved benefits.
TEST(Merges, R_MRG_05_allows_refunding_an_initiator_order_whose_id_matches_a_moved_order) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.now = day(32);
  w.must("contoso", adam(), confirm());
  w.competency("contoso", "silver");
  w.buy("contoso", "alice", "silver", "f1");  // contoso's own order "f1", nothing used
  w.now = day(33);
  EXPECT_ACCEPTED(w.run("contoso", alice(), RefundOrder{"f1"}));
  const AccountState& c = w.account("contoso");
  EXPECT_TRUE(c.allocations.at(World::benefit("contoso", "f1", "azure_bulk_credit")).ended);
  EXPECT_FALSE(c.allocations.at(World::benefit("fabrikam", "f1", "visual_studio_professional")).ended);
  EXPECT_FALSE(c.allocations.at(World::benefit("fabrikam", "f1", "office_365_e3")).ended);
}

TEST(Merges, R_MRG_05_allows_moved_benefits_to_stay_when_a_same_id_initiator_order_is_refunded) {
  World w;
  given_two_accounts(w);
  w.buy("fabrikam", "frank", "action_pack", "f1");  // no benefit of it used
  w.must("contoso", adam(), invite());
  w.must("fabrikam", fay(), accept());
  w.must("contoso", adam(), confirm());
  w.competency("contoso", "silver");
  w.buy("contoso", "alice", "silver", "f1");
  EXPECT_ACCEPTED(w.run("contoso", alice(), RefundOrder{"f1"}));
  const AccountState& c = w.account("contoso");
  EXPECT_FALSE(c.allocations.at(World::benefit("fabrikam", "f1", "office_365_e3")).ended);
  EXPECT_TRUE(c.memberships.at("action_pack").live());
}

// --- R-MRG-06: the merge history is derivable from the events ---------------------------

template <class E>
bool is(const World::Stored& s) {
  return std::holds_alternative<E>(s.payload);
}

TEST(Merges, R_MRG_06_allows_deriving_the_merge_history_from_the_events) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.now = day(32);
  w.must("contoso", adam(), confirm());

  const auto& pair = w.streams[kPair];
  ASSERT_EQ(pair.size(), 3u);
  EXPECT_TRUE(is<MergeInvitationSent>(pair[0]));
  EXPECT_TRUE(is<MergeInvitationAccepted>(pair[1]));
  EXPECT_TRUE(is<MergeInvitationCompleted>(pair[2]));
  EXPECT_EQ(pair[0].at, day(30));
  EXPECT_EQ(pair[1].at, day(31));
  EXPECT_EQ(pair[2].at, day(32));
  for (const auto& s : pair) {  // each belongs to both accounts' histories
    EXPECT_NE(std::find(s.account_ids.begin(), s.account_ids.end(), "contoso"), s.account_ids.end());
    EXPECT_NE(std::find(s.account_ids.begin(), s.account_ids.end(), "fabrikam"), s.account_ids.end());
  }
  const auto away = w.events<AccountMergedAway>(account_stream("fabrikam"));
  ASSERT_EQ(away.size(), 1u);
  EXPECT_EQ(away[0], (AccountMergedAway{"inv1", "contoso"}));
  EXPECT_TRUE(is<AccountMergedAway>(w.streams[account_stream("fabrikam")].back()));
  const auto merged = w.events<AccountsMerged>(account_stream("contoso"));
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].invitee_account_id, "fabrikam");
}

TEST(Merges, R_MRG_06_allows_a_history_of_a_declined_then_completed_invitation) {
  World w;
  given_sent(w);
  w.must("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", "not yet"});
  w.must("contoso", adam(), invite("inv2"));
  w.must("fabrikam", fay(), accept("inv2"));
  w.must("contoso", adam(), confirm("inv2"));
  const auto& pair = w.streams[kPair];
  ASSERT_EQ(pair.size(), 5u);
  EXPECT_EQ(std::get<MergeInvitationSent>(pair[0].payload).invitation_id, "inv1");
  EXPECT_EQ(std::get<MergeInvitationDeclined>(pair[1].payload), (MergeInvitationDeclined{"inv1", "not yet"}));
  EXPECT_EQ(std::get<MergeInvitationSent>(pair[2].payload).invitation_id, "inv2");
  EXPECT_EQ(std::get<MergeInvitationAccepted>(pair[3].payload), MergeInvitationAccepted{"inv2"});
  EXPECT_EQ(std::get<MergeInvitationCompleted>(pair[4].payload), MergeInvitationCompleted{"inv2"});
}

TEST(Merges, R_MRG_06_rejects_rewriting_a_completed_merge) {
  World w;
  given_merge_ready(w, day(0), day(10));
  w.now = day(32);
  w.must("contoso", adam(), confirm());
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), confirm()), merge_invitation_not_accepted);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), WithdrawMergeInvitation{"inv1", "fabrikam"}),
                                  merge_invitation_not_pending);
  w.now = day(90);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), ExpireMergeInvitation{"inv1", "fabrikam"}),
                                  merge_invitation_not_pending);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("fabrikam", fay(), DeclineMergeInvitation{"inv1", "contoso", "undo"}),
                                  account_merged_away);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), invite("inv2")), location_id_not_allowed);
  EXPECT_EQ(w.streams[kPair].size(), 3u);
  EXPECT_EQ(w.merge_pair("contoso", "fabrikam").status, InvitationStatus::completed);
}

// Choice: the same directory user in both accounts is one person, who keeps
// the roles it held in either.
TEST(Merges, R_MRG_05_allows_a_user_of_both_accounts_to_keep_the_roles_of_both) {
  World w;
  given_two_accounts(w);
  w.add_user("contoso", "alice", "sam", {Role::referrals_admin});
  w.add_user("fabrikam", "frank", "sam", {Role::incentives_admin, Role::referrals_admin});
  w.must("contoso", adam(), invite());
  w.must("fabrikam", fay(), accept());
  EXPECT_ACCEPTED(w.run("contoso", adam(), confirm()));
  const auto& roles = w.account("contoso").users.at("sam").roles;
  EXPECT_EQ(roles, (std::vector<Role>{Role::referrals_admin, Role::incentives_admin}));
}

TEST(Merges, R_MRG_05_rejects_a_merge_while_the_initiator_awaits_payment_for_an_offer_the_invitee_brings) {
  World w;
  given_two_accounts(w);
  w.buy("fabrikam", "frank", "action_pack", "f1");
  w.must("contoso", alice(), PlaceOrder{"c1", "action_pack", PaymentMethod::wire, World::billing(), std::nullopt});
  w.must("contoso", adam(), invite());
  w.must("fabrikam", fay(), accept());
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run("contoso", adam(), confirm()), unpaid_order_conflicts_with_merge);
  EXPECT_EQ(w.appended, before);
  // once the order is cancelled the merge goes ahead, with one Action Pack
  w.must("contoso", alice(), RequestOrderCancellation{"c1"});
  w.must("contoso", alice(), ConfirmOrderCancellation{"c1"});
  EXPECT_ACCEPTED(w.run("contoso", adam(), confirm()));
  EXPECT_EQ(w.account("contoso").memberships.at("action_pack").order_id, "f1");
}

TEST(Merges, R_BEN_04_rejects_a_merge_that_would_give_a_user_a_bulk_credit_and_another_credit) {
  World w;
  given_two_accounts(w);
  w.add_user("contoso", "alice", "sam", {});
  w.add_user("fabrikam", "frank", "sam", {});
  w.buy("contoso", "alice", "action_pack", "c1");
  w.must("contoso", alice(), AssignBenefit{World::benefit("contoso", "c1", "azure_monthly_credit"), "sam"});
  w.competency("fabrikam", "silver");
  w.buy("fabrikam", "frank", "silver", "f1");
  w.must("fabrikam", frank(), AssignBenefit{World::benefit("fabrikam", "f1", "azure_bulk_credit"), "sam"});
  w.must("contoso", adam(), invite());
  w.must("fabrikam", fay(), accept());
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run("contoso", adam(), confirm()), bulk_credit_not_combinable);
  EXPECT_EQ(w.appended, before);
}

}  // namespace
}  // namespace mledger::testing
