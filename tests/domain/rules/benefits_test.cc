// Given/when/then tests of benefit assignment (R-BEN-01 .. R-BEN-07).
// Each rule has at least one test where it allows (accepted; events and state
// right) and one where it rejects (the rule's code; nothing appended).

#include "tests/support/world.h"

namespace mledger::testing {
namespace {

// A rejected command writes no event.
Actor alice() { return World::user("contoso", "alice"); }  // the global admin

std::string ap(const std::string& catalogue_benefit) {  // Action Pack of order o1
  return World::benefit("contoso", "o1", catalogue_benefit);
}
std::string silver(const std::string& catalogue_benefit) {  // Silver of order s1
  return World::benefit("contoso", "s1", catalogue_benefit);
}

// Given contoso (alice global admin) with users bob, carol, dave, erin (no
// roles), pam (mpn_partner_admin), adam (account_admin), gina (guest), and an
// Action Pack bought at day 0 (order o1).
void given_action_pack(World& w) {
  w.enroll("contoso", "alice");
  for (const char* u : {"bob", "carol", "dave", "erin"}) w.add_user("contoso", "alice", u, {});
  w.add_user("contoso", "alice", "pam", {Role::mpn_partner_admin});
  w.add_user("contoso", "alice", "adam", {Role::account_admin});
  w.add_user("contoso", "alice", "gina", {Role::referrals_admin}, /*guest=*/true);
  w.buy("contoso", "alice", "action_pack", "o1");
}

// ... plus a Silver membership (order s1, day 0) with its Azure bulk credit.
void given_action_pack_and_silver(World& w) {
  given_action_pack(w);
  w.competency("contoso", "silver");
  w.buy("contoso", "alice", "silver", "s1");
}

// --- R-BEN-01: only global_admin assigns --------------------------------------

TEST(Benefits, R_BEN_01_allows_global_admin_to_assign_a_benefit) {
  World w;
  given_action_pack(w);
  w.now = day(3);
  const Decision d = w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "bob"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(d.value().size(), 1u);
  const auto assigned = emitted<BenefitAssigned>(d);
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0], (BenefitAssigned{ap("office_365_e3"), "bob", BenefitKind::licensed_product, day(3)}));
  EXPECT_EQ(d.value()[0].stream, account_stream("contoso"));
  const Allocation& a = w.account("contoso").allocations.at(ap("office_365_e3"));
  ASSERT_TRUE(a.assignees.contains("bob"));
  EXPECT_EQ(a.assignees.at("bob"), day(3));
}

TEST(Benefits, R_BEN_01_rejects_mpn_partner_admin_assigning_benefits) {
  World w;
  given_action_pack(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", World::user("contoso", "pam"), AssignBenefit{ap("office_365_e3"), "bob"}),
      role_cannot_assign_benefits);
  EXPECT_TRUE(w.account("contoso").allocations.at(ap("office_365_e3")).assignees.empty());
}

TEST(Benefits, R_BEN_01_rejects_account_admin_and_plain_users_assigning_benefits) {
  World w;
  given_action_pack(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", World::user("contoso", "adam"), AssignBenefit{ap("office_365_e3"), "bob"}),
      role_cannot_assign_benefits);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", World::user("contoso", "bob"), AssignBenefit{ap("office_365_e3"), "bob"}),
      role_cannot_assign_benefits);
}

TEST(Benefits, R_BEN_01_rejects_mpn_partner_admin_unassigning_or_transferring) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", World::user("contoso", "pam"), UnassignBenefit{ap("azure_monthly_credit"), "bob"}),
      role_cannot_assign_benefits);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w,
      w.run("contoso", World::user("contoso", "pam"),
            TransferBenefit{ap("azure_monthly_credit"), "bob", "carol"}),
      role_cannot_assign_benefits);
}

TEST(Benefits, R_BEN_01_rejects_a_user_of_another_account_assigning) {
  World w;
  given_action_pack(w);
  w.enroll("fabrikam", "frank");
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", World::user("fabrikam", "frank"), AssignBenefit{ap("office_365_e3"), "bob"}),
      other_account_not_accessible);
}

// --- R-BEN-02: the assignee is a user of the account (guests included) --------

TEST(Benefits, R_BEN_02_allows_assigning_to_a_guest_user_of_the_account) {
  World w;
  given_action_pack(w);
  const Decision d = w.run("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), "gina"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<BenefitAssigned>(d).size(), 1u);
  EXPECT_EQ(emitted<BenefitAssigned>(d)[0].user_id, "gina");
  EXPECT_TRUE(w.account("contoso").allocations.at(ap("visual_studio_professional")).assignees.contains("gina"));
}

TEST(Benefits, R_BEN_02_rejects_an_assignee_not_in_the_account) {
  World w;
  given_action_pack(w);
  w.enroll("fabrikam", "frank");  // frank exists, but in another account's directory
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "zed"}),
                                  assignee_not_in_account);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "frank"}),
                                  assignee_not_in_account);
}

TEST(Benefits, R_BEN_02_rejects_transferring_to_someone_not_in_the_account) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), TransferBenefit{ap("azure_monthly_credit"), "bob", "zed"}),
      assignee_not_in_account);
}

TEST(Benefits, R_BEN_02_rejects_assigning_to_a_removed_user) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), RemoveUser{"erin"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "erin"}),
                                  assignee_not_in_account);
}

TEST(Benefits, R_BEN_02_rejects_removing_a_user_who_holds_benefits) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), RemoveUser{"bob"}), user_holds_benefits);
  EXPECT_TRUE(w.account("contoso").users.contains("bob"));
}

TEST(Benefits, R_BEN_02_allows_removing_a_user_once_the_benefits_are_unassigned) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  w.must("contoso", alice(), UnassignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_ACCEPTED(w.run("contoso", alice(), RemoveUser{"bob"}));
  EXPECT_FALSE(w.account("contoso").users.contains("bob"));
}

// --- R-BEN-03: Azure monthly credit: add and remove at any time ---------------

TEST(Benefits, R_BEN_03_allows_adding_and_removing_monthly_credit_users_at_any_time) {
  World w;
  given_action_pack(w);
  w.now = day(1);
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"}));
  // The same day: removed again, no waiting period.
  const Decision d = w.run("contoso", alice(), UnassignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<BenefitUnassigned>(d).size(), 1u);
  EXPECT_EQ(emitted<BenefitUnassigned>(d)[0], (BenefitUnassigned{ap("azure_monthly_credit"), "bob"}));
  EXPECT_TRUE(w.account("contoso").allocations.at(ap("azure_monthly_credit")).assignees.empty());
  // ... and added again, and moved to another user at once.
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"}));
  EXPECT_ACCEPTED(w.run("contoso", alice(), TransferBenefit{ap("azure_monthly_credit"), "bob", "carol"}));
  const Allocation& a = w.account("contoso").allocations.at(ap("azure_monthly_credit"));
  EXPECT_FALSE(a.assignees.contains("bob"));
  EXPECT_TRUE(a.assignees.contains("carol"));
  EXPECT_EQ(a.credit_amount, (Money{10'000, "USD"}));  // $100 per month
}

TEST(Benefits, R_BEN_03_rejects_removing_a_monthly_credit_the_user_does_not_hold) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), UnassignBenefit{ap("azure_monthly_credit"), "carol"}),
                                  benefit_not_assigned_to_user);
}

TEST(Benefits, R_BEN_03_rejects_assigning_account_level_benefits_to_users) {
  World w;
  given_action_pack(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), AssignBenefit{ap("online_technical_consultation"), "bob"}),
      benefit_not_assignable);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("marketing_campaign_kit"), "bob"}),
                                  benefit_not_assignable);
}

// --- R-BEN-04: Azure bulk credit ------------------------------------------------

TEST(Benefits, R_BEN_04_allows_assigning_the_bulk_credit_to_a_user_without_other_credits) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  const Decision d = w.run("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "carol"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<BenefitAssigned>(d).size(), 1u);
  EXPECT_EQ(emitted<BenefitAssigned>(d)[0].kind, BenefitKind::azure_bulk_credit);
  const Allocation& a = w.account("contoso").allocations.at(silver("azure_bulk_credit"));
  EXPECT_TRUE(a.assignees.contains("carol"));
  EXPECT_EQ(a.credit_amount, (Money{600'000, "USD"}));  // $6,000 per year
}

TEST(Benefits, R_BEN_04_rejects_removing_a_bulk_credit) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "carol"});
  w.now = day(200);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), UnassignBenefit{silver("azure_bulk_credit"), "carol"}),
                                  bulk_credit_not_removable);
  EXPECT_TRUE(w.account("contoso").allocations.at(silver("azure_bulk_credit")).assignees.contains("carol"));
}

TEST(Benefits, R_BEN_04_allows_transferring_a_bulk_credit_during_the_enrollment_year) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "carol"});
  w.now = day(364);  // the anniversary is day 365
  const Decision d = w.run("contoso", alice(), TransferBenefit{silver("azure_bulk_credit"), "carol", "dave"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<BenefitTransferred>(d).size(), 1u);
  EXPECT_EQ(emitted<BenefitTransferred>(d)[0],
            (BenefitTransferred{silver("azure_bulk_credit"), "carol", "dave"}));
  const Allocation& a = w.account("contoso").allocations.at(silver("azure_bulk_credit"));
  EXPECT_EQ(a.assignees.size(), 1u);
  ASSERT_TRUE(a.assignees.contains("dave"));
  EXPECT_EQ(a.assignees.at("dave"), day(364));
}

TEST(Benefits, R_BEN_04_rejects_transferring_a_bulk_credit_after_the_enrollment_year) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "carol"});
  w.now = day(366);  // past the anniversary (day 365), membership not yet lapsed
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), TransferBenefit{silver("azure_bulk_credit"), "carol", "dave"}),
      transfer_outside_enrollment_year);
  EXPECT_TRUE(w.account("contoso").allocations.at(silver("azure_bulk_credit")).assignees.contains("carol"));
}

TEST(Benefits, R_BEN_04_rejects_a_bulk_credit_for_a_user_holding_a_monthly_credit) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "bob"}),
                                  bulk_credit_not_combinable);
}

TEST(Benefits, R_BEN_04_rejects_a_monthly_credit_for_a_user_holding_the_bulk_credit) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"}),
                                  bulk_credit_not_combinable);
}

TEST(Benefits, R_BEN_04_rejects_transferring_a_bulk_credit_to_a_monthly_credit_holder) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  w.must("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "carol"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), TransferBenefit{silver("azure_bulk_credit"), "carol", "bob"}),
      bulk_credit_not_combinable);
}

TEST(Benefits, R_BEN_04_allows_a_bulk_credit_once_the_monthly_credit_is_removed) {
  World w;
  given_action_pack_and_silver(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  w.must("contoso", alice(), UnassignBenefit{ap("azure_monthly_credit"), "bob"});
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{silver("azure_bulk_credit"), "bob"}));
}

// --- R-BEN-05: Visual Studio reassignment after 90 days ---------------------------

TEST(Benefits, R_BEN_05_rejects_reassigning_visual_studio_within_90_days) {
  World w;
  given_action_pack(w);
  w.now = day(10);
  w.must("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), "bob"});
  w.now = day(99);  // 89 days later
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), TransferBenefit{ap("visual_studio_professional"), "bob", "carol"}),
      reassignment_too_soon);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), UnassignBenefit{ap("visual_studio_professional"), "bob"}),
      reassignment_too_soon);
  EXPECT_TRUE(w.account("contoso").allocations.at(ap("visual_studio_professional")).assignees.contains("bob"));
}

TEST(Benefits, R_BEN_05_allows_reassigning_visual_studio_after_90_days) {
  World w;
  given_action_pack(w);
  w.now = day(10);
  w.must("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), "bob"});
  w.now = day(100);  // exactly 90 days later
  const Decision d = w.run("contoso", alice(), TransferBenefit{ap("visual_studio_professional"), "bob", "carol"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<BenefitTransferred>(d).size(), 1u);
  const Allocation& a = w.account("contoso").allocations.at(ap("visual_studio_professional"));
  EXPECT_FALSE(a.assignees.contains("bob"));
  ASSERT_TRUE(a.assignees.contains("carol"));
  EXPECT_EQ(a.assignees.at("carol"), day(100));  // the new subscriber's 90 days start now
}

TEST(Benefits, R_BEN_05_rejects_passing_on_a_transferred_subscription_within_its_new_90_days) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), "bob"});
  w.now = day(90);
  w.must("contoso", alice(), TransferBenefit{ap("visual_studio_professional"), "bob", "carol"});
  w.now = day(179);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), TransferBenefit{ap("visual_studio_professional"), "carol", "dave"}),
      reassignment_too_soon);
  w.now = day(180);
  EXPECT_ACCEPTED(w.run("contoso", alice(), TransferBenefit{ap("visual_studio_professional"), "carol", "dave"}));
}

TEST(Benefits, R_BEN_05_allows_unassigning_visual_studio_after_90_days) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), "bob"});
  w.now = day(91);
  EXPECT_ACCEPTED(w.run("contoso", alice(), UnassignBenefit{ap("visual_studio_professional"), "bob"}));
  EXPECT_TRUE(w.account("contoso").allocations.at(ap("visual_studio_professional")).assignees.empty());
}

TEST(Benefits, R_BEN_05_rejects_visual_studio_enterprise_from_an_action_pack) {
  World w;
  given_action_pack(w);
  const AccountState& s = w.account("contoso");
  EXPECT_TRUE(s.allocations.contains(ap("visual_studio_professional")));
  EXPECT_FALSE(s.allocations.contains(ap("visual_studio_enterprise")));  // Professional only
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), AssignBenefit{ap("visual_studio_enterprise"), "bob"}), benefit_not_found);
}

// --- R-BEN-06: never beyond the allocation -------------------------------------

TEST(Benefits, R_BEN_06_allows_assigning_up_to_the_allocated_quantity) {
  World w;
  given_action_pack(w);
  for (const char* u : {"bob", "carol", "dave"}) {  // 3 Visual Studio Professional seats
    EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), u}));
  }
  const Allocation& a = w.account("contoso").allocations.at(ap("visual_studio_professional"));
  EXPECT_EQ(a.quantity, 3u);
  EXPECT_EQ(a.assignees.size(), 3u);
}

TEST(Benefits, R_BEN_06_rejects_assigning_beyond_the_allocated_quantity) {
  World w;
  given_action_pack(w);
  for (const char* u : {"bob", "carol", "dave"}) {
    w.must("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), u});
  }
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), AssignBenefit{ap("visual_studio_professional"), "erin"}), allocation_exhausted);
  EXPECT_EQ(w.account("contoso").allocations.at(ap("visual_studio_professional")).assignees.size(), 3u);
}

TEST(Benefits, R_BEN_06_allows_a_freed_seat_to_be_assigned_again) {
  World w;
  given_action_pack(w);
  for (const char* u : {"bob", "carol", "dave", "erin", "gina"}) {  // 5 monthly credits
    w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), u});
  }
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "pam"}),
                                  allocation_exhausted);
  w.must("contoso", alice(), UnassignBenefit{ap("azure_monthly_credit"), "gina"});
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "pam"}));
  EXPECT_EQ(w.account("contoso").allocations.at(ap("azure_monthly_credit")).assignees.size(), 5u);
}

TEST(Benefits, R_BEN_06_rejects_a_second_seat_for_the_same_user) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("office_365_e3"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "bob"}),
                                  benefit_already_assigned_to_user);
}

TEST(Benefits, R_BEN_06_rejects_a_benefit_never_allocated) {
  World w;
  given_action_pack(w);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("no_such_benefit"), "bob"}),
                                  benefit_not_found);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), AssignBenefit{World::benefit("contoso", "o9", "office_365_e3"), "bob"}),
      benefit_not_found);
}

// --- R-BEN-07: type, offer of origin, expiry; ended benefits ---------------------

TEST(Benefits, R_BEN_07_allows_allocations_that_carry_kind_type_offer_and_expiry) {
  World w;
  given_action_pack_and_silver(w);
  const AccountState& s = w.account("contoso");

  const Allocation& credit = s.allocations.at(ap("azure_monthly_credit"));
  EXPECT_EQ(credit.kind, BenefitKind::azure_monthly_credit);
  EXPECT_EQ(credit.type, BenefitType::core);
  EXPECT_EQ(credit.offer_id, "action_pack");
  EXPECT_EQ(credit.order_id, "o1");
  EXPECT_EQ(credit.catalogue_benefit_id, "azure_monthly_credit");
  EXPECT_EQ(credit.quantity, 5u);
  EXPECT_EQ(credit.expiry, day(365));  // the anniversary
  EXPECT_FALSE(credit.ended);

  const Allocation& vs = s.allocations.at(ap("visual_studio_professional"));
  EXPECT_EQ(vs.kind, BenefitKind::visual_studio);
  EXPECT_EQ(vs.expiry, day(395));  // user benefits: 30 days past the renewal date (R-ORD-09)

  const Allocation& signature = s.allocations.at(silver("signature_cloud_support"));
  EXPECT_EQ(signature.type, BenefitType::incremental);
  EXPECT_EQ(signature.offer_id, "silver");
  EXPECT_EQ(signature.kind, BenefitKind::technical);

  const auto allocated = w.events<BenefitsAllocated>(account_stream("contoso"));
  ASSERT_EQ(allocated.size(), 7u + 9u);  // Action Pack + Silver
  for (const auto& e : allocated) {
    EXPECT_EQ(e.benefit_id, "contoso/" + e.order_id + "/" + e.catalogue_benefit_id);
    EXPECT_EQ(e.catalogue_version, "default-2026-1");
    EXPECT_NE(e.expiry, Instant{});
  }
  // The assignment event carries the benefit's kind.
  const Decision d = w.run("contoso", alice(), AssignBenefit{silver("visual_studio_enterprise"), "bob"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<BenefitAssigned>(d).size(), 1u);
  EXPECT_EQ(emitted<BenefitAssigned>(d)[0].kind, BenefitKind::visual_studio);
}

TEST(Benefits, R_BEN_07_rejects_assigning_a_benefit_ended_by_a_refund) {
  World w;
  given_action_pack(w);
  w.now = day(5);
  w.must("contoso", alice(), RefundOrder{"o1"});
  EXPECT_TRUE(w.account("contoso").allocations.at(ap("office_365_e3")).ended);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "bob"}),
                                  benefit_ended);
}

TEST(Benefits, R_BEN_07_rejects_assigning_or_transferring_a_benefit_ended_by_a_lapse) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  w.now = day(396);  // the renewal window (30 days after day 365) closed
  w.must("contoso", World::service(), LapseMembership{"action_pack"});
  EXPECT_TRUE(w.account("contoso").allocations.at(ap("office_365_e3")).ended);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "bob"}),
                                  benefit_ended);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), TransferBenefit{ap("azure_monthly_credit"), "bob", "carol"}), benefit_ended);
}

TEST(Benefits, R_BEN_07_allows_a_user_with_only_ended_benefits_to_be_removed) {
  World w;
  given_action_pack(w);
  w.must("contoso", alice(), AssignBenefit{ap("azure_monthly_credit"), "bob"});
  w.now = day(396);
  w.must("contoso", World::service(), LapseMembership{"action_pack"});
  EXPECT_ACCEPTED(w.run("contoso", alice(), RemoveUser{"bob"}));
}

TEST(Benefits, R_BEN_07_rejects_assigning_after_the_expiry) {
  World w;
  given_action_pack(w);
  w.now = day(395);  // past the expiry (day 365) and its renewal window, not yet ended
  EXPECT_FALSE(w.account("contoso").allocations.at(ap("office_365_e3")).ended);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), AssignBenefit{ap("office_365_e3"), "bob"}),
                                  benefit_expired);
}

}  // namespace
}  // namespace mledger::testing
