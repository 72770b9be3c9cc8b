// The account-profile fold: given recorded events, then the read model.
// covers R-ACC-01, R-ACC-03

#include <gtest/gtest.h>

#include "projections/account_profile.h"

namespace mledger::projections {
namespace {

RecordedEvent recorded(uint64_t seq, std::string account, EventPayload payload) {
  RecordedEvent e;
  e.seq = seq;
  e.account_ids = {std::move(account)};
  e.metadata.recorded_at = Instant{static_cast<int64_t>(seq) * 1000};
  e.payload = std::move(payload);
  return e;
}

PartnerAccountEnrolled enrolled(const std::string& account) {
  PartnerAccountEnrolled p;
  p.account_id = account;
  p.legal_name = "Fabrikam OOO";
  p.address = PostalAddress{"Tverskaya St 7", "", "Moscow", "", "125009", "RU"};
  p.address_validation = AddressValidation{p.address, p.address, AddressKept::validated};
  p.primary_contact = ContactPerson{"Olga", "Ivanova", "o.ivanova@fabrikam.ru"};
  return p;
}

TEST(AccountProfile, R_ACC_01_folds_enrollment_and_users_of_its_account_only) {
  AccountProfile p;
  p.account_id = "fabrikam";
  apply(p, recorded(1, "fabrikam", enrolled("fabrikam")));
  apply(p, recorded(2, "fabrikam", UserAdded{"fabrikam", "u-olga", "o.ivanova@fabrikam.ru",
                                             "Olga Ivanova", false, {Role::global_admin}}));
  apply(p, recorded(3, "contoso", enrolled("contoso")));  // another account: ignored
  EXPECT_TRUE(p.enrolled);
  EXPECT_EQ(p.legal_name, "Fabrikam OOO");
  EXPECT_TRUE(p.address_validated);
  EXPECT_EQ(p.enrolled_at, Instant{1000});
  ASSERT_EQ(p.users.size(), 1u);
  EXPECT_EQ(p.users.at("u-olga").roles, std::vector<Role>{Role::global_admin});
  EXPECT_EQ(p.last_seq, 2u);
}

TEST(AccountProfile, R_ACC_03_unvalidated_address_is_shown_as_such) {
  AccountProfile p;
  p.account_id = "contoso";
  auto e = enrolled("contoso");
  e.address_validation.reset();
  apply(p, recorded(1, "contoso", e));
  EXPECT_FALSE(p.address_validated);
}

}  // namespace
}  // namespace mledger::projections
