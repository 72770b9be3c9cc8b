// The timeline read model: given a recorded event, then its one line: when,
// what, by whom, and the ids it names.
// covers R-LED-01, R-ROLE-05, R-ORD-03, R-ORD-04, R-KEY-01, R-KEY-02

#include <gtest/gtest.h>

#include "projections/timeline.h"
#include "tests/projections/recorded.h"

namespace mledger::projections {
namespace {

using testing::day;
using testing::on_account;
using testing::recorded;

using Names = std::vector<std::string>;

TEST(Timeline, R_LED_01_a_user_event_with_its_times_actor_and_ids) {
  const Instant t = day(2026, 3, 2, 9);
  OrderPlaced p;
  p.order_id = "o-1001";
  p.offer_id = "action_pack";
  p.list_price = Money{47'500, "USD"};
  p.price = Money{47'500, "USD"};
  p.billing_address = PostalAddress{"1 Microsoft Way", "", "Redmond", "WA", "98052", "US"};
  p.placed_by_user_id = "u-olga";
  RecordedEvent e = on_account(42, "contoso", p, t);
  e.metadata.actor = Actor{ActorKind::user, "contoso", "u-olga", {Role::mpn_partner_admin}};
  e.metadata.command_id = "cmd-7f1c";

  const TimelineEntry entry = timeline_entry(e);
  EXPECT_EQ(entry.seq, 42u);
  EXPECT_EQ(entry.occurred_at, t);
  EXPECT_EQ(entry.recorded_at, Instant{t.micros_since_epoch + kMicrosPerSecond});
  EXPECT_EQ(entry.type, "OrderPlaced");
  EXPECT_EQ(entry.stream, "account-contoso");
  EXPECT_EQ(entry.actor, "user:u-olga@contoso");
  EXPECT_EQ(entry.command_id, "cmd-7f1c");
  // Empty ids (upgrade_from_order_id, order_number) and non-id fields are left out.
  EXPECT_EQ(entry.names, (Names{"order_id=o-1001", "offer_id=action_pack", "placed_by_user_id=u-olga"}));
}

TEST(Timeline, R_ROLE_05_a_service_actor_has_no_account) {
  RecordedEvent e = on_account(7, "contoso", WirePaymentRecorded{"o-2001", Money{167'000, "USD"}, "BANK-REF-77812"},
                               day(2026, 3, 20, 14));
  e.metadata.actor = Actor{ActorKind::service, "", "payments", {}};
  const TimelineEntry entry = timeline_entry(e);
  EXPECT_EQ(entry.type, "WirePaymentRecorded");
  EXPECT_EQ(entry.actor, "service:payments");
  EXPECT_EQ(entry.names, Names{"order_id=o-2001"});  // the bank reference is not an id

  e.metadata.actor = Actor{ActorKind::operator_, "", "ops-anna", {}};
  EXPECT_EQ(timeline_entry(e).actor, "operator:ops-anna");
}

TEST(Timeline, R_ORD_03_a_decline_names_its_reason) {
  const RecordedEvent e = on_account(
      3, "contoso", OrderDeclined{"o-1002", "silver", "payment_declined_address_mismatch"}, day(2026, 4, 7, 11));
  const TimelineEntry entry = timeline_entry(e);
  EXPECT_EQ(entry.type, "OrderDeclined");
  EXPECT_EQ(entry.names,
            (Names{"order_id=o-1002", "offer_id=silver", "reason=payment_declined_address_mismatch"}));
}

TEST(Timeline, R_KEY_01_a_redemption_on_the_key_stream_names_key_account_and_user) {
  const std::string key = "QRTVWXY2346789BCDFGHJKMPQ";
  RecordedEvent e = recorded(
      12, key_stream(key), {"fabrikam", "contoso"},
      KeyRedeemed{key, "fabrikam", "u-jan", RedemptionMode::add_seats, 5, 0, day(2027, 3, 9)}, day(2026, 3, 9, 8));
  e.metadata.actor = Actor{ActorKind::user, "fabrikam", "u-jan", {Role::global_admin}};
  const TimelineEntry entry = timeline_entry(e);
  EXPECT_EQ(entry.type, "KeyRedeemed");
  EXPECT_EQ(entry.stream, "key-" + key);
  EXPECT_EQ(entry.actor, "user:u-jan@fabrikam");
  EXPECT_EQ(entry.names, (Names{"key_id=" + key, "account_id=fabrikam", "user_id=u-jan"}));
}

TEST(Timeline, R_KEY_02_other_named_fields_product_domain_email) {
  const Instant t = day(2026, 3, 3, 10);
  const TimelineEntry reveal = timeline_entry(on_account(
      10, "contoso",
      KeysRevealed{"o-1001", "microsoft_365_business", "de", "windows", {"QRTVWXY2346789BCDFGHJKMPQ"}}, t));
  EXPECT_EQ(reveal.type, "KeysRevealed");
  ASSERT_GE(reveal.names.size(), 2u);
  EXPECT_EQ(reveal.names[0], "order_id=o-1001");
  EXPECT_EQ(reveal.names[1], "product=microsoft_365_business");

  const TimelineEntry tenant = timeline_entry(on_account(
      11, "contoso", TenantAssociated{"8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b", "contoso.onmicrosoft.com", true}, t));
  EXPECT_EQ(tenant.names,
            (Names{"tenant_id=8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b", "domain=contoso.onmicrosoft.com"}));

  const TimelineEntry user = timeline_entry(on_account(
      12, "contoso", UserAdded{"contoso", "u-ben", "ben@contoso.com", "Ben Smith", false, {Role::referrals_admin}},
      t));
  EXPECT_EQ(user.type, "UserAdded");
  EXPECT_EQ(user.names, (Names{"account_id=contoso", "user_id=u-ben", "email=ben@contoso.com"}));

  // An event naming no string id names nothing.
  const TimelineEntry settings = timeline_entry(on_account(13, "contoso", AccountVerificationAuthorized{}, t));
  EXPECT_EQ(settings.type, "AccountVerificationAuthorized");
  EXPECT_TRUE(settings.names.empty());
}

}  // namespace
}  // namespace mledger::projections
