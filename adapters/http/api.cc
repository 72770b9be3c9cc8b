#include "adapters/http/api.h"

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <strings.h>

#include "adapters/audit/account_export.h"
#include "adapters/audit/ledger_digest.h"
#include "adapters/audit/proofs.h"
#include "adapters/http/access.h"
#include "adapters/http/openapi_document.h"
#include "adapters/http/readiness.h"
#include "adapters/http/routes.h"
#include "adapters/ledger/deadline_runner.h"
#include "adapters/json/command_json.h"
#include "adapters/json/strict_json.h"
#include "adapters/projections/read_models.h"
#include "domain/access/permissions.h"
#include "domain/core/limits.h"
#include "domain/core/result.h"

namespace mledger::http {

struct CommandsBody {
  bool batch = false;
  std::vector<json::ParsedCommand> commands;
};

namespace {

using nlohmann::json;
namespace mj = mledger::json;

HttpResponse json_response(int status, const json& body, const std::string& route) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  r.route = route;
  return r;
}

// "application/json", any case, parameters (charset) allowed.
bool is_json_media_type(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  const size_t end = type.find_last_not_of(" \t");
  return end != std::string_view::npos && end + 1 == 16 &&
         strncasecmp(type.data(), "application/json", 16) == 0;
}

// Who a token speaks for, as the access log shows it: "user:u-anna@contoso-fr".
std::string principal_of(const auth::TokenClaims& t) {
  return std::string(actor_kind_name(t.kind)) + ":" + t.user_id + (t.account_id.empty() ? "" : "@" + t.account_id);
}

HttpResponse denied(const Denial& d, const std::string& route) {
  return json_response(403, {{"error", d.code}, {"rule", d.rule}, {"message", d.message}}, route);
}

std::optional<uint64_t> to_number(const std::string& text) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(text);
}


// The body of POST /v1/commands: one command or a batch, every command
// parsed (and none run) before any answer but a refusal of the whole body.
HttpResponse malformed_command(const json& problems, const std::string& route) {
  return json_response(400, {{"error", "malformed_command"}, {"message", problems[0]}, {"problems", problems}},
                       route);
}

Result<CommandsBody, HttpResponse> parse_commands_body(const std::string& body, Instant now, size_t batch_max,
                                                       const std::string& route) {
  const size_t first = body.find_first_not_of(" \t\r\n");
  CommandsBody out;
  out.batch = first != std::string::npos && body[first] == '[';
  const HttpResponse not_json = error_response(
      400, "malformed_json", "the body must be one command (a JSON object) or a JSON array of commands", route);
  if (!out.batch) {
    // One command: parse_command reads the body itself (one parse, not two).
    if (first == std::string::npos || body[first] != '{') return Err{not_json};
    auto p = mj::parse_command(body, now);
    if (!p.ok()) {
      if (!json::accept(body)) return Err{not_json};
      return Err{malformed_command(json::array({p.error().message()}), route)};
    }
    out.commands.push_back(std::move(*p));
    return out;
  }
  // Strictly (keys given twice, NUL bytes): the items are parsed again below
  // from this parse's output, where such things no longer show.
  json doc;
  if (const Status strict = mj::parse_strict(body, &doc, "commands"); !strict.ok()) {
    if (!json::accept(body)) return Err{not_json};
    return Err{malformed_command(json::array({strict.message()}), route)};
  }
  if (doc.empty() || doc.size() > batch_max) {
    return Err{error_response(doc.empty() ? 400 : 413, doc.empty() ? "empty_batch" : "batch_too_large",
                              "a batch holds 1 to " + std::to_string(batch_max) + " commands; this one holds " +
                                  std::to_string(doc.size()),
                              route)};
  }
  json problems = json::array();
  for (size_t i = 0; i < doc.size(); ++i) {
    auto p = mj::parse_command(doc[i].dump(-1, ' ', false, json::error_handler_t::replace), now);
    if (p.ok()) {
      out.commands.push_back(std::move(*p));
    } else {
      problems.push_back("commands[" + std::to_string(i) + "]: " + p.error().message());
    }
  }
  if (!problems.empty()) return Err{malformed_command(problems, route)};
  return out;
}

// Route (404), account id (400), method (405): the route the request takes.
Result<const Route*, HttpResponse> find_route(const HttpRequest& request, std::string* account) {
  const RouteMatch m = match_route(request.path);
  if (m.routes.empty()) {
    return Err{error_response(404, "no_such_endpoint", "no endpoint " + request.path + " (see docs/api.md)")};
  }
  const Route& first = *m.routes.front();
  if (m.has_account && !m.account) {
    return Err{error_response(400, "bad_account_id",
                              "the account id in the path must be 1 to 64 bytes, percent-encoded, "
                              "without control characters",
                              first.label)};
  }
  if (m.account) *account = *m.account;
  std::string allow;
  for (const Route* r : m.routes) {
    if (r->method == request.method) return r;
    allow += (allow.empty() ? "" : ", ") + r->method;
  }
  HttpResponse r = error_response(405, "method_not_allowed", first.label + " takes " + allow, first.label);
  r.headers.emplace_back("Allow", allow);
  return Err{std::move(r)};
}

// Query (400 bad_query): each parameter once, and only those the route takes.
std::optional<HttpResponse> read_query(const Route& route, std::string_view query,
                                       std::map<std::string, std::string>* out) {
  for (std::string_view rest = query; !rest.empty();) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) {
      return error_response(400, "bad_query", "the query string has a bad percent-escape", route.label);
    }
    if (!route.query.contains(*name)) {
      return error_response(400, "bad_query", route.label + " takes no parameter '" + *name + "'", route.label);
    }
    if (!out->emplace(*name, std::move(*value)).second) {
      return error_response(400, "bad_query", "parameter '" + *name + "' is given twice", route.label);
    }
  }
  return std::nullopt;
}

}  // namespace

struct Api::Screened {
  Endpoint endpoint = Endpoint::healthz;
  std::string route;
  std::string account;
  const ReadModel* model = nullptr;
  std::map<std::string, std::string> query;
  auth::TokenClaims token;
};

Api::Api(ApiParts parts, ApiOptions options)
    : parts_(std::move(parts)),
      options_(options),
      commands_(parts_.metrics.counter("mledger_commands_total",
                                       "Commands executed, by type and outcome "
                                       "(accepted, duplicate, rejected, failed)",
                                       {"type", "outcome"})),
      rejections_(parts_.metrics.counter("mledger_rejections_total",
                                         "Commands rejected, by rejection code", {"code"})),
      command_latency_(parts_.metrics.histogram(
          "mledger_command_duration_seconds",
          "From a commands request's parse to its durable result", {"kind"},
          latency_buckets_seconds())),
      request_commands_(parts_.metrics.histogram("mledger_request_commands",
                                                 "Commands per POST /v1/commands", {},
                                                 size_buckets())),
      auth_failures_(parts_.metrics.counter("mledger_auth_failures_total",
                                            "Requests refused 401 or 403, by code", {"code"})) {}

std::optional<HttpResponse> Api::screen(HttpRequest& request) {
  Screened s;
  auto found = find_route(request, &s.account);
  if (!found.ok()) return std::move(found.error());
  const Route& route = **found;
  s.endpoint = route.endpoint;
  s.route = route.label;
  s.model = route.model;
  if (auto bad = read_query(route, request.query, &s.query)) return std::move(*bad);

  // Health and the description need no token and are answered here, on the
  // event loop: a loop that answers is a live one.
  if (route.endpoint == Endpoint::healthz) return json_response(200, {{"status", "ok"}}, s.route);
  if (route.endpoint == Endpoint::readyz) return ready();
  if (route.endpoint == Endpoint::openapi) {
    HttpResponse r;
    r.body = std::string(openapi_json()) + "\n";
    r.route = s.route;
    return r;
  }
  if (auto refused = authenticate(request, s)) return std::move(*refused);

  // Authorization.
  const std::string principal = principal_of(s.token);
  if (auto d = check_access(route.audience, s.token, s.account)) {
    auth_failures_.at({d->code}).add();
    HttpResponse r = denied(*d, s.route);
    r.principal = principal;
    return r;
  }
  if (route.endpoint == Endpoint::metrics) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = parts_.metrics.render();
    r.route = s.route;
    r.principal = principal;
    return r;
  }
  if (route.endpoint == Endpoint::commands && !is_json_media_type(request.content_type)) {
    HttpResponse r = error_response(415, "unsupported_media_type",
                                    "send commands as Content-Type: application/json", s.route);
    r.principal = principal;
    return r;
  }
  request.context = std::make_shared<Screened>(std::move(s));
  return std::nullopt;
}

std::optional<HttpResponse> Api::authenticate(const HttpRequest& request, Screened& s) {
  auto refuse = [&](const auth::TokenRejection& r) {
    auth_failures_.at({std::string(auth::token_problem_code(r.problem))}).add();
    HttpResponse resp = error_response(401, auth::token_problem_code(r.problem), r.message, s.route);
    resp.headers.emplace_back("WWW-Authenticate",
                              r.problem == auth::TokenProblem::missing
                                  ? "Bearer realm=\"mledger\""
                                  : "Bearer realm=\"mledger\", error=\"invalid_token\"");
    return resp;
  };
  const std::string& header = request.authorization;
  if (header.empty()) {
    return refuse({auth::TokenProblem::missing, "this endpoint needs an Authorization: Bearer token"});
  }
  if (header.size() < 7 || strncasecmp(header.c_str(), "Bearer ", 7) != 0) {
    return refuse({auth::TokenProblem::malformed, "the Authorization header must be 'Bearer TOKEN'"});
  }
  const int64_t now_s = parts_.clock.now().micros_since_epoch / 1'000'000;
  auto verified = auth::verify_token(parts_.key, std::string_view(header).substr(7), now_s);
  if (const auto* r = std::get_if<auth::TokenRejection>(&verified)) return refuse(*r);
  s.token = std::move(std::get<auth::TokenClaims>(verified));
  // After the signature: a forged token naming a revoked jti is a bad signature.
  if (parts_.revocations != nullptr && parts_.revocations->contains(s.token.token_id)) {
    return refuse({auth::TokenProblem::revoked, "the token has been revoked"});
  }
  return std::nullopt;
}

HttpResponse Api::handle(HttpRequest& request) {
  const auto& s = *std::any_cast<std::shared_ptr<Screened>&>(request.context);
  return answered_by(s, route_request(s, request.body));
}

HttpResponse Api::answered_by(const Screened& s, HttpResponse r) {
  r.principal = principal_of(s.token);
  return r;
}

HttpResponse Api::route_request(const Screened& s, const std::string& body) {
  switch (s.endpoint) {
    case Endpoint::commands: return commands(s, body);
    case Endpoint::read_model: return read_model(s);
    case Endpoint::history: return history(s);
    case Endpoint::state: return state(s);
    case Endpoint::export_account: return export_account(s);
    case Endpoint::digest: return digest(s);
    case Endpoint::projections: return projections_status();
    case Endpoint::projections_catch_up:
    case Endpoint::projections_rebuild:
    case Endpoint::projections_verify: return projections_run(s, body);
    case Endpoint::tick: return tick(s);
    case Endpoint::tree_head_latest:
    case Endpoint::proof_inclusion:
    case Endpoint::proof_consistency: return tree_proof(s);
    case Endpoint::healthz:
    case Endpoint::readyz:
    case Endpoint::metrics:
    case Endpoint::openapi: break;  // answered by screen()
  }
  return error_response(500, "internal", "unrouted request", s.route);
}

HttpResponse Api::failure(const Status& status, const std::string& route) {
  const bool busy = status.code() == StatusCode::unavailable || status.code() == StatusCode::limit_exceeded;
  HttpResponse r = error_response(503, busy ? "unavailable" : "storage_failed",
                                  status.to_string(), route);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse Api::command_failure(const Status& status, const std::string& route) {
  const WriterHealth health = parts_.writer.health();
  if (!health.failing()) return failure(status, route);
  HttpResponse r = error_response(503, "writer_failing",
                                  "the ledger cannot write now (" + health.last_failure.to_string() +
                                      "): " + status.to_string(),
                                  route);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

void Api::count(const Command& command, std::string_view outcome, std::string_view code) {
  count_type(command_type_name(command.body), outcome, code);
}

void Api::count_type(std::string_view type, std::string_view outcome, std::string_view code) {
  commands_.at({std::string(type), std::string(outcome)}).add();
  if (!code.empty()) rejections_.at({std::string(code)}).add();
}

Result<CommandsBody, HttpResponse> Api::admitted_commands(const Screened& s, const std::string& body) {
  auto read = parse_commands_body(body, parts_.clock.now(), options_.batch_commands_max, s.route);
  if (!read.ok()) return read;
  for (const auto& p : read->commands) {
    if (auto d = check_command(s.token, p.command)) {
      auth_failures_.at({d->code}).add();
      return Err{denied(*d, s.route)};
    }
  }
  request_commands_.at({}).observe(static_cast<double>(read->commands.size()));
  return read;
}

HttpResponse Api::commands(const Screened& s, const std::string& body) {
  const auto start = std::chrono::steady_clock::now();
  auto read = admitted_commands(s, body);
  if (!read.ok()) return std::move(read.error());
  auto results = execute_waiting(*read);
  return commands_answer(s.route, *read, results, start);
}

std::vector<StatusOr<CommandResult>> Api::execute_waiting(const CommandsBody& read) {
  std::vector<StatusOr<CommandResult>> results;
  if (read.batch) {
    std::vector<BatchItem> items;
    items.reserve(read.commands.size());
    for (const auto& p : read.commands) items.push_back(BatchItem{&p.command, p.digest});
    results = parts_.ledger.execute_batch(items);
  } else {
    results.push_back(parts_.ledger.execute(read.commands[0].command, read.commands[0].digest));
  }
  return results;
}

void Api::handle_later(HttpRequest& request, const Reply& reply) {
  auto s = std::any_cast<std::shared_ptr<Screened>>(request.context);
  if (s->endpoint != Endpoint::commands) return HttpHandler::handle_later(request, reply);
  const auto start = std::chrono::steady_clock::now();
  auto read = admitted_commands(*s, request.body);
  if (!read.ok()) return reply.answer([&] { return answered_by(*s, std::move(read.error())); });
  if (read->batch) {  // a batch waits on the worker (Ledger::execute_batch)
    return reply.answer([&] {
      auto results = execute_waiting(*read);
      return answered_by(*s, commands_answer(s->route, *read, results, start));
    });
  }
  // One command: decided here, completed by the writer's thread once its
  // events are durable and answered (the JSON made) on the event loop; the
  // worker goes on to the next request.
  auto body = std::make_shared<CommandsBody>(std::move(read.value()));
  auto command = std::shared_ptr<const Command>(body, &body->commands[0].command);
  parts_.ledger.execute_then(command, body->commands[0].digest, reply.defer,
                             [this, s, body, reply, start](StatusOr<CommandResult> result) {
                               reply.answer_on_loop([this, s, body, start, result = std::move(result)]() mutable {
                                 std::vector<StatusOr<CommandResult>> results;
                                 results.push_back(std::move(result));
                                 return answered_by(*s, commands_answer(s->route, *body, results, start));
                               });
                             });
}

HttpResponse Api::commands_answer(const std::string& route, const CommandsBody& read,
                                  std::vector<StatusOr<CommandResult>>& results,
                                  std::chrono::steady_clock::time_point start) {
  const bool batch = read.batch;
  const std::vector<mj::ParsedCommand>& parsed = read.commands;
  const size_t n = parsed.size();
  command_latency_.at({batch ? "batch" : "single"})
      .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  json out = json::array();
  bool any_failed = false;
  for (size_t i = 0; i < n; ++i) {
    const Command& c = parsed[i].command;
    json j;
    if (!results[i].ok()) {
      any_failed = true;
      count(c, "failed", "");
      j = {{"status", "failed"}, {"error", results[i].error().to_string()}};
    } else {
      const CommandResult& r = *results[i];
      j = mj::result_to_json(r);
      count(c, j["status"].get<std::string>(),
            r.rejection ? std::string(code_name(r.rejection->code)) : std::string());
    }
    j["command_id"] = c.context.command_id;
    out.push_back(std::move(j));
  }
  if (!batch) {
    json& one = out[0];
    const std::string status = one["status"];
    if (status == "failed") return command_failure(results[0].error(), route);
    return json_response(status == "rejected" ? 422 : 200, one, route);
  }
  HttpResponse r = json_response(any_failed ? 503 : 200, {{"results", std::move(out)}}, route);
  if (any_failed) r.headers.emplace_back("Retry-After", "1");
  return r;
}

std::optional<HttpResponse> Api::unrecorded_reader(const Screened& s) {
  if (s.token.kind != ActorKind::user) return std::nullopt;
  auto recorded = recorded_user(parts_.store, parts_.engine, s.account, s.token.user_id);
  if (!recorded.ok()) return failure(recorded.error(), s.route);
  if (recorded->user) return std::nullopt;
  auth_failures_.at({"user_not_in_account"}).add();
  return denied(Denial{"user_not_in_account", "R-ROLE-05",
                       "the ledger records no user " + s.token.user_id + " in account " + s.account +
                           " (as of event " + std::to_string(recorded->as_of_seq) + ")"},
                s.route);
}

HttpResponse Api::tick(const Screened& s) {
  Instant now = parts_.clock.now();
  if (s.query.contains("now")) {
    auto t = parse_rfc3339(s.query.at("now"));
    if (!t || !mj::in_command_time_range(*t)) {
      return error_response(400, "bad_query", "now must be an RFC 3339 time " + std::string(mj::kCommandTimeRange),
                            s.route);
    }
    now = *t;
  }
  json results = json::array();
  uint64_t issued = 0, rejected = 0;
  constexpr size_t kResultsShownMax = 1000;
  const Status walked = issue_due_commands(parts_.ledger, parts_.log, now, s.token.user_id,
                                           [&](const DueOutcome& o) {
                                             ++issued;
                                             const bool no = o.result->kind == CommandResult::Kind::rejected;
                                             rejected += no ? 1 : 0;
                                             count_type(o.type,
                                                        no ? "rejected"
                                                           : o.result->kind == CommandResult::Kind::duplicate
                                                                 ? "duplicate"
                                                                 : "accepted",
                                                        no ? code_name(o.result->rejection->code) : "");
                                             if (results.size() < kResultsShownMax) {
                                               json j = mj::result_to_json(*o.result);
                                               j["command_id"] = o.command_id;
                                               j["type"] = o.type;
                                               results.push_back(std::move(j));
                                             }
                                           });
  json out = {{"now", format_rfc3339(now)}, {"issued", issued}, {"rejected", rejected},
              {"results", std::move(results)}, {"results_truncated", issued > kResultsShownMax}};
  if (!walked.ok()) {
    // The commands in `results` are durable; a rerun skips them (their ids).
    out["error"] = "storage_failed";
    out["message"] = walked.to_string();
    HttpResponse r = json_response(503, out, s.route);
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  return json_response(200, out, s.route);
}

HttpResponse Api::read_model(const Screened& s) {
  if (s.query.contains("min_seq")) {
    // Read your writes: wait until the projections hold event min_seq.
    const auto min_seq = to_number(s.query.at("min_seq"));
    if (!min_seq) return error_response(400, "bad_query", "min_seq must be a sequence number", s.route);
    const auto deadline = std::chrono::steady_clock::now() + options_.read_wait_max;
    parts_.projector.notify();
    while (parts_.projector.caught_up_to() < *min_seq) {
      if (std::chrono::steady_clock::now() >= deadline) {
        HttpResponse r = error_response(
            503, "projections_behind",
            "the projections have not reached event " + std::to_string(*min_seq) + " within " +
                std::to_string(options_.read_wait_max.count()) + " ms (they hold up to " +
                std::to_string(parts_.projector.caught_up_to()) + ")",
            s.route);
        r.headers.emplace_back("Retry-After", "1");
        return r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // After the wait: a user added by event min_seq may read with it.
  if (auto refused = unrecorded_reader(s)) return std::move(*refused);
  PageRequest page;
  for (const char* name : {"from_seq", "limit"}) {
    if (!s.query.contains(name)) continue;
    const auto n = to_number(s.query.at(name));
    if (!n) return error_response(400, "bad_query", std::string(name) + " must be a number", s.route);
    (name == std::string_view("limit") ? page.limit : page.from_seq) = *n;
  }
  if (s.query.contains("after")) page.after = s.query.at("after");
  if (const std::string problem = page_problem(*s.model, page); !problem.empty()) {
    return error_response(400, "bad_query", problem, s.route);
  }
  auto answer = query_read_model(parts_.log, parts_.store, parts_.engine, *s.model, s.account, page);
  if (!answer.ok()) return failure(answer.error(), s.route);
  if (!answer->has_value()) {
    return error_response(404, "account_not_found", "no events concern account " + s.account, s.route);
  }
  return json_response(200, **answer, s.route);
}

HttpResponse Api::history(const Screened& s) {
  std::optional<uint64_t> from_seq = 0, limit = 100;
  if (s.query.contains("from_seq")) from_seq = to_number(s.query.at("from_seq"));
  if (s.query.contains("limit")) limit = to_number(s.query.at("limit"));
  std::optional<Instant> from_t, to_t;
  bool times_ok = true;
  if (s.query.contains("from")) times_ok = (from_t = parse_rfc3339(s.query.at("from"))).has_value();
  if (times_ok && s.query.contains("to")) times_ok = (to_t = parse_rfc3339(s.query.at("to"))).has_value();
  if (!from_seq || !limit || *limit == 0 || *limit > options_.history_events_max || !times_ok ||
      (from_t && to_t && *from_t >= *to_t)) {
    return error_response(400, "bad_query",
                          "from_seq must be a number, limit from 1 to " +
                              std::to_string(options_.history_events_max) +
                              ", from and to RFC 3339 times with from before to",
                          s.route);
  }
  auto exists = parts_.log.read_account(s.account, 0, 1);
  if (!exists.ok()) return failure(exists.error(), s.route);
  if (exists->empty()) {
    return error_response(404, "account_not_found", "no events concern account " + s.account, s.route);
  }
  json events = json::array();
  uint64_t next = *from_seq, scanned = 0;
  bool exhausted = false;
  while (events.size() < *limit && scanned < options_.history_scan_events_max) {
    auto page = parts_.log.read_account(s.account, next, 1024);
    if (!page.ok()) return failure(page.error(), s.route);
    if (page->empty()) {
      exhausted = true;
      break;
    }
    for (const RecordedEvent& e : *page) {
      next = e.seq + 1;
      ++scanned;
      const Instant at = e.metadata.recorded_at;
      if ((!from_t || at >= *from_t) && (!to_t || at < *to_t)) events.push_back(mj::event_to_json(e));
      if (events.size() == *limit) break;
    }
  }
  if (!exhausted) {  // is there anything after `next`?
    auto more = parts_.log.read_account(s.account, next, 1);
    if (!more.ok()) return failure(more.error(), s.route);
    exhausted = more->empty();
  }
  return json_response(200,
                       {{"account_id", s.account},
                        {"events", std::move(events)},
                        {"next_from_seq", exhausted ? json() : json(next)}},
                       s.route);
}

HttpResponse Api::state(const Screened& s) {
  AsOf until;
  const bool by_seq = s.query.contains("at_seq");
  if (by_seq == s.query.contains("as_of")) {
    return error_response(400, "bad_query", "give exactly one of at_seq and as_of", s.route);
  }
  if (by_seq) {
    until.at_seq = to_number(s.query.at("at_seq"));
    if (!until.at_seq || *until.at_seq == 0) {
      return error_response(400, "bad_query", "at_seq must be a sequence number from 1", s.route);
    }
  } else {
    until.as_of = parse_rfc3339(s.query.at("as_of"));
    if (!until.as_of) {
      return error_response(400, "bad_query",
                            "as_of must be an RFC 3339 time such as 2026-01-05T09:00:00Z", s.route);
    }
  }
  if (s.query.contains("clock")) {
    if (by_seq) return error_response(400, "bad_query", "clock goes with as_of, not at_seq", s.route);
    const std::string& clock = s.query.at("clock");
    if (clock != "business" && clock != "recorded") {
      return error_response(400, "bad_query", "clock must be business or recorded", s.route);
    }
    until.recorded_clock = clock == "recorded";
  }
  auto folded = fold_account_as_of(parts_.log, s.account, until, parts_.read_model_snapshots);
  if (!folded.ok()) return failure(folded.error(), s.route);
  if (folded->events_folded == 0) {
    return error_response(404, "no_events_then",
                          "no events of account " + s.account + " at that point", s.route);
  }
  return json_response(200, account_as_of_json(*folded, s.account, until), s.route);
}

HttpResponse Api::export_account(const Screened& s) {
  if (parts_.tree_head_key == nullptr) {
    return error_response(503, "no_tree_head_key", "this server holds no tree-head key to sign exports", s.route);
  }
  auto head = signed_head(parts_.log, std::nullopt);
  if (!head.ok()) {
    if (head.error().code() == StatusCode::not_found) {
      return error_response(404, "no_tree_head", head.error().message(), s.route);
    }
    return failure(head.error(), s.route);
  }
  auto first = parts_.log.read_account(s.account, 0, 1);
  if (!first.ok()) return failure(first.error(), s.route);
  if (first->empty() || first->front().seq > head->tree_size) {
    return error_response(404, "account_not_found",
                          "no events concern account " + s.account + " in the latest signed tree head", s.route);
  }
  HttpResponse r;
  r.content_type = "application/x-ndjson";
  r.route = s.route;
  ExportSummary summary;
  Status written = mledger::export_account(
      parts_.log, s.account, *head, *parts_.tree_head_key, parts_.clock.now(),
      [&](std::string_view chunk) -> Status {
        if (r.body.size() + chunk.size() > options_.export_bytes_max) {
          return Status(StatusCode::limit_exceeded, "export_bytes_max");
        }
        r.body.append(chunk);
        return Status();
      },
      &summary);
  if (written.code() == StatusCode::limit_exceeded) {
    return error_response(413, "export_too_large",
                          "the export is larger than " + std::to_string(options_.export_bytes_max) +
                              " bytes; use mledger audit export",
                          s.route);
  }
  if (!written.ok()) return failure(written, s.route);
  return r;
}

HttpResponse Api::digest(const Screened& s) {
  std::optional<uint64_t> seq;
  if (s.query.contains("seq")) {
    seq = to_number(s.query.at("seq"));
    if (!seq) return error_response(400, "bad_query", "seq must be a sequence number", s.route);
  }
  auto d = digest_at(parts_.log, seq);
  if (!d.ok()) {
    if (d.error().code() == StatusCode::not_found) {
      return error_response(404, "no_such_event", d.error().message(), s.route);
    }
    if (d.error().code() == StatusCode::corruption) {
      return error_response(500, "corrupt_event", d.error().message(), s.route);
    }
    return failure(d.error(), s.route);
  }
  return json_response(200, mj::digest_to_json(*d), s.route);
}

// A size or sequence query parameter: absent (nullopt in *out), a number
// of 1 or more, or false.
static bool positive_query(const std::map<std::string, std::string>& query, const char* name,
                           std::optional<uint64_t>* out) {
  if (!query.contains(name)) return true;
  *out = to_number(query.at(name));
  return *out && **out > 0;
}

HttpResponse Api::tree_proof(const Screened& s) {
  std::optional<uint64_t> seq, size, from, to;
  if (!positive_query(s.query, "seq", &seq) || !positive_query(s.query, "size", &size) ||
      !positive_query(s.query, "from", &from) || !positive_query(s.query, "to", &to)) {
    return error_response(400, "bad_query", "seq, size, from and to must be numbers of 1 or more", s.route);
  }
  StatusOr<json> doc = Err{Status(StatusCode::invalid_argument, "")};
  if (s.endpoint == Endpoint::tree_head_latest) {
    auto head = signed_head(parts_.log, std::nullopt);
    doc = head.ok() ? StatusOr<json>(tree_head_to_json(*head)) : StatusOr<json>(Err{head.error()});
  } else if (s.endpoint == Endpoint::proof_inclusion) {
    if (!seq) return error_response(400, "bad_query", "seq is required", s.route);
    auto head = signed_head(parts_.log, size);
    doc = head.ok() ? inclusion_proof_document(parts_.log, *head, *seq) : StatusOr<json>(Err{head.error()});
  } else {
    if (!from) return error_response(400, "bad_query", "from is required", s.route);
    auto older = signed_head(parts_.log, from);
    auto newer = older.ok() ? signed_head(parts_.log, to) : older;
    doc = !older.ok()   ? StatusOr<json>(Err{older.error()})
          : !newer.ok() ? StatusOr<json>(Err{newer.error()})
                        : consistency_proof_document(parts_.log, *older, *newer);
  }
  if (doc.ok()) return json_response(200, *doc, s.route);
  if (doc.error().code() == StatusCode::not_found) return error_response(404, "no_tree_head", doc.error().message(), s.route);
  if (doc.error().code() == StatusCode::invalid_argument) {
    return error_response(400, "not_in_tree", doc.error().message(), s.route);
  }
  return failure(doc.error(), s.route);
}

HttpResponse Api::projections_status() {
  const std::string route = "/v1/projections";
  auto status = parts_.engine.status();
  if (!status.ok()) return failure(status.error(), route);
  json list = json::array();
  for (const ProjectionStatus& p : *status) {
    json j = {{"name", p.name}, {"version", p.version}, {"state", p.state},
              {"head_seq", p.head_seq}, {"lag", p.lag}, {"size_bytes", p.size_bytes}};
    if (p.live) j["checkpoint_seq"] = p.live->checkpoint.seq;
    if (p.building) j["building_checkpoint_seq"] = p.building->checkpoint.seq;
    list.push_back(std::move(j));
  }
  return json_response(200, {{"projections", std::move(list)}}, route);
}

HttpResponse Api::projections_run(const Screened& s, const std::string& body) {
  std::vector<std::string> names;
  if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
    json doc = json::parse(body, nullptr, false);
    const bool shaped = !doc.is_discarded() && doc.is_object() && doc.size() <= 1 &&
                        (doc.empty() || (doc.contains("projections") && doc["projections"].is_array()));
    if (!shaped || (s.endpoint == Endpoint::projections_catch_up && !doc.empty())) {
      return error_response(400, "malformed_json",
                            s.endpoint == Endpoint::projections_catch_up
                                ? "catch-up takes no body (or {})"
                                : "the body is empty or {\"projections\": [NAME, ...]}",
                            s.route);
    }
    for (const json& n : doc.value("projections", json::array())) {
      if (!n.is_string()) {
        return error_response(400, "malformed_json", "projection names are strings", s.route);
      }
      if (parts_.engine.find(n.get<std::string>()) == nullptr) {
        return error_response(400, "no_such_projection",
                              "no projection named '" + n.get<std::string>() + "'", s.route);
      }
      names.push_back(n.get<std::string>());
    }
  }
  const auto start = std::chrono::steady_clock::now();
  json out;
  if (s.endpoint == Endpoint::projections_verify) {
    auto diffs = parts_.engine.verify(names, nullptr);
    if (!diffs.ok()) return failure(diffs.error(), s.route);
    json list = json::array();
    bool same = true;
    for (const ProjectionDifferences& d : *diffs) {
      same = same && d.differing == 0;
      list.push_back({{"name", d.name}, {"at_seq", d.at_seq}, {"compared", d.compared},
                      {"differing", d.differing}, {"first_differing", d.first_differing}});
    }
    out = {{"consistent", same}, {"projections", std::move(list)}};
  } else {
    Status st = s.endpoint == Endpoint::projections_rebuild ? parts_.engine.rebuild(names, nullptr)
                                                            : parts_.engine.catch_up(nullptr);
    if (!st.ok()) return failure(st, s.route);
    out = {{"done", s.endpoint == Endpoint::projections_rebuild ? "rebuild" : "catch-up"}};
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return json_response(200, out, s.route);
}

HttpResponse Api::ready() {
  ReadinessInputs in;
  auto head = parts_.log.digest();
  in.draining = parts_.server.draining.load();
  if (head.ok()) in.head_seq = head->seq;
  else in.log_read = head.error();
  in.projected_seq = parts_.projector.caught_up_to();
  in.lag_events_max = options_.ready_lag_events_max;
  in.writer = parts_.writer.health();
  if (parts_.publish_lag) in.publish_lag = parts_.publish_lag();
  const Readiness r = decide_readiness(in);
  return json_response(r.http_status, r.body, "/readyz");
}

}  // namespace mledger::http
