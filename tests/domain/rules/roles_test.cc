// Actors and roles (R-ROLE-01..06): the permissions table and the rules for
// users and roles inside an account.

#include <set>

#include "domain/access/permissions.h"
#include "tests/support/world.h"

namespace mledger::testing {
namespace {

struct RoleRules : ::testing::Test {
  World w;
  void SetUp() override { w.enroll("contoso", "alice"); }
  Decision as(const std::string& user, CommandBody body) {
    return w.run("contoso", World::user("contoso", user), std::move(body));
  }
};

TEST_F(RoleRules, R_ROLE_01_allows_a_user_any_set_of_the_eight_roles) {
  std::vector<Role> all;
  for (std::string_view name : enum_names(Role{})) all.push_back(*parse_role(name));
  ASSERT_EQ(all.size(), 8u);
  EXPECT_ACCEPTED(as("alice", AddUser{"bob", "bob@contoso.de", "Bob", false, all}));
  EXPECT_EQ(w.account("contoso").users.at("bob").roles.size(), 8u);
}

TEST_F(RoleRules, R_ROLE_01_rejects_a_role_listed_twice) {
  EXPECT_REJECTED(as("alice", AddUser{"bob", "bob@contoso.de", "Bob", false,
                                      {Role::referrals_admin, Role::referrals_admin}}),
                  role_list_invalid);
}

TEST_F(RoleRules, R_ROLE_02_allows_a_global_admin_every_partner_command_in_its_account) {
  // Every user-issued command passes the permission check for a global admin
  // (it may then fail on its own rules, never on role_not_allowed & co).
  const AccountState& account = w.account("contoso");
  CommandContext ctx;
  ctx.actor = World::user("contoso", "alice");
  ctx.account_id = "contoso";
  for (const Permission& p : permission_table()) {
    if (p.issuer != ActorKind::user || p.self_enrollment) continue;
    CommandBody body;
    bool found = false;
    [&]<size_t... I>(std::index_sequence<I...>) {
      ((std::variant_alternative_t<I, CommandBody>::kName == p.command
            ? (body = std::variant_alternative_t<I, CommandBody>{}, found = true)
            : false),
       ...);
    }(std::make_index_sequence<std::variant_size_v<CommandBody>>{});
    ASSERT_TRUE(found) << p.command;
    EXPECT_FALSE(check_permission(ctx, body, account).has_value()) << p.command;
  }
}

TEST_F(RoleRules, R_ROLE_02_rejects_a_user_without_any_allowed_role) {
  w.add_user("contoso", "alice", "rita", {Role::referrals_admin});
  const size_t before = w.appended;
  EXPECT_REJECTED(as("rita", ChangeNotificationSettings{"billing@contoso.de", std::nullopt}), role_not_allowed);
  EXPECT_REJECTED(as("rita", ReviewBusinessInfo{}), role_not_allowed);
  EXPECT_EQ(w.appended, before);
}

TEST_F(RoleRules, R_ROLE_03_allows_user_management_admins_to_create_users_and_account_admins_to_assign_roles) {
  w.add_user("contoso", "alice", "uma", {Role::user_management_admin});
  w.add_user("contoso", "alice", "carl", {Role::account_admin});
  EXPECT_ACCEPTED(as("uma", AddUser{"dave", "dave@contoso.de", "Dave", false, {}}));
  EXPECT_ACCEPTED(as("carl", ChangeUserRoles{"dave", {Role::incentives_admin}}));
  EXPECT_ACCEPTED(as("uma", RemoveUser{"dave"}));
  EXPECT_FALSE(w.account("contoso").users.contains("dave"));
}

TEST_F(RoleRules, R_ROLE_03_rejects_role_assignment_beyond_each_roles_rights) {
  w.add_user("contoso", "alice", "uma", {Role::user_management_admin});
  w.add_user("contoso", "alice", "carl", {Role::account_admin});
  w.add_user("contoso", "alice", "mona", {Role::mpn_partner_admin});
  const size_t before = w.appended;
  // user_management_admin creates users but gives no roles
  EXPECT_REJECTED(as("uma", AddUser{"dave", "dave@contoso.de", "Dave", false, {Role::admin_agent}}),
                  role_cannot_assign_roles);
  EXPECT_REJECTED(as("uma", ChangeUserRoles{"mona", {Role::admin_agent}}), role_cannot_assign_roles);
  // account_admin may not grant global_admin
  EXPECT_REJECTED(as("carl", ChangeUserRoles{"mona", {Role::global_admin}}),
                  global_admin_grant_requires_global_admin);
  // mpn_partner_admin sees roles but assigns none, and manages no users
  EXPECT_REJECTED(as("mona", ChangeUserRoles{"uma", {Role::admin_agent}}), role_cannot_assign_roles);
  EXPECT_REJECTED(as("mona", AddUser{"erin", "erin@contoso.de", "Erin", false, {}}), role_cannot_manage_users);
  EXPECT_EQ(w.appended, before);
}

TEST_F(RoleRules, R_ROLE_04_allows_a_guest_the_three_guest_roles) {
  EXPECT_ACCEPTED(as("alice", AddUser{"gina", "gina@partner.example", "Gina", true,
                                      {Role::mpn_partner_admin, Role::business_profile_admin, Role::referrals_admin}}));
  EXPECT_TRUE(w.account("contoso").users.at("gina").guest);
}

TEST_F(RoleRules, R_ROLE_04_rejects_other_roles_for_a_guest) {
  EXPECT_REJECTED(as("alice", AddUser{"gina", "gina@partner.example", "Gina", true, {Role::account_admin}}),
                  guest_role_not_allowed);
  w.add_user("contoso", "alice", "gus", {Role::referrals_admin}, true);
  EXPECT_REJECTED(as("alice", ChangeUserRoles{"gus", {Role::global_admin}}), guest_role_not_allowed);
}

TEST_F(RoleRules, R_ROLE_05_allows_system_actors_their_own_commands_only) {
  EXPECT_ACCEPTED(w.run("contoso", World::service(), SuspendAccount{"fraud review"}));
  auto changed = default_offer_catalogue();
  changed.version = "2026-2";
  changed.offers[0].price.amount_minor = 49'900;
  EXPECT_ACCEPTED(w.run("", World::operator_(), ChangeOfferCatalogue{changed}));
  EXPECT_EQ(w.catalogue().version, "2026-2");
}

TEST_F(RoleRules, R_ROLE_05_rejects_auditors_operators_business_commands_and_other_accounts) {
  w.enroll("fabrikam", "fred");
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run("contoso", World::auditor(), ReviewBusinessInfo{}), actor_not_allowed);
  EXPECT_REJECTED(w.run("contoso", World::operator_(), SuspendAccount{"x"}), actor_not_allowed);
  EXPECT_REJECTED(w.run("contoso", World::service(), AddUser{"x", "x@contoso.de", "X", false, {}}), actor_not_allowed);
  EXPECT_REJECTED(w.run("contoso", World::user("contoso", "alice"), SuspendAccount{"x"}), actor_not_allowed);
  // a partner user never touches another account
  EXPECT_REJECTED(w.run("fabrikam", World::user("contoso", "alice"), ReviewBusinessInfo{}),
                  other_account_not_accessible);
  // and acts only as a user the ledger knows in its account
  EXPECT_REJECTED(w.run("contoso", World::user("contoso", "mallory"), ReviewBusinessInfo{}), user_not_in_account);
  EXPECT_EQ(w.appended, before);
}

TEST_F(RoleRules, R_ROLE_05_every_command_has_exactly_one_permission_entry) {
  std::set<std::string_view> seen;
  for (const Permission& p : permission_table()) EXPECT_TRUE(seen.insert(p.command).second) << p.command;
  for (std::string_view type : command_type_names()) EXPECT_TRUE(seen.contains(type)) << type;
  EXPECT_EQ(seen.size(), command_type_names().size());
  for (const Permission& p : permission_table()) EXPECT_NE(p.issuer, ActorKind::auditor) << p.command;
}

TEST_F(RoleRules, R_ROLE_06_allows_removing_a_global_admin_while_another_remains) {
  w.add_user("contoso", "alice", "gail", {Role::global_admin});
  EXPECT_ACCEPTED(as("gail", ChangeUserRoles{"alice", {Role::account_admin}}));
  EXPECT_ACCEPTED(as("gail", RemoveUser{"alice"}));
  EXPECT_EQ(w.account("contoso").global_admin_count(), 1u);
}

TEST_F(RoleRules, R_ROLE_06_rejects_removing_or_demoting_the_last_global_admin) {
  w.add_user("contoso", "alice", "carl", {Role::account_admin});
  const size_t before = w.appended;
  EXPECT_REJECTED(as("alice", RemoveUser{"alice"}), last_global_admin);
  EXPECT_REJECTED(as("alice", ChangeUserRoles{"alice", {Role::account_admin}}), last_global_admin);
  EXPECT_EQ(w.appended, before);
}

}  // namespace
}  // namespace mledger::testing
