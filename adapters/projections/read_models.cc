#include "adapters/projections/read_models.h"

#include <array>
#include <cassert>
#include <limits>
#include <memory>

#include "adapters/json/fields_json.h"
#include "adapters/projections/entity_documents.h"
#include "projections/timeline.h"
#include "projections/views.h"

namespace mledger {

namespace {

using projections::AccountsProjection;

constexpr ReadModel kReadModels[] = {
    {"profile", "accounts",
     "company, verification, users and roles, locations, tenants, contacts, read-only flag", "", true},
    {"users", "accounts", "users with roles and licensing offers, paged", "users", false},
    {"memberships", "accounts", "offers, status, anniversary, renewal window, lapse", "", true},
    {"benefits", "accounts",
     "benefit inventory: allocated, assigned, used, available, expiry, core/incremental; paged",
     "allocations", true},
    {"assignments", "accounts",
     "benefits per user, with the date a Visual Studio subscription becomes reassignable; paged by user",
     "users", true},
    {"orders", "orders", "orders with status, payments, declines, cancellation, expiry, refunds; paged",
     "orders", true},
    {"keys", "keys", "keys issued to the account (revealed, redeemed, by whom, when, replacement); paged",
     "issued", true},
    {"redeemed_keys", "keys", "keys the account redeemed, whoever they were issued to; paged", "redeemed",
     false},
    {"merges", "merges", "merge invitations: inbox, outbox, history", "", true},
    {"timeline", "", "every event concerning the account, one line each (from the log's account index)", "",
     false},
};

nlohmann::json items_json(const auto& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : items) out.push_back(json::object_json(i));
  return out;
}
template <class M>
nlohmann::json values_json(const std::map<std::string, M>& m) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, v] : m) out.push_back(json::object_json(v));
  return out;
}

// Loads the page of `kind` after `after` into doc's collection; returns the
// next page's cursor, or nullopt after the last.
template <class Doc>
StatusOr<std::optional<std::string>> load_page(ProjectionStore& store, uint64_t generation,
                                               const std::string& account, std::string_view kind,
                                               const PageRequest& page, Doc& doc) {
  const std::string after = page.after.value_or("");
  const uint64_t limit = page.limit.value_or(kPageEntitiesDefault);
  Status status;
  size_t taken = 0;
  std::optional<std::string> next;
  std::string last;
  entity::with_kind(doc, kind, [&](auto& collection) {
    Status s = entity::scan_kind(store, generation, account, kind, after,
                                 [&](std::string_view id, std::string_view value) {
                                   if (taken == limit) {
                                     next = last;
                                     return false;
                                   }
                                   status = entity::put_entity(collection, id, value);
                                   last = std::string(id);
                                   ++taken;
                                   return status.ok();
                                 });
    if (status.ok()) status = s;
  });
  if (!status.ok()) return Err{status};
  return next;
}

// The live generation of the model's projection and the account's document
// there with the entities of `kinds` (empty Doc when none is stored).
template <class P>
StatusOr<typename P::Doc> load_whole(ProjectionStore& store, const Generation& live,
                                     const std::string& account, std::span<const std::string_view> kinds) {
  auto doc = entity::load_account<P>(store, live.id, account, kinds);
  if (!doc.ok()) return Err{doc.error()};
  if (doc->has_value()) return std::move(**doc);
  typename P::Doc empty{};
  if constexpr (std::is_same_v<P, AccountsProjection>) empty.account_id = account;
  return empty;
}

struct Answer {
  nlohmann::json data;
  std::optional<std::string> next;
};

StatusOr<Answer> accounts_model(ProjectionStore& store, const Generation& live, const ReadModel& model,
                                const std::string& account, const PageRequest& page) {
  using namespace projections;
  const std::string_view n = model.name;
  constexpr std::array<std::string_view, 4> kProfile = {"users", "locations", "tenants", "user_licensing_offers"};
  constexpr std::array<std::string_view, 1> kMemberships = {"memberships"};
  constexpr std::array<std::string_view, 2> kBenefits = {"memberships", "technical_requests"};
  constexpr std::array<std::string_view, 2> kAssignments = {"memberships", "allocations"};
  std::span<const std::string_view> kinds = n == "profile"       ? std::span<const std::string_view>(kProfile)
                                            : n == "memberships" ? std::span<const std::string_view>(kMemberships)
                                            : n == "benefits"    ? std::span<const std::string_view>(kBenefits)
                                            : n == "assignments" ? std::span<const std::string_view>(kAssignments)
                                                                 : std::span<const std::string_view>();
  auto doc = load_whole<AccountsProjection>(store, live, account, kinds);
  if (!doc.ok()) return Err{doc.error()};
  AccountState& a = *doc;
  if (n == "profile") return Answer{json::object_json(profile_view(a)), std::nullopt};
  if (n == "memberships") return Answer{json::object_json(memberships_view(a)), std::nullopt};
  auto next = load_page(store, live.id, account, model.kind, page, a);
  if (!next.ok()) return Err{next.error()};
  if (n == "users") {
    for (const auto& [id, u] : a.users) {  // only this page's users' licensing offers
      auto offers = store.get(live.id, entity::entity_key(account, "user_licensing_offers", id));
      if (!offers.ok()) return Err{offers.error()};
      if (!offers->has_value()) continue;
      if (Status s = entity::put_entity(a.user_licensing_offers, id, **offers); !s.ok()) return Err{s};
    }
    return Answer{items_json(profile_view(a).users), *next};
  }
  if (n == "benefits") return Answer{items_json(benefits_view(a).benefits), *next};
  return Answer{items_json(assignments_view(a).users), *next};
}

StatusOr<Answer> model_answer(ProjectionStore& store, const Generation& live, const ReadModel& model,
                              const std::string& account, const PageRequest& page) {
  using namespace projections;
  if (model.projection == AccountsProjection::kName) return accounts_model(store, live, model, account, page);
  if (model.projection == MergesProjection::kName) {
    auto doc = load_whole<MergesProjection>(store, live, account, MergesProjection::kEntityKinds);
    if (!doc.ok()) return Err{doc.error()};
    return Answer{json::object_json(merge_invitations_view(*doc, account)), std::nullopt};
  }
  if (model.projection == OrdersProjection::kName) {
    AccountOrders doc;
    auto next = load_page(store, live.id, account, model.kind, page, doc);
    if (!next.ok()) return Err{next.error()};
    return Answer{values_json(doc.orders), *next};
  }
  assert(model.projection == KeysProjection::kName);
  AccountKeys doc;
  auto next = load_page(store, live.id, account, model.kind, page, doc);
  if (!next.ok()) return Err{next.error()};
  return Answer{model.kind == "issued" ? values_json(doc.issued) : values_json(doc.redeemed), *next};
}

nlohmann::json timeline_data(const std::vector<RecordedEvent>& events, size_t limit) {
  nlohmann::json entries = nlohmann::json::array();
  for (size_t i = 0; i < events.size() && i < limit; ++i) {
    entries.push_back(json::object_json(projections::timeline_entry(events[i])));
  }
  return {{"entries", entries},
          {"next_from_seq", events.size() > limit ? nlohmann::json(events[limit].seq) : nlohmann::json()}};
}

}  // namespace

std::span<const ReadModel> read_models() { return kReadModels; }

const ReadModel* find_read_model(std::string_view name) {
  for (const ReadModel& m : kReadModels) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

nlohmann::json read_model_json(const ReadModel& model, const projections::AccountDocs& docs,
                               const std::string& account_id) {
  using namespace projections;
  const std::string_view n = model.name;
  if (n == "profile") return json::object_json(profile_view(docs.accounts));
  if (n == "memberships") return json::object_json(memberships_view(docs.accounts));
  if (n == "benefits") return json::object_json(benefits_view(docs.accounts));
  if (n == "assignments") return json::object_json(assignments_view(docs.accounts));
  if (n == "orders") return json::object_json(docs.orders);
  if (n == "keys") return json::object_json(docs.keys);
  if (n == "merges") return json::object_json(merge_invitations_view(docs.merges, account_id));
  if (n == "users") return items_json(profile_view(docs.accounts).users);
  if (n == "redeemed_keys") return values_json(docs.keys.redeemed);
  return nlohmann::json();  // the timeline is not a document view
}

std::string page_problem(const ReadModel& model, const PageRequest& page) {
  if (model.projection.empty()) {
    if (page.after) return "after is for the collection read models, not the timeline";
    if (page.limit && (*page.limit < 1 || *page.limit > kTimelineEntriesMax)) {
      return "limit must be from 1 to " + std::to_string(kTimelineEntriesMax);
    }
    return "";
  }
  if (page.from_seq) return "from_seq is for the timeline only";
  if (model.kind.empty()) {
    if (page.after || page.limit) {
      return "read model " + std::string(model.name) + " answers whole: it takes no limit or after";
    }
    return "";
  }
  if (page.limit && (*page.limit < 1 || *page.limit > kPageEntitiesMax)) {
    return "limit must be from 1 to " + std::to_string(kPageEntitiesMax);
  }
  if (page.after && (page.after->size() > kCursorBytesMax || page.after->find('\0') != std::string::npos)) {
    return "after must be an entity id of at most " + std::to_string(kCursorBytesMax) + " bytes";
  }
  return "";
}

StatusOr<std::optional<nlohmann::json>> query_read_model(EventLog& log, ProjectionStore& store,
                                                          ProjectionEngine& engine, const ReadModel& model,
                                                          const std::string& account_id,
                                                          const PageRequest& page) {
  assert(page_problem(model, page).empty());
  auto exists = log.read_account(account_id, 0, 1);
  if (!exists.ok()) return Err{exists.error()};
  if (exists->empty()) return std::optional<nlohmann::json>();
  auto head = log.digest();
  if (!head.ok()) return Err{head.error()};

  nlohmann::json out = {{"read_model", model.name}, {"account_id", account_id}};
  if (model.projection.empty()) {
    const size_t limit = static_cast<size_t>(page.limit.value_or(1000));
    auto events = log.read_account(account_id, page.from_seq.value_or(0), limit + 1);
    if (!events.ok()) return Err{events.error()};
    out["as_of_seq"] = head->seq;
    out["lag"] = 0;
    out["data"] = timeline_data(*events, limit);
    return std::optional<nlohmann::json>(std::move(out));
  }
  if (Status s = entity::check_account_id(account_id); !s.ok()) return Err{s};
  auto live = engine.live(model.projection);
  if (!live.ok()) return Err{live.error()};
  auto answer = model_answer(store, *live, model, account_id, page);
  if (!answer.ok()) return Err{answer.error()};
  const uint64_t at = live->checkpoint.seq;
  out["as_of_seq"] = at;
  out["lag"] = head->seq > at ? head->seq - at : 0;
  out["data"] = std::move(answer->data);
  if (!model.kind.empty()) out["next"] = answer->next ? nlohmann::json(*answer->next) : nlohmann::json();
  return std::optional<nlohmann::json>(std::move(out));
}

StatusOr<RecordedUser> recorded_user(ProjectionStore& store, ProjectionEngine& engine,
                                     const std::string& account_id, const std::string& user_id) {
  if (Status s = entity::check_account_id(account_id); !s.ok()) return Err{s};
  auto live = engine.live(AccountsProjection::kName);
  if (!live.ok()) return Err{live.error()};
  RecordedUser out;
  out.as_of_seq = live->checkpoint.seq;
  auto bytes = store.get(live->id, entity::entity_key(account_id, "users", user_id));
  if (!bytes.ok()) return Err{bytes.error()};
  if (!bytes->has_value()) return out;
  AccountUser user;
  if (Status s = document::decode_document(**bytes, user); !s.ok()) {
    return fail(StatusCode::corruption, "accounts document of " + account_id + ": users " + user_id + ": " +
                                            s.message());
  }
  out.user = std::move(user);
  return out;
}

bool snapshot_usable_for(const ReadModelSnapshotSummary& summary, const AsOf& until) {
  if (until.at_seq && summary.seq > *until.at_seq) return false;
  const Instant latest = until.recorded_clock ? summary.recorded_at_max : summary.occurred_at_max;
  return !until.as_of || latest <= *until.as_of;
}

StatusOr<AccountAsOf> fold_account_as_of(EventLog& log, const std::string& account_id, const AsOf& until,
                                         ReadModelSnapshots* snapshots) {
  constexpr size_t kChunk = 4096;
  AccountAsOf state;
  state.docs.accounts.account_id = account_id;
  ReadModelSnapshotSummary summary;  // of what state.docs holds
  summary.occurred_at_max = summary.recorded_at_max = Instant{std::numeric_limits<int64_t>::min()};
  if (snapshots != nullptr) {
    auto start = snapshots->nearest(account_id, [&](const auto& s) { return snapshot_usable_for(s, until); });
    if (start) {
      summary = start->summary;
      state.docs = std::move(start->docs);
      state.events_folded = state.snapshot_position = summary.position;
    }
  }
  uint64_t from = state.docs.last_seq + 1;
  for (;;) {
    auto events = log.read_account(account_id, from, kChunk);
    if (!events.ok()) return Err{events.error()};
    for (const RecordedEvent& e : *events) {
      const Instant at = until.recorded_clock ? e.metadata.recorded_at : e.metadata.occurred_at;
      if ((until.at_seq && e.seq > *until.at_seq) || (until.as_of && at > *until.as_of)) {
        return state;
      }
      projections::fold_account(state.docs, account_id, e);
      ++state.events_folded;
      ++state.events_read;
      summary = {state.events_folded, e.seq, std::max(summary.occurred_at_max, e.metadata.occurred_at),
                 std::max(summary.recorded_at_max, e.metadata.recorded_at)};
      if (snapshots != nullptr && snapshots->wants(account_id, summary.position)) {
        snapshots->offer(account_id, summary, std::make_shared<const projections::AccountDocs>(state.docs));
      }
      from = e.seq + 1;
    }
    if (events->size() < kChunk) return state;
  }
}

nlohmann::json account_as_of_json(const AccountAsOf& state, const std::string& account_id,
                                   const AsOf& until) {
  nlohmann::json models = nlohmann::json::object();
  for (const ReadModel& m : read_models()) {
    if (m.in_state) models[std::string(m.name)] = read_model_json(m, state.docs, account_id);
  }
  nlohmann::json out = {{"account_id", account_id},
                        {"at_seq", state.docs.last_seq},
                        {"events_folded", state.events_folded}};
  if (until.at_seq) out["log_seq"] = *until.at_seq;
  if (until.as_of) {
    out["as_of"] = format_rfc3339(*until.as_of);
    out["clock"] = until.recorded_clock ? "recorded" : "business";
  }
  out["read_models"] = std::move(models);
  return out;
}

}  // namespace mledger
