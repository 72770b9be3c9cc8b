// The "keys" projection: given the events the key deciders record (the reveal
// on the account's stream, then each key's KeyIssued on its own stream;
// redemptions concerning the redeemer and the revealing account), then the
// keys issued to an account and the keys it redeemed.
// covers R-KEY-01, R-KEY-02, R-KEY-03, R-KEY-05, R-KEY-06

#include <gtest/gtest.h>

#include "projections/keys.h"
#include "tests/projections/recorded.h"

namespace mledger::projections {
namespace {

using testing::day;
using testing::documents_of;
using testing::fold;
using testing::on_account;
using testing::recorded;

const std::string kContoso = "contoso";
const std::string kFabrikam = "fabrikam";
// Keys are 25 characters of the key alphabet (R-KEY-05).
const std::string kM365a = "QRTVWXY2346789BCDFGHJKMPQ";
const std::string kM365b = "BCDFGHJKMPQRTVWXY23467892";
const std::string kOffice = "HJKMP2346QRTVW789BCDFGXY7";
const std::string kOfficeReplacement = "XY234TVWQR6789BCDFGHJKMP2";
const std::string kFabrikamKey = "VWXY2346789BCDFGHJKMPQRT3";

// RevealKeys of two Microsoft 365 subscription keys (5 seats each) for an
// Action Pack order: KeysRevealed on the account stream, then KeyIssued on
// each key's stream.
std::vector<RecordedEvent> reveal_m365(uint64_t seq, Instant at) {
  return {
      on_account(seq, kContoso,
                 KeysRevealed{"o-1001", "microsoft_365_business", "de", "windows", {kM365a, kM365b}}, at),
      recorded(seq + 1, key_stream(kM365a), {kContoso},
               KeyIssued{kM365a, kContoso, "o-1001", "microsoft_365_business", KeyKind::subscription, 5, 0, ""},
               at),
      recorded(seq + 2, key_stream(kM365b), {kContoso},
               KeyIssued{kM365b, kContoso, "o-1001", "microsoft_365_business", KeyKind::subscription, 5, 0, ""},
               at),
  };
}

std::vector<RecordedEvent> reveal_office(uint64_t seq, Instant at) {
  return {
      on_account(seq, kContoso, KeysRevealed{"o-1001", "office_professional_plus", "hu", "macos", {kOffice}},
                 at),
      recorded(seq + 1, key_stream(kOffice), {kContoso},
               KeyIssued{kOffice, kContoso, "o-1001", "office_professional_plus",
                         KeyKind::multiple_activation, 0, 10, ""},
               at),
  };
}

std::vector<RecordedEvent> concat(std::vector<RecordedEvent> a, const std::vector<RecordedEvent>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(KeysProjection, key_ids_are_25_characters) {
  for (const std::string& k : {kM365a, kM365b, kOffice, kOfficeReplacement, kFabrikamKey}) {
    EXPECT_EQ(k.size(), 25u) << k;
  }
}

TEST(KeysProjection, R_KEY_02_reveal_fills_language_os_product_and_seats) {
  const Instant t = day(2026, 3, 3, 10);
  const std::vector<RecordedEvent> log = reveal_m365(10, t);
  EXPECT_EQ(documents_of<KeysProjection>(log[0]), std::vector<std::string>{kContoso});
  EXPECT_EQ(documents_of<KeysProjection>(log[1]), std::vector<std::string>{kContoso});

  const AccountKeys doc = fold<KeysProjection>(kContoso, log);
  ASSERT_EQ(doc.issued.size(), 2u);
  EXPECT_TRUE(doc.redeemed.empty());
  for (const std::string& id : {kM365a, kM365b}) {
    const KeyRecord& k = doc.issued.at(id);
    EXPECT_EQ(k.key_id, id);
    EXPECT_EQ(k.order_id, "o-1001");
    EXPECT_EQ(k.product, "microsoft_365_business");
    EXPECT_EQ(k.kind, KeyKind::subscription);
    EXPECT_EQ(k.seats, 5u);
    EXPECT_EQ(k.activations_max, 0u);
    EXPECT_EQ(k.language, "de");
    EXPECT_EQ(k.operating_system, "windows");
    EXPECT_EQ(k.issued_at, t);
    EXPECT_EQ(k.replaces_key_id, "");
    EXPECT_FALSE(k.redemption.has_value());
  }
}

TEST(KeysProjection, R_KEY_01_redeemed_by_the_revealing_account) {
  const Instant revealed_at = day(2026, 3, 3, 10);
  const Instant redeemed_at = day(2026, 3, 4, 15);
  const Instant end = plus_days(redeemed_at, 365);
  const std::vector<RecordedEvent> log = concat(
      reveal_m365(10, revealed_at),
      {
          recorded(13, key_stream(kM365a), {kContoso},
                   KeyRedeemed{kM365a, kContoso, "u-olga", RedemptionMode::add_seats, 5, 0, end}, redeemed_at),
          on_account(14, kContoso,
                     SubscriptionChangedByKey{"microsoft_365_business", kM365a, RedemptionMode::add_seats, 5, end},
                     redeemed_at),
      });
  EXPECT_EQ(documents_of<KeysProjection>(log[3]), std::vector<std::string>{kContoso});
  EXPECT_TRUE(documents_of<KeysProjection>(log[4]).empty());  // the subscription is the account's

  const AccountKeys doc = fold<KeysProjection>(kContoso, log);
  const KeyRedemption expected{kContoso, "u-olga", redeemed_at, RedemptionMode::add_seats, 5, end};
  EXPECT_EQ(doc.issued.at(kM365a).redemption, expected);
  EXPECT_FALSE(doc.issued.at(kM365b).redemption.has_value());
  ASSERT_EQ(doc.redeemed.size(), 1u);
  EXPECT_EQ(doc.redeemed.at(kM365a), (RedeemedKey{kM365a, kContoso, expected}));
}

TEST(KeysProjection, R_KEY_01_redeemed_by_another_account_shows_in_both_documents) {
  const Instant revealed_at = day(2026, 3, 3, 10);
  const Instant redeemed_at = day(2026, 3, 9, 8);
  const Instant end = day(2027, 9, 1);
  // Fabrikam redeems a key Contoso revealed, extending its own subscription.
  const RecordedEvent redeemed =
      recorded(13, key_stream(kM365b), {kFabrikam, kContoso},
               KeyRedeemed{kM365b, kFabrikam, "u-jan", RedemptionMode::extend_end_date, 5, 10, end}, redeemed_at);
  const std::vector<RecordedEvent> log = concat(
      reveal_m365(10, revealed_at),
      {redeemed,
       on_account(14, kFabrikam,
                  SubscriptionChangedByKey{"microsoft_365_business", kM365b, RedemptionMode::extend_end_date, 10,
                                           end},
                  redeemed_at)});
  EXPECT_EQ(documents_of<KeysProjection>(redeemed), (std::vector<std::string>{kFabrikam, kContoso}));

  const KeyRedemption expected{kFabrikam, "u-jan", redeemed_at, RedemptionMode::extend_end_date, 5, end};
  const AccountKeys contoso = fold<KeysProjection>(kContoso, log);
  EXPECT_EQ(contoso.issued.at(kM365b).redemption, expected);
  EXPECT_FALSE(contoso.issued.at(kM365a).redemption.has_value());
  EXPECT_TRUE(contoso.redeemed.empty());  // Contoso redeemed nothing

  const AccountKeys fabrikam = fold<KeysProjection>(kFabrikam, log);
  EXPECT_TRUE(fabrikam.issued.empty());  // nothing was issued to Fabrikam
  ASSERT_EQ(fabrikam.redeemed.size(), 1u);
  EXPECT_EQ(fabrikam.redeemed.at(kM365b), (RedeemedKey{kM365b, kContoso, expected}));
}

TEST(KeysProjection, R_KEY_06_activations_of_a_multiple_activation_key_are_counted) {
  const Instant t = day(2026, 3, 3, 10);
  std::vector<RecordedEvent> log = reveal_office(20, t);
  for (uint32_t used = 1; used <= 3; ++used) {
    log.push_back(recorded(21 + used, key_stream(kOffice), {kContoso},
                           KeyActivationRecorded{kOffice, used, 10}, plus_days(t, used)));
  }
  EXPECT_EQ(documents_of<KeysProjection>(log.back()), std::vector<std::string>{kContoso});

  const AccountKeys doc = fold<KeysProjection>(kContoso, log);
  const KeyRecord& k = doc.issued.at(kOffice);
  EXPECT_EQ(k.kind, KeyKind::multiple_activation);
  EXPECT_EQ(k.product, "office_professional_plus");
  EXPECT_EQ(k.language, "hu");
  EXPECT_EQ(k.operating_system, "macos");
  EXPECT_EQ(k.seats, 0u);
  EXPECT_EQ(k.activations_max, 10u);
  EXPECT_EQ(k.activations_used, 3u);
  EXPECT_FALSE(k.redemption.has_value());
}

TEST(KeysProjection, R_KEY_05_replacement_links_the_original_and_the_new_key) {
  const Instant t = day(2026, 3, 3, 10);
  const Instant activated_at = day(2026, 3, 5, 9);
  const Instant replaced_at = day(2026, 3, 20, 12);
  const std::vector<RecordedEvent> log = concat(
      reveal_office(20, t),
      {
          recorded(22, key_stream(kOffice), {kContoso}, KeyActivationRecorded{kOffice, 1, 10}, activated_at),
          recorded(23, key_stream(kOffice), {kContoso}, ReplacementKeyIssued{kOffice, kOfficeReplacement},
                   replaced_at),
          recorded(24, key_stream(kOfficeReplacement), {kContoso},
                   KeyIssued{kOfficeReplacement, kContoso, "o-1001", "office_professional_plus",
                             KeyKind::multiple_activation, 0, 9, kOffice},
                   replaced_at),
      });
  const AccountKeys doc = fold<KeysProjection>(kContoso, log);

  ASSERT_EQ(doc.issued.size(), 2u);
  const KeyRecord& original = doc.issued.at(kOffice);
  EXPECT_EQ(original.replaced_by_key_id, kOfficeReplacement);
  EXPECT_EQ(original.replaced_at, replaced_at);
  EXPECT_EQ(original.activations_used, 1u);
  EXPECT_EQ(original.issued_at, t);
  const KeyRecord& replacement = doc.issued.at(kOfficeReplacement);
  EXPECT_EQ(replacement.replaces_key_id, kOffice);
  EXPECT_EQ(replacement.replaced_by_key_id, "");
  EXPECT_FALSE(replacement.replaced_at.has_value());
  EXPECT_EQ(replacement.order_id, "o-1001");
  EXPECT_EQ(replacement.product, "office_professional_plus");
  EXPECT_EQ(replacement.activations_max, 9u);
  EXPECT_EQ(replacement.activations_used, 0u);
  EXPECT_EQ(replacement.issued_at, replaced_at);
  EXPECT_EQ(replacement.language, "");  // a replacement is not revealed
}

TEST(KeysProjection, keys_of_other_accounts_and_other_events_are_ignored) {
  const Instant t = day(2026, 3, 3, 10);
  const std::vector<RecordedEvent> log = concat(
      reveal_m365(10, t),
      {
          on_account(13, kFabrikam,
                     KeysRevealed{"o-77", "windows_server_standard", "en", "windows", {kFabrikamKey}}, t),
          recorded(14, key_stream(kFabrikamKey), {kFabrikam},
                   KeyIssued{kFabrikamKey, kFabrikam, "o-77", "windows_server_standard",
                             KeyKind::multiple_activation, 0, 5, ""},
                   t),
          recorded(15, key_stream(kFabrikamKey), {kFabrikam}, KeyActivationRecorded{kFabrikamKey, 1, 5}, t),
          on_account(16, kContoso, OrderRefunded{"o-1001", Money{47'500, "USD"}}, t),
      });
  EXPECT_EQ(documents_of<KeysProjection>(log[3]), std::vector<std::string>{kFabrikam});
  EXPECT_TRUE(documents_of<KeysProjection>(log[6]).empty());

  const AccountKeys contoso = fold<KeysProjection>(kContoso, log);
  EXPECT_EQ(contoso, fold<KeysProjection>(kContoso, reveal_m365(10, t)));
  const AccountKeys fabrikam = fold<KeysProjection>(kFabrikam, log);
  ASSERT_EQ(fabrikam.issued.size(), 1u);
  EXPECT_EQ(fabrikam.issued.at(kFabrikamKey).activations_used, 1u);
  EXPECT_EQ(fabrikam.issued.at(kFabrikamKey).activations_max, 5u);

  // A KeyIssued folded into another account's document (as an engine given
  // wrong ids would) adds nothing: the key names whom it was issued to.
  AccountKeys other;
  KeysProjection::apply(other, kContoso, log[4]);
  EXPECT_TRUE(other.issued.empty());
}

}  // namespace
}  // namespace mledger::projections
