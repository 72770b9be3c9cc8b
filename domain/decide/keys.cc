// Deciders of software keys (R-KEY-*).

#include <algorithm>
#include <cctype>

#include "domain/account/periods.h"
#include "domain/decide/decide_support.h"

namespace mledger::decide_detail {

namespace {

constexpr int64_t kKeyYearDays = 365;       // R-KEY-04: a key gives 12 months
constexpr size_t kKeyLength = 25;           // R-KEY-05
constexpr std::string_view kKeyAlphabet = "BCDFGHJKMPQRTVWXY2346789";

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t fnv1a(std::string_view s, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A new key, derived from the command (ids are inputs, never random in the
// domain): the same command always yields the same keys.
std::string derive_key(const Ctx& c, uint64_t index) {
  const std::string seed = c.cmd.command_id + "|" + c.cmd.account_id;
  uint64_t a = mix(fnv1a(seed, index * 2 + 1)), b = mix(fnv1a(seed, index * 2 + 2) ^ a);
  std::string key;
  for (size_t i = 0; i < kKeyLength; ++i) {
    uint64_t& word = i < 12 ? a : b;
    key.push_back(kKeyAlphabet[word % kKeyAlphabet.size()]);
    word /= kKeyAlphabet.size();
  }
  return key;
}

// A key not issued before (the derivation makes a collision all but
// impossible; the stream read makes it impossible).
std::string fresh_key(Ctx& c, uint64_t& next_index) {
  for (;;) {
    std::string key = derive_key(c, next_index++);
    if (!c.agg.key(key).issued) return key;
  }
}

// "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX" or 25 characters without dashes.
std::optional<std::string> normalize_key(std::string_view text) {
  const bool grouped = text.size() == kKeyLength + 4;  // a dash after each group but the last
  if (!grouped && text.size() != kKeyLength) return std::nullopt;
  std::string key;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (grouped && i % 6 == 5) {
      if (ch != '-') return std::nullopt;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(ch))) return std::nullopt;
    key.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  return key;
}

Verdict bad_key() {
  return reject(RejectionCode::key_format_invalid,
                "a key is 25 letters and digits, optionally in five groups of five with dashes; "
                "a key cannot be split");
}

}  // namespace

Verdict on(const RevealKeys& cmd, Ctx& c) {
  const Order* o = c.account.find_order(cmd.order_id);
  if (o == nullptr) {
    return reject(RejectionCode::order_not_found, "order " + cmd.order_id.substr(0, 64) + " does not exist");
  }
  if (o->status != OrderStatus::paid) {
    return reject(RejectionCode::order_not_paid, "keys are revealed for paid orders only");
  }
  if (auto m = c.account.memberships.find(o->offer_id);
      m == c.account.memberships.end() || !m->second.live()) {
    return reject(RejectionCode::membership_not_active,
                  "the " + o->offer_id + " membership has lapsed or ended; its keys are no longer revealed");
  }
  const OfferSpec* offer = c.agg.catalogue().find_offer(o->offer_id);
  const ProductSpec* product = nullptr;
  if (offer != nullptr) {
    for (const auto& p : offer->products) {
      if (p.product == cmd.product) product = &p;
    }
  }
  if (product == nullptr) {
    return reject(RejectionCode::product_not_in_offer,
                  "product '" + cmd.product.substr(0, 64) + "' is not part of " + o->offer_id);
  }
  auto offered = [](const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  if (!offered(product->languages, cmd.language)) {
    return reject(RejectionCode::language_not_offered,
                  "language '" + cmd.language.substr(0, 16) + "' is not offered for " + cmd.product);
  }
  if (!offered(product->operating_systems, cmd.operating_system)) {
    return reject(RejectionCode::operating_system_not_offered,
                  "operating system '" + cmd.operating_system.substr(0, 32) + "' is not offered for " +
                      cmd.product);
  }
  if (o->revealed_products.contains(cmd.product)) {
    return reject(RejectionCode::keys_already_revealed,
                  "keys of " + cmd.product + " for order " + cmd.order_id + " were already revealed");
  }
  KeysRevealed revealed{cmd.order_id, cmd.product, cmd.language, cmd.operating_system, {}};
  std::vector<KeyIssued> issued;
  uint64_t index = 0;
  for (uint32_t i = 0; i < product->keys; ++i) {
    std::string key = fresh_key(c, index);
    revealed.key_ids.push_back(key);
    issued.push_back(KeyIssued{key, c.cmd.account_id, cmd.order_id, cmd.product, product->kind,
                               product->kind == KeyKind::subscription ? product->seats_per_key : 0,
                               product->kind == KeyKind::multiple_activation ? product->activations_max : 0,
                               ""});
  }
  c.to_account(std::move(revealed));
  for (auto& k : issued) {
    std::string stream = key_stream(k.key_id);
    c.to(std::move(stream), {c.cmd.account_id}, std::move(k));
  }
  return std::nullopt;
}

Verdict on(const RedeemKey& cmd, Ctx& c) {
  auto key = normalize_key(cmd.key);
  if (!key) return bad_key();
  const KeyState& k = c.agg.key(*key);
  if (!k.issued) return reject(RejectionCode::key_not_found, "no such key was ever issued");
  if (k.issue.kind != KeyKind::subscription) {
    return reject(RejectionCode::key_not_redeemable,
                  "a multiple-activation key is activated on machines, not redeemed");
  }
  if (k.redeemed) {
    return reject(RejectionCode::key_already_redeemed,
                  "this key was already redeemed; a key is redeemed once, ever");
  }
  const uint32_t seats_added = k.issue.seats;
  uint32_t active = 0;
  Instant end = c.now();
  if (auto s = c.account.subscriptions.find(k.issue.product);
      s != c.account.subscriptions.end() && s->second.end > c.now()) {
    active = s->second.seats;
    end = s->second.end;
  }
  const int64_t year_s = kKeyYearDays * 86'400;
  const int64_t now_s = c.now().micros_since_epoch / kMicrosPerSecond;
  int64_t end_s = end.micros_since_epoch / kMicrosPerSecond;
  uint32_t seats_after = seats_added;
  if (active == 0) {
    end_s = now_s + year_s;  // a new subscription: 12 months
  } else if (cmd.mode == RedemptionMode::add_seats) {
    // R-KEY-04: (A*B + C*12) / (A + C) months, computed in seconds.
    const int64_t a = active, b = end_s - now_s, cs = seats_added;
    end_s = now_s + (a * b + cs * year_s) / (a + cs);
    seats_after = active + seats_added;
  } else {
    if (static_cast<uint64_t>(seats_added) > 3ULL * active) {
      return reject(RejectionCode::extension_exceeds_three_years,
                    "a key of " + std::to_string(seats_added) + " seats on a subscription of " +
                        std::to_string(active) + " active seats would extend it by more than 3 years "
                        "(at most 3x the active seats)");
    }
    end_s += year_s * seats_added / active;
    seats_after = active;
  }
  const Instant new_end{end_s * kMicrosPerSecond};
  std::vector<std::string> accounts{c.cmd.account_id};
  if (k.issue.account_id != c.cmd.account_id) accounts.push_back(k.issue.account_id);
  c.to(key_stream(*key), accounts,
       KeyRedeemed{*key, c.cmd.account_id, c.user(), cmd.mode, seats_added, active, new_end});
  c.to_account(SubscriptionChangedByKey{k.issue.product, *key, cmd.mode, seats_after, new_end});
  return std::nullopt;
}

namespace {
// A multiple-activation key issued to the command's account (R-KEY-05/06);
// `purpose` completes "... are <purpose> multiple-activation keys".
Verdict own_multiple_activation_key(Ctx& c, const std::string& text, std::string_view purpose,
                                    std::string* key, const KeyState** state) {
  auto normalized = normalize_key(text);
  if (!normalized) return bad_key();
  const KeyState& k = c.agg.key(*normalized);
  if (!k.issued || k.issue.account_id != c.cmd.account_id) {
    return reject(RejectionCode::key_not_found, "this account was never issued that key");
  }
  if (k.issue.kind != KeyKind::multiple_activation) {
    return reject(RejectionCode::key_not_multiple_activation,
                  std::string(purpose) + " multiple-activation keys");
  }
  *key = *normalized;
  *state = &k;
  return std::nullopt;
}
}  // namespace

Verdict on(const RequestReplacementKey& cmd, Ctx& c) {
  std::string key;
  const KeyState* found = nullptr;
  if (auto r = own_multiple_activation_key(c, cmd.key, "replacement keys are issued for", &key, &found)) {
    return r;
  }
  const KeyState& k = *found;
  if (!k.replaced_by_key_id.empty() || !k.issue.replaces_key_id.empty()) {
    return reject(RejectionCode::replacement_already_issued,
                  "a replacement key is issued once; this key already has one or is one");
  }
  if (!k.first_activation_at) {
    return reject(RejectionCode::key_not_activated, "the key was never activated");
  }
  if (!within_period(*k.first_activation_at, kReplacementDays, c.now())) {
    return reject(RejectionCode::replacement_window_closed,
                  "a replacement is issued within 30 days of the key's activation on " +
                      format_rfc3339(*k.first_activation_at));
  }
  uint64_t index = 0;
  std::string replacement = fresh_key(c, index);
  const uint32_t left = k.issue.activations_max > k.activations_used
                            ? k.issue.activations_max - k.activations_used
                            : 0;
  c.to(key_stream(key), {c.cmd.account_id}, ReplacementKeyIssued{key, replacement});
  c.to(key_stream(replacement), {c.cmd.account_id},
       KeyIssued{replacement, c.cmd.account_id, k.issue.order_id, k.issue.product,
                 KeyKind::multiple_activation, 0, std::max<uint32_t>(left, 1), key});
  return std::nullopt;
}

Verdict on(const RecordKeyActivation& cmd, Ctx& c) {
  std::string key;
  const KeyState* found = nullptr;
  if (auto r = own_multiple_activation_key(c, cmd.key, "activations are counted for", &key, &found)) {
    return r;
  }
  const KeyState& k = *found;
  if (!k.replaced_by_key_id.empty()) {
    return reject(RejectionCode::key_replaced, "the key was replaced by another key");
  }
  if (k.activations_used >= k.issue.activations_max) {
    return reject(RejectionCode::activations_exhausted,
                  "the key's " + std::to_string(k.issue.activations_max) + " activations are used up");
  }
  c.to(key_stream(key), {c.cmd.account_id},
       KeyActivationRecorded{key, k.activations_used + 1, k.issue.activations_max});
  return std::nullopt;
}

}  // namespace mledger::decide_detail
