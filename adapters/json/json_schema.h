#pragma once
// The JSON Schema (2020-12, as OpenAPI 3.1 uses it) of the JSON form that
// fields_json.h reads, for any struct with field reflection: what
// read_object() accepts, walked from the same field list. The OpenAPI test
// compares docs/openapi.yaml's command schemas with these, so the document
// cannot drift from the parser.
//
// Forms, as read_value() reads them: string; boolean; integers with their
// range; Instant as a date-time string; enums as their names; structs as
// objects with every field listed, the required ones named and no other
// field allowed; vectors and string sets as arrays; string maps as objects
// of one value schema; std::optional as the value or null (and not
// required). Fields read as absent-or-empty (bool, vector, set, map, the
// postal address's line2/region/postal_code) are not required.

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "adapters/json/fields_json.h"

namespace mledger::json {

template <class T>
nlohmann::json object_schema();

template <class M>
nlohmann::json value_schema() {
  using nlohmann::json;
  if constexpr (is_optional<M>::value) {
    return json{{"anyOf", json::array({value_schema<typename M::value_type>(), json{{"type", "null"}}})}};
  } else if constexpr (std::is_same_v<M, std::string>) {
    return json{{"type", "string"}};
  } else if constexpr (std::is_same_v<M, bool>) {
    return json{{"type", "boolean"}};
  } else if constexpr (std::is_same_v<M, uint32_t>) {
    return json{{"type", "integer"}, {"minimum", 0}, {"maximum", std::numeric_limits<uint32_t>::max()}};
  } else if constexpr (std::is_same_v<M, int64_t>) {
    return json{{"type", "integer"},
                {"minimum", std::numeric_limits<int64_t>::min()},
                {"maximum", std::numeric_limits<int64_t>::max()}};
  } else if constexpr (std::is_same_v<M, uint64_t>) {
    return json{{"type", "integer"}, {"minimum", 0}, {"maximum", std::numeric_limits<uint64_t>::max()}};
  } else if constexpr (std::is_same_v<M, Instant>) {
    return json{{"type", "string"}, {"format", "date-time"}};
  } else if constexpr (std::is_enum_v<M>) {
    json names = json::array();
    for (std::string_view n : enum_names(M{})) names.push_back(std::string(n));
    return json{{"type", "string"}, {"enum", std::move(names)}};
  } else if constexpr (has_fields_v<M>) {
    return object_schema<M>();
  } else if constexpr (is_string_map<M>::value) {
    return json{{"type", "object"}, {"additionalProperties", value_schema<typename M::mapped_type>()}};
  } else if constexpr (is_string_set<M>::value) {
    return json{{"type", "array"}, {"items", {{"type", "string"}}}};
  } else if constexpr (is_vector<M>::value) {
    return json{{"type", "array"}, {"items", value_schema<typename M::value_type>()}};
  } else {
    static_assert(dependent_false<M>, "a domain field type without a JSON form");
  }
}

template <class T>
nlohmann::json object_schema() {
  using nlohmann::json;
  json properties = json::object();
  json required = json::array();
  T sample{};
  T::for_each_field(sample, [&](const char* name, auto& member) {
    using M = std::decay_t<decltype(member)>;
    properties[name] = value_schema<M>();
    const bool may_be_empty = is_optional<M>::value || std::is_same_v<M, bool> || is_vector<M>::value ||
                              is_string_map<M>::value || is_string_set<M>::value || may_be_absent<T>(name);
    if (!may_be_empty) required.push_back(name);
  });
  json out = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) out["required"] = std::move(required);
  return out;
}

}  // namespace mledger::json
