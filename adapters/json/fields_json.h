#pragma once
// The JSON form of any struct with field reflection (domain/core/fields.h):
// read_object() parses strictly (unknown, missing and mistyped fields are
// errors naming the dotted path), object_json() writes. Shared by commands,
// events, the offer catalogue and the stored read models.
//
// Forms: strings, booleans and integers as themselves; Instant as RFC 3339;
// enums by name; nested structs as objects; vectors and std::set<std::string>
// as arrays; std::map<std::string, T> as objects; std::optional written only
// when engaged and read as absent-or-null. Absent is allowed for optional,
// bool, vector, map and set fields (and line2/region/postal_code of a postal
// address). Never throws.

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "domain/core/fields.h"
#include "domain/core/status.h"
#include "domain/core/time.h"
#include "domain/events/event.h"

namespace mledger::json {

using nlohmann::json;


#define MLEDGER_JSON_TRY(expr)                   \
  do {                                           \
    if (Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

inline Status field_error(const std::string& path, std::string_view problem) {
  return Status(StatusCode::invalid_argument, "field '" + path + "' " + std::string(problem));
}

// Reads fields of one JSON object, remembering which were used so that
// unknown ones can be reported. Errors carry the field's dotted path.
class Fields {
 public:
  Fields(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string where(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  Status error(std::string_view key, std::string_view problem) const {
    return field_error(where(key), problem);
  }

  const json* find(std::string_view key) {
    used_.insert(std::string(key));
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }

  Status text(std::string_view key, std::string* out, bool required = true) {
    const json* v = find(key);
    if (v == nullptr) return required ? error(key, "is missing") : Status::Ok();
    if (!v->is_string()) return error(key, "must be a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }

  Status optional_text(std::string_view key, std::optional<std::string>* out) {
    const json* v = find(key);
    if (v == nullptr || v->is_null()) return Status::Ok();
    if (!v->is_string()) return error(key, "must be a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }

  Status object(std::string_view key, const json** out) {
    const json* v = find(key);
    *out = nullptr;
    if (v == nullptr) return error(key, "is missing");
    if (!v->is_object()) return error(key, "must be an object");
    *out = v;
    return Status::Ok();
  }

  // Every field present must have been read.
  Status no_unknown() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (!used_.contains(it.key())) return error(it.key(), "is not a known field");
    }
    return Status::Ok();
  }

 private:
  const json& obj_;
  std::string path_;
  std::set<std::string, std::less<>> used_;
};

// ---------------------------------------------------------------------------
// Generic reading over for_each_field.

// Fields of T that may be left out although their type is not optional.
template <class T>
bool may_be_absent(std::string_view) {
  return false;
}
template <>
inline bool may_be_absent<PostalAddress>(std::string_view field) {
  return field == "line2" || field == "region" || field == "postal_code";
}

inline std::string one_of(std::span<const std::string_view> names) {
  std::string out = "must be one of ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i != 0) out += ", ";
    out += names[i];
  }
  return out;
}

template <class T>
Status read_object(const json& j, const std::string& path, T& out);

template <class M>
Status read_value(const json& v, const std::string& path, M& out) {
  if constexpr (is_optional<M>::value) {
    typename M::value_type value{};
    MLEDGER_JSON_TRY(read_value(v, path, value));
    out = std::move(value);
  } else if constexpr (std::is_same_v<M, std::string>) {
    if (!v.is_string()) return field_error(path, "must be a string");
    out = v.get<std::string>();
  } else if constexpr (std::is_same_v<M, bool>) {
    if (!v.is_boolean()) return field_error(path, "must be true or false");
    out = v.get<bool>();
  } else if constexpr (std::is_same_v<M, uint32_t>) {
    constexpr uint64_t max = std::numeric_limits<uint32_t>::max();
    const bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() <= max
                          : v.is_number_integer() ? v.get<int64_t>() >= 0 &&
                                                        static_cast<uint64_t>(v.get<int64_t>()) <= max
                                                  : false;
    if (!in_range) return field_error(path, "must be an integer from 0 to 4294967295");
    out = static_cast<uint32_t>(v.get<uint64_t>());
  } else if constexpr (std::is_same_v<M, int64_t>) {
    const bool in_range =
        v.is_number_unsigned()
            ? v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
            : v.is_number_integer();
    if (!in_range) return field_error(path, "must be an integer that fits in 64 bits");
    out = v.get<int64_t>();
  } else if constexpr (std::is_same_v<M, Instant>) {
    std::optional<Instant> t = v.is_string() ? parse_rfc3339(v.get<std::string>()) : std::nullopt;
    if (!t) return field_error(path, "must be an RFC 3339 time such as 2026-01-05T09:00:00Z");
    out = *t;
  } else if constexpr (std::is_enum_v<M>) {
    std::optional<M> e = v.is_string() ? parse_enum<M>(v.get<std::string>()) : std::nullopt;
    if (!e) return field_error(path, one_of(enum_names(M{})));
    out = *e;
  } else if constexpr (has_fields_v<M>) {
    return read_object(v, path, out);
  } else if constexpr (is_string_map<M>::value) {
    if (!v.is_object()) return field_error(path, "must be an object");
    out.clear();
    for (auto it = v.begin(); it != v.end(); ++it) {
      MLEDGER_JSON_TRY(read_value(it.value(), path + "." + it.key(), out[it.key()]));
    }
  } else if constexpr (is_string_set<M>::value) {
    if (!v.is_array()) return field_error(path, "must be an array");
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) return field_error(path + "[" + std::to_string(i) + "]", "must be a string");
      out.insert(v[i].get<std::string>());
    }
  } else if constexpr (std::is_same_v<M, uint64_t>) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      return field_error(path, "must be a non-negative integer");
    }
    out = v.get<uint64_t>();
  } else if constexpr (is_vector<M>::value) {
    if (!v.is_array()) return field_error(path, "must be an array");
    out.clear();
    out.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      MLEDGER_JSON_TRY(read_value(v[i], path + "[" + std::to_string(i) + "]", out[i]));
    }
  } else {
    static_assert(dependent_false<M>, "a domain field type without a JSON form");
  }
  return Status::Ok();
}

template <class T>
Status read_object(const json& j, const std::string& path, T& out) {
  if (!j.is_object()) return field_error(path, "must be an object");
  Fields f(j, path);
  Status status;
  T::for_each_field(out, [&](const char* name, auto& member) {
    using M = std::decay_t<decltype(member)>;
    if (!status.ok()) return;
    const json* v = f.find(name);
    if (v == nullptr || (is_optional<M>::value && v->is_null())) {
      if constexpr (is_optional<M>::value) {
        member.reset();
      } else if constexpr (std::is_same_v<M, bool> || is_vector<M>::value ||
                           is_string_map<M>::value || is_string_set<M>::value) {
        member = M{};
      } else {
        if (v == nullptr && may_be_absent<T>(name)) {
          member = M{};
        } else {
          status = f.error(name, "is missing");
        }
      }
      return;
    }
    status = read_value(*v, f.where(name), member);
  });
  MLEDGER_JSON_TRY(status);
  return f.no_unknown();
}

// ---------------------------------------------------------------------------
// Generic writing.

template <class T>
json object_json(const T& value);

template <class M>
json value_json(const M& v) {
  if constexpr (std::is_same_v<M, Instant>) {
    return format_rfc3339(v);
  } else if constexpr (std::is_enum_v<M>) {
    return std::string(enum_name(v));
  } else if constexpr (has_fields_v<M>) {
    return object_json(v);
  } else if constexpr (is_vector<M>::value || is_string_set<M>::value) {
    json out = json::array();
    for (const auto& e : v) out.push_back(value_json(e));
    return out;
  } else if constexpr (is_string_map<M>::value) {
    json out = json::object();
    for (const auto& [k, e] : v) out[k] = value_json(e);
    return out;
  } else {
    static_assert(std::is_same_v<M, std::string> || std::is_same_v<M, bool> ||
                      std::is_same_v<M, uint32_t> || std::is_same_v<M, int64_t> ||
                      std::is_same_v<M, uint64_t>,
                  "a domain field type without a JSON form");
    return v;
  }
}

template <class T>
json object_json(const T& value) {
  json j = json::object();
  T::for_each_field(value, [&](const char* name, const auto& member) {
    using M = std::decay_t<decltype(member)>;
    if constexpr (is_optional<M>::value) {
      if (member) j[name] = value_json(*member);
    } else {
      j[name] = value_json(member);
    }
  });
  return j;
}

#undef MLEDGER_JSON_TRY

}  // namespace mledger::json
