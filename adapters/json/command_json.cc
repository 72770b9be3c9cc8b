#include "adapters/json/command_json.h"

#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/crypto/sha256.h"
#include "domain/core/fields.h"
#include "domain/core/limits.h"

namespace mledger::json {

using nlohmann::json;

namespace {

#define MLEDGER_TRY(expr)                        \
  do {                                           \
    if (Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

Status field_error(const std::string& path, std::string_view problem) {
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
bool may_be_absent<PostalAddress>(std::string_view field) {
  return field == "line2" || field == "region" || field == "postal_code";
}

std::string one_of(std::span<const std::string_view> names) {
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
    MLEDGER_TRY(read_value(v, path, value));
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
  } else if constexpr (is_vector<M>::value) {
    if (!v.is_array()) return field_error(path, "must be an array");
    out.clear();
    out.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      MLEDGER_TRY(read_value(v[i], path + "[" + std::to_string(i) + "]", out[i]));
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
      } else if constexpr (std::is_same_v<M, bool> || is_vector<M>::value) {
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
  MLEDGER_TRY(status);
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
  } else if constexpr (is_vector<M>::value) {
    json out = json::array();
    for (const auto& e : v) out.push_back(value_json(e));
    return out;
  } else {
    static_assert(std::is_same_v<M, std::string> || std::is_same_v<M, bool> ||
                      std::is_same_v<M, uint32_t> || std::is_same_v<M, int64_t>,
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

// ---------------------------------------------------------------------------
// Command types, by name.

using BodyReader = Status (*)(const json& data, CommandBody& out);

template <size_t I>
Status read_body(const json& data, CommandBody& out) {
  std::variant_alternative_t<I, CommandBody> body{};
  MLEDGER_TRY(read_object(data, "data", body));
  out.emplace<I>(std::move(body));
  return Status::Ok();
}

struct CommandType {
  std::string_view name;
  BodyReader read = nullptr;
  bool targets_account = true;
};

template <size_t... I>
std::array<CommandType, sizeof...(I)> command_types(std::index_sequence<I...>) {
  return {CommandType{std::variant_alternative_t<I, CommandBody>::kName, &read_body<I>,
                      targets_account(CommandBody(std::in_place_index<I>))}...};
}

const CommandType* find_command_type(std::string_view name) {
  static const auto types =
      command_types(std::make_index_sequence<std::variant_size_v<CommandBody>>{});
  for (const CommandType& t : types) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------

Status read_actor(const json& j, Actor* actor) {
  if (!j.is_object()) return field_error("actor", "must be an object");
  Fields f(j, "actor");
  std::string kind;
  MLEDGER_TRY(f.text("kind", &kind));
  auto k = parse_actor_kind(kind);
  if (!k) return f.error("kind", "must be one of user, auditor, operator, service");
  actor->kind = *k;
  MLEDGER_TRY(f.text("account_id", &actor->account_id, actor->kind == ActorKind::user));
  MLEDGER_TRY(f.text("user_id", &actor->user_id));
  if (actor->user_id.empty() || actor->user_id.size() > limits::user_id_bytes_max) {
    return f.error("user_id", "must be 1 to 128 bytes");
  }
  if (const json* roles = f.find("roles")) {
    if (!roles->is_array()) return f.error("roles", "must be an array of role names");
    if (roles->size() > limits::roles_per_actor_max) return f.error("roles", "has too many roles");
    for (const json& r : *roles) {
      auto role = r.is_string() ? parse_role(r.get<std::string>()) : std::nullopt;
      if (!role) return f.error("roles", "holds an unknown role (see docs/commands.md)");
      actor->roles.push_back(*role);
    }
  }
  return f.no_unknown();
}

Status parse_into(const json& doc, Instant default_now, Command* out) {
  if (!doc.is_object()) return Status(StatusCode::invalid_argument, "a command must be a JSON object");
  Fields f(doc, "");
  CommandContext& ctx = out->context;
  MLEDGER_TRY(f.text("command_id", &ctx.command_id));
  if (ctx.command_id.empty() || ctx.command_id.size() > limits::command_id_bytes_max) {
    return f.error("command_id", "must be 1 to 128 bytes");
  }
  std::string type;
  MLEDGER_TRY(f.text("type", &type));
  const CommandType* command_type = find_command_type(type);
  if (command_type == nullptr) {
    return f.error("type", "'" + type.substr(0, 64) + "' is not a known command type");
  }
  if (command_type->targets_account) {
    MLEDGER_TRY(f.text("account_id", &ctx.account_id));
    if (ctx.account_id.empty() || ctx.account_id.size() > limits::account_id_bytes_max) {
      return f.error("account_id", "must be 1 to 64 bytes");
    }
  } else if (f.find("account_id") != nullptr) {
    return f.error("account_id",
                   "must be absent: " + type + " targets no partner account");
  }
  const json* actor = nullptr;
  MLEDGER_TRY(f.object("actor", &actor));
  MLEDGER_TRY(read_actor(*actor, &ctx.actor));
  std::optional<std::string> now;
  MLEDGER_TRY(f.optional_text("now", &now));
  if (now) {
    auto t = parse_rfc3339(*now);
    if (!t) return f.error("now", "must be an RFC 3339 UTC time such as 2026-01-05T09:00:00Z");
    ctx.now = *t;
  } else {
    ctx.now = default_now;
  }
  MLEDGER_TRY(f.text("correlation_id", &ctx.correlation_id, false));
  MLEDGER_TRY(f.text("causation_id", &ctx.causation_id, false));
  if (ctx.correlation_id.size() > limits::command_id_bytes_max ||
      ctx.causation_id.size() > limits::command_id_bytes_max) {
    return Status(StatusCode::invalid_argument, "correlation_id and causation_id are at most 128 bytes");
  }
  const json* data = nullptr;
  MLEDGER_TRY(f.object("data", &data));
  MLEDGER_TRY(command_type->read(*data, out->body));
  return f.no_unknown();
}

// Parses a whole document within `max_bytes`; never throws.
Status parse_document(std::string_view text, size_t max_bytes, std::string_view what, json* doc) {
  if (text.size() > max_bytes) {
    return Status(StatusCode::limit_exceeded, std::string(what) + " of " +
                                                  std::to_string(text.size()) + " bytes is over the " +
                                                  std::to_string(max_bytes) + "-byte limit");
  }
  try {
    *doc = json::parse(text);
  } catch (const json::exception& e) {
    // nlohmann's messages name the byte position and the problem (syntax,
    // ill-formed UTF-8, ...).
    std::string what_failed = e.what();
    if (auto p = what_failed.find("] "); p != std::string::npos) what_failed = what_failed.substr(p + 2);
    return Status(StatusCode::invalid_argument, "malformed JSON: " + what_failed);
  }
  return Status::Ok();
}

json actor_json(const Actor& actor) {
  json j = {{"kind", std::string(actor_kind_name(actor.kind))}, {"user_id", actor.user_id}};
  if (!actor.account_id.empty() || actor.kind == ActorKind::user) j["account_id"] = actor.account_id;
  if (!actor.roles.empty()) j["roles"] = value_json(actor.roles);
  return j;
}

}  // namespace

StatusOr<ParsedCommand> parse_command(std::string_view text, Instant default_now) {
  json doc;
  if (Status s = parse_document(text, kCommandBytesMax, "command", &doc); !s.ok()) return Err{s};
  ParsedCommand parsed;
  if (Status s = parse_into(doc, default_now, &parsed.command); !s.ok()) return Err{s};
  const std::string canonical = doc.dump();  // object keys are sorted: canonical
  parsed.digest = sha256({canonical});
  return parsed;
}

json command_data_to_json(const CommandBody& body) {
  return std::visit([](const auto& c) { return object_json(c); }, body);
}

json command_to_json(const Command& command) {
  const CommandContext& ctx = command.context;
  json j = {{"command_id", ctx.command_id},
            {"type", std::string(command_type_name(command.body))},
            {"actor", actor_json(ctx.actor)},
            {"now", format_rfc3339(ctx.now)},
            {"data", command_data_to_json(command.body)}};
  if (targets_account(command.body)) j["account_id"] = ctx.account_id;
  if (!ctx.correlation_id.empty()) j["correlation_id"] = ctx.correlation_id;
  if (!ctx.causation_id.empty()) j["causation_id"] = ctx.causation_id;
  return j;
}

StatusOr<OfferCatalogue> parse_offer_catalogue(std::string_view json_text) {
  json doc;
  if (Status s = parse_document(json_text, kCatalogueBytesMax, "catalogue", &doc); !s.ok()) {
    return Err{s};
  }
  if (!doc.is_object()) {
    return fail(StatusCode::invalid_argument, "a catalogue must be a JSON object");
  }
  OfferCatalogue catalogue;
  if (Status s = read_object(doc, "", catalogue); !s.ok()) return Err{s};
  return catalogue;
}

json offer_catalogue_to_json(const OfferCatalogue& catalogue) { return object_json(catalogue); }

json payload_to_json(const EventPayload& payload) {
  return std::visit([](const auto& e) { return object_json(e); }, payload);
}

std::string dump_text(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json event_to_json(const RecordedEvent& e) {
  return {{"seq", e.seq},
          {"stream", e.stream},
          {"version", e.version},
          {"event_id", e.event_id},
          {"type", std::string(event_type_name(e.payload))},
          {"schema_version", e.schema_version},
          {"recorded_at", format_rfc3339(e.metadata.recorded_at)},
          {"occurred_at", format_rfc3339(e.metadata.occurred_at)},
          {"command_id", e.metadata.command_id},
          {"correlation_id", e.metadata.correlation_id},
          {"causation_id", e.metadata.causation_id},
          {"actor",
           {{"kind", std::string(actor_kind_name(e.metadata.actor.kind))},
            {"account_id", e.metadata.actor.account_id},
            {"user_id", e.metadata.actor.user_id},
            {"roles", value_json(e.metadata.actor.roles)}}},
          {"account_ids", e.account_ids},
          {"data", payload_to_json(e.payload)},
          {"prev_hash", to_hex(e.prev_hash)},
          {"hash", to_hex(e.hash)}};
}

}  // namespace mledger::json
