// The OpenAPI description (issue 17, part 2): docs/openapi.yaml, embedded and
// served at GET /v1/openapi.json, describes exactly the routes the server has
// (adapters/http/routes.h), and its command schemas are the ones the command
// parser (adapters/json/command_json.cc) reads, walked from the same field
// reflection (adapters/json/json_schema.h).

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "adapters/http/openapi_document.h"
#include "adapters/http/routes.h"
#include "adapters/json/json_schema.h"
#include "domain/commands/command.h"
#include "projections/keys.h"
#include "projections/merges.h"
#include "projections/orders.h"
#include "projections/timeline.h"
#include "projections/views.h"
#include "tests/http/server_process.h"

namespace mledger::testing {
namespace {

using nlohmann::json;

const json& document() {
  static const json doc = json::parse(http::openapi_json());
  return doc;
}

std::string schema_ref(const std::string& schema) { return "#/components/schemas/" + schema; }

// One command type's whole JSON form: the envelope of command_json.cc
// (parse_into) around its `data`.
template <class Body>
json command_schema(bool targets_account) {
  const std::string type(Body::kName);
  json properties = {{"command_id", {{"$ref", schema_ref("CommandId")}}},
                     {"type", {{"type", "string"}, {"const", type}}}};
  json required = {"command_id", "type"};
  if (targets_account) {
    properties["account_id"] = {{"$ref", schema_ref("AccountId")}};
    required.push_back("account_id");
  }
  properties["actor"] = {{"$ref", schema_ref("Actor")}};
  properties["now"] = {{"anyOf", {{{"$ref", schema_ref("CommandTime")}}, {{"type", "null"}}}}};
  properties["correlation_id"] = {{"$ref", schema_ref("CorrelationId")}};
  properties["causation_id"] = {{"$ref", schema_ref("CorrelationId")}};
  properties["data"] = {{"$ref", schema_ref("data." + type)}};
  required.push_back("actor");
  required.push_back("data");
  return {{"type", "object"}, {"properties", properties}, {"required", required}, {"additionalProperties", false}};
}

// Every schema the command types define: "command.<type>", "data.<type>",
// "Command" (one of them by `type`), and the actor's "Role" and "ActorKind".
template <size_t... I>
json expected_command_schemas(std::index_sequence<I...>) {
  json out = json::object();
  json one_of = json::array();
  json mapping = json::object();
  (
      [&] {
        using Body = std::variant_alternative_t<I, CommandBody>;
        const std::string type(Body::kName);
        out["command." + type] = command_schema<Body>(targets_account(CommandBody(std::in_place_index<I>)));
        out["data." + type] = mledger::json::object_schema<Body>();
        one_of.push_back({{"$ref", schema_ref("command." + type)}});
        mapping[type] = schema_ref("command." + type);
      }(),
      ...);
  out["Role"] = mledger::json::value_schema<Role>();
  out["ActorKind"] = mledger::json::value_schema<ActorKind>();
  out["Command"] = {{"oneOf", one_of}, {"discriminator", {{"propertyName", "type"}, {"mapping", mapping}}}};
  return out;
}

// The read models' `data`, as adapters/projections/read_models.cc writes it
// (object_json of these types): "view.<model>" for a whole one (and for the
// state endpoint's), "item.<model>" for an entity of a paged one.
json expected_read_model_schemas() {
  using namespace projections;
  return {
      {"view.profile", mledger::json::object_schema<ProfileView>()},
      {"view.memberships", mledger::json::object_schema<MembershipsView>()},
      {"view.benefits", mledger::json::object_schema<BenefitsView>()},
      {"view.assignments", mledger::json::object_schema<AssignmentsView>()},
      {"view.orders", mledger::json::object_schema<AccountOrders>()},
      {"view.keys", mledger::json::object_schema<AccountKeys>()},
      {"view.merges", mledger::json::object_schema<MergeInvitationsView>()},
      {"item.users", mledger::json::value_schema<decltype(ProfileView::users)::value_type>()},
      {"item.benefits", mledger::json::value_schema<decltype(BenefitsView::benefits)::value_type>()},
      {"item.assignments", mledger::json::value_schema<decltype(AssignmentsView::users)::value_type>()},
      {"item.orders", mledger::json::object_schema<OrderRecord>()},
      {"item.keys", mledger::json::object_schema<KeyRecord>()},
      {"item.redeemed_keys", mledger::json::object_schema<RedeemedKey>()},
      {"item.timeline", mledger::json::object_schema<TimelineEntry>()},
  };
}

// Each schema of `expected` is in the document as it is.
void expect_schemas(const json& expected) {
  const json& schemas = document().at("components").at("schemas");
  for (const auto& [name, schema] : expected.items()) {
    if (!schemas.contains(name)) {
      ADD_FAILURE() << "docs/openapi.yaml lacks schema " << name << "\nexpected " << name << " " << schema.dump();
      continue;
    }
    EXPECT_EQ(schemas.at(name), schema) << "schema " << name << " differs from the code's\nexpected " << name
                                        << " " << schema.dump();
  }
}

// Who may call a route, as the document's x-mledger-audience names it.
json audience_names(http::Audience a) {
  switch (a) {
    case http::Audience::anyone: return {"anyone"};
    case http::Audience::account_readers: return {"user", "auditor"};
    case http::Audience::auditors: return {"auditor"};
    case http::Audience::operators: return {"operator"};
    case http::Audience::command_issuers: return {"user", "service", "operator"};
    case http::Audience::service: return {"service"};
  }
  return json::array();
}

TEST(OpenApi, each_operation_names_the_audience_the_server_checks) {
  for (const http::Route& r : http::api_routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const json* operation = nullptr;
    if (document().at("paths").contains(r.path) && document().at("paths").at(r.path).contains(method)) {
      operation = &document().at("paths").at(r.path).at(method);
    }
    if (operation == nullptr) continue;  // the route test names it
    EXPECT_EQ(operation->value("x-mledger-audience", json()), audience_names(r.audience)) << r.method << " " << r.path;
    // Public operations say so; the others inherit the document's bearer requirement.
    const bool open = r.audience == http::Audience::anyone;
    EXPECT_EQ(operation->contains("security"), open) << r.method << " " << r.path;
    if (open) {
      EXPECT_EQ(operation->at("security"), json::array()) << r.method << " " << r.path;
    }
  }
  EXPECT_EQ(document().at("security"), json::parse(R"([{"bearer": []}])"));
}

TEST(OpenApi, describes_every_route_the_server_has_and_no_other) {
  std::set<std::pair<std::string, std::string>> served, described;
  for (const http::Route& r : http::api_routes()) served.emplace(r.method, r.path);
  for (const auto& [path, item] : document().at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      if (method == "parameters" || method == "summary" || method == "description") continue;
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      described.emplace(upper, path);
    }
  }
  for (const auto& route : served) {
    EXPECT_TRUE(described.contains(route)) << "docs/openapi.yaml lacks " << route.first << " " << route.second;
  }
  for (const auto& route : described) {
    EXPECT_TRUE(served.contains(route)) << "the server has no route " << route.first << " " << route.second
                                        << " that docs/openapi.yaml describes";
  }
}

TEST(OpenApi, command_schemas_are_the_ones_the_parser_reads) {
  const json expected = expected_command_schemas(std::make_index_sequence<std::variant_size_v<CommandBody>>{});
  expect_schemas(expected);
  for (const auto& [name, schema] : document().at("components").at("schemas").items()) {
    const bool command_part = name.rfind("command.", 0) == 0 || name.rfind("data.", 0) == 0;
    EXPECT_TRUE(!command_part || expected.contains(name)) << "schema " << name << " is no command type's";
  }
}

TEST(OpenApi, read_model_schemas_are_the_ones_the_server_writes) {
  expect_schemas(expected_read_model_schemas());
}

TEST(OpenApi, the_server_serves_the_document_without_a_token) {
  LedgerDir ledger("mledger-http-openapi", false);
  auto server = ServerProcess::start(ledger);
  ASSERT_NE(server, nullptr);
  const auto r = server->call("GET", "/v1/openapi.json", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.body, std::string(http::openapi_json()) + "\n");
  EXPECT_EQ(json::parse(r.body).at("openapi"), "3.1.0");
  EXPECT_EQ(server->call("POST", "/v1/openapi.json", "", "{}").status, 405);
  EXPECT_EQ(server->call("GET", "/v1/openapi.json?x=1", "").status, 400);
}

}  // namespace
}  // namespace mledger::testing
