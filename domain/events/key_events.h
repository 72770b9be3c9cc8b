#pragma once
// Events of software keys. A key's own stream ("key-<key>") holds its issue,
// redemption, replacement and activations, so "redeemed once ever" (R-KEY-01)
// holds under concurrency; the revealing and redeeming accounts' streams hold
// what the keys did to them.

#include <string>
#include <string_view>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/time.h"

namespace mledger {

MLEDGER_ENUM(RedemptionMode, add_seats, extend_end_date)
MLEDGER_ENUM(KeyKind, subscription, multiple_activation)

// R-KEY-02 (account stream): "get keys" for a product of an order.
struct KeysRevealed {
  static constexpr std::string_view kName = "KeysRevealed";
  std::string order_id;
  std::string product;
  std::string language;
  std::string operating_system;
  std::vector<std::string> key_ids;
  MLEDGER_FIELDS(order_id, product, language, operating_system, key_ids)
  friend bool operator==(const KeysRevealed&, const KeysRevealed&) = default;
};

// R-KEY-01 (key stream): the key, redeemed by an account; the subscription's
// seats and end after redemption.
struct KeyRedeemed {
  static constexpr std::string_view kName = "KeyRedeemed";
  std::string key_id;  // 25 characters
  std::string account_id;
  std::string user_id;
  RedemptionMode mode = RedemptionMode::add_seats;
  uint32_t seats = 0;  // the key's seats
  uint32_t active_seats_before = 0;
  Instant end;
  MLEDGER_FIELDS(key_id, account_id, user_id, mode, seats, active_seats_before, end)
  friend bool operator==(const KeyRedeemed&, const KeyRedeemed&) = default;
};

// R-KEY-05 (key stream of the original).
struct ReplacementKeyIssued {
  static constexpr std::string_view kName = "ReplacementKeyIssued";
  std::string original_key_id;
  std::string replacement_key_id;
  MLEDGER_FIELDS(original_key_id, replacement_key_id)
  friend bool operator==(const ReplacementKeyIssued&, const ReplacementKeyIssued&) = default;
};

// R-KEY-06 (key stream).
struct KeyActivationRecorded {
  static constexpr std::string_view kName = "KeyActivationRecorded";
  std::string key_id;
  uint32_t activations_used = 0;  // after this activation
  uint32_t activations_max = 0;
  MLEDGER_FIELDS(key_id, activations_used, activations_max)
  friend bool operator==(const KeyActivationRecorded&, const KeyActivationRecorded&) = default;
};

// R-KEY-02, R-KEY-05 (key stream, first event): the key exists, for whom.
struct KeyIssued {
  static constexpr std::string_view kName = "KeyIssued";
  std::string key_id;
  std::string account_id;  // the account that revealed it
  std::string order_id;
  std::string product;
  KeyKind kind = KeyKind::subscription;
  uint32_t seats = 0;            // subscription keys
  uint32_t activations_max = 0;  // multiple-activation keys
  std::string replaces_key_id;   // set for a replacement key
  MLEDGER_FIELDS(key_id, account_id, order_id, product, kind, seats, activations_max,
                 replaces_key_id)
  friend bool operator==(const KeyIssued&, const KeyIssued&) = default;
};

// R-KEY-03/04 (account stream of the redeeming account): the subscription a
// key changed.
struct SubscriptionChangedByKey {
  static constexpr std::string_view kName = "SubscriptionChangedByKey";
  std::string product;
  std::string key_id;
  RedemptionMode mode = RedemptionMode::add_seats;
  uint32_t seats = 0;  // active seats after
  Instant end;         // end after
  MLEDGER_FIELDS(product, key_id, mode, seats, end)
  friend bool operator==(const SubscriptionChangedByKey&, const SubscriptionChangedByKey&) = default;
};

}  // namespace mledger
