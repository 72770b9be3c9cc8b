// Given/when/then tests of partner account enrollment.
// covers R-ACC-01, R-ACC-02, R-ACC-03

#include <gtest/gtest.h>

#include "domain/account/enroll.h"
#include "tests/support/fixtures.h"

namespace mledger {
namespace {

using testing::user_context;
using testing::valid_enrollment;

struct Scenario {
  AccountState state;
  EnrollmentPolicy policy;

  Scenario& given(const EventPayload& e) {
    state = evolve(std::move(state), e, Instant{});
    return *this;
  }
  EnrollDecision when(const EnrollPartnerAccount& cmd,
                const CommandContext& ctx = user_context("contoso", "u-alice")) const {
    return decide_enroll(state, ctx, cmd, policy);
  }
};

void expect_rejected(const EnrollDecision& d, RejectionCode code) {
  ASSERT_FALSE(d.ok()) << "expected " << code_name(code);
  EXPECT_EQ(code_name(d.error().code), code_name(code)) << d.error().message;
  EXPECT_FALSE(d.error().message.empty());
}

// R-ACC-01: a valid enrollment yields the account and its first global admin.
TEST(Enroll, R_ACC_01_allows_enrolling_a_company_and_makes_enrolling_user_global_admin) {
  auto d = Scenario{}.when(valid_enrollment());
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->size(), 2u);
  const auto& enrolled = std::get<PartnerAccountEnrolled>((*d)[0]);
  EXPECT_EQ(enrolled.account_id, "contoso");
  EXPECT_EQ(enrolled.legal_name, "Contoso GmbH");
  EXPECT_EQ(enrolled.address.country, "DE");
  EXPECT_EQ(enrolled.primary_contact.email, "alice.meyer@contoso.de");
  EXPECT_EQ(enrolled.enrolled_by_user_id, "u-alice");
  EXPECT_EQ(enrolled.source, CompanySource::entered_by_hand);
  EXPECT_FALSE(enrolled.address_validation.has_value());
  const auto& admin = std::get<UserAdded>((*d)[1]);
  EXPECT_EQ(admin.user_id, "u-alice");
  EXPECT_EQ(admin.roles, std::vector<Role>{Role::global_admin});
}

TEST(Enroll, R_ACC_01_rejects_an_account_enrolled_twice) {
  Scenario s;
  auto first = s.when(valid_enrollment());
  ASSERT_TRUE(first.ok());
  for (const auto& e : *first) s.given(e);
  expect_rejected(s.when(valid_enrollment()), RejectionCode::account_already_enrolled);
}

TEST(Enroll, R_ACC_01_rejects_personal_mailbox_domains) {
  for (const char* email : {"alice@gmail.com", "alice@Hotmail.com", "a@outlook.com",
                            "a@live.com", "a@yahoo.com"}) {
    auto cmd = valid_enrollment();
    cmd.primary_contact.email = email;
    expect_rejected(Scenario{}.when(cmd), RejectionCode::personal_email_not_supported);
  }
}

TEST(Enroll, R_ACC_01_personal_domain_list_is_configurable) {
  Scenario s;
  s.policy.personal_email_domains.insert("mailbox.example");
  auto cmd = valid_enrollment();
  cmd.primary_contact.email = "alice@mailbox.example";
  expect_rejected(s.when(cmd), RejectionCode::personal_email_not_supported);
  cmd.primary_contact.email = "alice@company.example";
  EXPECT_TRUE(s.when(cmd).ok());
}

TEST(Enroll, R_ACC_01_rejects_role_mailboxes) {
  for (const char* email : {"info@contoso.de", "Admin@contoso.de", "email@contoso.de",
                            "marketing@contoso.de"}) {
    auto cmd = valid_enrollment();
    cmd.primary_contact.email = email;
    expect_rejected(Scenario{}.when(cmd), RejectionCode::role_email_not_supported);
  }
}

TEST(Enroll, R_ACC_01_rejects_malformed_email_and_missing_fields) {
  auto cmd = valid_enrollment();
  cmd.primary_contact.email = "alice.contoso.de";
  expect_rejected(Scenario{}.when(cmd), RejectionCode::email_invalid);
  cmd = valid_enrollment();
  cmd.legal_name = "  ";
  expect_rejected(Scenario{}.when(cmd), RejectionCode::legal_name_required);
  cmd = valid_enrollment();
  cmd.address.city = "";
  expect_rejected(Scenario{}.when(cmd), RejectionCode::address_incomplete);
  cmd = valid_enrollment();
  cmd.address.country = "XX";
  expect_rejected(Scenario{}.when(cmd), RejectionCode::country_code_invalid);
  cmd = valid_enrollment();
  cmd.primary_contact.last_name = "";
  expect_rejected(Scenario{}.when(cmd), RejectionCode::primary_contact_name_required);
  cmd = valid_enrollment();
  cmd.legal_name = std::string(300, 'x');
  expect_rejected(Scenario{}.when(cmd), RejectionCode::legal_name_too_long);
}

TEST(Enroll, R_ACC_01_only_the_signing_up_user_of_that_account_enrolls_it) {
  auto ctx = user_context("contoso", "u-alice");
  ctx.actor.account_id = "fabrikam";
  expect_rejected(Scenario{}.when(valid_enrollment(), ctx), RejectionCode::actor_not_allowed);
  ctx = user_context("contoso", "u-alice");
  ctx.actor.kind = ActorKind::auditor;
  expect_rejected(Scenario{}.when(valid_enrollment(), ctx), RejectionCode::actor_not_allowed);
}

TEST(Enroll, R_ACC_02_allows_up_to_ten_digits) {
  auto cmd = valid_enrollment();
  cmd.phone = "0123456789";
  EXPECT_TRUE(Scenario{}.when(cmd).ok());
  cmd.phone = "12345";
  EXPECT_TRUE(Scenario{}.when(cmd).ok());
}

TEST(Enroll, R_ACC_02_rejects_spaces_special_characters_and_country_codes) {
  for (const char* phone : {"030 1234567", "030-1234567", "+49301234567", "(030)12345", ""}) {
    auto cmd = valid_enrollment();
    cmd.phone = phone;
    expect_rejected(Scenario{}.when(cmd), RejectionCode::phone_number_invalid);
  }
}

TEST(Enroll, R_ACC_02_rejects_more_than_ten_digits) {
  auto cmd = valid_enrollment();
  cmd.phone = "00493012345";
  auto d = Scenario{}.when(cmd);
  expect_rejected(d, RejectionCode::phone_number_too_long);
  EXPECT_NE(d.error().message.find("11 digits"), std::string::npos);
}

TEST(Enroll, R_ACC_03_allows_a_company_found_by_duns_number) {
  auto cmd = valid_enrollment();
  cmd.duns_number = "123456789";
  auto d = Scenario{}.when(cmd);
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto& e = std::get<PartnerAccountEnrolled>((*d)[0]);
  EXPECT_EQ(e.source, CompanySource::duns_lookup);
  EXPECT_EQ(e.duns_number, "123456789");
}

TEST(Enroll, R_ACC_03_rejects_malformed_duns_number) {
  auto cmd = valid_enrollment();
  cmd.duns_number = "12345678X";
  expect_rejected(Scenario{}.when(cmd), RejectionCode::duns_number_invalid);
}

TEST(Enroll, R_ACC_03_hand_entered_address_in_validating_country_records_both) {
  for (const char* country : {"AM", "HU", "KG", "MD", "UZ", "RU"}) {
    auto cmd = valid_enrollment();
    cmd.address = PostalAddress{"ul. Tverskaya 1", "", "Moskva", "", "125009", country};
    cmd.validated_address = PostalAddress{"Tverskaya St 1", "", "Moscow", "", "125009", country};
    cmd.kept_address = AddressKept::validated;
    auto d = Scenario{}.when(cmd);
    ASSERT_TRUE(d.ok()) << country << ": " << d.error().message;
    const auto& e = std::get<PartnerAccountEnrolled>((*d)[0]);
    ASSERT_TRUE(e.address_validation.has_value());
    EXPECT_EQ(e.address_validation->entered.city, "Moskva");
    EXPECT_EQ(e.address_validation->validated.city, "Moscow");
    EXPECT_EQ(e.address_validation->kept, AddressKept::validated);
    EXPECT_EQ(e.address.city, "Moscow");  // the kept one is in force
  }
}

TEST(Enroll, R_ACC_03_keeping_the_entered_address_keeps_it_in_force) {
  auto cmd = valid_enrollment();
  cmd.address = PostalAddress{"Andrassy ut 1", "", "Budapest", "", "1061", "HU"};
  cmd.validated_address = PostalAddress{"Andrassy ut 1.", "", "Budapest", "", "1061", "HU"};
  cmd.kept_address = AddressKept::entered;
  auto d = Scenario{}.when(cmd);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<PartnerAccountEnrolled>((*d)[0]).address.line1, "Andrassy ut 1");
}

TEST(Enroll, R_ACC_03_rejects_unvalidated_hand_entry_in_validating_country) {
  auto cmd = valid_enrollment();
  cmd.address.country = "RU";
  expect_rejected(Scenario{}.when(cmd), RejectionCode::address_validation_required);
  cmd.validated_address = cmd.address;  // but no choice recorded
  expect_rejected(Scenario{}.when(cmd), RejectionCode::address_validation_required);
}

TEST(Enroll, R_ACC_03_rejects_validation_where_it_does_not_apply) {
  auto cmd = valid_enrollment();  // DE
  cmd.validated_address = cmd.address;
  cmd.kept_address = AddressKept::entered;
  expect_rejected(Scenario{}.when(cmd), RejectionCode::address_validation_not_applicable);
  cmd = valid_enrollment();
  cmd.address.country = "RU";
  cmd.duns_number = "123456789";  // found by DUNS: no hand entry to validate
  cmd.validated_address = cmd.address;
  cmd.kept_address = AddressKept::entered;
  expect_rejected(Scenario{}.when(cmd), RejectionCode::address_validation_not_applicable);
}

TEST(Enroll, R_ACC_03_rejects_incomplete_validated_address) {
  auto cmd = valid_enrollment();
  cmd.address.country = "MD";
  cmd.validated_address = PostalAddress{"", "", "", "", "", "MD"};
  cmd.kept_address = AddressKept::validated;
  expect_rejected(Scenario{}.when(cmd), RejectionCode::validated_address_incomplete);
}

}  // namespace
}  // namespace mledger
