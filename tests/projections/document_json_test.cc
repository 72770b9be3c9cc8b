// Documents in both their forms: every projection's Doc through
// json::object_json and back through json::read_object (the read models'
// JSON), and through the stored binary form (adapters/projections/
// binary_document.h) and back, is the same Doc (and the same bytes), with
// optional fields set and unset, maps and sets; every truncation of the
// binary form, a wrong format byte and trailing bytes are corruption errors.
// covers R-LED-03, R-ACC-05, R-ORD-03, R-ORD-07, R-KEY-01, R-KEY-05, R-MRG-03, R-BEN-05

#include <gtest/gtest.h>

#include "adapters/json/fields_json.h"
#include "adapters/projections/binary_document.h"
#include "projections/all.h"
#include "projections/views.h"
#include "tests/projections/recorded.h"

namespace mledger::projections {
namespace {

using testing::day;
using testing::fold;
using testing::on_account;

const std::string kContoso = "contoso";
const std::string kFabrikam = "fabrikam";
const Money kActionPackPrice{47'500, "USD"};
// A business time with microseconds: RFC 3339 keeps them.
const Instant kT{day(2026, 3, 2, 9).micros_since_epoch + 250};

template <class T>
T round_trip(const T& value, const std::string& what) {
  const std::string bytes = json::object_json(value).dump();
  const nlohmann::json parsed = nlohmann::json::parse(bytes, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << what;
  T back{};
  const Status s = json::read_object(parsed, "", back);
  EXPECT_TRUE(s.ok()) << what << ": " << s.message();
  EXPECT_EQ(json::object_json(back).dump(), bytes) << what;  // equal documents, equal bytes

  const std::string stored = document::encode_document(value);
  T decoded{};
  const Status d = document::decode_document(stored, decoded);
  EXPECT_TRUE(d.ok()) << what << ": " << d.message();
  EXPECT_EQ(document::encode_document(decoded), stored) << what;
  EXPECT_EQ(json::object_json(decoded).dump(), bytes) << what;
  for (size_t cut = 0; cut < stored.size(); ++cut) {
    T partial{};
    EXPECT_EQ(document::decode_document(std::string_view(stored).substr(0, cut), partial).code(),
              StatusCode::corruption)
        << what << " cut at " << cut;
  }
  T other{};
  EXPECT_EQ(document::decode_document(stored + "x", other).code(), StatusCode::corruption) << what;
  std::string refitted = stored;
  refitted[0] = 2;
  const Status wrong = document::decode_document(refitted, other);
  EXPECT_NE(wrong.message().find("has format 2, not 1"), std::string::npos) << wrong.message();
  return back;
}

// A busy account: every part of AccountState holds something.
std::vector<RecordedEvent> busy_account_log() {
  const Instant anniversary = plus_days(kT, 365);
  const std::string vs = "contoso/o-1001/visual_studio_professional";
  const std::string tech = "contoso/o-1001/online_technical_consultation";
  const std::string gtm = "contoso/o-1001/marketing_campaign_kit";
  const std::string incidents = "contoso/o-1001/product_support_incidents";
  PartnerAccountEnrolled enrolled;
  enrolled.account_id = kContoso;
  enrolled.legal_name = "Contoso Ltd";
  enrolled.address = PostalAddress{"1 Microsoft Way", "Building 92", "Redmond", "WA", "98052", "US"};
  enrolled.phone = "4255550100";
  enrolled.primary_contact = ContactPerson{"Olga", "Ivanova", "olga@contoso.com"};
  OrderPlaced placed;
  placed.order_id = "o-1001";
  placed.offer_id = "action_pack";
  placed.list_price = kActionPackPrice;
  placed.price = kActionPackPrice;
  placed.billing_address = enrolled.address;
  placed.placed_by_user_id = "u-olga";
  std::vector<EventPayload> events = {
      enrolled,
      UserAdded{kContoso, "u-olga", "olga@contoso.com", "Olga Ivanova", false, {Role::global_admin, Role::account_admin}},
      UserAdded{kContoso, "u-kim", "kim@partner.example", "Kim", true, {Role::referrals_admin}},
      VerificationEmailSent{"olga@contoso.com", 1},
      AccountVerificationRejected{VerificationCheck::business, {"legal_name", "address"}, "registry mismatch"},
      CompanyInfoUpdated{"Contoso Limited", enrolled.address, "4255550100", {"legal_name"}},
      LocationAdded{"contoso/loc-1", "Contoso Berlin", PostalAddress{"Unter den Linden 1", "", "Berlin", "", "10117", "DE"}},
      TenantAssociated{"8f3e2a44-5b1c-4d2e-9a7f-0c1d2e3f4a5b", "contoso.onmicrosoft.com", true},
      NotificationSettingsChanged{"billing@contoso.com", ""},
      ProgramEnrolled{"csp", {"mpn_id"}},
      BusinessInfoReviewed{"u-olga"},
      CompetencyAttained{"silver", "cloud_platform"},
      MarketingContactAssigned{"u-olga", "marketing.olga@contoso.com", "4255550101", "en"},
      CompanyInfoLocked{"legacy_membership_center"},
      placed,
      CardPaymentCharged{"o-1001", kActionPackPrice, "4242"},
      MembershipActivated{"o-1001", "action_pack", anniversary},
      BenefitsAllocated{vs, "action_pack", "o-1001", BenefitKind::visual_studio, BenefitType::core, 3,
                        plus_days(anniversary, 30), {}, "visual_studio_professional", "default-2026-1"},
      BenefitsAllocated{tech, "action_pack", "o-1001", BenefitKind::technical, BenefitType::core, 1, anniversary, {},
                        "online_technical_consultation", "default-2026-1"},
      BenefitsAllocated{gtm, "action_pack", "o-1001", BenefitKind::go_to_market, BenefitType::core, 1, anniversary,
                        {}, "marketing_campaign_kit", "default-2026-1"},
      BenefitsAllocated{incidents, "action_pack", "o-1001", BenefitKind::technical, BenefitType::core, 10,
                        anniversary, {}, "product_support_incidents", "default-2026-1"},
      BenefitsAllocated{"contoso/o-1001/azure_monthly_credit", "action_pack", "o-1001",
                        BenefitKind::azure_monthly_credit, BenefitType::core, 5, anniversary, Money{10'000, "USD"},
                        "azure_monthly_credit", "default-2026-1"},
      BenefitAssigned{vs, "u-olga", BenefitKind::visual_studio, kT},
      TechnicalBenefitRequested{tech, "req-1"},
      TechnicalBenefitActivated{tech, "req-1", "ACC-7781", "CTR-2026-114"},
      GoToMarketOfferRequested{"marketing_campaign_kit", "gtm-1", gtm},
      GoToMarketOfferActivated{"marketing_campaign_kit", "gtm-1", plus_days(kT, 90)},
      SupportIncidentUsed{IncidentKind::product_support, "inc-1", 1, 10, incidents},
      KeysRevealed{"o-1001", "microsoft_365_business", "de", "windows", {"QRTVWXY2346789BCDFGHJKMPQ"}},
      SubscriptionChangedByKey{"microsoft_365_business", "QRTVWXY2346789BCDFGHJKMPQ", RedemptionMode::add_seats, 5,
                               plus_days(kT, 365)},
  };
  std::vector<RecordedEvent> log;
  for (auto& p : events) log.push_back(on_account(log.size() + 1, kContoso, std::move(p), kT));
  return log;
}

TEST(DocumentJson, R_LED_03_accounts_document_round_trips) {
  const AccountState busy = fold<AccountsProjection>(kContoso, busy_account_log());
  // Every optional, map and set is set, so the round trip covers them.
  ASSERT_TRUE(busy.verification.last_email_sent.has_value());
  ASSERT_FALSE(busy.verification.corrected_since_rejection.empty());
  ASSERT_TRUE(busy.last_business_review.has_value());
  ASSERT_TRUE(busy.marketing_contact.has_value());
  ASSERT_FALSE(busy.allocations.at("contoso/o-1001/visual_studio_professional").assignees.empty());
  ASSERT_FALSE(busy.technical_requests.empty());
  ASSERT_FALSE(busy.go_to_market_requests.empty());
  ASSERT_FALSE(busy.incidents.empty());
  ASSERT_FALSE(busy.subscriptions.empty());
  ASSERT_FALSE(busy.orders.at("o-1001").revealed_products.empty());
  EXPECT_EQ(round_trip(busy, "busy account"), busy);

  // Just enrolled: the optionals are unset.
  const AccountState fresh = fold<AccountsProjection>(kContoso, {busy_account_log()[0]});
  ASSERT_FALSE(fresh.verification.last_email_sent.has_value());
  ASSERT_FALSE(fresh.marketing_contact.has_value());
  EXPECT_EQ(round_trip(fresh, "fresh account"), fresh);
  EXPECT_EQ(round_trip(AccountState{}, "empty account"), AccountState{});
}

TEST(DocumentJson, R_ORD_07_orders_document_round_trips) {
  AccountOrders doc;
  OrderRecord& paid = doc.orders["o-4001"];
  paid.order_id = "o-4001";
  paid.offer_id = "silver";
  paid.payment_method = PaymentMethod::wire;
  paid.order_number = "WO-contoso-o-4001";
  paid.list_price = Money{167'000, "USD"};
  paid.price = Money{167'000, "USD"};
  paid.placed_by_user_id = "u-olga";
  paid.placed_at = kT;
  paid.status = OrderStatus::paid;
  paid.payments = {OrderPayment{plus_days(kT, 3), PaymentMethod::wire, Money{167'000, "USD"}, "BANK-REF-77812"}};
  paid.membership_activated_at = plus_days(kT, 3);
  paid.cancellation_requested_at = plus_days(kT, 1);
  paid.non_refundable_reason = "upgraded to gold";
  OrderRecord& gold = doc.orders["o-4002"];
  gold.order_id = "o-4002";
  gold.offer_id = "gold";
  gold.list_price = Money{473'000, "USD"};
  gold.price = Money{354'750, "USD"};
  gold.discount_percent = 25;
  gold.upgrade_from_order_id = "o-4001";
  gold.renewal = true;
  gold.placed_at = plus_days(kT, 10);
  gold.status = OrderStatus::refunded;
  gold.refunds = {OrderRefund{plus_days(kT, 12), Money{354'750, "USD"}}};
  gold.cancelled_at = plus_days(kT, 11);
  gold.expired_at = plus_days(kT, 40);
  OrderRecord& declined = doc.orders["o-1002"];  // never placed: every optional unset
  declined.order_id = "o-1002";
  declined.offer_id = "action_pack";
  declined.status = OrderStatus::declined;
  declined.declines = {OrderDecline{kT, "payment_declined_address_mismatch"}};

  EXPECT_EQ(round_trip(doc, "orders"), doc);
  EXPECT_EQ(round_trip(AccountOrders{}, "no orders"), AccountOrders{});
}

TEST(DocumentJson, R_KEY_01_keys_document_round_trips) {
  const std::string key = "QRTVWXY2346789BCDFGHJKMPQ";
  const std::string office = "HJKMP2346QRTVW789BCDFGXY7";
  const std::string replacement = "XY234TVWQR6789BCDFGHJKMP2";
  const KeyRedemption redemption{kFabrikam, "u-jan", plus_days(kT, 4), RedemptionMode::extend_end_date, 5,
                                 day(2028, 3, 6)};
  AccountKeys doc;
  doc.issued[key] = KeyRecord{key, "o-1001", "microsoft_365_business", KeyKind::subscription, 5, 0, 0, kT, "de",
                              "windows", "", "", std::nullopt, redemption};
  doc.issued[office] = KeyRecord{office, "o-1001", "office_professional_plus", KeyKind::multiple_activation, 0,
                                 10, 4, kT, "hu", "macos", "", replacement, plus_days(kT, 20), std::nullopt};
  doc.issued[replacement] = KeyRecord{replacement, "o-1001", "office_professional_plus",
                                      KeyKind::multiple_activation, 0, 6, 0, plus_days(kT, 20), "", "", office, "",
                                      std::nullopt, std::nullopt};
  doc.redeemed["BCDFGHJKMPQRTVWXY23467892"] =
      RedeemedKey{"BCDFGHJKMPQRTVWXY23467892", kFabrikam,
                  KeyRedemption{kContoso, "u-olga", plus_days(kT, 2), RedemptionMode::add_seats, 5, day(2027, 3, 4)}};

  EXPECT_EQ(round_trip(doc, "keys"), doc);
  EXPECT_EQ(round_trip(AccountKeys{}, "no keys"), AccountKeys{});
}

TEST(DocumentJson, R_MRG_03_merges_document_round_trips) {
  AccountMerges doc;
  doc.invitations.push_back(InvitationRecord{"inv-1", kContoso, kFabrikam, InvitationOutcome::declined, kT,
                                             plus_days(kT, 30), plus_days(kT, 2), std::nullopt, "not now"});
  doc.invitations.push_back(InvitationRecord{"inv-2", kContoso, kFabrikam, InvitationOutcome::completed,
                                             plus_days(kT, 40), plus_days(kT, 70), plus_days(kT, 45),
                                             plus_days(kT, 41), ""});
  doc.invitations.push_back(InvitationRecord{"inv-3", "northwind", kContoso, InvitationOutcome::sent,
                                             plus_days(kT, 50), plus_days(kT, 80), std::nullopt, std::nullopt, ""});
  EXPECT_EQ(round_trip(doc, "merges"), doc);
  EXPECT_EQ(round_trip(AccountMerges{}, "no merges"), AccountMerges{});
}

TEST(DocumentJson, R_BEN_05_views_print_and_read_back_the_same) {
  const AccountState busy = fold<AccountsProjection>(kContoso, busy_account_log());
  const auto same_json = [](const auto& view, const char* what) {
    const auto back = round_trip(view, what);
    EXPECT_EQ(json::object_json(back), json::object_json(view)) << what;
  };
  same_json(profile_view(busy), "profile");
  same_json(memberships_view(busy), "memberships");
  same_json(benefits_view(busy), "benefits");
  same_json(assignments_view(busy), "assignments");
  AccountMerges merges;
  merges.invitations.push_back(InvitationRecord{"inv-3", "northwind", kContoso, InvitationOutcome::sent, kT,
                                                plus_days(kT, 30), std::nullopt, std::nullopt, ""});
  same_json(merge_invitations_view(merges, kContoso), "merge page");
  const nlohmann::json assignments = json::object_json(assignments_view(busy));
  EXPECT_EQ(assignments.at("users").at(1).at("user_id"), "u-olga");
  EXPECT_EQ(assignments.at("users").at(1).at("benefits").at(0).at("reassignable_at"),
            format_rfc3339(plus_days(kT, 90)));
}

}  // namespace
}  // namespace mledger::projections
