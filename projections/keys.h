#pragma once
// Projection "keys": the software keys issued to an account (revealed for
// its orders, or issued as replacements), with redemption (by which account
// and user, when), replacement and activations (R-KEY-*); and the keys the
// account redeemed, whoever revealed them.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "projections/entities.h"
#include "projections/projection.h"

namespace mledger::projections {

struct KeyRedemption {
  std::string account_id;  // the redeeming account
  std::string user_id;
  Instant at;
  RedemptionMode mode = RedemptionMode::add_seats;
  uint32_t seats = 0;
  Instant subscription_end;  // the subscription's end after redemption
  MLEDGER_FIELDS(account_id, user_id, at, mode, seats, subscription_end)
  friend bool operator==(const KeyRedemption&, const KeyRedemption&) = default;
};

struct KeyRecord {
  std::string key_id;
  std::string order_id;
  std::string product;
  KeyKind kind = KeyKind::subscription;
  uint32_t seats = 0;            // subscription keys
  uint32_t activations_max = 0;  // multiple-activation keys
  uint32_t activations_used = 0;
  Instant issued_at;
  std::string language;  // as revealed (empty for a replacement)
  std::string operating_system;
  std::string replaces_key_id;
  std::string replaced_by_key_id;
  std::optional<Instant> replaced_at;
  std::optional<KeyRedemption> redemption;
  MLEDGER_FIELDS(key_id, order_id, product, kind, seats, activations_max, activations_used,
                 issued_at, language, operating_system, replaces_key_id, replaced_by_key_id,
                 replaced_at, redemption)
  friend bool operator==(const KeyRecord&, const KeyRecord&) = default;
};

// A key this account redeemed (issued to `issued_to_account_id`).
struct RedeemedKey {
  std::string key_id;
  std::string issued_to_account_id;
  KeyRedemption redemption;
  MLEDGER_FIELDS(key_id, issued_to_account_id, redemption)
  friend bool operator==(const RedeemedKey&, const RedeemedKey&) = default;
};

struct AccountKeys {
  std::map<std::string, KeyRecord> issued;      // by key id
  std::map<std::string, RedeemedKey> redeemed;  // by key id
  MLEDGER_FIELDS(issued, redeemed)
  friend bool operator==(const AccountKeys&, const AccountKeys&) = default;
};

struct KeysProjection {
  using Doc = AccountKeys;
  static constexpr std::string_view kName = "keys";
  static constexpr uint32_t kVersion = 2;  // 2: a document per key, binary (issue 13)
  static constexpr std::array<std::string_view, 2> kEntityKinds = {"issued", "redeemed"};
  static void documents_of(const RecordedEvent& e, std::vector<std::string>& ids);
  static void apply(Doc& doc, const std::string& account_id, const RecordedEvent& e);
  // The keys the event names, issued and redeemed.
  static void touched(const Doc& before, const std::string& account_id, const RecordedEvent& e,
                      Touched& out);
};

}  // namespace mledger::projections
