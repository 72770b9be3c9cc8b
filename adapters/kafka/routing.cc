#include "adapters/kafka/routing.h"

#include <array>
#include <string>
#include <unordered_map>
#include <variant>

#include "domain/core/streams.h"
#include "domain/core/time.h"
#include "domain/events/event.h"

namespace mledger::kafka {

namespace {

enum class Group { accounts, orders, keys, benefits, merges, catalogue, other };
constexpr std::array<std::string_view, 7> kSuffixes = {"accounts", "orders",    "keys", "benefits",
                                                       "merges",   "catalogue", "other"};

template <class T, class V>
struct IndexOf;
template <class T, class... Ts>
struct IndexOf<T, std::variant<Ts...>> {
  static constexpr size_t value = [] {
    constexpr bool same[] = {std::is_same_v<T, Ts>...};
    for (size_t i = 0; i < sizeof...(Ts); ++i)
      if (same[i]) return i;
    return sizeof...(Ts);
  }();
};
template <class T>
constexpr size_t index_of = IndexOf<T, EventPayload>::value;

// The payload variant lists each aggregate's events together (event.h): the
// first type of each group marks where the group starts.
Group group_of_index(size_t i) {
  if (i < index_of<OrderPlaced>) return Group::accounts;
  if (i < index_of<KeysRevealed>) return Group::orders;
  if (i < index_of<BenefitsAllocated>) return Group::keys;
  if (i < index_of<MergeInvitationSent>) return Group::benefits;
  if (i < index_of<OfferCatalogueChanged>) return Group::merges;
  if (i < std::variant_size_v<EventPayload>) return Group::catalogue;
  return Group::other;
}
static_assert(index_of<PartnerAccountEnrolled> == 0);
static_assert(index_of<UserLicensingOfferRecorded> + 1 == index_of<OrderPlaced>);
static_assert(index_of<EnrollmentYearEnded> + 1 == index_of<KeysRevealed>);
static_assert(index_of<SubscriptionChangedByKey> + 1 == index_of<BenefitsAllocated>);
static_assert(index_of<GoToMarketOfferExpired> + 1 == index_of<MergeInvitationSent>);
static_assert(index_of<AccountMergedAway> + 1 == index_of<OfferCatalogueChanged>);
static_assert(index_of<OfferCatalogueChanged> + 1 == std::variant_size_v<EventPayload>);

Group group_of(std::string_view type) {
  static const std::unordered_map<std::string_view, Group> table = [] {
    std::unordered_map<std::string_view, Group> t;
    const auto names = event_type_names();
    for (size_t i = 0; i < names.size(); ++i) t.emplace(names[i], group_of_index(i));
    return t;
  }();
  auto it = table.find(type);
  return it == table.end() ? Group::other : it->second;
}

std::string topic_for(std::string_view prefix, Group g) {
  return std::string(prefix) + "." + std::string(kSuffixes[static_cast<size_t>(g)]);
}

}  // namespace

std::vector<std::string> event_topics(std::string_view prefix) {
  std::vector<std::string> out;
  for (size_t g = 0; g + 1 < kSuffixes.size(); ++g) out.push_back(topic_for(prefix, Group(g)));
  return out;
}

std::string cursor_topic(std::string_view prefix) {
  return std::string(prefix) + ".publisher-cursors";
}

std::string tree_heads_topic(std::string_view prefix) {
  return std::string(prefix) + ".tree-heads";
}

bool valid_topic_prefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 100) return false;
  for (char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Route route_event(const codec::EventHead& event, std::string_view prefix) {
  Route r;
  r.topic = topic_for(prefix, group_of(event.type));
  if (std::string_view account = account_of_stream(event.stream); !account.empty()) {
    r.key = std::string(account);
  } else if (!event.account_ids.empty()) {
    r.key = event.account_ids.front();
  } else {
    r.key = event.stream;
  }
  return r;
}

std::string hex(const Hash256& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : hash) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string cloudevents_source(std::string_view ledger_id) {
  return "urn:mledger:" + std::string(ledger_id);
}

Headers event_headers(const codec::EventHead& e, std::string_view source) {
  std::string accounts;
  for (const auto& a : e.account_ids) accounts += (accounts.empty() ? "" : ",") + a;
  Headers h;
  h.reserve(14);
  h.emplace_back("ce_specversion", "1.0");
  h.emplace_back("ce_id", e.event_id);
  h.emplace_back("ce_source", std::string(source));
  h.emplace_back("ce_type", "mledger." + e.type);
  h.emplace_back("ce_time", format_rfc3339(Instant{e.recorded_at_micros}));
  h.emplace_back("ce_mledgerseq", std::to_string(e.seq));
  h.emplace_back("ce_mledgerstream", e.stream);
  h.emplace_back("ce_mledgerversion", std::to_string(e.version));
  h.emplace_back("content-type", std::string(kContentType));
  h.emplace_back("mledger_seq", std::to_string(e.seq));
  h.emplace_back("mledger_stream", e.stream);
  h.emplace_back("mledger_stream_version", std::to_string(e.version));
  h.emplace_back("mledger_schema_version", std::to_string(e.schema_version));
  h.emplace_back("mledger_accounts", std::move(accounts));
  return h;
}

}  // namespace mledger::kafka
