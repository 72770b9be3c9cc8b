// The authorization matrix over real HTTP (issue 6): every endpoint x every
// caller (no token, a bad token, a partner user, auditor, operator, service)
// x the caller's own account and another one, with the status each must get,
// and the rule code of every 403. R-ROLE-05.

#include <gtest/gtest.h>

#include <map>

#include "tests/http/server_process.h"

namespace mledger::testing {
namespace {

enum Caller { none, bad_token, user, auditor, operator_, service };
const char* kCallerNames[] = {"none", "bad_token", "user", "auditor", "operator", "service"};

constexpr const char* kOwn = "contoso-fr";    // u-anna's account
constexpr const char* kOther = "contoso-de";

class AuthMatrix : public ServerSuite<AuthMatrix> {
 public:
  static constexpr const char* kName = "mledger-http-matrix";

 protected:

  static std::string token(Caller c) {
    switch (c) {
      case none: return "";
      case bad_token: return "not-a-token";
      case user: return ledger_->token(ActorKind::user, "u-anna", kOwn);
      case auditor: return ledger_->token(ActorKind::auditor, "aud-1");
      case operator_: return ledger_->token(ActorKind::operator_, "ops-1");
      case service: return ledger_->token(ActorKind::service, "svc-competencies");
    }
    return "";
  }

  // A command the caller would send for `account`, its actor the caller's own.
  static std::string command(Caller c, const std::string& account) {
    static int n = 0;
    const std::string id = "matrix-" + std::to_string(++n);
    nlohmann::json j = {{"command_id", id}, {"account_id", account}, {"now", "2026-06-01T10:00:00Z"}};
    if (c == service) {
      j["type"] = "record_competency";
      j["actor"] = {{"kind", "service"}, {"user_id", "svc-competencies"}};
      j["data"] = {{"level", "gold"}, {"competency", "cloud_platform"}};
    } else {
      j["type"] = "add_user";
      j["actor"] = c == auditor   ? nlohmann::json{{"kind", "auditor"}, {"user_id", "aud-1"}}
                   : c == operator_ ? nlohmann::json{{"kind", "operator"}, {"user_id", "ops-1"}}
                                    : nlohmann::json{{"kind", "user"}, {"account_id", kOwn}, {"user_id", "u-anna"}};
      j["data"] = {{"user_id", "u-" + id}, {"email", id + "@contoso.fr"}, {"display_name", "M " + id}};
    }
    return j.dump();
  }

  static void expect(const std::string& method, const std::string& target, Caller c, int status,
                     const std::string& body = "", const std::string& code = "") {
    const auto r = server_->call(method, target, token(c), body);
    EXPECT_EQ(r.status, status) << method << " " << target << " as " << kCallerNames[c] << ": " << r.body;
    const auto j = body_json(r);
    if (status == 401) {
      EXPECT_EQ(j.value("error", ""), c == none ? "token_missing" : "token_malformed") << r.body;
      EXPECT_TRUE(r.headers.contains("www-authenticate"));
    }
    if (status == 403) {
      EXPECT_EQ(j.value("rule", ""), "R-ROLE-05") << r.body;
      if (!code.empty()) {
        EXPECT_EQ(j.value("error", ""), code) << r.body;
      }
    }
  }
};

TEST_F(AuthMatrix, health_needs_no_token) {
  for (Caller c : {none, bad_token, user, auditor, operator_, service}) {
    expect("GET", "/healthz", c, 200);
    expect("GET", "/readyz", c, 200);
  }
}

TEST_F(AuthMatrix, read_models_are_for_the_accounts_own_users_and_auditors) {
  for (const char* model : {"profile", "users", "memberships", "benefits", "assignments", "orders", "keys",
                            "redeemed_keys", "merges", "timeline"}) {
    for (const char* account : {kOwn, kOther}) {
      const std::string target = std::string("/v1/accounts/") + account + "/" + model;
      const bool own = std::string(account) == kOwn;
      expect("GET", target, none, 401);
      expect("GET", target, bad_token, 401);
      expect("GET", target, user, own ? 200 : 403, "", "not_own_account");
      expect("GET", target, auditor, 200);
      expect("GET", target, operator_, 403, "", "actor_not_allowed");
      expect("GET", target, service, 403, "", "actor_not_allowed");
    }
  }
}

TEST_F(AuthMatrix, auditor_endpoints_are_the_auditors_alone) {
  for (const char* account : {kOwn, kOther}) {
    for (const std::string what : {"history", "state?at_seq=5", "export"}) {
      const std::string target = std::string("/v1/accounts/") + account + "/" + what;
      expect("GET", target, none, 401);
      expect("GET", target, bad_token, 401);
      expect("GET", target, user, 403, "", "actor_not_allowed");  // even its own account
      expect("GET", target, auditor, what.starts_with("state") && std::string(account) == kOwn ? 404 : 200);
      expect("GET", target, operator_, 403, "", "actor_not_allowed");
      expect("GET", target, service, 403, "", "actor_not_allowed");
    }
  }
  for (const std::string target : {"/v1/digest", "/v1/digest?seq=1"}) {
    expect("GET", target, none, 401);
    expect("GET", target, bad_token, 401);
    expect("GET", target, user, 403, "", "actor_not_allowed");
    expect("GET", target, auditor, 200);
    expect("GET", target, operator_, 403, "", "actor_not_allowed");
    expect("GET", target, service, 403, "", "actor_not_allowed");
  }
  // The Merkle tree's heads and proofs (an auditor's answer depends on the
  // heads signed so far; a malformed query is refused before any is read).
  for (const std::string target : {"/v1/tree-heads/latest", "/v1/proofs/inclusion?seq=x", "/v1/proofs/consistency?from=0"}) {
    expect("GET", target, none, 401);
    expect("GET", target, bad_token, 401);
    expect("GET", target, user, 403, "", "actor_not_allowed");
    expect("GET", target, operator_, 403, "", "actor_not_allowed");
    expect("GET", target, service, 403, "", "actor_not_allowed");
  }
  expect("GET", "/v1/proofs/inclusion?seq=x", auditor, 400, "", "bad_query");
  expect("GET", "/v1/proofs/consistency?from=0", auditor, 400, "", "bad_query");
}

TEST_F(AuthMatrix, operations_are_the_operators_alone) {
  const std::vector<std::pair<std::string, std::string>> ops = {
      {"GET", "/v1/projections"}, {"POST", "/v1/projections/catch-up"},
      {"POST", "/v1/projections/verify"}, {"POST", "/v1/projections/rebuild"}, {"GET", "/metrics"}};
  for (const auto& [method, target] : ops) {
    expect(method, target, none, 401);
    expect(method, target, bad_token, 401);
    expect(method, target, user, 403, "", "actor_not_allowed");
    expect(method, target, auditor, 403, "", "actor_not_allowed");
    expect(method, target, operator_, 200);
    expect(method, target, service, 403, "", "actor_not_allowed");
  }
}

TEST_F(AuthMatrix, commands_come_from_partner_users_for_their_own_account_and_the_service) {
  for (const char* account : {kOwn, kOther}) {
    const bool own = std::string(account) == kOwn;
    expect("POST", "/v1/commands", none, 401, command(user, account));
    expect("POST", "/v1/commands", bad_token, 401, command(user, account));
    expect("POST", "/v1/commands", user, own ? 200 : 403, command(user, account), "not_own_account");
    expect("POST", "/v1/commands", auditor, 403, command(auditor, account), "actor_not_allowed");
    expect("POST", "/v1/commands", operator_, 403, command(operator_, account), "actor_not_allowed");
    expect("POST", "/v1/commands", service, 200, command(service, account));
  }
}

TEST_F(AuthMatrix, the_clock_is_the_services) {
  for (Caller c : {none, bad_token, user, auditor, operator_, service}) {
    const int expected = c == none || c == bad_token ? 401 : c == service ? 200 : 403;
    expect("POST", "/v1/tick?now=2026-06-01T00:00:00Z", c, expected, "", "actor_not_allowed");
  }
}

TEST_F(AuthMatrix, the_operator_changes_the_catalogue_and_nothing_else) {
  // The catalogue in force, sent back as the operator's command.
  const mledger::testing::Run shown = run("catalogue show --data " + ledger_->data);
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  nlohmann::json catalogue = nlohmann::json::parse(shown.out, nullptr, false);
  ASSERT_FALSE(catalogue.is_discarded()) << shown.out;
  catalogue["version"] = "matrix-2";
  const nlohmann::json change = {{"command_id", "matrix-catalogue"},
                                 {"type", "change_offer_catalogue"},
                                 {"actor", {{"kind", "operator"}, {"user_id", "ops-1"}}},
                                 {"data", {{"catalogue", catalogue}}}};
  const auto r = server_->call("POST", "/v1/commands", token(operator_), change.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_json(r).value("status", ""), "accepted") << r.body;
  expect("POST", "/v1/commands", operator_, 403, command(operator_, kOwn), "actor_not_allowed");
}

TEST_F(AuthMatrix, a_token_reads_only_while_the_ledger_records_its_user) {
  const std::string stranger = ledger_->token(ActorKind::user, "u-nobody", kOwn);
  const auto r = server_->call("GET", std::string("/v1/accounts/") + kOwn + "/profile", stranger);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(body_json(r).value("error", ""), "user_not_in_account") << r.body;
}

TEST_F(AuthMatrix, a_command_must_name_the_tokens_subject_as_its_actor) {
  // u-anna's token carrying a command signed as another user of the same account.
  nlohmann::json j = nlohmann::json::parse(command(user, kOwn));
  j["actor"]["user_id"] = "u-bob";
  expect("POST", "/v1/commands", user, 403, j.dump(), "actor_not_token_subject");
  // The service's token with a partner user's command.
  expect("POST", "/v1/commands", service, 403, command(user, kOwn), "actor_not_token_subject");
  // A batch with one foreign command runs none of them.
  const auto before = server_->call("GET", "/v1/digest", token(auditor)).body;
  const std::string batch = "[" + command(user, kOwn) + "," + command(user, kOther) + "]";
  expect("POST", "/v1/commands", user, 403, batch, "not_own_account");
  EXPECT_EQ(server_->call("GET", "/v1/digest", token(auditor)).body, before);
}

TEST_F(AuthMatrix, refusals_are_counted_in_the_metrics) {
  expect("GET", "/v1/accounts/contoso-de/profile", user, 403);
  expect("POST", "/v1/commands", user, 200, command(user, kOwn));
  const auto m = server_->call("GET", "/metrics", token(operator_));
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.headers.at("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(m.body.find("mledger_auth_failures_total{code=\"not_own_account\"}"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("mledger_http_requests_total{route=\"/v1/accounts/{id}/{read_model}\",status=\"403\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("mledger_commands_total{type=\"add_user\",outcome=\"accepted\"}"), std::string::npos);
  EXPECT_NE(m.body.find("mledger_append_batch_commands_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("mledger_projection_lag_events"), std::string::npos);
}

// A metric's value in a /metrics body (-1 when absent).
double metric(const std::string& body, const std::string& series) {
  const size_t at = body.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + series.size() + 2));
}

TEST_F(AuthMatrix, the_aggregate_cache_shows_in_the_metrics) {
  const auto m0 = server_->call("GET", "/metrics", token(operator_));
  ASSERT_EQ(m0.status, 200);
  const double hits_before = metric(m0.body, "mledger_aggregate_cache_hits_total");
  ASSERT_GE(hits_before, 0) << m0.body;
  // Two commands on one account: the second starts from the first's state.
  expect("POST", "/v1/commands", user, 200, command(user, kOwn));
  expect("POST", "/v1/commands", user, 200, command(user, kOwn));
  const auto m = server_->call("GET", "/metrics", token(operator_));
  EXPECT_GT(metric(m.body, "mledger_aggregate_cache_hits_total"), hits_before) << m.body;
  EXPECT_GE(metric(m.body, "mledger_aggregate_cache_streams"), 1) << m.body;
  EXPECT_GE(metric(m.body, "mledger_aggregate_cache_misses_total"), 1) << m.body;
  EXPECT_EQ(metric(m.body, "mledger_aggregate_cache_evictions_total"), 0) << m.body;
}

}  // namespace
}  // namespace mledger::testing
