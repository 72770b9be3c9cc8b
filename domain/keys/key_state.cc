#include "domain/keys/key_state.h"

namespace mledger {

void apply(KeyState& s, const EventPayload& event, Instant at) {
  if (const auto* e = std::get_if<KeyIssued>(&event)) {
    s.issued = true;
    s.issue = *e;
  } else if (const auto* r = std::get_if<KeyRedeemed>(&event)) {
    s.redeemed = true;
    s.redeemed_by_account_id = r->account_id;
    s.redeemed_at = at;
  } else if (const auto* p = std::get_if<ReplacementKeyIssued>(&event)) {
    s.replaced_by_key_id = p->replacement_key_id;
  } else if (const auto* a = std::get_if<KeyActivationRecorded>(&event)) {
    s.activations_used = a->activations_used;
    if (!s.first_activation_at) s.first_activation_at = at;
  }
}

}  // namespace mledger
