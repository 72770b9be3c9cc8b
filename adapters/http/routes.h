#pragma once
// The API's route table, as data: every method and path the server answers
// (docs/api.md), in the spelling of docs/openapi.yaml's path templates. The
// OpenAPI test compares this table with the document's paths, so a route
// added here and not described there (or the other way round) fails it.
//
// A path template's segments are literal, or "{id}": one segment of 1 to 64
// bytes once percent-decoded, without control characters (an account id).
// Each read model is a route of its own (/v1/accounts/{id}/profile, ...),
// all counted in the metrics under one label, "/v1/accounts/{id}/{read_model}".

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "adapters/http/access.h"
#include "adapters/projections/read_models.h"

namespace mledger::http {

enum class Endpoint {
  healthz, readyz, metrics, openapi, commands, read_model, history, state, export_account, digest,
  projections, projections_catch_up, projections_rebuild, projections_verify, tick,
  tree_head_latest, proof_inclusion, proof_consistency,
};

struct Route {
  Endpoint endpoint;
  std::string method;            // "GET", "POST"
  std::string path;              // the template: "/v1/accounts/{id}/history"
  std::string label;             // the metrics label and docs/api.md's name
  Audience audience;
  std::set<std::string> query;   // the parameters it takes
  const ReadModel* model = nullptr;  // for Endpoint::read_model
};

// Every route, in a fixed order; built once, never changes.
std::span<const Route> api_routes();

// What a request path names.
struct RouteMatch {
  std::span<const Route* const> routes;  // every route of the path (one per method)
  std::optional<std::string> account;    // the decoded {id}; nullopt when it is bad
  bool has_account = false;              // the template has an {id}
};

// The routes whose template `path` (not decoded, without the query) matches;
// empty `routes` when none does.
RouteMatch match_route(std::string_view path);

// Percent-decoding ('+' is a space when `query`); nullopt for a bad escape or
// a control character.
std::optional<std::string> percent_decode(std::string_view s, bool query);

}  // namespace mledger::http
