// Given/when/then tests of technical benefits (R-TEC-01, R-TEC-02) and
// go-to-market offers (R-GTM-01 .. R-GTM-03). Each rule has at least one test
// where it allows (accepted; events and state right) and one where it rejects
// (the rule's code; nothing appended).

#include <string>
#include <utility>
#include <vector>

#include "tests/support/world.h"

namespace mledger::testing {
namespace {

Actor alice() { return World::user("contoso", "alice"); }  // global admin
Actor pam() { return World::user("contoso", "pam"); }      // mpn_partner_admin
Actor adam() { return World::user("contoso", "adam"); }    // account_admin
Actor bob() { return World::user("contoso", "bob"); }      // no roles

// contoso: alice (global admin), pam (mpn_partner_admin), adam (account_admin),
// bob (no roles), and the memberships named (bought at day 0; order id = offer id).
void given(World& w, std::initializer_list<const char*> offers) {
  w.enroll("contoso", "alice");
  w.add_user("contoso", "alice", "pam", {Role::mpn_partner_admin});
  w.add_user("contoso", "alice", "adam", {Role::account_admin});
  w.add_user("contoso", "alice", "bob", {});
  for (const char* offer : offers) {
    const std::string o(offer);
    if (o == "silver" || o == "gold") w.competency("contoso", o);
    w.buy("contoso", "alice", o, o);
  }
}

MarketingContactAssigned contact() {
  return MarketingContactAssigned{"bob", "marketing@contoso-media.de", "0307654321", "de"};
}
AssignMarketingContact assign_contact(const MarketingContactAssigned& m = contact()) {
  return AssignMarketingContact{m.user_id, m.email, m.phone, m.preferred_language};
}

// --- R-TEC-01: request by global/mpn partner admin, completion by the service ----

TEST(Technical, R_TEC_01_allows_global_admin_and_mpn_partner_admin_to_request) {
  World w;
  given(w, {"silver"});
  w.now = day(2);
  const Decision d = w.run("contoso", alice(), RequestTechnicalBenefit{"silver", "signature_cloud_support", "r1"});
  EXPECT_ACCEPTED(d);
  const auto req = emitted<TechnicalBenefitRequested>(d);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0], (TechnicalBenefitRequested{World::benefit("contoso", "silver", "signature_cloud_support"), "r1"}));
  const AccountState& s = w.account("contoso");
  ASSERT_TRUE(s.technical_requests.contains("r1"));
  EXPECT_FALSE(s.technical_requests.at("r1").completed);  // processed over days

  World w2;
  given(w2, {"action_pack"});
  EXPECT_ACCEPTED(
      w2.run("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"}));
  EXPECT_TRUE(w2.account("contoso").technical_requests.contains("r1"));
}

TEST(Technical, R_TEC_01_rejects_other_roles_requesting_technical_benefits) {
  World w;
  given(w, {"action_pack"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", adam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"}),
      role_cannot_activate_technical_benefits);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", bob(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"}),
      role_cannot_activate_technical_benefits);
  EXPECT_TRUE(w.account("contoso").technical_requests.empty());
}

TEST(Technical, R_TEC_01_allows_the_service_to_complete_with_access_and_contract_ids) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"});
  w.now = day(4);
  const Decision d = w.run("contoso", World::service(), CompleteTechnicalBenefit{"r1", "ACC-123", "CON-456"});
  EXPECT_ACCEPTED(d);
  const auto done = emitted<TechnicalBenefitActivated>(d);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], (TechnicalBenefitActivated{World::benefit("contoso", "action_pack", "online_technical_consultation"),
                                                "r1", "ACC-123", "CON-456"}));
  // Visible in the account's state, which every user of the account reads.
  const TechnicalRequest& r = w.account("contoso").technical_requests.at("r1");
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.access_id, "ACC-123");
  EXPECT_EQ(r.contract_id, "CON-456");
}

TEST(Technical, R_TEC_01_rejects_completion_by_a_partner_user) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), CompleteTechnicalBenefit{"r1", "ACC-1", "CON-1"}),
                                  actor_not_allowed);
  EXPECT_FALSE(w.account("contoso").technical_requests.at("r1").completed);
}

TEST(Technical, R_TEC_01_rejects_completion_without_access_or_contract_id) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), CompleteTechnicalBenefit{"r1", "", "CON-1"}),
                                  access_and_contract_ids_required);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), CompleteTechnicalBenefit{"r1", "ACC-1", ""}),
                                  access_and_contract_ids_required);
  EXPECT_FALSE(w.account("contoso").technical_requests.at("r1").completed);
}

TEST(Technical, R_TEC_01_rejects_completing_twice_or_an_unknown_request) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"});
  w.must("contoso", World::service(), CompleteTechnicalBenefit{"r1", "ACC-1", "CON-1"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), CompleteTechnicalBenefit{"r1", "ACC-2", "CON-2"}),
                                  request_already_completed);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), CompleteTechnicalBenefit{"r9", "ACC-2", "CON-2"}),
                                  request_not_found);
  EXPECT_EQ(w.account("contoso").technical_requests.at("r1").access_id, "ACC-1");
}

TEST(Technical, R_TEC_01_rejects_requesting_a_once_a_year_benefit_twice) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r2"}),
      technical_benefit_already_requested);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", pam(), RequestTechnicalBenefit{"action_pack", "online_technical_consultation", "r1"}),
      technical_benefit_already_requested);
}

// --- R-TEC-02: signature cloud support; incident and advisory-hour quotas ---------

TEST(Technical, R_TEC_02_rejects_signature_cloud_support_for_action_pack) {
  World w;
  given(w, {"action_pack"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), RequestTechnicalBenefit{"action_pack", "signature_cloud_support", "r1"}),
      not_available_for_offer);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), UseSupportIncident{"action_pack", IncidentKind::signature_support, "i1"}),
      not_available_for_offer);
}

TEST(Technical, R_TEC_02_allows_signature_cloud_support_for_silver_and_gold) {
  for (const char* offer : {"silver", "gold"}) {
    World w;
    given(w, {offer});
    const Decision d = w.run("contoso", alice(), RequestTechnicalBenefit{offer, "signature_cloud_support", "r1"});
    EXPECT_ACCEPTED(d);
    ASSERT_EQ(emitted<TechnicalBenefitRequested>(d).size(), 1u) << offer;
    EXPECT_EQ(emitted<TechnicalBenefitRequested>(d)[0].benefit_id,
              World::benefit("contoso", offer, "signature_cloud_support"));
  }
}

TEST(Technical, R_TEC_02_rejects_signature_cloud_support_of_a_membership_not_held) {
  World w;
  given(w, {"action_pack"});  // no Silver membership
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), RequestTechnicalBenefit{"silver", "signature_cloud_support", "r1"}),
      not_available_for_offer);
}

struct Quota {
  const char* offer;
  IncidentKind kind;
  uint32_t quota;
};

TEST(Technical, R_TEC_02_allows_support_incidents_up_to_the_quota) {
  for (const Quota& q : {Quota{"action_pack", IncidentKind::product_support, 10},
                         Quota{"silver", IncidentKind::product_support, 15},
                         Quota{"gold", IncidentKind::product_support, 20},
                         Quota{"silver", IncidentKind::signature_support, 5},
                         Quota{"gold", IncidentKind::signature_support, 10}}) {
    World w;
    given(w, {q.offer});
    for (uint32_t i = 1; i <= q.quota; ++i) {
      const Decision d = w.run("contoso", pam(), UseSupportIncident{q.offer, q.kind, "inc-" + std::to_string(i)});
      EXPECT_ACCEPTED(d);
      const auto used = emitted<SupportIncidentUsed>(d);
      ASSERT_EQ(used.size(), 1u);
      EXPECT_EQ(used[0].used_this_year, i);
      EXPECT_EQ(used[0].quota, q.quota) << q.offer;
      EXPECT_EQ(used[0].kind, q.kind);
    }
    const char* catalogue = q.kind == IncidentKind::product_support ? "product_support_incidents"
                                                                    : "signature_support_incidents";
    EXPECT_EQ(w.account("contoso").allocations.at(World::benefit("contoso", q.offer, catalogue)).used, q.quota);
  }
}

TEST(Technical, R_TEC_02_rejects_a_support_incident_past_the_quota) {
  for (const Quota& q : {Quota{"action_pack", IncidentKind::product_support, 10},
                         Quota{"silver", IncidentKind::product_support, 15},
                         Quota{"gold", IncidentKind::product_support, 20},
                         Quota{"silver", IncidentKind::signature_support, 5},
                         Quota{"gold", IncidentKind::signature_support, 10}}) {
    World w;
    given(w, {q.offer});
    for (uint32_t i = 1; i <= q.quota; ++i) {
      w.must("contoso", pam(), UseSupportIncident{q.offer, q.kind, "inc-" + std::to_string(i)});
    }
    EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", pam(), UseSupportIncident{q.offer, q.kind, "inc-extra"}),
                                    incident_quota_exhausted);
  }
}

TEST(Technical, R_TEC_02_rejects_recording_the_same_incident_twice) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", pam(), UseSupportIncident{"action_pack", IncidentKind::product_support, "inc-1"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", pam(), UseSupportIncident{"action_pack", IncidentKind::product_support, "inc-1"}),
      incident_already_recorded);
  EXPECT_EQ(w.account("contoso").allocations.at(World::benefit("contoso", "action_pack", "product_support_incidents")).used,
            1u);
}

TEST(Technical, R_TEC_02_rejects_using_incidents_without_the_role) {
  World w;
  given(w, {"action_pack"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", bob(), UseSupportIncident{"action_pack", IncidentKind::product_support, "inc-1"}),
      role_cannot_activate_technical_benefits);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", adam(), UseAdvisoryHours{"action_pack", 1}),
                                  role_cannot_activate_technical_benefits);
}

const std::vector<std::pair<const char*, uint32_t>> kAdvisoryQuotas = {
    {"action_pack", 5}, {"silver", 20}, {"gold", 50}};

TEST(Technical, R_TEC_02_allows_advisory_hours_up_to_5_20_and_50) {
  for (const auto& [offer, hours] : kAdvisoryQuotas) {
    World w;
    given(w, {offer});
    EXPECT_ACCEPTED(w.run("contoso", pam(), UseAdvisoryHours{offer, hours - 1}));
    const Decision d = w.run("contoso", alice(), UseAdvisoryHours{offer, 1});
    EXPECT_ACCEPTED(d);
    const auto used = emitted<AdvisoryHoursUsed>(d);
    ASSERT_EQ(used.size(), 1u);
    EXPECT_EQ(used[0], (AdvisoryHoursUsed{1, hours, hours, World::benefit("contoso", offer, "advisory_hours")}));
    EXPECT_EQ(w.account("contoso").allocations.at(World::benefit("contoso", offer, "advisory_hours")).used, hours);
  }
}

TEST(Technical, R_TEC_02_rejects_advisory_hours_past_the_quota) {
  for (const auto& [offer, hours] : kAdvisoryQuotas) {
    World w;
    given(w, {offer});
    EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", pam(), UseAdvisoryHours{offer, hours + 1}),
                                    advisory_hours_exhausted);
    w.must("contoso", pam(), UseAdvisoryHours{offer, hours});
    EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", pam(), UseAdvisoryHours{offer, 1}), advisory_hours_exhausted);
  }
}

TEST(Technical, R_TEC_02_rejects_zero_advisory_hours) {
  World w;
  given(w, {"action_pack"});
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", pam(), UseAdvisoryHours{"action_pack", 0}),
                                  advisory_hours_invalid);
}

// --- R-GTM-01: request by global/mpn partner admin, after a marketing contact ----

TEST(GoToMarket, R_GTM_01_rejects_an_offer_before_a_marketing_contact_is_assigned) {
  World w;
  given(w, {"action_pack"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", alice(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"}),
      marketing_contact_required);
  EXPECT_TRUE(w.account("contoso").go_to_market_requests.empty());
}

TEST(GoToMarket, R_GTM_01_allows_an_offer_once_a_marketing_contact_is_assigned) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", alice(), assign_contact());
  w.now = day(6);
  const Decision d = w.run("contoso", pam(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"});
  EXPECT_ACCEPTED(d);
  const auto req = emitted<GoToMarketOfferRequested>(d);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0], (GoToMarketOfferRequested{"marketing_campaign_kit", "g1",
                                              World::benefit("contoso", "action_pack", "marketing_campaign_kit")}));
  const GoToMarketRequest& r = w.account("contoso").go_to_market_requests.at("g1");
  EXPECT_EQ(r.status, GoToMarketStatus::requested);  // activation takes days
  EXPECT_EQ(r.offer_id, "marketing_campaign_kit");
}

TEST(GoToMarket, R_GTM_01_rejects_an_offer_when_the_marketing_contact_was_removed) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", alice(), assign_contact());  // bob
  w.must("contoso", alice(), RemoveUser{"bob"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", pam(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"}),
      marketing_contact_required);
  // A new contact who is a user of the account makes it possible again.
  w.add_user("contoso", "alice", "mia", {});
  w.must("contoso", alice(), AssignMarketingContact{"mia", "mia@contoso-media.de", "0307654321", "en"});
  EXPECT_ACCEPTED(w.run("contoso", pam(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"}));
}

TEST(GoToMarket, R_GTM_01_allows_the_global_admin_to_request) {
  World w;
  given(w, {"silver"});
  w.must("contoso", alice(), assign_contact());
  EXPECT_ACCEPTED(w.run("contoso", alice(), RequestGoToMarketOffer{"silver", "customer_case_study", "g1"}));
  EXPECT_TRUE(w.account("contoso").go_to_market_requests.contains("g1"));
}

TEST(GoToMarket, R_GTM_01_rejects_other_roles_requesting) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", alice(), assign_contact());
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", adam(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"}),
      role_cannot_activate_go_to_market_offers);
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", bob(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"}),
      role_cannot_activate_go_to_market_offers);
}

TEST(GoToMarket, R_GTM_01_rejects_an_offer_outside_the_membership_or_twice) {
  World w;
  given(w, {"action_pack"});
  w.must("contoso", alice(), assign_contact());
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", pam(), RequestGoToMarketOffer{"action_pack", "customer_case_study", "g1"}),
      go_to_market_offer_not_in_membership);
  w.must("contoso", pam(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"});
  EXPECT_REJECTED_NOTHING_WRITTEN(
      w, w.run("contoso", pam(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g2"}),
      go_to_market_offer_already_requested);
}

// --- R-GTM-02: the marketing contact -------------------------------------------

TEST(GoToMarket, R_GTM_02_allows_a_user_with_own_email_phone_and_language) {
  World w;
  given(w, {});
  const MarketingContactAssigned m{"bob", "Bob.Marketing@contoso.de", "0307654321", "pt-BR"};
  const Decision d = w.run("contoso", pam(), assign_contact(m));
  EXPECT_ACCEPTED(d);
  const auto e = emitted<MarketingContactAssigned>(d);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], m);
  ASSERT_TRUE(w.account("contoso").marketing_contact.has_value());
  EXPECT_EQ(*w.account("contoso").marketing_contact, m);
}

TEST(GoToMarket, R_GTM_02_rejects_the_accounts_own_email) {
  World w;
  given(w, {"action_pack"});
  const std::string own = w.account_email("contoso");
  ASSERT_EQ(own, "alice.meyer@contoso.de");
  MarketingContactAssigned m = contact();
  m.email = own;
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), marketing_email_must_differ);
  m.email = "Alice.Meyer@CONTOSO.de";  // case does not make it another address
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), marketing_email_must_differ);
  EXPECT_FALSE(w.account("contoso").marketing_contact.has_value());
}

TEST(GoToMarket, R_GTM_02_rejects_a_missing_or_malformed_phone) {
  World w;
  given(w, {});
  MarketingContactAssigned m = contact();
  m.phone = "";
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), phone_number_invalid);
  m.phone = "+49301234567";
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), phone_number_invalid);
  m.phone = "030 1234567";
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), phone_number_invalid);
  m.phone = "03012345678";  // 11 digits
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), phone_number_too_long);
}

TEST(GoToMarket, R_GTM_02_rejects_an_invalid_preferred_language) {
  World w;
  given(w, {});
  MarketingContactAssigned m = contact();
  for (const char* lang : {"", "english", "e", "pt_BR", "pt-", "pt-BRAZIL"}) {
    m.preferred_language = lang;
    EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), preferred_language_invalid);
  }
}

TEST(GoToMarket, R_GTM_02_rejects_a_contact_who_is_not_a_user_of_the_account) {
  World w;
  given(w, {});
  MarketingContactAssigned m = contact();
  m.user_id = "zed";
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), user_not_found);
  m = contact();
  m.email = "not-an-email";
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), assign_contact(m)), email_invalid);
}

// --- R-GTM-03: activation by the service with an expiry; usable until then --------

void given_requested_campaign(World& w) {
  given(w, {"action_pack"});
  w.must("contoso", alice(), assign_contact());
  w.must("contoso", pam(), RequestGoToMarketOffer{"action_pack", "marketing_campaign_kit", "g1"});
}

TEST(GoToMarket, R_GTM_03_allows_the_service_to_activate_with_an_expiry) {
  World w;
  given_requested_campaign(w);
  w.now = day(5);
  const Decision d = w.run("contoso", World::service(), CompleteGoToMarketOffer{"g1", day(200)});
  EXPECT_ACCEPTED(d);
  const auto e = emitted<GoToMarketOfferActivated>(d);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], (GoToMarketOfferActivated{"marketing_campaign_kit", "g1", day(200)}));
  const GoToMarketRequest& r = w.account("contoso").go_to_market_requests.at("g1");
  EXPECT_EQ(r.status, GoToMarketStatus::active);
  EXPECT_EQ(r.expiry, day(200));
}

TEST(GoToMarket, R_GTM_03_rejects_activation_by_a_user_or_without_a_future_expiry) {
  World w;
  given_requested_campaign(w);
  w.now = day(5);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", alice(), CompleteGoToMarketOffer{"g1", day(200)}),
                                  actor_not_allowed);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), CompleteGoToMarketOffer{"g1", day(5)}),
                                  go_to_market_expiry_invalid);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), CompleteGoToMarketOffer{"g9", day(200)}),
                                  request_not_found);
  EXPECT_EQ(w.account("contoso").go_to_market_requests.at("g1").status, GoToMarketStatus::requested);
}

TEST(GoToMarket, R_GTM_03_rejects_expiring_before_the_expiry_date) {
  World w;
  given_requested_campaign(w);
  w.now = day(5);
  w.must("contoso", World::service(), CompleteGoToMarketOffer{"g1", day(200)});
  w.now = day(199);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), ExpireGoToMarketOffer{"g1"}),
                                  go_to_market_offer_not_yet_expired);
  EXPECT_EQ(w.account("contoso").go_to_market_requests.at("g1").status, GoToMarketStatus::active);
}

TEST(GoToMarket, R_GTM_03_rejects_expiring_an_offer_not_yet_active) {
  World w;
  given_requested_campaign(w);
  w.now = day(300);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), ExpireGoToMarketOffer{"g1"}),
                                  go_to_market_offer_not_active);
}

TEST(GoToMarket, R_GTM_03_allows_expiry_at_the_expiry_date) {
  World w;
  given_requested_campaign(w);
  w.now = day(5);
  w.must("contoso", World::service(), CompleteGoToMarketOffer{"g1", day(200)});
  w.now = day(200);
  const Decision d = w.run("contoso", World::service(), ExpireGoToMarketOffer{"g1"});
  EXPECT_ACCEPTED(d);
  const auto e = emitted<GoToMarketOfferExpired>(d);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], (GoToMarketOfferExpired{"marketing_campaign_kit", "g1"}));
  EXPECT_EQ(w.account("contoso").go_to_market_requests.at("g1").status, GoToMarketStatus::expired);
  EXPECT_REJECTED_NOTHING_WRITTEN(w, w.run("contoso", World::service(), ExpireGoToMarketOffer{"g1"}),
                                  go_to_market_offer_not_active);
}

}  // namespace
}  // namespace mledger::testing
