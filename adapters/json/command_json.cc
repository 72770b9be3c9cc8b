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
#include "adapters/json/fields_json.h"
#include "adapters/json/strict_json.h"

namespace mledger::json {

using nlohmann::json;

namespace {

#define MLEDGER_TRY(expr)                        \
  do {                                           \
    if (Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

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
    if (!in_command_time_range(*t)) return f.error("now", "must be " + std::string(kCommandTimeRange));
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

// Parses a whole document within `max_bytes`, strictly (strict_json.h); never throws.
Status parse_document(std::string_view text, size_t max_bytes, std::string_view what, json* doc) {
  if (text.size() > max_bytes) {
    return Status(StatusCode::limit_exceeded, std::string(what) + " of " +
                                                  std::to_string(text.size()) + " bytes is over the " +
                                                  std::to_string(max_bytes) + "-byte limit");
  }
  return parse_strict(text, doc);
}

// Every Instant in `value` (a command's data) within the command time range.
template <class M>
Status check_times(const M& value, const std::string& path) {
  if constexpr (std::is_same_v<M, Instant>) {
    if (!in_command_time_range(value)) return field_error(path, "must be " + std::string(kCommandTimeRange));
  } else if constexpr (is_optional<M>::value) {
    if (value) return check_times(*value, path);
  } else if constexpr (has_fields_v<M>) {
    Status status;
    M::for_each_field(value, [&](const char* name, const auto& member) {
      if (status.ok()) status = check_times(member, path + "." + name);
    });
    return status;
  } else if constexpr (is_vector<M>::value) {
    for (size_t i = 0; i < value.size(); ++i) {
      MLEDGER_TRY(check_times(value[i], path + "[" + std::to_string(i) + "]"));
    }
  } else if constexpr (is_string_map<M>::value) {
    for (const auto& [key, item] : value) MLEDGER_TRY(check_times(item, path + "." + key));
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
  const Status times = std::visit([](const auto& body) { return check_times(body, "data"); }, parsed.command.body);
  if (!times.ok()) return Err{times};
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
