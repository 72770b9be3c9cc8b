#pragma once
// The read models an account has, by name, as JSON: what `mledger query`
// and `mledger audit state` print (and the HTTP API serves). Each is a view
// of one stored projection's document of the account (projections/), except
// the timeline, which is read from the log's account index.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/projections/projection_engine.h"
#include "adapters/projections/projection_store.h"
#include "domain/ports/event_log.h"
#include "projections/all.h"

namespace mledger {

struct ReadModel {
  std::string_view name;        // "profile", ...
  std::string_view projection;  // the stored projection it views ("" for the timeline)
  std::string_view description;
};

std::span<const ReadModel> read_models();
const ReadModel* find_read_model(std::string_view name);

// The view `model` of the account's documents (model must not be the timeline).
nlohmann::json read_model_json(const ReadModel& model, const projections::AccountDocs& docs,
                               const std::string& account_id);

// Loads the account's document of `projection` from its live generation into
// `docs`. Returns false when the projection holds no document of the account.
[[nodiscard]] StatusOr<bool> load_document(ProjectionStore& store, const Generation& live,
                                           const std::string& account_id,
                                           projections::AccountDocs& docs);

// At most this many timeline entries in one answer.
inline constexpr size_t kTimelineEntriesMax = 10000;

// The answer of `mledger query` and GET /v1/accounts/{id}/{model}:
//   {"read_model", "account_id", "as_of_seq", "lag", "data"}
// from the live generation as it stands (the caller brings it up to date or
// not). The timeline reads `limit` (1..kTimelineEntriesMax) entries from
// `from_seq` out of the log's account index. nullopt when no event concerns
// the account.
[[nodiscard]] StatusOr<std::optional<nlohmann::json>> query_read_model(
    EventLog& log, ProjectionStore& store, ProjectionEngine& engine, const ReadModel& model,
    const std::string& account_id, uint64_t from_seq, size_t limit);

// Where to stop folding an account's history: after event `at_seq`, or after
// the last event whose time (business `occurred_at` or `recorded_at`) is at
// or before `as_of`.
struct AsOf {
  std::optional<uint64_t> at_seq;
  std::optional<Instant> as_of;
  bool recorded_clock = false;
};

struct AccountAsOf {
  projections::AccountDocs docs;
  uint64_t events_folded = 0;
};

// Folds the account's events from the log through the projections' folds up
// to `until`: the account as it stood then (`mledger audit state`).
[[nodiscard]] StatusOr<AccountAsOf> fold_account_as_of(EventLog& log, const std::string& account_id,
                                                       const AsOf& until);

// {"account_id", "at_seq", "events_folded", "log_seq"|"as_of"+"clock",
//  "read_models": {name: view, ...}} for every stored read model.
nlohmann::json account_as_of_json(const AccountAsOf& state, const std::string& account_id,
                                   const AsOf& until);

}  // namespace mledger
