// fold_account / AccountDocs (projections/all.h): an account's documents of
// every projection, folded one event at a time as the engine folds the live
// documents; what `mledger audit state` shows as of an event.
// covers R-LED-01, R-ORD-04, R-KEY-01, R-KEY-02, R-MRG-06, R-ACC-07

#include <gtest/gtest.h>

#include <set>

#include "projections/all.h"
#include "tests/projections/random_ledger.h"
#include "tests/projections/recorded.h"

namespace mledger::projections {
namespace {

using testing::day;
using testing::documents_of;
using testing::fold;
using testing::on_account;
using testing::RandomLedger;
using testing::recorded;

const std::string kContoso = "contoso";
const std::string kFabrikam = "fabrikam";
const std::string kKeyA = "QRTVWXY2346789BCDFGHJKMPQ";
const std::string kKeyB = "BCDFGHJKMPQRTVWXY23467892";
const std::string kTenant = "8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b";
const Money kActionPackPrice{47'500, "USD"};

PartnerAccountEnrolled enrolled(const std::string& id, const std::string& name, const std::string& email) {
  PartnerAccountEnrolled p;
  p.account_id = id;
  p.legal_name = name;
  p.address = PostalAddress{"1 Microsoft Way", "", "Redmond", "WA", "98052", "US"};
  p.phone = "4255550100";
  p.primary_contact = ContactPerson{"Pat", "Lee", email};
  return p;
}

OrderPlaced placed(const std::string& order_id, PaymentMethod method, const std::string& account) {
  OrderPlaced p;
  p.order_id = order_id;
  p.offer_id = "action_pack";
  p.payment_method = method;
  p.list_price = kActionPackPrice;
  p.price = kActionPackPrice;
  p.billing_address = PostalAddress{"1 Microsoft Way", "", "Redmond", "WA", "98052", "US"};
  p.placed_by_user_id = "u-admin";
  if (method == PaymentMethod::wire) p.order_number = "WO-" + account + "-" + order_id;
  return p;
}

// Two accounts' interleaved history: orders, benefits, keys Contoso revealed
// and Fabrikam redeemed, a merge invitation between them, a tenant.
std::vector<RecordedEvent> shared_log() {
  const Instant t = day(2026, 3, 2, 9);
  const Instant anniversary = plus_days(t, 365);
  const std::string vs = "contoso/o-1001/visual_studio_professional";
  return {
      on_account(1, kContoso, enrolled(kContoso, "Contoso Ltd", "pat@contoso.com"), t),
      on_account(2, kContoso, UserAdded{kContoso, "u-olga", "olga@contoso.com", "Olga", false, {Role::global_admin}}, t),
      on_account(3, kFabrikam, enrolled(kFabrikam, "Fabrikam OOO", "pat@fabrikam.ru"), t),
      on_account(4, kFabrikam, UserAdded{kFabrikam, "u-jan", "jan@fabrikam.ru", "Jan", false, {Role::global_admin}}, t),
      on_account(5, kContoso, placed("o-1001", PaymentMethod::card, kContoso), t),
      on_account(6, kContoso, CardPaymentCharged{"o-1001", kActionPackPrice, "4242"}, t),
      on_account(7, kContoso, MembershipActivated{"o-1001", "action_pack", anniversary}, t),
      on_account(8, kContoso,
                 BenefitsAllocated{vs, "action_pack", "o-1001", BenefitKind::visual_studio, BenefitType::core, 3,
                                   plus_days(anniversary, 30), {}, "visual_studio_professional", "default-2026-1"},
                 t),
      on_account(9, kContoso, BenefitAssigned{vs, "u-olga", BenefitKind::visual_studio, plus_days(t, 1)},
                 plus_days(t, 1)),
      on_account(10, kContoso, KeysRevealed{"o-1001", "microsoft_365_business", "en", "windows", {kKeyA, kKeyB}},
                 plus_days(t, 2)),
      recorded(11, key_stream(kKeyA), {kContoso},
               KeyIssued{kKeyA, kContoso, "o-1001", "microsoft_365_business", KeyKind::subscription, 5, 0, ""},
               plus_days(t, 2)),
      recorded(12, key_stream(kKeyB), {kContoso},
               KeyIssued{kKeyB, kContoso, "o-1001", "microsoft_365_business", KeyKind::subscription, 5, 0, ""},
               plus_days(t, 2)),
      on_account(13, kFabrikam, placed("o-77", PaymentMethod::wire, kFabrikam), plus_days(t, 3)),
      recorded(14, key_stream(kKeyB), {kFabrikam, kContoso},
               KeyRedeemed{kKeyB, kFabrikam, "u-jan", RedemptionMode::add_seats, 5, 0, plus_days(t, 369)},
               plus_days(t, 4)),
      on_account(15, kFabrikam,
                 SubscriptionChangedByKey{"microsoft_365_business", kKeyB, RedemptionMode::add_seats, 5,
                                          plus_days(t, 369)},
                 plus_days(t, 4)),
      recorded(16, merge_pair_stream(kContoso, kFabrikam), {kContoso, kFabrikam},
               MergeInvitationSent{"inv-1", kContoso, kFabrikam, plus_days(t, 35)}, plus_days(t, 5)),
      on_account(17, kContoso, TenantAssociated{kTenant, "contoso.onmicrosoft.com", true}, plus_days(t, 6)),
      recorded(18, "tenant-" + kTenant, {kContoso}, TenantClaimed{kTenant, kContoso}, plus_days(t, 6)),
      recorded(19, merge_pair_stream(kContoso, kFabrikam), {kContoso, kFabrikam},
               MergeInvitationAccepted{"inv-1"}, plus_days(t, 7)),
      on_account(20, kFabrikam, OrderExpired{"o-77"}, plus_days(t, 33)),
  };
}

AccountDocs fold_all(const std::string& account, const std::vector<RecordedEvent>& log, uint64_t up_to_seq) {
  AccountDocs docs;
  for (const RecordedEvent& e : log) {
    if (e.seq > up_to_seq) break;
    fold_account(docs, account, e);
  }
  return docs;
}

bool concerns(const RecordedEvent& e, const std::string& account) {
  bool any = false;
  std::apply(
      [&](auto... p) {
        ((any = any || [&] {
            const std::vector<std::string> ids = documents_of<decltype(p)>(e);
            return std::find(ids.begin(), ids.end(), account) != ids.end();
          }()),
         ...);
      },
      AllProjections{});
  return any;
}

TEST(FoldAccount, equals_each_projection_folded_through_documents_of_and_apply) {
  const std::vector<RecordedEvent> log = shared_log();
  for (const std::string& account : {kContoso, kFabrikam}) {
    SCOPED_TRACE(account);
    const AccountDocs docs = fold_all(account, log, UINT64_MAX);
    EXPECT_EQ(docs.accounts, fold<AccountsProjection>(account, log));
    EXPECT_EQ(docs.orders, fold<OrdersProjection>(account, log));
    EXPECT_EQ(docs.keys, fold<KeysProjection>(account, log));
    EXPECT_EQ(docs.merges, fold<MergesProjection>(account, log));
    EXPECT_EQ(docs.last_seq, 20u);
    EXPECT_EQ(docs.accounts.account_id, account);
    EXPECT_EQ(docs.orders.orders.size(), 1u);
    EXPECT_EQ(docs.merges.invitations.size(), 1u);
    EXPECT_EQ(docs.merges.invitations[0].status, InvitationOutcome::accepted);
  }
  const AccountDocs contoso = fold_all(kContoso, log, UINT64_MAX);
  EXPECT_EQ(contoso.orders.orders.at("o-1001").status, OrderStatus::paid);
  EXPECT_EQ(contoso.accounts.orders.at("o-1001").revealed_products,
            std::set<std::string>{"microsoft_365_business"});
  EXPECT_EQ(contoso.accounts.tenants.size(), 1u);
  EXPECT_EQ(contoso.keys.issued.size(), 2u);
  EXPECT_EQ(contoso.keys.issued.at(kKeyB).redemption->account_id, kFabrikam);
  EXPECT_TRUE(contoso.keys.redeemed.empty());
  const AccountDocs fabrikam = fold_all(kFabrikam, log, UINT64_MAX);
  EXPECT_EQ(fabrikam.orders.orders.at("o-77").status, OrderStatus::expired);
  EXPECT_EQ(fabrikam.keys.redeemed.at(kKeyB).issued_to_account_id, kContoso);
  EXPECT_EQ(fabrikam.accounts.subscriptions.at("microsoft_365_business").seats, 5u);
  EXPECT_TRUE(fabrikam.accounts.tenants.empty());
}

// documents_of() draws only from the event's stream's account and its
// account ids (projection.h): a bulk load routes the events it does not
// decode by those alone (codec::accounts_named_linked). Every event of the
// shared log and of random ledgers (every event type the projections fold).
TEST(FoldAccount, documents_of_names_only_the_stream_account_and_the_account_ids) {
  std::vector<RecordedEvent> events = shared_log();
  for (uint64_t seed : {5u, 41u}) {
    RandomLedger ledger(seed, {kContoso, kFabrikam, "northwind"});
    for (RecordedEvent& e : ledger.next(2000)) events.push_back(std::move(e));
  }
  size_t named = 0;
  for (const RecordedEvent& e : events) {
    std::set<std::string> allowed(e.account_ids.begin(), e.account_ids.end());
    if (std::string_view a = account_of_stream(e); !a.empty()) allowed.emplace(a);
    std::apply(
        [&](auto... p) {
          (
              [&] {
                for (const std::string& id : documents_of<decltype(p)>(e)) {
                  EXPECT_TRUE(allowed.contains(id)) << decltype(p)::kName << " names " << id << " for event "
                                                    << e.seq << " on " << e.stream;
                  ++named;
                }
              }(),
              ...);
        },
        AllProjections{});
  }
  EXPECT_GT(named, events.size());
}

TEST(FoldAccount, events_not_concerning_the_account_leave_every_document_unchanged) {
  const std::vector<RecordedEvent> log = shared_log();
  for (const std::string& account : {kContoso, kFabrikam}) {
    SCOPED_TRACE(account);
    AccountDocs docs;
    size_t unconcerned = 0, concerned = 0;
    for (const RecordedEvent& e : log) {
      const AccountDocs before = docs;
      fold_account(docs, account, e);
      EXPECT_EQ(docs.last_seq, e.seq);
      if (concerns(e, account)) {
        ++concerned;
        continue;
      }
      ++unconcerned;
      EXPECT_EQ(docs.accounts, before.accounts) << "seq " << e.seq;
      EXPECT_EQ(docs.orders, before.orders) << "seq " << e.seq;
      EXPECT_EQ(docs.keys, before.keys) << "seq " << e.seq;
      EXPECT_EQ(docs.merges, before.merges) << "seq " << e.seq;
    }
    EXPECT_GE(unconcerned, 5u);
    EXPECT_GE(concerned, 5u);
  }
  // The other account's own events and the tenant's stream do not concern Contoso ...
  EXPECT_FALSE(concerns(log[2], kContoso));   // Fabrikam enrolled
  EXPECT_FALSE(concerns(log[17], kContoso));  // TenantClaimed on the tenant's stream
  EXPECT_FALSE(concerns(log[19], kContoso));  // Fabrikam's order expired
  // ... the redemption of Contoso's key by Fabrikam, and their invitation, do.
  EXPECT_TRUE(concerns(log[13], kContoso));
  EXPECT_TRUE(concerns(log[15], kFabrikam));
  EXPECT_FALSE(concerns(log[9], kFabrikam));  // Contoso's reveal
}

TEST(FoldAccount, R_ORD_04_as_of_an_event_shows_the_documents_as_they_were_then) {
  const std::vector<RecordedEvent> log = shared_log();
  const AccountDocs placed_only = fold_all(kContoso, log, 5);
  EXPECT_EQ(placed_only.last_seq, 5u);
  EXPECT_EQ(placed_only.orders.orders.at("o-1001").status, OrderStatus::awaiting_payment);
  EXPECT_EQ(placed_only.accounts.orders.at("o-1001").status, OrderStatus::awaiting_payment);
  EXPECT_TRUE(placed_only.accounts.memberships.empty());

  const AccountDocs paid = fold_all(kContoso, log, 7);
  EXPECT_EQ(paid.orders.orders.at("o-1001").status, OrderStatus::paid);
  EXPECT_EQ(paid.accounts.memberships.at("action_pack").status, MembershipStatus::active);
  EXPECT_TRUE(paid.keys.issued.empty());

  const AccountDocs revealed = fold_all(kContoso, log, 12);
  EXPECT_EQ(revealed.keys.issued.size(), 2u);
  EXPECT_FALSE(revealed.keys.issued.at(kKeyB).redemption.has_value());
  EXPECT_TRUE(revealed.merges.invitations.empty());

  // Fabrikam as of the invitation: in its inbox.
  const AccountDocs invited = fold_all(kFabrikam, log, 16);
  EXPECT_EQ(merge_invitations_view(invited.merges, kFabrikam).inbox.size(), 1u);
  EXPECT_EQ(invited.orders.orders.at("o-77").status, OrderStatus::awaiting_payment);
}

TEST(FoldAccount, of_names_each_projection_document) {
  AccountDocs docs;
  EXPECT_EQ(&docs.of<AccountsProjection>(), &docs.accounts);
  EXPECT_EQ(&docs.of<OrdersProjection>(), &docs.orders);
  EXPECT_EQ(&docs.of<KeysProjection>(), &docs.keys);
  EXPECT_EQ(&docs.of<MergesProjection>(), &docs.merges);
}

}  // namespace
}  // namespace mledger::projections
