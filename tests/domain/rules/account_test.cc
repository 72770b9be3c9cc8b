// Account setup after enrollment: company information, verification,
// locations, tenants, notification settings, legacy ids, programs; and money
// and time in commands (R-ACC-04..10, R-LED-03).

#include "tests/support/world.h"

namespace mledger::testing {
namespace {

struct AccountRules : ::testing::Test {
  World w;
  void SetUp() override { w.enroll("contoso", "alice"); }
  Decision as_alice(CommandBody body) { return w.run("contoso", World::user("contoso", "alice"), std::move(body)); }
};

TEST_F(AccountRules, R_ACC_04_allows_editing_company_information_without_a_presence) {
  EXPECT_ACCEPTED(as_alice(UpdateCompanyInfo{std::string("Contoso Deutschland GmbH"), std::nullopt, std::string("0309999999")}));
  EXPECT_EQ(w.account("contoso").legal_name, "Contoso Deutschland GmbH");
  EXPECT_EQ(w.account("contoso").phone, "0309999999");
  auto updated = w.events<CompanyInfoUpdated>(account_stream("contoso"));
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].changed_fields, (std::vector<std::string>{"legal_name", "phone"}));
}

TEST_F(AccountRules, R_ACC_04_rejects_edits_of_read_only_company_information) {
  w.must("contoso", World::service(), LockCompanyInfo{"csp"});
  const size_t before = w.appended;
  EXPECT_REJECTED(as_alice(UpdateCompanyInfo{std::string("Other Name"), std::nullopt, std::nullopt}),
                  company_info_read_only);
  EXPECT_EQ(w.appended, before);
  EXPECT_REJECTED(as_alice(UpdateCompanyInfo{std::nullopt, std::nullopt, std::string("12 34")}),
                  company_info_read_only);
}

TEST_F(AccountRules, R_ACC_04_rejects_an_edit_that_changes_nothing_or_breaks_a_field_rule) {
  EXPECT_REJECTED(as_alice(UpdateCompanyInfo{std::string("contoso Ltd"), std::nullopt, std::nullopt}),
                  company_info_unchanged);
  EXPECT_REJECTED(as_alice(UpdateCompanyInfo{std::nullopt, std::nullopt, std::string("+49301234")}),
                  phone_number_invalid);
}

TEST_F(AccountRules, R_ACC_05_allows_pending_to_authorized_after_email_ownership) {
  EXPECT_ACCEPTED(as_alice(SendVerificationEmail{}));
  EXPECT_ACCEPTED(w.run("contoso", World::service(), ConfirmEmailOwnership{"Alice.Meyer@contoso.de"}));
  EXPECT_ACCEPTED(w.run("contoso", World::service(), AuthorizeVerification{}));
  EXPECT_EQ(w.account("contoso").verification.status, VerificationStatus::authorized);
}

TEST_F(AccountRules, R_ACC_05_rejects_authorizing_before_email_ownership_is_confirmed) {
  EXPECT_REJECTED(w.run("contoso", World::service(), AuthorizeVerification{}), email_ownership_not_confirmed);
  EXPECT_REJECTED(w.run("contoso", World::service(), ConfirmEmailOwnership{"someone@else.example"}),
                  email_does_not_match_contact);
}

TEST_F(AccountRules, R_ACC_05_rejects_resending_the_email_before_a_business_day_has_passed) {
  w.now = day(4);  // 2026-01-09, a Friday, 09:00
  EXPECT_ACCEPTED(as_alice(SendVerificationEmail{}));
  w.now = plus_days(day(4), 1);  // Saturday
  EXPECT_REJECTED(as_alice(SendVerificationEmail{}), verification_email_resent_too_soon);
  w.now = plus_days(day(4), 3);  // Monday 09:00 minus a second
  w.now.micros_since_epoch -= kMicrosPerSecond;
  EXPECT_REJECTED(as_alice(SendVerificationEmail{}), verification_email_resent_too_soon);
}

TEST_F(AccountRules, R_ACC_05_allows_resending_once_a_business_day_has_passed) {
  w.now = day(4);  // Friday
  EXPECT_ACCEPTED(as_alice(SendVerificationEmail{}));
  w.now = plus_days(day(4), 3);  // Monday, same time
  EXPECT_ACCEPTED(as_alice(SendVerificationEmail{}));
  EXPECT_EQ(w.account("contoso").verification.emails_sent, 2u);
}

TEST_F(AccountRules, R_ACC_05_allows_a_rejected_account_to_correct_fields_and_return_to_pending) {
  w.must("contoso", World::service(), RejectVerification{VerificationCheck::business, {"address"}, "no registry match"});
  EXPECT_REJECTED(as_alice(ResubmitVerification{}), verification_fields_not_corrected);
  PostalAddress corrected = World::billing();
  corrected.line1 = "Hauptstrasse 2";
  EXPECT_ACCEPTED(as_alice(UpdateCompanyInfo{std::nullopt, corrected, std::nullopt}));
  EXPECT_ACCEPTED(as_alice(ResubmitVerification{}));
  EXPECT_EQ(w.account("contoso").verification.status, VerificationStatus::pending);
}

TEST_F(AccountRules, R_ACC_05_rejects_resubmitting_a_verification_that_was_not_rejected) {
  EXPECT_REJECTED(as_alice(ResubmitVerification{}), verification_not_rejected);
  EXPECT_REJECTED(w.run("contoso", World::service(),
                        RejectVerification{VerificationCheck::business, {"colour"}, ""}),
                  verification_field_unknown);
}

TEST_F(AccountRules, R_ACC_06_allows_admins_to_add_locations_with_their_own_partner_ids) {
  EXPECT_ACCEPTED(as_alice(AddLocation{"Munich office", PostalAddress{"Leopoldstr 5", "", "Munich", "BY", "80802", "DE"}}));
  w.add_user("contoso", "alice", "carol", {Role::account_admin});
  EXPECT_ACCEPTED(w.run("contoso", World::user("contoso", "carol"),
                        AddLocation{"Hamburg office", PostalAddress{"Jungfernstieg 1", "", "Hamburg", "", "20354", "DE"}}));
  const auto& locations = w.account("contoso").locations;
  ASSERT_EQ(locations.size(), 2u);
  EXPECT_EQ(locations[0].location_partner_id, "contoso/loc-1");
  EXPECT_EQ(locations[1].location_partner_id, "contoso/loc-2");
}

TEST_F(AccountRules, R_ACC_06_rejects_location_by_other_roles_and_has_no_delete) {
  w.add_user("contoso", "alice", "bob", {Role::mpn_partner_admin});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run("contoso", World::user("contoso", "bob"), AddLocation{"X", World::billing()}),
                  role_cannot_add_locations);
  EXPECT_REJECTED(as_alice(AddLocation{"  ", World::billing()}), location_name_required);
  EXPECT_EQ(w.appended, before);
  // No command deletes a location: none of the command types names one.
  for (std::string_view type : command_type_names()) {
    EXPECT_EQ(type.find("remove_location"), std::string_view::npos);
    EXPECT_EQ(type.find("delete"), std::string_view::npos);
  }
}

TEST_F(AccountRules, R_ACC_07_allows_a_global_admin_to_associate_tenants) {
  EXPECT_ACCEPTED(as_alice(AssociateTenant{"t-1111", "contoso.onmicrosoft.com", true}));
  EXPECT_ACCEPTED(as_alice(AssociateTenant{"t-2222", "contoso-dev.onmicrosoft.com", false}));
  EXPECT_EQ(w.account("contoso").tenants.size(), 2u);
  EXPECT_EQ(w.tenant("t-1111").account_id, "contoso");
  EXPECT_ACCEPTED(as_alice(RemoveTenant{"t-2222"}));
  EXPECT_TRUE(w.tenant("t-2222").account_id.empty());
}

TEST_F(AccountRules, R_ACC_07_rejects_a_tenant_of_another_account_and_removing_the_primary) {
  w.enroll("fabrikam", "fred");
  w.add_user("contoso", "alice", "carol", {Role::account_admin});
  EXPECT_ACCEPTED(as_alice(AssociateTenant{"t-1111", "contoso.onmicrosoft.com", true}));
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run("fabrikam", World::user("fabrikam", "fred"), AssociateTenant{"t-1111", "x.onmicrosoft.com", false}),
                  tenant_belongs_to_another_account);
  EXPECT_REJECTED(as_alice(RemoveTenant{"t-1111"}), primary_tenant_not_removable);
  EXPECT_REJECTED(as_alice(AssociateTenant{"t-3333", "y.onmicrosoft.com", true}), primary_tenant_already_set);
  EXPECT_REJECTED(w.run("contoso", World::user("contoso", "carol"), AssociateTenant{"t-4444", "z", false}),
                  only_global_admin_associates_tenants);
  EXPECT_EQ(w.appended, before);
}

TEST_F(AccountRules, R_ACC_08_allows_default_and_alternate_notification_emails) {
  EXPECT_ACCEPTED(as_alice(ChangeNotificationSettings{"billing@contoso.de", std::string("finance.team@contoso.de")}));
  EXPECT_EQ(w.account("contoso").alternate_email, "finance.team@contoso.de");
}

TEST_F(AccountRules, R_ACC_08_rejects_onmicrosoft_addresses) {
  EXPECT_REJECTED(as_alice(ChangeNotificationSettings{"admin@contoso.onmicrosoft.com", std::nullopt}),
                  notification_domain_not_allowed);
  EXPECT_REJECTED(as_alice(ChangeNotificationSettings{"billing@contoso.de", std::string("x@ONMICROSOFT.COM")}),
                  notification_domain_not_allowed);
}

TEST(AccountRulesLegacy, R_ACC_09_allows_a_returning_company_to_enroll_as_new) {
  World w;
  w.enroll("contoso-2026", "alice");
  EXPECT_TRUE(w.account("contoso-2026").enrolled);
}

TEST(AccountRulesLegacy, R_ACC_09_rejects_recovering_a_legacy_membership_id) {
  World w;
  EnrollPartnerAccount e = World::enrollment();
  e.legacy_membership_id = "MPN-1234567";
  EXPECT_REJECTED(w.run("contoso", World::user("contoso", "alice"), e), legacy_membership_not_recoverable);
  EXPECT_EQ(w.appended, 0u);
}

TEST_F(AccountRules, R_ACC_10_allows_program_enrollment_when_requirements_are_met) {
  w.verify("contoso", "alice");
  EXPECT_ACCEPTED(as_alice(EnrollInProgram{"partner_network"}));
  EXPECT_ACCEPTED(as_alice(AssociateTenant{"t-1", "contoso.onmicrosoft.com", true}));
  EXPECT_ACCEPTED(as_alice(EnrollInProgram{"csp"}));
  auto programs = w.events<ProgramEnrolled>(account_stream("contoso"));
  ASSERT_EQ(programs.size(), 2u);
  EXPECT_EQ(programs[1].requirements_met,
            (std::vector<std::string>{"account_verified", "partner_network_enrolled", "primary_tenant_associated"}));
}

TEST_F(AccountRules, R_ACC_10_rejects_enrollment_naming_the_first_unmet_requirement) {
  auto d = as_alice(EnrollInProgram{"csp"});
  EXPECT_REJECTED(d, program_requirement_unmet);
  EXPECT_NE(d.error().message.find("account_verified"), std::string::npos) << d.error().message;
  w.verify("contoso", "alice");
  d = as_alice(EnrollInProgram{"csp"});
  EXPECT_REJECTED(d, program_requirement_unmet);
  EXPECT_NE(d.error().message.find("partner_network_enrolled"), std::string::npos) << d.error().message;
  EXPECT_REJECTED(as_alice(EnrollInProgram{"gold_club"}), program_unknown);
}

TEST_F(AccountRules, R_LED_03_allows_money_in_minor_units_of_an_iso_currency) {
  w.add_user("contoso", "alice", "bob", {Role::mpn_partner_admin});
  EXPECT_ACCEPTED(as_alice(PlaceOrder{"w1", "action_pack", PaymentMethod::wire, World::billing(), std::nullopt}));
  EXPECT_ACCEPTED(w.run("contoso", World::service(), RecordWirePayment{"w1", Money{47'500, "USD"}, "BANK-REF-1"}));
}

TEST_F(AccountRules, R_LED_03_rejects_money_without_an_iso_currency_or_negative) {
  EXPECT_ACCEPTED(as_alice(PlaceOrder{"w1", "action_pack", PaymentMethod::wire, World::billing(), std::nullopt}));
  EXPECT_REJECTED(w.run("contoso", World::service(), RecordWirePayment{"w1", Money{47'500, "usd"}, "R"}), currency_invalid);
  EXPECT_REJECTED(w.run("contoso", World::service(), RecordWirePayment{"w1", Money{-1, "USD"}, "R"}), amount_invalid);
}

}  // namespace
}  // namespace mledger::testing
