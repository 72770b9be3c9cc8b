#include "projections/keys.h"

#include <type_traits>

namespace mledger::projections {

namespace {

struct Fold {
  AccountKeys& doc;
  const std::string& account_id;
  const RecordedEvent& e;

  void operator()(const KeyIssued& x) {
    if (x.account_id != account_id) return;
    KeyRecord& k = doc.issued[x.key_id];
    k.key_id = x.key_id;
    k.order_id = x.order_id;
    k.product = x.product;
    k.kind = x.kind;
    k.seats = x.seats;
    k.activations_max = x.activations_max;
    k.replaces_key_id = x.replaces_key_id;
    k.issued_at = e.metadata.occurred_at;
  }
  void operator()(const KeysRevealed& x) {
    // Recorded just before the keys' own KeyIssued events.
    for (const std::string& id : x.key_ids) {
      KeyRecord& k = doc.issued[id];
      k.key_id = id;
      k.order_id = x.order_id;
      k.product = x.product;
      k.language = x.language;
      k.operating_system = x.operating_system;
      k.issued_at = e.metadata.occurred_at;
    }
  }
  void operator()(const KeyRedeemed& x) {
    const KeyRedemption r{x.account_id, x.user_id, e.metadata.occurred_at, x.mode, x.seats, x.end};
    std::string issued_to;
    if (auto it = doc.issued.find(x.key_id); it != doc.issued.end()) {
      it->second.redemption = r;
      issued_to = account_id;
    } else {
      // Issued to the other account the event concerns.
      for (const std::string& a : e.account_ids) {
        if (a != x.account_id) issued_to = a;
      }
    }
    if (x.account_id == account_id) {
      doc.redeemed[x.key_id] = RedeemedKey{x.key_id, issued_to.empty() ? account_id : issued_to, r};
    }
  }
  void operator()(const ReplacementKeyIssued& x) {
    auto it = doc.issued.find(x.original_key_id);
    if (it == doc.issued.end()) return;
    it->second.replaced_by_key_id = x.replacement_key_id;
    it->second.replaced_at = e.metadata.occurred_at;
  }
  void operator()(const KeyActivationRecorded& x) {
    auto it = doc.issued.find(x.key_id);
    if (it != doc.issued.end()) it->second.activations_used = x.activations_used;
  }
  template <class Other>
  void operator()(const Other&) {}
};

template <class E>
constexpr bool is_key_event =
    std::is_same_v<E, KeyIssued> || std::is_same_v<E, KeysRevealed> ||
    std::is_same_v<E, KeyRedeemed> || std::is_same_v<E, ReplacementKeyIssued> ||
    std::is_same_v<E, KeyActivationRecorded>;

}  // namespace

void KeysProjection::documents_of(const RecordedEvent& e, std::vector<std::string>& ids) {
  const bool folded = std::visit(
      [](const auto& p) { return is_key_event<std::decay_t<decltype(p)>>; }, e.payload);
  if (!folded) return;
  if (std::holds_alternative<KeysRevealed>(e.payload)) {
    if (std::string_view a = account_of_stream(e); !a.empty()) ids.emplace_back(a);
    return;
  }
  ids.insert(ids.end(), e.account_ids.begin(), e.account_ids.end());
}

void KeysProjection::touched(const Doc&, const std::string&, const RecordedEvent& e, Touched& out) {
  auto key = [&](const std::string& id) {
    out.entities.push_back({"issued", id});
    out.entities.push_back({"redeemed", id});
  };
  if (const auto* x = std::get_if<KeyIssued>(&e.payload)) key(x->key_id);
  if (const auto* x = std::get_if<KeysRevealed>(&e.payload)) {
    for (const auto& id : x->key_ids) key(id);
  }
  if (const auto* x = std::get_if<KeyRedeemed>(&e.payload)) key(x->key_id);
  if (const auto* x = std::get_if<ReplacementKeyIssued>(&e.payload)) key(x->original_key_id);
  if (const auto* x = std::get_if<KeyActivationRecorded>(&e.payload)) key(x->key_id);
}

void KeysProjection::apply(Doc& doc, const std::string& account_id, const RecordedEvent& e) {
  std::visit(Fold{doc, account_id, e}, e.payload);
}

}  // namespace mledger::projections
