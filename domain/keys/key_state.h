#pragma once
// A software key as its deciders see it: a fold of its stream ("key-<key>").

#include <optional>
#include <string>

#include "domain/events/event.h"

namespace mledger {

struct KeyState {
  bool issued = false;
  KeyIssued issue;  // what the key is and who revealed it
  bool redeemed = false;
  std::string redeemed_by_account_id;
  Instant redeemed_at;
  std::string replaced_by_key_id;  // R-KEY-05: set once replaced
  uint32_t activations_used = 0;
  std::optional<Instant> first_activation_at;
  friend bool operator==(const KeyState&, const KeyState&) = default;
};

void apply(KeyState& state, const EventPayload& event, Instant at);

}  // namespace mledger
