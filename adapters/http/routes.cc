#include "adapters/http/routes.h"

#include <map>
#include <vector>

#include "domain/core/limits.h"

namespace mledger::http {

namespace {

const char* const kReadModelLabel = "/v1/accounts/{id}/{read_model}";

std::vector<Route> build_routes() {
  std::vector<Route> r = {
      {Endpoint::healthz, "GET", "/healthz", "/healthz", Audience::anyone, {}},
      {Endpoint::readyz, "GET", "/readyz", "/readyz", Audience::anyone, {}},
      {Endpoint::metrics, "GET", "/metrics", "/metrics", Audience::operators, {}},
      {Endpoint::openapi, "GET", "/v1/openapi.json", "/v1/openapi.json", Audience::anyone, {}},
      {Endpoint::commands, "POST", "/v1/commands", "/v1/commands", Audience::command_issuers, {}},
      {Endpoint::tick, "POST", "/v1/tick", "/v1/tick", Audience::service, {"now"}},
      {Endpoint::history, "GET", "/v1/accounts/{id}/history", "/v1/accounts/{id}/history", Audience::auditors,
       {"from_seq", "limit", "from", "to"}},
      {Endpoint::state, "GET", "/v1/accounts/{id}/state", "/v1/accounts/{id}/state", Audience::auditors,
       {"at_seq", "as_of", "clock"}},
      {Endpoint::export_account, "GET", "/v1/accounts/{id}/export", "/v1/accounts/{id}/export",
       Audience::auditors, {}},
      {Endpoint::digest, "GET", "/v1/digest", "/v1/digest", Audience::auditors, {"seq"}},
      {Endpoint::tree_head_latest, "GET", "/v1/tree-heads/latest", "/v1/tree-heads/latest",
       Audience::auditors, {}},
      {Endpoint::proof_inclusion, "GET", "/v1/proofs/inclusion", "/v1/proofs/inclusion", Audience::auditors,
       {"seq", "size"}},
      {Endpoint::proof_consistency, "GET", "/v1/proofs/consistency", "/v1/proofs/consistency",
       Audience::auditors, {"from", "to"}},
      {Endpoint::projections, "GET", "/v1/projections", "/v1/projections", Audience::operators, {}},
      {Endpoint::projections_catch_up, "POST", "/v1/projections/catch-up", "/v1/projections/catch-up",
       Audience::operators, {}},
      {Endpoint::projections_rebuild, "POST", "/v1/projections/rebuild", "/v1/projections/rebuild",
       Audience::operators, {}},
      {Endpoint::projections_verify, "POST", "/v1/projections/verify", "/v1/projections/verify",
       Audience::operators, {}},
  };
  // Which parameters a read model takes is checked by its handler
  // (page_problem): each route lists every one a read model may take.
  for (const ReadModel& m : read_models()) {
    r.push_back({Endpoint::read_model, "GET", "/v1/accounts/{id}/" + std::string(m.name), kReadModelLabel,
                 Audience::account_readers, {"from_seq", "limit", "after", "min_seq"}, &m});
  }
  return r;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  size_t i = 1;  // after the leading '/'
  while (i <= path.size()) {
    const size_t j = path.find('/', i);
    out.push_back(path.substr(i, (j == std::string_view::npos ? path.size() : j) - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

struct Template {
  std::vector<std::string> segments;
  std::vector<const Route*> routes;
};

const std::vector<Template>& templates() {
  static const std::vector<Template> kTemplates = [] {
    std::map<std::string, Template> by_path;
    for (const Route& r : api_routes()) {
      Template& t = by_path[r.path];
      if (t.segments.empty()) {
        for (std::string_view s : segments(r.path)) t.segments.emplace_back(s);
      }
      t.routes.push_back(&r);
    }
    std::vector<Template> out;
    for (auto& [path, t] : by_path) out.push_back(std::move(t));
    return out;
  }();
  return kTemplates;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::span<const Route> api_routes() {
  static const std::vector<Route> kRoutes = build_routes();
  return kRoutes;
}

RouteMatch match_route(std::string_view path) {
  const std::vector<std::string_view> seg = segments(path);
  for (const Template& t : templates()) {
    if (t.segments.size() != seg.size()) continue;
    size_t id_at = seg.size();
    bool same = true;
    for (size_t i = 0; i < seg.size() && same; ++i) {
      if (t.segments[i] == "{id}") id_at = i;
      else same = t.segments[i] == seg[i];
    }
    if (!same) continue;
    RouteMatch m;
    m.routes = t.routes;
    if (id_at < seg.size()) {
      m.has_account = true;
      m.account = percent_decode(seg[id_at], false);
      if (m.account && (m.account->empty() || m.account->size() > limits::account_id_bytes_max)) {
        m.account.reset();
      }
    }
    return m;
  }
  return {};
}

std::optional<std::string> percent_decode(std::string_view s, bool query) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (query && c == '+') {
      c = ' ';
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    out += c;
  }
  return out;
}

}  // namespace mledger::http
