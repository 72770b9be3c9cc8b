// The read models that are views of the "accounts" document: profile,
// memberships, benefits, assignments. Given the account's events folded by
// the accounts projection, then what `mledger query` shows.
// covers R-ACC-04, R-ACC-07, R-ROLE-01, R-ROLE-04, R-ORD-06, R-ORD-08, R-BEN-05, R-BEN-06, R-MRG-05

#include <gtest/gtest.h>

#include "projections/accounts.h"
#include "projections/views.h"
#include "tests/projections/recorded.h"

namespace mledger::projections {
namespace {

using testing::day;
using testing::fold;
using testing::on_account;

const std::string kContoso = "contoso";
const Money kActionPackPrice{47'500, "USD"};

PartnerAccountEnrolled enrolled() {
  PartnerAccountEnrolled p;
  p.account_id = kContoso;
  p.legal_name = "Contoso Ltd";
  p.address = PostalAddress{"1 Microsoft Way", "", "Redmond", "WA", "98052", "US"};
  p.phone = "4255550100";
  p.primary_contact = ContactPerson{"Olga", "Ivanova", "olga@contoso.com"};
  p.enrolled_by_user_id = "u-olga";
  return p;
}

// The account's events so far; each test appends to it.
struct Account {
  std::vector<RecordedEvent> log;
  void add(EventPayload p, Instant at) {
    log.push_back(on_account(log.size() + 1, kContoso, std::move(p), at));
  }
  AccountState state() const { return fold<AccountsProjection>(kContoso, log); }
};

Account enrolled_with_users(Instant t) {
  Account a;
  a.add(enrolled(), t);
  a.add(UserAdded{kContoso, "u-olga", "olga@contoso.com", "Olga Ivanova", false, {Role::global_admin}}, t);
  a.add(UserAdded{kContoso, "u-ben", "ben@contoso.com", "Ben Smith", false, {Role::mpn_partner_admin}}, t);
  a.add(UserAdded{kContoso, "u-guest", "kim@partner.example", "Kim Guest", true, {Role::referrals_admin}}, t);
  return a;
}

// An Action Pack bought by card: placed, charged, activated.
void buy_action_pack(Account& a, const std::string& order_id, Instant t) {
  OrderPlaced p;
  p.order_id = order_id;
  p.offer_id = "action_pack";
  p.list_price = kActionPackPrice;
  p.price = kActionPackPrice;
  p.billing_address = enrolled().address;
  p.placed_by_user_id = "u-olga";
  a.add(p, t);
  a.add(CardPaymentCharged{order_id, kActionPackPrice, "4242"}, t);
  a.add(MembershipActivated{order_id, "action_pack", plus_days(t, 365)}, t);
}

BenefitsAllocated allocated(const std::string& order_id, const std::string& benefit, BenefitKind kind,
                            uint32_t quantity, Instant expiry, Money credit = {}) {
  return BenefitsAllocated{kContoso + "/" + order_id + "/" + benefit, "action_pack", order_id, kind,
                           BenefitType::core, quantity, expiry, std::move(credit), benefit,
                           "default-2026-1"};
}

TEST(ProfileView, R_ACC_04_company_info_locked_by_a_presence_is_read_only) {
  const Instant t = day(2026, 1, 12, 9);
  Account a = enrolled_with_users(t);
  ProfileView v = profile_view(a.state());
  EXPECT_TRUE(v.enrolled);
  EXPECT_FALSE(v.read_only);
  EXPECT_EQ(v.read_only_because, "");

  a.add(CompanyInfoLocked{"csp"}, plus_days(t, 1));
  v = profile_view(a.state());
  EXPECT_TRUE(v.read_only);
  EXPECT_EQ(v.read_only_because, "csp");
  EXPECT_EQ(v.account_id, kContoso);
  EXPECT_EQ(v.legal_name, "Contoso Ltd");
  EXPECT_EQ(v.phone, "4255550100");
  EXPECT_EQ(v.address.city, "Redmond");
  EXPECT_EQ(v.primary_contact.email, "olga@contoso.com");
  EXPECT_EQ(v.default_email, "olga@contoso.com");
}

TEST(ProfileView, R_ROLE_04_users_with_their_roles_guests_included_by_id) {
  const Instant t = day(2026, 1, 12, 9);
  Account a = enrolled_with_users(t);
  a.add(UserRolesChanged{"u-ben", {Role::mpn_partner_admin, Role::account_admin}, {Role::mpn_partner_admin}},
        plus_days(t, 2));
  a.add(UserAdded{kContoso, "u-ann", "ann@contoso.com", "Ann Lee", false, {Role::incentives_admin}}, t);
  a.add(UserRemoved{"u-ann"}, plus_days(t, 3));
  const ProfileView v = profile_view(a.state());

  ASSERT_EQ(v.users.size(), 3u);  // by user id; the removed user is gone
  EXPECT_EQ(v.users[0].user_id, "u-ben");
  EXPECT_EQ(v.users[0].email, "ben@contoso.com");
  EXPECT_EQ(v.users[0].display_name, "Ben Smith");
  EXPECT_FALSE(v.users[0].guest);
  EXPECT_EQ(v.users[0].roles, (std::vector<Role>{Role::mpn_partner_admin, Role::account_admin}));
  EXPECT_EQ(v.users[1].user_id, "u-guest");
  EXPECT_TRUE(v.users[1].guest);
  EXPECT_EQ(v.users[1].roles, std::vector<Role>{Role::referrals_admin});
  EXPECT_EQ(v.users[2].user_id, "u-olga");
  EXPECT_EQ(v.users[2].roles, std::vector<Role>{Role::global_admin});
}

TEST(ProfileView, R_ACC_07_tenants_locations_settings_and_merge) {
  const Instant t = day(2026, 1, 12, 9);
  Account a = enrolled_with_users(t);
  a.add(TenantAssociated{"8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b", "contoso.onmicrosoft.com", true}, t);
  a.add(TenantAssociated{"1a2b3c4d-0000-4d2e-9a7f-0c1d2e3f4a5b", "contosoeu.onmicrosoft.com", false}, t);
  a.add(TenantAssociated{"2b3c4d5e-1111-4d2e-9a7f-0c1d2e3f4a5b", "contosolab.onmicrosoft.com", false}, t);
  a.add(TenantRemoved{"2b3c4d5e-1111-4d2e-9a7f-0c1d2e3f4a5b"}, plus_days(t, 1));
  a.add(LocationAdded{"contoso/loc-1", "Contoso Berlin",
                      PostalAddress{"Unter den Linden 1", "", "Berlin", "", "10117", "DE"}},
        t);
  a.add(NotificationSettingsChanged{"billing@contoso.com", "ap@contoso.com"}, t);
  a.add(ProgramEnrolled{"csp", {"mpn_id"}}, t);
  a.add(CompetencyAttained{"silver", "cloud_platform"}, t);
  a.add(BusinessInfoReviewed{"u-olga"}, plus_days(t, 5));
  a.add(AccountSuspended{"overdue invoice"}, plus_days(t, 6));
  a.add(AccountMergedAway{"inv-1", "northwind"}, plus_days(t, 7));
  const ProfileView v = profile_view(a.state());

  ASSERT_EQ(v.tenants.size(), 2u);  // by tenant id
  EXPECT_EQ(v.tenants[0].tenant_id, "1a2b3c4d-0000-4d2e-9a7f-0c1d2e3f4a5b");
  EXPECT_EQ(v.tenants[0].domain, "contosoeu.onmicrosoft.com");
  EXPECT_FALSE(v.tenants[0].primary);
  EXPECT_EQ(v.tenants[1].tenant_id, "8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b");
  EXPECT_TRUE(v.tenants[1].primary);
  ASSERT_EQ(v.locations.size(), 1u);
  EXPECT_EQ(v.locations[0].location_partner_id, "contoso/loc-1");
  EXPECT_EQ(v.default_email, "billing@contoso.com");
  EXPECT_EQ(v.alternate_email, "ap@contoso.com");
  EXPECT_EQ(v.programs, std::set<std::string>{"csp"});
  EXPECT_EQ(v.competency_levels, std::set<std::string>{"silver"});
  EXPECT_EQ(v.last_business_review, plus_days(t, 5));
  EXPECT_TRUE(v.suspended);
  EXPECT_EQ(v.merged_into, "northwind");
  EXPECT_FALSE(v.read_only);
}

TEST(MembershipsView, R_ORD_08_renewal_window_is_the_anniversary_plus_30_days) {
  const Instant t = day(2026, 2, 2, 9);
  const Instant anniversary = plus_days(t, 365);
  Account a = enrolled_with_users(t);
  buy_action_pack(a, "o-1001", t);
  MembershipsView v = memberships_view(a.state());
  EXPECT_EQ(v.account_id, kContoso);
  ASSERT_EQ(v.memberships.size(), 1u);
  MembershipView m = v.memberships[0];
  EXPECT_EQ(m.offer_id, "action_pack");
  EXPECT_EQ(m.order_id, "o-1001");
  EXPECT_EQ(m.status, MembershipStatus::active);
  EXPECT_EQ(m.anniversary, anniversary);
  EXPECT_EQ(m.renewal_window_opens, anniversary);
  EXPECT_EQ(m.renewal_window_closes, plus_days(anniversary, 30));
  EXPECT_EQ(m.renewal_window_closes, day(2027, 3, 4, 9));
  EXPECT_TRUE(m.benefits_continue);

  a.add(EnrollmentYearEnded{"action_pack", anniversary}, plus_days(anniversary, 1));
  a.add(RenewalWindowOpened{"action_pack", plus_days(anniversary, 30)}, plus_days(anniversary, 1));
  m = memberships_view(a.state()).memberships.at(0);
  EXPECT_EQ(m.status, MembershipStatus::renewal_window);
  EXPECT_TRUE(m.benefits_continue);  // benefits continue during the window

  a.add(MembershipLapsed{"action_pack"}, plus_days(anniversary, 31));
  m = memberships_view(a.state()).memberships.at(0);
  EXPECT_EQ(m.status, MembershipStatus::lapsed);
  EXPECT_FALSE(m.benefits_continue);
  EXPECT_EQ(m.renewal_window_closes, plus_days(anniversary, 30));
}

TEST(MembershipsView, R_ORD_08_renewal_moves_the_window_a_year_on) {
  const Instant t = day(2026, 2, 2, 9);
  const Instant anniversary = plus_days(t, 365);
  Account a = enrolled_with_users(t);
  buy_action_pack(a, "o-1001", t);
  a.add(RenewalWindowOpened{"action_pack", plus_days(anniversary, 30)}, plus_days(anniversary, 1));
  a.add(MembershipRenewed{"action_pack", "o-1002", anniversary, plus_days(anniversary, 365)},
        plus_days(anniversary, 3));
  const MembershipView m = memberships_view(a.state()).memberships.at(0);
  EXPECT_EQ(m.order_id, "o-1002");
  EXPECT_EQ(m.status, MembershipStatus::active);
  EXPECT_EQ(m.renewal_window_opens, plus_days(anniversary, 365));
  EXPECT_EQ(m.renewal_window_closes, plus_days(anniversary, 395));
  EXPECT_TRUE(m.benefits_continue);
}

TEST(MembershipsView, R_ORD_06_refunded_membership_has_ended) {
  const Instant t = day(2026, 2, 2, 9);
  Account a = enrolled_with_users(t);
  buy_action_pack(a, "o-1001", t);
  a.add(OrderRefunded{"o-1001", kActionPackPrice}, plus_days(t, 10));
  const MembershipView m = memberships_view(a.state()).memberships.at(0);
  EXPECT_EQ(m.status, MembershipStatus::ended);
  EXPECT_FALSE(m.benefits_continue);
}

TEST(BenefitsView, R_BEN_06_available_is_allocated_less_assigned_less_used) {
  const Instant t = day(2026, 2, 2, 9);
  const Instant anniversary = plus_days(t, 365);
  Account a = enrolled_with_users(t);
  buy_action_pack(a, "o-1001", t);
  a.add(allocated("o-1001", "azure_monthly_credit", BenefitKind::azure_monthly_credit, 5, anniversary,
                  Money{10'000, "USD"}),
        t);
  a.add(allocated("o-1001", "office_365_e3", BenefitKind::licensed_product, 5, anniversary), t);
  a.add(allocated("o-1001", "product_support_incidents", BenefitKind::technical, 10, anniversary), t);
  a.add(allocated("o-1001", "advisory_hours", BenefitKind::technical, 5, anniversary), t);
  a.add(BenefitAssigned{"contoso/o-1001/office_365_e3", "u-olga", BenefitKind::licensed_product, t}, t);
  a.add(BenefitAssigned{"contoso/o-1001/office_365_e3", "u-ben", BenefitKind::licensed_product, t}, t);
  for (uint32_t n = 1; n <= 4; ++n) {
    a.add(SupportIncidentUsed{IncidentKind::product_support, "inc-" + std::to_string(n), n, 10,
                              "contoso/o-1001/product_support_incidents"},
          plus_days(t, n));
  }
  a.add(AdvisoryHoursUsed{5, 5, 5, "contoso/o-1001/advisory_hours"}, plus_days(t, 20));
  const BenefitsView v = benefits_view(a.state());

  EXPECT_EQ(v.account_id, kContoso);
  ASSERT_EQ(v.benefits.size(), 4u);  // by benefit id
  const BenefitView& hours = v.benefits[0];
  EXPECT_EQ(hours.benefit_id, "contoso/o-1001/advisory_hours");
  EXPECT_EQ(hours.allocated, 5u);
  EXPECT_EQ(hours.used, 5u);
  EXPECT_EQ(hours.available, 0u);
  const BenefitView& credit = v.benefits[1];
  EXPECT_EQ(credit.catalogue_benefit_id, "azure_monthly_credit");
  EXPECT_EQ(credit.kind, BenefitKind::azure_monthly_credit);
  EXPECT_EQ(credit.credit_amount, (Money{10'000, "USD"}));
  EXPECT_EQ(credit.available, 5u);
  const BenefitView& office = v.benefits[2];
  EXPECT_EQ(office.benefit_id, "contoso/o-1001/office_365_e3");
  EXPECT_EQ(office.offer_id, "action_pack");
  EXPECT_EQ(office.order_id, "o-1001");
  EXPECT_EQ(office.type, BenefitType::core);
  EXPECT_EQ(office.allocated, 5u);
  EXPECT_EQ(office.assigned, 2u);
  EXPECT_EQ(office.used, 0u);
  EXPECT_EQ(office.available, 3u);
  EXPECT_EQ(office.expiry, anniversary);
  EXPECT_FALSE(office.ended);
  const BenefitView& incidents = v.benefits[3];
  EXPECT_EQ(incidents.used, 4u);
  EXPECT_EQ(incidents.assigned, 0u);
  EXPECT_EQ(incidents.available, 6u);
}

TEST(BenefitsView, R_BEN_06_available_is_never_negative) {
  const Instant t = day(2026, 2, 2, 9);
  Account a = enrolled_with_users(t);
  buy_action_pack(a, "o-1001", t);
  a.add(allocated("o-1001", "advisory_hours", BenefitKind::technical, 5, plus_days(t, 365)), t);
  // A used-this-year counter past the allocation: the deciders never record
  // one, and the view still never shows less than 0.
  a.add(AdvisoryHoursUsed{3, 8, 5, "contoso/o-1001/advisory_hours"}, t);
  const BenefitView b = benefits_view(a.state()).benefits.at(0);
  EXPECT_EQ(b.allocated, 5u);
  EXPECT_EQ(b.used, 8u);
  EXPECT_EQ(b.available, 0u);
}

TEST(BenefitsView, R_ORD_06_ended_benefits_have_nothing_available) {
  const Instant t = day(2026, 2, 2, 9);
  Account a = enrolled_with_users(t);
  buy_action_pack(a, "o-1001", t);
  a.add(allocated("o-1001", "office_365_e3", BenefitKind::licensed_product, 5, plus_days(t, 365)), t);
  a.add(allocated("o-1001", "visual_studio_professional", BenefitKind::visual_studio, 3, plus_days(t, 395)), t);
  a.add(OrderRefunded{"o-1001", kActionPackPrice}, plus_days(t, 5));
  a.add(BenefitsEnded{"action_pack",
                      {"contoso/o-1001/office_365_e3", "contoso/o-1001/visual_studio_professional"}},
        plus_days(t, 5));
  const BenefitsView v = benefits_view(a.state());
  ASSERT_EQ(v.benefits.size(), 2u);
  for (const BenefitView& b : v.benefits) {
    EXPECT_TRUE(b.ended) << b.benefit_id;
    EXPECT_EQ(b.available, 0u) << b.benefit_id;
    EXPECT_GT(b.allocated, 0u) << b.benefit_id;
  }
}

TEST(AssignmentsView, R_BEN_05_visual_studio_is_reassignable_90_days_after_assignment) {
  const Instant t = day(2026, 2, 2, 9);
  const Instant assigned_at = day(2026, 2, 10, 12);
  const Instant transferred_at = day(2026, 6, 1, 8);
  Account a = enrolled_with_users(t);
  buy_action_pack(a, "o-1001", t);
  const Instant vs_expiry = plus_days(t, 395);
  a.add(allocated("o-1001", "visual_studio_professional", BenefitKind::visual_studio, 3, vs_expiry), t);
  a.add(allocated("o-1001", "azure_monthly_credit", BenefitKind::azure_monthly_credit, 5, plus_days(t, 365),
                  Money{10'000, "USD"}),
        t);
  a.add(BenefitAssigned{"contoso/o-1001/visual_studio_professional", "u-olga", BenefitKind::visual_studio,
                        assigned_at},
        assigned_at);
  a.add(BenefitAssigned{"contoso/o-1001/azure_monthly_credit", "u-olga", BenefitKind::azure_monthly_credit,
                        assigned_at},
        assigned_at);

  AssignmentsView v = assignments_view(a.state());
  EXPECT_EQ(v.account_id, kContoso);
  ASSERT_EQ(v.users.size(), 3u);  // every user, by id
  EXPECT_EQ(v.users[0].user_id, "u-ben");
  EXPECT_TRUE(v.users[0].benefits.empty());
  EXPECT_EQ(v.users[1].user_id, "u-guest");
  EXPECT_TRUE(v.users[1].benefits.empty());
  const UserAssignments& olga = v.users[2];
  EXPECT_EQ(olga.user_id, "u-olga");
  EXPECT_EQ(olga.email, "olga@contoso.com");
  ASSERT_EQ(olga.benefits.size(), 2u);  // by benefit id
  const AssignmentView& credit = olga.benefits[0];
  EXPECT_EQ(credit.benefit_id, "contoso/o-1001/azure_monthly_credit");
  EXPECT_EQ(credit.kind, BenefitKind::azure_monthly_credit);
  EXPECT_EQ(credit.since, assigned_at);
  EXPECT_FALSE(credit.reassignable_at.has_value());  // other kinds: any time
  const AssignmentView& vs = olga.benefits[1];
  EXPECT_EQ(vs.benefit_id, "contoso/o-1001/visual_studio_professional");
  EXPECT_EQ(vs.catalogue_benefit_id, "visual_studio_professional");
  EXPECT_EQ(vs.kind, BenefitKind::visual_studio);
  EXPECT_EQ(vs.since, assigned_at);
  EXPECT_EQ(vs.reassignable_at, plus_days(assigned_at, 90));
  EXPECT_EQ(vs.reassignable_at, day(2026, 5, 11, 12));
  EXPECT_EQ(vs.expiry, vs_expiry);
  EXPECT_FALSE(vs.ended);

  // The seat moves to Ben: his 90 days start at the transfer.
  a.add(BenefitTransferred{"contoso/o-1001/visual_studio_professional", "u-olga", "u-ben"}, transferred_at);
  v = assignments_view(a.state());
  ASSERT_EQ(v.users[0].benefits.size(), 1u);
  EXPECT_EQ(v.users[0].benefits[0].since, transferred_at);
  EXPECT_EQ(v.users[0].benefits[0].reassignable_at, plus_days(transferred_at, 90));
  ASSERT_EQ(v.users[2].benefits.size(), 1u);
  EXPECT_EQ(v.users[2].benefits[0].kind, BenefitKind::azure_monthly_credit);
}

}  // namespace
}  // namespace mledger::projections
