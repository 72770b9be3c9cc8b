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

#include "adapters/projections/projection_store.h"
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

}  // namespace mledger
