// Given/when/then tests of the rules of software keys (R-KEY-01 .. R-KEY-07).
// Each test names the rule it covers and whether the rule allows or rejects;
// a rejection appends nothing.

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "tests/support/world.h"

namespace mledger::testing {
namespace {

const std::string kAcc = "contoso";
const std::string kOther = "fabrikam";
const std::string kM365 = "microsoft_365_business";   // subscription keys: 2 keys of 5 seats
const std::string kOffice = "office_professional_plus";  // 1 multiple-activation key, 10 activations
const std::string kServer = "windows_server_standard";   // 1 multiple-activation key, 5 activations
constexpr int64_t kYearSeconds = 365 * 86'400;

Actor alice() { return World::user(kAcc, "alice"); }  // contoso's global admin
Actor frank() { return World::user(kOther, "frank"); }  // fabrikam's global admin
Actor as(const std::string& user_id) { return World::user(kAcc, user_id); }

Instant plus_seconds(Instant t, int64_t s) { return Instant{t.micros_since_epoch + s * kMicrosPerSecond}; }
Instant plus_micros(Instant t, int64_t us) { return Instant{t.micros_since_epoch + us}; }

// "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"
std::string dashed(const std::string& key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0 && i % 5 == 0) out.push_back('-');
    out.push_back(key[i]);
  }
  return out;
}
std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The keys revealed for `product` of `order_id` on `account`.
std::vector<std::string> revealed_keys(World& w, const std::string& account, const std::string& order_id,
                                       const std::string& product) {
  for (const auto& e : w.events<KeysRevealed>(account_stream(account))) {
    if (e.order_id == order_id && e.product == product) return e.key_ids;
  }
  ADD_FAILURE() << "no keys revealed for " << order_id << "/" << product;
  return {};
}

// Reveals `product` of `order_id` as alice; returns the keys.
std::vector<std::string> reveal(World& w, const std::string& order_id, const std::string& product,
                                const std::string& language = "en",
                                const std::string& os = "windows") {
  w.must(kAcc, alice(), RevealKeys{order_id, product, language, os});
  return revealed_keys(w, kAcc, order_id, product);
}

// contoso (alice) and fabrikam (frank) enrolled; contoso bought Action Pack
// "o1" by card at day 0.
World given_action_pack() {
  World w;
  w.enroll(kAcc, "alice");
  w.enroll(kOther, "frank");
  w.buy(kAcc, "alice", "action_pack", "o1");
  return w;
}

// ---------------------------------------------------------------------------
// R-KEY-01: a key is redeemed once, ever, by anyone, on any account.

TEST(Keys, R_KEY_01_allows_redeeming_a_revealed_key) {
  // covers R-KEY-01
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  ASSERT_EQ(keys.size(), 2u);
  w.now = day(1);
  auto d = w.run(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(d.value().size(), 2u);
  EXPECT_EQ(d.value()[0].stream, key_stream(keys[0]));
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0),
            (KeyRedeemed{keys[0], kAcc, "alice", RedemptionMode::add_seats, 5, 0, day(366)}));
  EXPECT_EQ(d.value()[1].stream, account_stream(kAcc));
  EXPECT_EQ(emitted<SubscriptionChangedByKey>(d).at(0),
            (SubscriptionChangedByKey{kM365, keys[0], RedemptionMode::add_seats, 5, day(366)}));
  EXPECT_TRUE(w.key(keys[0]).redeemed);
  EXPECT_EQ(w.key(keys[0]).redeemed_by_account_id, kAcc);
  EXPECT_FALSE(w.key(keys[1]).redeemed);
}

TEST(Keys, R_KEY_01_allows_another_account_to_redeem_a_key_nobody_redeemed) {
  // covers R-KEY-01: "by anyone, on any account".
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  auto d = w.run(kOther, frank(), RedeemKey{keys[0], RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(d.value()[0].account_ids, (std::vector<std::string>{kOther, kAcc}));
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0).account_id, kOther);
  EXPECT_EQ(w.account(kOther).subscriptions.at(kM365).seats, 5u);
  EXPECT_FALSE(w.account(kAcc).subscriptions.contains(kM365));
}

TEST(Keys, R_KEY_01_rejects_redeeming_a_key_twice_on_the_same_account) {
  // covers R-KEY-01
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.must(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});
  w.now = day(10);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats}), key_already_redeemed);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).subscriptions.at(kM365).seats, 5u);
}

TEST(Keys, R_KEY_01_rejects_a_second_account_redeeming_a_redeemed_key) {
  // covers R-KEY-01: however the key is written.
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.must(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});
  w.now = day(200);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kOther, frank(), RedeemKey{keys[0], RedemptionMode::add_seats}), key_already_redeemed);
  EXPECT_REJECTED(w.run(kOther, frank(), RedeemKey{lower(dashed(keys[0])), RedemptionMode::extend_end_date}),
                  key_already_redeemed);
  EXPECT_EQ(w.appended, before);
  EXPECT_FALSE(w.account(kOther).subscriptions.contains(kM365));
  EXPECT_EQ(w.key(keys[0]).redeemed_by_account_id, kAcc);
}

TEST(Keys, R_KEY_01_rejects_a_key_that_was_never_issued) {
  // covers R-KEY-01
  World w = given_action_pack();
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RedeemKey{"BCDFGHJKMPQRTVWXY23467899", RedemptionMode::add_seats}),
                  key_not_found);
  EXPECT_EQ(w.appended, before);
}

// ---------------------------------------------------------------------------
// R-KEY-02: "get keys" picks a language and an operating system; the reveal
// is an event and counts as use for refunds.

TEST(Keys, R_KEY_02_allows_revealing_a_product_in_a_language_and_operating_system) {
  // covers R-KEY-02
  World w = given_action_pack();
  auto d = w.run(kAcc, alice(), RevealKeys{"o1", kOffice, "de", "macos"});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<KeysRevealed>(d).size(), 1u);
  const KeysRevealed revealed = emitted<KeysRevealed>(d)[0];
  EXPECT_EQ(revealed.order_id, "o1");
  EXPECT_EQ(revealed.product, kOffice);
  EXPECT_EQ(revealed.language, "de");
  EXPECT_EQ(revealed.operating_system, "macos");
  ASSERT_EQ(revealed.key_ids.size(), 1u);
  const std::string key = revealed.key_ids[0];
  EXPECT_EQ(key.size(), 25u);
  EXPECT_TRUE(std::all_of(key.begin(), key.end(), [](char ch) { return std::isupper(ch) || std::isdigit(ch); }));
  ASSERT_EQ(emitted<KeyIssued>(d).size(), 1u);
  EXPECT_EQ(emitted<KeyIssued>(d)[0],
            (KeyIssued{key, kAcc, "o1", kOffice, KeyKind::multiple_activation, 0, 10, ""}));
  EXPECT_EQ(d.value()[1].stream, key_stream(key));
  EXPECT_TRUE(w.key(key).issued);
  EXPECT_TRUE(w.account(kAcc).orders.at("o1").revealed_products.contains(kOffice));
}

TEST(Keys, R_KEY_02_allows_revealing_subscription_keys_and_each_product_once) {
  // covers R-KEY-02
  World w = given_action_pack();
  auto d = w.run(kAcc, alice(), RevealKeys{"o1", kM365, "pt-BR", "windows"});
  EXPECT_ACCEPTED(d);
  const auto issued = emitted<KeyIssued>(d);
  ASSERT_EQ(issued.size(), 2u);
  EXPECT_NE(issued[0].key_id, issued[1].key_id);
  for (const auto& k : issued) {
    EXPECT_EQ(k.kind, KeyKind::subscription);
    EXPECT_EQ(k.seats, 5u);
  }
  EXPECT_ACCEPTED(w.run(kAcc, alice(), RevealKeys{"o1", kServer, "hu", "windows"}));
  EXPECT_EQ(w.account(kAcc).orders.at("o1").revealed_products.size(), 2u);
}

TEST(Keys, R_KEY_02_rejects_a_language_that_is_not_offered) {
  // covers R-KEY-02
  World w = given_action_pack();
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", kOffice, "xx", "windows"}), language_not_offered);
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", kOffice, "", "windows"}), language_not_offered);
  EXPECT_EQ(w.appended, before);
  EXPECT_TRUE(w.account(kAcc).orders.at("o1").revealed_products.empty());
}

TEST(Keys, R_KEY_02_rejects_an_operating_system_that_is_not_offered) {
  // covers R-KEY-02: Windows Server is offered for windows only.
  World w = given_action_pack();
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", kServer, "en", "macos"}), operating_system_not_offered);
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", kOffice, "en", "linux"}), operating_system_not_offered);
  EXPECT_EQ(w.appended, before);
}

TEST(Keys, R_KEY_02_rejects_a_product_that_is_not_in_the_offer) {
  // covers R-KEY-02
  World w = given_action_pack();
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", "sql_server_enterprise", "en", "windows"}),
                  product_not_in_offer);
  EXPECT_EQ(w.appended, before);
}

TEST(Keys, R_KEY_02_rejects_revealing_a_product_twice) {
  // covers R-KEY-02: even in another language.
  World w = given_action_pack();
  reveal(w, "o1", kOffice);
  w.now = day(2);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", kOffice, "fr", "macos"}), keys_already_revealed);
  EXPECT_EQ(w.appended, before);
}

TEST(Keys, R_KEY_02_rejects_revealing_keys_of_an_unpaid_or_refunded_order) {
  // covers R-KEY-02
  World w = given_action_pack();
  w.competency(kAcc, "silver");
  w.must(kAcc, alice(), PlaceOrder{"o-wire", "silver", PaymentMethod::wire, World::billing(), std::nullopt});
  w.must(kAcc, alice(), RefundOrder{"o1"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o-wire", kOffice, "en", "windows"}), order_not_paid);
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", kOffice, "en", "windows"}), order_not_paid);
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"nope", kOffice, "en", "windows"}), order_not_found);
  EXPECT_EQ(w.appended, before);
}

TEST(Keys, R_KEY_02_rejects_a_refund_once_keys_were_revealed) {
  // covers R-KEY-02 with R-ORD-06: the reveal counts as use.
  World w = given_action_pack();
  reveal(w, "o1", kOffice);  // not even redeemed or activated
  w.now = day(1);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RefundOrder{"o1"}), refund_benefits_used);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).orders.at("o1").status, OrderStatus::paid);
}

// ---------------------------------------------------------------------------
// R-KEY-03: redeeming adds seats or extends the end date; adding seats
// without extending yields less than 12 months.

TEST(Keys, R_KEY_03_allows_adding_seats_which_yields_less_than_12_months) {
  // covers R-KEY-03
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.must(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});  // 5 seats to day 365
  w.now = day(100);
  auto d = w.run(kAcc, alice(), RedeemKey{keys[1], RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  const SubscriptionChangedByKey changed = emitted<SubscriptionChangedByKey>(d).at(0);
  EXPECT_EQ(changed.seats, 10u);
  EXPECT_LT(changed.end, day(100 + 365));
  EXPECT_GT(changed.end, day(365));
  EXPECT_EQ(w.account(kAcc).subscriptions.at(kM365).seats, 10u);
}

TEST(Keys, R_KEY_03_allows_extending_the_end_date_without_adding_seats) {
  // covers R-KEY-03: a 5-seat key on 5 active seats extends by 12 months.
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.must(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});
  w.now = day(100);
  auto d = w.run(kAcc, alice(), RedeemKey{keys[1], RedemptionMode::extend_end_date});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<SubscriptionChangedByKey>(d).at(0),
            (SubscriptionChangedByKey{kM365, keys[1], RedemptionMode::extend_end_date, 5, day(730)}));
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0).active_seats_before, 5u);
  const KeySubscription& s = w.account(kAcc).subscriptions.at(kM365);
  EXPECT_EQ(s.seats, 5u);
  EXPECT_EQ(s.end, day(730));
}

TEST(Keys, R_KEY_03_rejects_using_one_key_both_to_add_seats_and_to_extend) {
  // covers R-KEY-03: redeeming chooses one; the key is then spent.
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.must(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});
  w.now = day(100);
  w.must(kAcc, alice(), RedeemKey{keys[1], RedemptionMode::add_seats});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RedeemKey{keys[1], RedemptionMode::extend_end_date}), key_already_redeemed);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.account(kAcc).subscriptions.at(kM365).seats, 10u);
}

// ---------------------------------------------------------------------------
// R-KEY-04: 12 months from redemption; adding C seats to A seats with B
// months left ends at (A*B + C*12) / (A+C) months; an extension of more than
// 3x the active seats (3 years) is rejected.

// A catalogue where the Microsoft 365 keys of Action Pack carry 1 seat, of
// Silver 3 seats, of Gold 4 seats; contoso (gold competency) bought all three
// at day 0: "o-ap", "o-silver", "o-gold".
World given_keys_of_1_3_and_4_seats() {
  World w;
  OfferCatalogue cat = default_offer_catalogue();
  cat.version = "test-seats-1-3-4";
  for (OfferSpec& o : cat.offers) {
    for (ProductSpec& p : o.products) {
      if (p.product != kM365) continue;
      p.seats_per_key = o.offer_id == "action_pack" ? 1 : o.offer_id == "silver" ? 3 : 4;
    }
  }
  w.must("", World::operator_(), ChangeOfferCatalogue{cat});
  w.enroll(kAcc, "alice");
  w.competency(kAcc, "gold");
  w.buy(kAcc, "alice", "action_pack", "o-ap");
  w.buy(kAcc, "alice", "silver", "o-silver");
  w.buy(kAcc, "alice", "gold", "o-gold");
  return w;
}

TEST(Keys, R_KEY_04_allows_12_months_from_redemption_for_a_new_subscription) {
  // covers R-KEY-04
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.now = plus_seconds(day(7), 3'600);
  auto d = w.run(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::extend_end_date});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0).active_seats_before, 0u);
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0).end, plus_seconds(day(7 + 365), 3'600));
  EXPECT_EQ(w.account(kAcc).subscriptions.at(kM365).seats, 5u);
}

TEST(Keys, R_KEY_04_allows_a_fresh_12_months_once_the_subscription_has_ended) {
  // covers R-KEY-04: an ended subscription has no active seats to average.
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.must(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});  // ends day 365
  w.now = day(400);
  auto d = w.run(kAcc, alice(), RedeemKey{keys[1], RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<SubscriptionChangedByKey>(d).at(0).seats, 5u);
  EXPECT_EQ(emitted<SubscriptionChangedByKey>(d).at(0).end, day(765));
}

TEST(Keys, R_KEY_04_allows_adding_seats_with_the_averaged_end_date) {
  // covers R-KEY-04: A=5 seats, B=265 days left, C=5:
  // (5*265 + 5*365) / 10 = 315 days from now.
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  w.must(kAcc, alice(), RedeemKey{keys[0], RedemptionMode::add_seats});
  w.now = day(100);
  auto d = w.run(kAcc, alice(), RedeemKey{keys[1], RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0),
            (KeyRedeemed{keys[1], kAcc, "alice", RedemptionMode::add_seats, 5, 5, day(415)}));
  EXPECT_EQ(w.account(kAcc).subscriptions.at(kM365).end, day(415));
}

TEST(Keys, R_KEY_04_allows_adding_seats_with_an_uneven_average_to_the_second) {
  // covers R-KEY-04: A=1 seat, B=264 days left, C=3 seats:
  // (1*264 + 3*365) / 4 = 339.75 days = 339 days 18 hours from now.
  World w = given_keys_of_1_3_and_4_seats();
  const auto ap = reveal(w, "o-ap", kM365);
  const auto silver = reveal(w, "o-silver", kM365);
  w.must(kAcc, alice(), RedeemKey{ap[0], RedemptionMode::add_seats});  // 1 seat to day 365
  w.now = day(101);
  auto d = w.run(kAcc, alice(), RedeemKey{silver[0], RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  const Instant expected = plus_seconds(day(101 + 339), 18 * 3'600);
  EXPECT_EQ(emitted<SubscriptionChangedByKey>(d).at(0),
            (SubscriptionChangedByKey{kM365, silver[0], RedemptionMode::add_seats, 4, expected}));
  // The same, in the code's units: seconds, with 12 months = 365 days.
  const int64_t now_s = day(101).micros_since_epoch / kMicrosPerSecond;
  const int64_t b = day(365).micros_since_epoch / kMicrosPerSecond - now_s;
  EXPECT_EQ(expected.micros_since_epoch / kMicrosPerSecond, now_s + (1 * b + 3 * kYearSeconds) / 4);
}

TEST(Keys, R_KEY_04_allows_an_extension_of_exactly_three_times_the_active_seats) {
  // covers R-KEY-04: a 3-seat key on 1 active seat extends by 3 years.
  World w = given_keys_of_1_3_and_4_seats();
  const auto ap = reveal(w, "o-ap", kM365);
  const auto silver = reveal(w, "o-silver", kM365);
  w.must(kAcc, alice(), RedeemKey{ap[0], RedemptionMode::add_seats});  // 1 seat to day 365
  w.now = day(50);
  auto d = w.run(kAcc, alice(), RedeemKey{silver[0], RedemptionMode::extend_end_date});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<SubscriptionChangedByKey>(d).at(0),
            (SubscriptionChangedByKey{kM365, silver[0], RedemptionMode::extend_end_date, 1, day(365 + 3 * 365)}));
}

TEST(Keys, R_KEY_04_rejects_an_extension_of_more_than_three_years) {
  // covers R-KEY-04: a 4-seat key on 1 active seat would extend by 4 years.
  World w = given_keys_of_1_3_and_4_seats();
  const auto ap = reveal(w, "o-ap", kM365);
  const auto gold = reveal(w, "o-gold", kM365);
  w.must(kAcc, alice(), RedeemKey{ap[0], RedemptionMode::add_seats});
  w.now = day(50);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RedeemKey{gold[0], RedemptionMode::extend_end_date}),
                  extension_exceeds_three_years);
  EXPECT_EQ(w.appended, before);
  EXPECT_FALSE(w.key(gold[0]).redeemed);
  EXPECT_EQ(w.account(kAcc).subscriptions.at(kM365).end, day(365));
  // The key is not spent: it can still add seats.
  EXPECT_ACCEPTED(w.run(kAcc, alice(), RedeemKey{gold[0], RedemptionMode::add_seats}));
  EXPECT_EQ(w.account(kAcc).subscriptions.at(kM365).seats, 5u);
}

// ---------------------------------------------------------------------------
// R-KEY-05: keys are 25 characters; one replacement, within 30 days of the
// original's activation.

TEST(Keys, R_KEY_05_allows_a_key_in_five_dashed_groups_and_any_case) {
  // covers R-KEY-05
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  auto d = w.run(kAcc, alice(), RedeemKey{lower(dashed(keys[0])), RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0).key_id, keys[0]);
  EXPECT_EQ(d.value()[0].stream, key_stream(keys[0]));
}

TEST(Keys, R_KEY_05_rejects_a_key_that_is_not_25_characters_in_the_written_form) {
  // covers R-KEY-05
  World w = given_action_pack();
  const auto keys = reveal(w, "o1", kM365);
  const std::string k = keys[0];
  const std::string d = dashed(k);
  const std::vector<std::string> bad = {
      "",
      k.substr(0, 24),                    // too short
      k + "B",                            // too long
      k.substr(0, 12) + " " + k.substr(12),  // a space
      k.substr(0, 24) + "_",              // not a letter or digit
      d.substr(0, 23),                    // a group missing
      k.substr(0, 4) + "-" + k.substr(4, 21) + "---",  // 29 characters, dashes misplaced
      k.substr(0, 10) + "-" + k.substr(10),           // a lone dash
      d + "-",                            // a trailing dash
  };
  const size_t before = w.appended;
  for (const auto& text : bad) {
    EXPECT_REJECTED(w.run(kAcc, alice(), RedeemKey{text, RedemptionMode::add_seats}), key_format_invalid);
    EXPECT_REJECTED(w.run(kAcc, alice(), RequestReplacementKey{text}), key_format_invalid);
    EXPECT_REJECTED(w.run(kAcc, World::service(), RecordKeyActivation{text}), key_format_invalid);
  }
  EXPECT_EQ(w.appended, before);
  EXPECT_FALSE(w.key(k).redeemed);
}

TEST(Keys, R_KEY_05_allows_one_replacement_within_30_days_of_first_activation) {
  // covers R-KEY-05
  World w = given_action_pack();
  const std::string key = reveal(w, "o1", kOffice).at(0);
  w.now = day(1);
  w.must(kAcc, World::service(), RecordKeyActivation{key});
  w.now = day(5);
  w.must(kAcc, World::service(), RecordKeyActivation{key});
  w.now = plus_micros(day(31), -1);  // the last instant within 30 days of day 1
  auto d = w.run(kAcc, alice(), RequestReplacementKey{dashed(key)});
  EXPECT_ACCEPTED(d);
  ASSERT_EQ(emitted<ReplacementKeyIssued>(d).size(), 1u);
  const std::string replacement = emitted<ReplacementKeyIssued>(d)[0].replacement_key_id;
  EXPECT_EQ(emitted<ReplacementKeyIssued>(d)[0].original_key_id, key);
  EXPECT_EQ(replacement.size(), 25u);
  EXPECT_NE(replacement, key);
  EXPECT_EQ(emitted<KeyIssued>(d).at(0),
            (KeyIssued{replacement, kAcc, "o1", kOffice, KeyKind::multiple_activation, 0, 8, key}));
  EXPECT_EQ(w.key(key).replaced_by_key_id, replacement);
  EXPECT_TRUE(w.key(replacement).issued);
  // The replacement works; the original no longer does.
  EXPECT_ACCEPTED(w.run(kAcc, World::service(), RecordKeyActivation{replacement}));
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordKeyActivation{key}), key_replaced);
}

TEST(Keys, R_KEY_05_rejects_a_second_replacement) {
  // covers R-KEY-05: neither the original nor its replacement is replaced again.
  World w = given_action_pack();
  const std::string key = reveal(w, "o1", kOffice).at(0);
  w.must(kAcc, World::service(), RecordKeyActivation{key});
  w.now = day(3);
  w.must(kAcc, alice(), RequestReplacementKey{key});
  const std::string replacement = w.key(key).replaced_by_key_id;
  w.must(kAcc, World::service(), RecordKeyActivation{replacement});
  w.now = day(4);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestReplacementKey{key}), replacement_already_issued);
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestReplacementKey{replacement}), replacement_already_issued);
  EXPECT_EQ(w.appended, before);
}

TEST(Keys, R_KEY_05_rejects_a_replacement_more_than_30_days_after_activation) {
  // covers R-KEY-05
  World w = given_action_pack();
  const std::string key = reveal(w, "o1", kOffice).at(0);
  w.now = day(1);
  w.must(kAcc, World::service(), RecordKeyActivation{key});
  w.now = day(20);
  w.must(kAcc, World::service(), RecordKeyActivation{key});  // later activations do not restart it
  w.now = day(31);  // first activation + 30 days: the period has ended
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestReplacementKey{key}), replacement_window_closed);
  EXPECT_EQ(w.appended, before);
  EXPECT_TRUE(w.key(key).replaced_by_key_id.empty());
}

TEST(Keys, R_KEY_05_rejects_a_replacement_of_a_key_never_activated) {
  // covers R-KEY-05
  World w = given_action_pack();
  const std::string key = reveal(w, "o1", kOffice).at(0);
  w.now = day(3);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestReplacementKey{key}), key_not_activated);
  EXPECT_EQ(w.appended, before);
}

TEST(Keys, R_KEY_05_rejects_a_replacement_of_a_subscription_key_or_another_accounts_key) {
  // covers R-KEY-05
  World w = given_action_pack();
  const std::string sub = reveal(w, "o1", kM365).at(0);
  const std::string mak = reveal(w, "o1", kOffice).at(0);
  w.must(kAcc, World::service(), RecordKeyActivation{mak});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RequestReplacementKey{sub}), key_not_multiple_activation);
  EXPECT_REJECTED(w.run(kOther, frank(), RequestReplacementKey{mak}), key_not_found);
  EXPECT_EQ(w.appended, before);
}

// ---------------------------------------------------------------------------
// R-KEY-06: multiple-activation keys have a fixed activation count.

TEST(Keys, R_KEY_06_allows_activations_up_to_the_count) {
  // covers R-KEY-06: Windows Server keys have 5 activations.
  World w = given_action_pack();
  const std::string key = reveal(w, "o1", kServer).at(0);
  for (uint32_t i = 1; i <= 5; ++i) {
    w.now = day(i);
    auto d = w.run(kAcc, World::service(), RecordKeyActivation{key});
    EXPECT_ACCEPTED(d);
    EXPECT_EQ(emitted<KeyActivationRecorded>(d).at(0), (KeyActivationRecorded{key, i, 5}));
    EXPECT_EQ(d.value()[0].stream, key_stream(key));
  }
  EXPECT_EQ(w.key(key).activations_used, 5u);
  EXPECT_EQ(w.key(key).first_activation_at, day(1));
}

TEST(Keys, R_KEY_06_rejects_an_activation_past_the_count) {
  // covers R-KEY-06
  World w = given_action_pack();
  const std::string key = reveal(w, "o1", kServer).at(0);
  for (int i = 0; i < 5; ++i) w.must(kAcc, World::service(), RecordKeyActivation{key});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordKeyActivation{key}), activations_exhausted);
  EXPECT_EQ(w.appended, before);
  EXPECT_EQ(w.key(key).activations_used, 5u);
}

TEST(Keys, R_KEY_06_allows_a_replacement_only_the_activations_left) {
  // covers R-KEY-06 with R-KEY-05: a replacement does not reset the count.
  World w = given_action_pack();
  const std::string key = reveal(w, "o1", kServer).at(0);
  for (int i = 0; i < 3; ++i) w.must(kAcc, World::service(), RecordKeyActivation{key});
  w.must(kAcc, alice(), RequestReplacementKey{key});
  const std::string replacement = w.key(key).replaced_by_key_id;
  EXPECT_EQ(w.key(replacement).issue.activations_max, 2u);
  EXPECT_ACCEPTED(w.run(kAcc, World::service(), RecordKeyActivation{replacement}));
  EXPECT_ACCEPTED(w.run(kAcc, World::service(), RecordKeyActivation{replacement}));
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordKeyActivation{replacement}), activations_exhausted);
}

TEST(Keys, R_KEY_06_rejects_activations_by_partner_users_and_of_subscription_keys) {
  // covers R-KEY-06: the service (the activation service) reports activations;
  // subscription keys are redeemed, multiple-activation keys are not.
  World w = given_action_pack();
  const std::string mak = reveal(w, "o1", kServer).at(0);
  const std::string sub = reveal(w, "o1", kM365).at(0);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RecordKeyActivation{mak}), actor_not_allowed);
  EXPECT_REJECTED(w.run(kAcc, World::service(), RecordKeyActivation{sub}), key_not_multiple_activation);
  EXPECT_REJECTED(w.run(kAcc, alice(), RedeemKey{mak, RedemptionMode::add_seats}), key_not_redeemable);
  EXPECT_REJECTED(w.run(kOther, World::service(), RecordKeyActivation{mak}), key_not_found);
  EXPECT_EQ(w.appended, before);
}

// ---------------------------------------------------------------------------
// R-KEY-07: revealing and redeeming keys: global_admin or mpn_partner_admin.

TEST(Keys, R_KEY_07_allows_an_mpn_partner_admin_to_reveal_redeem_and_replace) {
  // covers R-KEY-07
  World w = given_action_pack();
  w.add_user(kAcc, "alice", "pam", {Role::mpn_partner_admin});
  EXPECT_ACCEPTED(w.run(kAcc, as("pam"), RevealKeys{"o1", kM365, "en", "windows"}));
  EXPECT_ACCEPTED(w.run(kAcc, as("pam"), RevealKeys{"o1", kOffice, "en", "windows"}));
  const auto keys = revealed_keys(w, kAcc, "o1", kM365);
  auto d = w.run(kAcc, as("pam"), RedeemKey{keys.at(0), RedemptionMode::add_seats});
  EXPECT_ACCEPTED(d);
  EXPECT_EQ(emitted<KeyRedeemed>(d).at(0).user_id, "pam");
  const std::string mak = revealed_keys(w, kAcc, "o1", kOffice).at(0);
  w.must(kAcc, World::service(), RecordKeyActivation{mak});
  EXPECT_ACCEPTED(w.run(kAcc, as("pam"), RequestReplacementKey{mak}));
}

TEST(Keys, R_KEY_07_allows_a_global_admin_to_reveal_and_redeem) {
  // covers R-KEY-07
  World w = given_action_pack();
  EXPECT_ACCEPTED(w.run(kAcc, alice(), RevealKeys{"o1", kM365, "en", "windows"}));
  const auto keys = revealed_keys(w, kAcc, "o1", kM365);
  EXPECT_ACCEPTED(w.run(kAcc, alice(), RedeemKey{keys.at(0), RedemptionMode::add_seats}));
}

TEST(Keys, R_KEY_07_rejects_other_roles_handling_keys) {
  // covers R-KEY-07
  for (Role role : {Role::account_admin, Role::user_management_admin, Role::admin_agent,
                    Role::incentives_admin, Role::referrals_admin, Role::business_profile_admin}) {
    World w = given_action_pack();
    const std::string mak = reveal(w, "o1", kOffice).at(0);
    const std::string sub = reveal(w, "o1", kM365).at(0);
    w.must(kAcc, World::service(), RecordKeyActivation{mak});
    w.add_user(kAcc, "alice", "eve", {role});
    const size_t before = w.appended;
    EXPECT_REJECTED(w.run(kAcc, as("eve"), RevealKeys{"o1", kServer, "en", "windows"}), role_cannot_handle_keys);
    EXPECT_REJECTED(w.run(kAcc, as("eve"), RedeemKey{sub, RedemptionMode::add_seats}), role_cannot_handle_keys);
    EXPECT_REJECTED(w.run(kAcc, as("eve"), RequestReplacementKey{mak}), role_cannot_handle_keys);
    EXPECT_EQ(w.appended, before) << role_name(role);
    EXPECT_FALSE(w.key(sub).redeemed);
  }
}

TEST(Keys, R_KEY_07_rejects_system_actors_revealing_or_redeeming) {
  // covers R-KEY-07
  World w = given_action_pack();
  const std::string sub = reveal(w, "o1", kM365).at(0);
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, World::service(), RevealKeys{"o1", kOffice, "en", "windows"}), actor_not_allowed);
  EXPECT_REJECTED(w.run(kAcc, World::operator_(), RedeemKey{sub, RedemptionMode::add_seats}), actor_not_allowed);
  EXPECT_EQ(w.appended, before);
}

TEST(Keys, R_KEY_02_rejects_revealing_keys_of_a_lapsed_membership) {
  World w;
  w.enroll(kAcc, "alice");
  w.buy(kAcc, "alice", "action_pack", "o1");
  const Instant anniversary = w.account(kAcc).memberships.at("action_pack").anniversary;
  w.now = plus_days(anniversary, 31);
  w.must(kAcc, World::service(), LapseMembership{"action_pack"});
  const size_t before = w.appended;
  EXPECT_REJECTED(w.run(kAcc, alice(), RevealKeys{"o1", kOffice, "en", "windows"}), membership_not_active);
  EXPECT_EQ(w.appended, before);
}

}  // namespace
}  // namespace mledger::testing
