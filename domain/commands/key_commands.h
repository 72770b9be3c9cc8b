#pragma once
// Commands of software keys (R-KEY-*). A key is written as 25 characters,
// with or without dashes every 5.

#include <string>
#include <string_view>

#include "domain/core/fields.h"
#include "domain/events/key_events.h"

namespace mledger {

// R-KEY-02: "get keys" for one product of a paid order.
struct RevealKeys {
  static constexpr std::string_view kName = "reveal_keys";
  std::string order_id;
  std::string product;
  std::string language;
  std::string operating_system;
  MLEDGER_FIELDS(order_id, product, language, operating_system)
};

// R-KEY-01, R-KEY-03, R-KEY-04.
struct RedeemKey {
  static constexpr std::string_view kName = "redeem_key";
  std::string key;
  RedemptionMode mode = RedemptionMode::add_seats;
  MLEDGER_FIELDS(key, mode)
};

// R-KEY-05.
struct RequestReplacementKey {
  static constexpr std::string_view kName = "request_replacement_key";
  std::string key;
  MLEDGER_FIELDS(key)
};

// R-KEY-06 (service: the activation service reports each activation).
struct RecordKeyActivation {
  static constexpr std::string_view kName = "record_key_activation";
  std::string key;
  MLEDGER_FIELDS(key)
};

}  // namespace mledger
