#include "adapters/json/command_json.h"

#include <set>

#include "adapters/crypto/sha256.h"
#include "domain/core/limits.h"

namespace mledger::json {

using nlohmann::json;

namespace {

// Reads fields of one JSON object, remembering which were used so that
// unknown ones can be reported. Errors carry the field's dotted path.
class Fields {
 public:
  Fields(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string where(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  Status error(std::string_view key, std::string_view problem) const {
    return Status(StatusCode::invalid_argument,
                  "field '" + where(key) + "' " + std::string(problem));
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

  Status object(std::string_view key, const json** out, bool required = true) {
    const json* v = find(key);
    if (v == nullptr || (!required && v->is_null())) {
      *out = nullptr;
      return required ? error(key, "is missing") : Status::Ok();
    }
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

  const std::string& path() const { return path_; }

 private:
  const json& obj_;
  std::string path_;
  std::set<std::string, std::less<>> used_;
};

#define MLEDGER_TRY(expr)            \
  do {                               \
    if (Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

Status read_address(const json& j, const std::string& path, PostalAddress* a) {
  Fields f(j, path);
  MLEDGER_TRY(f.text("line1", &a->line1));
  MLEDGER_TRY(f.text("line2", &a->line2, false));
  MLEDGER_TRY(f.text("city", &a->city));
  MLEDGER_TRY(f.text("region", &a->region, false));
  MLEDGER_TRY(f.text("postal_code", &a->postal_code, false));
  MLEDGER_TRY(f.text("country", &a->country));
  return f.no_unknown();
}

Status read_actor(const json& j, Actor* actor) {
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

Status read_enroll(const json& j, EnrollPartnerAccount* c) {
  Fields f(j, "data");
  MLEDGER_TRY(f.text("legal_name", &c->legal_name));
  const json* address = nullptr;
  MLEDGER_TRY(f.object("address", &address));
  MLEDGER_TRY(read_address(*address, "data.address", &c->address));
  MLEDGER_TRY(f.text("phone", &c->phone));
  const json* contact = nullptr;
  MLEDGER_TRY(f.object("primary_contact", &contact));
  {
    Fields cf(*contact, "data.primary_contact");
    MLEDGER_TRY(cf.text("first_name", &c->primary_contact.first_name));
    MLEDGER_TRY(cf.text("last_name", &c->primary_contact.last_name));
    MLEDGER_TRY(cf.text("email", &c->primary_contact.email));
    MLEDGER_TRY(cf.no_unknown());
  }
  MLEDGER_TRY(f.optional_text("duns_number", &c->duns_number));
  const json* validated = nullptr;
  MLEDGER_TRY(f.object("validated_address", &validated, false));
  if (validated) {
    PostalAddress v;
    MLEDGER_TRY(read_address(*validated, "data.validated_address", &v));
    c->validated_address = v;
  }
  std::optional<std::string> kept;
  MLEDGER_TRY(f.optional_text("kept_address", &kept));
  if (kept) {
    if (*kept == "entered") {
      c->kept_address = AddressKept::entered;
    } else if (*kept == "validated") {
      c->kept_address = AddressKept::validated;
    } else {
      return f.error("kept_address", "must be \"entered\" or \"validated\"");
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
  MLEDGER_TRY(f.text("account_id", &ctx.account_id));
  if (ctx.account_id.empty() || ctx.account_id.size() > limits::account_id_bytes_max) {
    return f.error("account_id", "must be 1 to 64 bytes");
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
  if (type == "enroll_partner_account") {
    EnrollPartnerAccount c;
    MLEDGER_TRY(read_enroll(*data, &c));
    out->body = std::move(c);
  } else {
    return f.error("type", "'" + type.substr(0, 64) + "' is not a known command type");
  }
  return f.no_unknown();
}

json address_json(const PostalAddress& a) {
  return {{"line1", a.line1},   {"line2", a.line2},             {"city", a.city},
          {"region", a.region}, {"postal_code", a.postal_code}, {"country", a.country}};
}

json roles_json(const std::vector<Role>& roles) {
  json out = json::array();
  for (Role r : roles) out.push_back(std::string(role_name(r)));
  return out;
}

struct PayloadJson {
  json operator()(const PartnerAccountEnrolled& e) const {
    json j = {{"account_id", e.account_id},
              {"legal_name", e.legal_name},
              {"address", address_json(e.address)},
              {"phone", e.phone},
              {"primary_contact",
               {{"first_name", e.primary_contact.first_name},
                {"last_name", e.primary_contact.last_name},
                {"email", e.primary_contact.email}}},
              {"enrolled_by_user_id", e.enrolled_by_user_id},
              {"source", e.source == CompanySource::duns_lookup ? "duns_lookup" : "entered_by_hand"}};
    if (!e.duns_number.empty()) j["duns_number"] = e.duns_number;
    if (e.address_validation) {
      j["address_validation"] = {
          {"entered", address_json(e.address_validation->entered)},
          {"validated", address_json(e.address_validation->validated)},
          {"kept", e.address_validation->kept == AddressKept::validated ? "validated" : "entered"}};
    }
    return j;
  }
  json operator()(const UserAdded& e) const {
    return {{"account_id", e.account_id},     {"user_id", e.user_id},
            {"email", e.email},               {"display_name", e.display_name},
            {"guest", e.guest},               {"roles", roles_json(e.roles)}};
  }
};

}  // namespace

StatusOr<ParsedCommand> parse_command(std::string_view text, Instant default_now) {
  if (text.size() > kCommandBytesMax) {
    return fail(StatusCode::limit_exceeded, "command of " + std::to_string(text.size()) +
                                                " bytes is over the 65536-byte limit");
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // nlohmann's messages name the byte position and the problem (syntax,
    // ill-formed UTF-8, ...).
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return fail(StatusCode::invalid_argument, "malformed JSON: " + what);
  }
  ParsedCommand parsed;
  if (Status s = parse_into(doc, default_now, &parsed.command); !s.ok()) return Err{s};
  const std::string canonical = doc.dump();  // object keys are sorted: canonical
  parsed.digest = sha256({canonical});
  return parsed;
}

json payload_to_json(const EventPayload& payload) { return std::visit(PayloadJson{}, payload); }

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
            {"roles", roles_json(e.metadata.actor.roles)}}},
          {"account_ids", e.account_ids},
          {"data", payload_to_json(e.payload)},
          {"prev_hash", to_hex(e.prev_hash)},
          {"hash", to_hex(e.hash)}};
}

json position_to_json(const EventPosition& p) {
  return {{"seq", p.seq},       {"stream", p.stream}, {"version", p.version},
          {"event_id", p.event_id}, {"type", p.type}, {"hash", to_hex(p.hash)}};
}

json result_to_json(const CommandResult& r) {
  json j;
  switch (r.kind) {
    case CommandResult::Kind::accepted: j["status"] = "accepted"; break;
    case CommandResult::Kind::duplicate: j["status"] = "duplicate"; break;
    case CommandResult::Kind::rejected: j["status"] = "rejected"; break;
  }
  if (r.rejection) {
    j["code"] = std::string(code_name(r.rejection->code));
    j["rule"] = std::string(rule_id(r.rejection->code));
    j["message"] = r.rejection->message;
  } else {
    json events = json::array();
    for (const auto& p : r.events) events.push_back(position_to_json(p));
    j["events"] = std::move(events);
  }
  return j;
}

}  // namespace mledger::json
