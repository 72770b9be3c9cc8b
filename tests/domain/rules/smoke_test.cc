#include "tests/support/world.h"

namespace mledger::testing {
namespace {

TEST(World, enroll_buy_and_assign_runs_end_to_end) {
  World w;
  w.enroll("contoso", "alice");
  w.add_user("contoso", "alice", "bob", {Role::mpn_partner_admin});
  w.buy("contoso", "alice", "action_pack", "o1");
  EXPECT_ACCEPTED(w.run("contoso", World::user("contoso", "alice"),
                        AssignBenefit{World::benefit("contoso", "o1", "visual_studio_professional"), "bob"}));
  EXPECT_EQ(w.account("contoso").allocations.size(), 7u);
}

}  // namespace
}  // namespace mledger::testing
