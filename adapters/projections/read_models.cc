#include "adapters/projections/read_models.h"

#include <cassert>

#include "adapters/json/fields_json.h"
#include "adapters/projections/stored_projection.h"
#include "projections/timeline.h"
#include "projections/views.h"

namespace mledger {

namespace {

constexpr ReadModel kReadModels[] = {
    {"profile", "accounts",
     "company, verification, users and roles, locations, tenants, contacts, read-only flag"},
    {"memberships", "accounts", "offers, status, anniversary, renewal window, lapse"},
    {"benefits", "accounts", "benefit inventory: allocated, assigned, used, available, expiry, core/incremental"},
    {"assignments", "accounts",
     "benefits per user, with the date a Visual Studio subscription becomes reassignable"},
    {"orders", "orders", "orders with status, payments, declines, cancellation, expiry, refunds"},
    {"keys", "keys", "keys issued to the account (revealed, redeemed, by whom, when, replacement) and keys it redeemed"},
    {"merges", "merges", "merge invitations: inbox, outbox, history"},
    {"timeline", "", "every event concerning the account, one line each (from the log's account index)"},
};

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
  return nlohmann::json();  // the timeline is not a document view
}

StatusOr<bool> load_document(ProjectionStore& store, const Generation& live,
                             const std::string& account_id, projections::AccountDocs& docs) {
  auto bytes = store.get(live.id, account_id);
  if (!bytes.ok()) return Err{bytes.error()};
  if (!bytes->has_value()) return false;
  Status status;
  bool known = false;
  std::apply(
      [&](auto... p) {
        (
            [&] {
              using P = decltype(p);
              if (P::kName != live.projection) return;
              known = true;
              auto doc = decode_document<typename P::Doc>(**bytes);
              if (doc.ok()) {
                docs.of<P>() = std::move(doc.value());
              } else {
                status = doc.error();
              }
            }(),
            ...);
      },
      projections::AllProjections{});
  if (!known) return fail(StatusCode::invalid_argument, "no projection named " + live.projection);
  if (!status.ok()) return Err{status};
  return true;
}

StatusOr<std::optional<nlohmann::json>> query_read_model(EventLog& log, ProjectionStore& store,
                                                          ProjectionEngine& engine,
                                                          const ReadModel& model,
                                                          const std::string& account_id,
                                                          uint64_t from_seq, size_t limit) {
  assert(limit >= 1 && limit <= kTimelineEntriesMax);
  auto exists = log.read_account(account_id, 0, 1);
  if (!exists.ok()) return Err{exists.error()};
  if (exists->empty()) return std::optional<nlohmann::json>();
  auto head = log.digest();
  if (!head.ok()) return Err{head.error()};

  nlohmann::json out = {{"read_model", model.name}, {"account_id", account_id}};
  if (model.projection.empty()) {
    auto events = log.read_account(account_id, from_seq, limit + 1);
    if (!events.ok()) return Err{events.error()};
    nlohmann::json entries = nlohmann::json::array();
    for (size_t i = 0; i < events->size() && i < limit; ++i) {
      entries.push_back(json::object_json(projections::timeline_entry((*events)[i])));
    }
    out["as_of_seq"] = head->seq;
    out["lag"] = 0;
    out["data"] = {{"entries", entries},
                   {"next_from_seq", events->size() > limit ? nlohmann::json((*events)[limit].seq)
                                                            : nlohmann::json()}};
    return std::optional<nlohmann::json>(std::move(out));
  }
  auto live = engine.live(model.projection);
  if (!live.ok()) return Err{live.error()};
  projections::AccountDocs docs;
  docs.accounts.account_id = account_id;
  auto loaded = load_document(store, *live, account_id, docs);
  if (!loaded.ok()) return Err{loaded.error()};
  const uint64_t at = live->checkpoint.seq;
  out["as_of_seq"] = at;
  out["lag"] = head->seq > at ? head->seq - at : 0;
  out["data"] = read_model_json(model, docs, account_id);
  return std::optional<nlohmann::json>(std::move(out));
}

StatusOr<AccountAsOf> fold_account_as_of(EventLog& log, const std::string& account_id,
                                         const AsOf& until) {
  constexpr size_t kChunk = 4096;
  AccountAsOf state;
  state.docs.accounts.account_id = account_id;
  uint64_t from = 0;
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
      from = e.seq + 1;
    }
    if (events->size() < kChunk) return state;
  }
}

nlohmann::json account_as_of_json(const AccountAsOf& state, const std::string& account_id,
                                   const AsOf& until) {
  nlohmann::json models = nlohmann::json::object();
  for (const ReadModel& m : read_models()) {
    if (!m.projection.empty()) models[std::string(m.name)] = read_model_json(m, state.docs, account_id);
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
