#include "adapters/projections/read_models.h"

#include "adapters/json/fields_json.h"
#include "adapters/projections/stored_projection.h"
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

}  // namespace mledger
