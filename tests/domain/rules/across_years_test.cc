// Given/when/then tests of rules that meet when time passes (issue 12): the
// renewal window (R-ORD-08), the next year's bulk credit (R-BEN-04), a merge's
// anniversaries (R-MRG-05), the way out of a rejected verification on a
// read-only account (R-ACC-04 with R-ACC-05), the users' other licensing
// offers (R-BEN-04), postal code forms (R-ORD-03), technical benefit ids in
// the benefits read model (R-TEC-01) and the one convention for periods.

#include "projections/views.h"
#include "tests/support/world.h"

namespace mledger::testing {
namespace {

Actor alice() { return World::user("contoso", "alice"); }  // contoso's global admin
Actor frank() { return World::user("fabrikam", "frank"); }  // fabrikam's global admin

std::string ap(const std::string& order, const std::string& benefit) {
  return World::benefit("contoso", order, benefit);
}

// contoso (alice global admin; bob, carol without roles) bought an Action Pack
// at day 0 (order o1): anniversary day 365, renewal window [365, 395).
void given_action_pack(World& w) {
  w.now = day(0);
  w.enroll("contoso", "alice");
  w.add_user("contoso", "alice", "bob", {});
  w.add_user("contoso", "alice", "carol", {});
  w.buy("contoso", "alice", "action_pack", "o1");
}

// ... and a Silver membership (order s1, day 0) with its Azure bulk credit.
void given_silver(World& w) {
  given_action_pack(w);
  w.competency("contoso", "silver");
  w.buy("contoso", "alice", "silver", "s1");
}

// The business review and a card renewal of `offer` at `when`.
void renew(World& w, const std::string& offer, const std::string& order, Instant when) {
  w.now = when;
  w.must("contoso", alice(), ReviewBusinessInfo{});
  w.buy("contoso", "alice", offer, order);
}

UseSupportIncident incident(const std::string& id) {
  return UseSupportIncident{"action_pack", IncidentKind::product_support, id};
}

// --- R-ORD-08: benefits continue during the renewal window ---------------------

TEST(AcrossYears, R_ORD_08_benefits_continue_during_the_renewal_window) {
  World w;
  given_action_pack(w);
  w.now = day(366);
  w.must("contoso", World::service(), OpenRenewalWindow{"action_pack"});
  EXPECT_TRUE(projections::memberships_view(w.account("contoso")).memberships[0].benefits_continue);
  w.now = day(394);
  EXPECT_ACCEPTED(w.run("contoso", alice(), incident("inc-window")));
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("o1", "office_365_e3"), "bob"}));
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("o1", "visual_studio_professional"), "carol"}));
}

TEST(AcrossYears, R_ORD_08_rejects_use_once_the_window_has_ended) {
  World w;
  given_action_pack(w);
  w.now = day(395);  // the window is [365, 395): over at 395 exactly
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), incident("inc-late")), benefit_expired);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), AssignBenefit{ap("o1", "office_365_e3"), "bob"}), benefit_expired);
}

TEST(AcrossYears, R_ORD_08_last_years_benefits_continue_beside_the_renewed_ones) {
  World w;
  given_action_pack(w);
  renew(w, "action_pack", "o2", day(370));
  w.now = day(380);
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("o1", "office_365_e3"), "bob"}));
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("o2", "office_365_e3"), "bob"}));
  w.now = day(395);
  EXPECT_REJECTED(w.run("contoso", alice(), AssignBenefit{ap("o1", "office_365_e3"), "carol"}), benefit_expired);
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("o2", "office_365_e3"), "carol"}));
}

// --- R-BEN-04: the renewed year's bulk credit ------------------------------------

TEST(AcrossYears, R_BEN_04_allows_the_renewed_bulk_credit_to_last_years_holder) {
  World w;
  given_silver(w);
  w.now = day(1);
  w.must("contoso", alice(), AssignBenefit{World::benefit("contoso", "s1", "azure_bulk_credit"), "bob"});
  renew(w, "silver", "s2", day(366));
  EXPECT_ACCEPTED(
      w.run("contoso", alice(), AssignBenefit{World::benefit("contoso", "s2", "azure_bulk_credit"), "bob"}));
  // Both years' bulk credits are his during last year's window: he is still
  // given nothing that would combine with them.
  w.now = day(390);
  EXPECT_REJECTED(w.run("contoso", alice(), AssignBenefit{ap("o1", "azure_monthly_credit"), "bob"}),
                  bulk_credit_not_combinable);
}

TEST(AcrossYears, R_BEN_04_still_rejects_a_bulk_credit_beside_another_credit) {
  World w;
  given_silver(w);
  w.now = day(1);
  w.must("contoso", alice(), AssignBenefit{ap("o1", "azure_monthly_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), AssignBenefit{World::benefit("contoso", "s1", "azure_bulk_credit"), "bob"}),
      bulk_credit_not_combinable);
}

TEST(AcrossYears, R_BEN_04_a_user_holding_only_history_can_be_removed) {
  World w;
  given_silver(w);
  w.now = day(1);
  w.must("contoso", alice(), AssignBenefit{World::benefit("contoso", "s1", "azure_bulk_credit"), "bob"});
  w.now = day(200);
  EXPECT_REJECTED(w.run("contoso", alice(), RemoveUser{"bob"}), user_holds_benefits);
  renew(w, "silver", "s2", day(366));
  w.now = day(400);  // s1's window is over; s2's bulk credit went to nobody
  EXPECT_ACCEPTED(w.run("contoso", alice(), RemoveUser{"bob"}));
}

// --- R-BEN-04: other licensing offers held by a user -----------------------------

TEST(AcrossYears, R_BEN_04_rejects_a_bulk_credit_for_a_user_with_an_enterprise_agreement) {
  World w;
  given_silver(w);
  w.now = day(1);
  const Decision d = w.run("contoso", World::service(),
                           RecordUserLicensingOffer{"bob", LicensingOffer::enterprise_agreement, true});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<UserLicensingOfferRecorded>(d).size(), 1u);
  EXPECT_EQ(projections::profile_view(w.account("contoso")).users[1].licensing_offers,
            std::vector<LicensingOffer>{LicensingOffer::enterprise_agreement});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), AssignBenefit{World::benefit("contoso", "s1", "azure_bulk_credit"), "bob"}),
      bulk_credit_not_combinable);
  // The user no longer holds it: the bulk credit can go to them.
  w.must("contoso", World::service(), RecordUserLicensingOffer{"bob", LicensingOffer::enterprise_agreement, false});
  EXPECT_ACCEPTED(
      w.run("contoso", alice(), AssignBenefit{World::benefit("contoso", "s1", "azure_bulk_credit"), "bob"}));
}

TEST(AcrossYears, R_BEN_04_rejects_recording_an_offer_for_a_bulk_credit_holder) {
  World w;
  given_silver(w);
  w.now = day(1);
  w.must("contoso", alice(), AssignBenefit{World::benefit("contoso", "s1", "azure_bulk_credit"), "bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", World::service(), RecordUserLicensingOffer{"bob", LicensingOffer::azure_pass, true}),
      bulk_credit_not_combinable);
  EXPECT_ACCEPTED(
      w.run("contoso", World::service(), RecordUserLicensingOffer{"carol", LicensingOffer::azure_pass, true}));
  EXPECT_REJECTED(
      w.run("contoso", World::service(), RecordUserLicensingOffer{"carol", LicensingOffer::azure_pass, true}),
      licensing_offer_unchanged);
  EXPECT_REJECTED(
      w.run("contoso", World::service(), RecordUserLicensingOffer{"nobody", LicensingOffer::azure_pass, true}),
      user_not_found);
  EXPECT_REJECTED(w.run("contoso", alice(), RecordUserLicensingOffer{"carol", LicensingOffer::cloud_solution_provider, true}),
                  actor_not_allowed);
}

// --- R-MRG-05: a merge and its anniversaries ------------------------------------

// fabrikam (frank global admin) bought an Action Pack at `fabrikam_bought`,
// contoso (alice; bob, carol) at `contoso_bought`; contoso invited fabrikam and
// merged it in at day 200.
void given_merged(World& w, Instant contoso_bought, Instant fabrikam_bought) {
  w.now = fabrikam_bought;
  w.enroll("fabrikam", "frank");
  w.buy("fabrikam", "frank", "action_pack", "f1");
  w.now = contoso_bought;
  w.enroll("contoso", "alice");
  w.add_user("contoso", "alice", "bob", {});
  w.add_user("contoso", "alice", "carol", {});
  w.buy("contoso", "alice", "action_pack", "o1");
  w.now = day(200);
  w.must("contoso", alice(), SendMergeInvitation{"inv1", "fabrikam"});
  w.must("fabrikam", frank(), AcceptMergeInvitation{"inv1", "contoso"});
  w.must("contoso", alice(), ConfirmMerge{"inv1", "fabrikam"});
}

TEST(AcrossYears, R_MRG_05_initiator_benefits_last_to_the_invitees_later_anniversary) {
  World w;
  given_merged(w, day(0), day(100));  // anniversaries: contoso 365, fabrikam 465
  EXPECT_EQ(w.account("contoso").memberships.at("action_pack").anniversary, day(465));
  w.now = day(460);  // past contoso's own anniversary and window (395)
  EXPECT_ACCEPTED(w.run("contoso", alice(), AssignBenefit{ap("o1", "office_365_e3"), "bob"}));
  EXPECT_ACCEPTED(w.run("contoso", alice(), incident("inc-merged")));
  for (const auto& b : projections::benefits_view(w.account("contoso")).benefits) {
    EXPECT_EQ(b.term_ends, day(465)) << b.benefit_id;
    EXPECT_EQ(b.usable_until, day(495)) << b.benefit_id;
  }
  w.now = day(495);
  EXPECT_REJECTED(w.run("contoso", alice(), AssignBenefit{ap("o1", "office_365_e3"), "carol"}), benefit_expired);
}

TEST(AcrossYears, R_MRG_05_invitee_benefits_last_to_the_initiators_later_anniversary) {
  World w;
  given_merged(w, day(0), day(-100));  // anniversaries: contoso 365, fabrikam 265
  EXPECT_EQ(w.account("contoso").memberships.at("action_pack").anniversary, day(365));
  w.now = day(300);  // past fabrikam's own anniversary and window (295)
  EXPECT_ACCEPTED(
      w.run("contoso", alice(), AssignBenefit{World::benefit("fabrikam", "f1", "office_365_e3"), "bob"}));
  w.now = day(395);
  EXPECT_REJECTED(
      w.run("contoso", alice(), AssignBenefit{World::benefit("fabrikam", "f1", "office_365_e3"), "carol"}),
      benefit_expired);
}

// --- R-ACC-04 with R-ACC-05: no dead end after a rejected verification -----------

TEST(AcrossYears, R_ACC_05_a_read_only_account_leaves_a_rejected_verification) {
  World w;
  w.enroll("contoso", "alice");
  w.must("contoso", World::service(), LockCompanyInfo{"legacy_membership_center"});
  w.must("contoso", World::service(), RejectVerification{VerificationCheck::business, {"legal_name"}, "name"});
  EXPECT_REJECTED(w.run("contoso", alice(), UpdateCompanyInfo{"Contoso AG", std::nullopt, std::nullopt}),
                  company_info_read_only);
  EXPECT_REJECTED(w.run("contoso", alice(), ResubmitVerification{}), verification_fields_not_corrected);
  // The way out: the service records the name as corrected at the presence.
  EXPECT_ACCEPTED(
      w.run("contoso", World::service(), SyncCompanyInfo{"Contoso AG", std::nullopt, std::nullopt}));
  EXPECT_ACCEPTED(w.run("contoso", alice(), ResubmitVerification{}));
  EXPECT_EQ(w.account("contoso").verification.status, VerificationStatus::pending);
}

TEST(AcrossYears, R_ACC_04_rejects_a_sync_of_an_account_that_is_not_read_only) {
  World w;
  w.enroll("contoso", "alice");
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", World::service(), SyncCompanyInfo{"Contoso AG", std::nullopt, std::nullopt}),
      company_info_not_read_only);
  EXPECT_REJECTED(w.run("contoso", alice(), SyncCompanyInfo{"Contoso AG", std::nullopt, std::nullopt}),
                  actor_not_allowed);
}

// --- R-ORD-03: postal codes of the country's form --------------------------------

PlaceOrder card_order(const std::string& id, PostalAddress billing, PostalAddress card) {
  return PlaceOrder{id, "action_pack", PaymentMethod::card, std::move(billing),
                    CardDetails{"4242", std::move(card)}};
}

TEST(AcrossYears, R_ORD_03_rejects_a_billing_postal_code_not_of_its_country) {
  World w;
  w.enroll("contoso", "alice");
  PostalAddress billing = World::billing();
  billing.postal_code = "1011";  // DE codes have five digits
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), card_order("o1", billing, billing)),
                                  postal_code_invalid);
  billing = PostalAddress{"1 Main St", "", "London", "", "SW1A1AAA", "GB"};
  EXPECT_REJECTED(w.run("contoso", alice(), card_order("o1", billing, billing)), postal_code_invalid);
}

TEST(AcrossYears, R_ORD_03_accepts_postal_codes_of_each_known_form) {
  World w;
  w.enroll("contoso", "alice");
  const PostalAddress addresses[] = {
      {"1 Main St", "", "London", "", "SW1A 1AA", "GB"}, {"1 Rue", "", "Ottawa", "ON", "K1A 0B1", "CA"},
      {"Damrak 1", "", "Amsterdam", "", "1012 LG", "NL"}, {"Main 1", "", "Chisinau", "", "MD-2001", "MD"},
      {"1 Way", "", "Redmond", "WA", "98052-6399", "US"}, {"Andrassy 1", "", "Budapest", "", "1061", "HU"},
  };
  int n = 0;
  for (const PostalAddress& a : addresses) {
    const std::string id = "o" + std::to_string(++n);
    const Decision d = w.run("contoso", alice(), card_order(id, a, a));
    EXPECT_ACCEPTED(d);
    EXPECT_EQ(emitted<OrderDeclined>(d).size(), 0u) << a.country;
    w.must("contoso", alice(), RefundOrder{id});
  }
}

TEST(AcrossYears, R_ORD_03_declines_a_card_whose_postal_code_does_not_correspond) {
  World w;
  w.enroll("contoso", "alice");
  PostalAddress card = World::billing();
  card.postal_code = "10116";
  const Decision d = w.run("contoso", alice(), card_order("o1", World::billing(), card));
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<OrderDeclined>(d).size(), 1u);
  EXPECT_EQ(emitted<OrderDeclined>(d)[0].reason, "payment_declined_address_mismatch");
}

// --- R-TEC-01: Access ID and Contract ID in the benefits read model -------------

TEST(AcrossYears, R_TEC_01_completed_request_ids_are_in_the_benefits_view) {
  World w;
  given_action_pack(w);
  w.now = day(2);
  w.must("contoso", alice(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"});
  w.must("contoso", World::service(), CompleteTechnicalBenefit{"r1", "ACC-1", "CON-1"});
  bool seen = false;
  for (const auto& b : projections::benefits_view(w.account("contoso")).benefits) {
    if (b.catalogue_benefit_id != "online_technical_consultation") continue;
    ASSERT_EQ(b.requests.size(), 1u);
    EXPECT_EQ(b.requests[0].request_id, "r1");
    EXPECT_TRUE(b.requests[0].completed);
    EXPECT_EQ(b.requests[0].access_id, "ACC-1");
    EXPECT_EQ(b.requests[0].contract_id, "CON-1");
    seen = true;
  }
  EXPECT_TRUE(seen);
}

// --- one convention for "within N days" --------------------------------------------

TEST(AcrossYears, R_ORD_06_refund_and_wire_expiry_agree_at_exactly_30_days) {
  // Periods are half-open: within 30 days of T is [T, T + 30 days).
  const Instant last = Instant{day(30).micros_since_epoch - 1};
  for (const Instant at : {last, day(30)}) {
    World w;
    w.enroll("contoso", "alice");
    w.buy("contoso", "alice", "action_pack", "o1");
    w.competency("contoso", "silver");
    w.must("contoso", alice(), PlaceOrder{"w1", "silver", PaymentMethod::wire, World::billing(), std::nullopt});
    w.now = at;
    const bool within = at < day(30);
    const Decision refund = w.run("contoso", alice(), RefundOrder{"o1"});
    const Decision expire = w.run("contoso", World::service(), ExpireWireOrder{"w1"});
    if (within) {
      EXPECT_ACCEPTED(refund);
      EXPECT_REJECTED(expire, wire_order_not_yet_expired);
    } else {
      EXPECT_REJECTED(refund, refund_window_closed);
      EXPECT_ACCEPTED(expire);
    }
  }
}

TEST(AcrossYears, R_KEY_05_R_BEN_05_periods_end_at_exactly_n_days) {
  World w;
  given_action_pack(w);
  w.now = day(1);
  w.must("contoso", alice(), AssignBenefit{ap("o1", "visual_studio_professional"), "bob"});
  w.now = Instant{day(91).micros_since_epoch - 1};
  EXPECT_REJECTED(w.run("contoso", alice(), UnassignBenefit{ap("o1", "visual_studio_professional"), "bob"}),
                  reassignment_too_soon);
  w.now = day(91);
  EXPECT_ACCEPTED(w.run("contoso", alice(), UnassignBenefit{ap("o1", "visual_studio_professional"), "bob"}));
}

}  // namespace
}  // namespace mledger::testing
