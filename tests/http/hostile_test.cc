// Malformed and hostile requests over real HTTP (issue 6): each gets a clear
// 4xx naming the problem, and the log is untouched (its digest is compared
// before and after).

#include <gtest/gtest.h>

#include <thread>

#include "tests/http/server_process.h"

namespace mledger::testing {
namespace {

class Hostile : public ServerSuite<Hostile> {
 public:
  static constexpr const char* kName = "mledger-http-hostile";
  static std::vector<std::string> server_args() {
    return {"--body-bytes-max", "65536", "--header-bytes-max", "4096", "--batch-commands-max", "10",
            // Short enough for the slow-sender tests, long enough that a
            // test client preempted on a loaded machine is not cut off.
            "--body-timeout-ms", "1500", "--header-timeout-ms", "1500", "--connections-max", "8"};
  }

 protected:
  void SetUp() override { digest_before_ = digest(); }
  void TearDown() override { EXPECT_EQ(digest(), digest_before_) << "a refused request wrote"; }

  static std::string user_token() { return ledger_->token(ActorKind::user, "u-anna", "contoso-fr"); }
  static std::string digest() {
    return server_->call("GET", "/v1/digest", ledger_->token(ActorKind::auditor, "aud-1")).body;
  }
  static std::string add_user(const std::string& id) {
    return nlohmann::json{{"command_id", id},
                          {"type", "add_user"},
                          {"account_id", "contoso-fr"},
                          {"actor", {{"kind", "user"}, {"account_id", "contoso-fr"}, {"user_id", "u-anna"}}},
                          {"data", {{"user_id", "u-" + id}, {"email", id + "@contoso.fr"}, {"display_name", id}}}}
        .dump();
  }
  static void expect_error(const http::ClientResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    const auto j = body_json(r);
    EXPECT_EQ(j.value("error", ""), code) << r.body;
    EXPECT_FALSE(j.value("message", "").empty()) << r.body;
  }

  std::string digest_before_;
};

TEST_F(Hostile, bad_json_is_400_and_names_the_problem) {
  expect_error(server_->call("POST", "/v1/commands", user_token(), "{\"command_id\": "), 400, "malformed_json");
  expect_error(server_->call("POST", "/v1/commands", user_token(), "42"), 400, "malformed_json");
  expect_error(server_->call("POST", "/v1/commands", user_token(), "[]"), 400, "empty_batch");
  // A field of the wrong type: the path is named.
  auto j = nlohmann::json::parse(add_user("hostile-1"));
  j["data"]["email"] = 7;
  const auto r = server_->call("POST", "/v1/commands", user_token(), j.dump());
  expect_error(r, 400, "malformed_command");
  EXPECT_NE(body_json(r)["message"].get<std::string>().find("data.email"), std::string::npos) << r.body;
}

TEST_F(Hostile, one_malformed_command_in_a_batch_runs_none) {
  auto bad = nlohmann::json::parse(add_user("hostile-3"));
  bad.erase("type");
  const std::string batch = "[" + add_user("hostile-2") + "," + bad.dump() + "]";
  const auto r = server_->call("POST", "/v1/commands", user_token(), batch);
  expect_error(r, 400, "malformed_command");
  EXPECT_NE(body_json(r)["message"].get<std::string>().find("commands[1]"), std::string::npos) << r.body;
}

TEST_F(Hostile, read_model_paging_out_of_range_is_400_and_pages_join_up_to_the_whole_list) {
  const std::string auditor = ledger_->token(ActorKind::auditor, "aud-1");
  const std::string base = "/v1/accounts/contoso-fr/";
  for (const std::string& bad : std::vector<std::string>{"users?limit=0", "users?limit=1001", "users?limit=x", "profile?limit=5",
                                "memberships?after=u-1", "orders?from_seq=3", "timeline?after=a",
                                "timeline?limit=10001", "users?after=" + std::string(1025, 'a')}) {
    expect_error(server_->call("GET", base + bad, auditor), 400, "bad_query");
  }
  const auto whole = server_->call("GET", base + "users?limit=1000", auditor);
  ASSERT_EQ(whole.status, 200) << whole.body;
  const auto all = body_json(whole);
  ASSERT_GE(all["data"].size(), 2u) << whole.body;
  EXPECT_TRUE(all["next"].is_null());
  nlohmann::json joined = nlohmann::json::array();
  std::string after;
  for (int page = 0; page < 100; ++page) {
    const auto r = server_->call("GET", base + "users?limit=1" + (after.empty() ? "" : "&after=" + after), auditor);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = body_json(r);
    ASSERT_EQ(j["data"].size(), 1u) << r.body;
    joined.push_back(j["data"][0]);
    if (j["next"].is_null()) break;
    after = j["next"].get<std::string>();
  }
  EXPECT_EQ(joined, all["data"]);
}

TEST_F(Hostile, a_batch_over_its_limit_is_413) {
  std::string batch = "[";
  for (int i = 0; i < 11; ++i) batch += (i ? "," : "") + add_user("hostile-big-" + std::to_string(i));
  batch += "]";
  expect_error(server_->call("POST", "/v1/commands", user_token(), batch), 413, "batch_too_large");
}

TEST_F(Hostile, a_huge_body_is_refused_by_its_length_before_it_is_read) {
  auto c = server_->client();
  ASSERT_TRUE(c->send_raw("POST /v1/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user_token() +
                          "\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
                  .ok());
  auto r = c->read_response();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_error(*r, 413, "body_too_large");
}

TEST_F(Hostile, a_chunked_body_over_the_limit_is_413) {
  auto c = server_->client();
  std::string req = "POST /v1/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user_token() +
                    "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(16384, ' ');
  for (int i = 0; i < 5; ++i) req += "4000\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(c->send_raw(req).ok());
  auto r = c->read_response();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_error(*r, 413, "body_too_large");
}

TEST_F(Hostile, a_slow_body_times_out_with_408) {
  auto c = server_->client();
  const std::string body = add_user("hostile-slow");
  ASSERT_TRUE(c->send_raw("POST /v1/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user_token() +
                          "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10))
                  .ok());
  auto r = c->read_response();  // the rest never comes
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_error(*r, 408, "body_timeout");
}

TEST_F(Hostile, slow_headers_are_cut_off) {
  auto c = server_->client();
  ASSERT_TRUE(c->send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n").ok());  // never finished
  EXPECT_TRUE(c->closed_by_peer() || !c->read_response().ok());
  // The server still answers others.
  EXPECT_EQ(server_->call("GET", "/healthz", "").status, 200);
}

TEST_F(Hostile, headers_over_the_limit_are_431) {
  auto c = server_->client();
  auto r = c->request("GET", "/v1/accounts/contoso-fr/profile",
                      {{"Authorization", "Bearer " + user_token()}, {"X-Padding", std::string(5000, 'a')}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_error(*r, 431, "headers_too_large");
}

TEST_F(Hostile, bad_tokens_are_401_with_the_problem) {
  const std::string good = user_token();
  std::string tampered = good;
  tampered[tampered.find('.') + 3] ^= 1;  // one byte of the claims
  LedgerDir other("mledger-http-other-key", false);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "token_missing"},
      {"garbage", "token_malformed"},
      {tampered, "token_bad_signature"},
      {other.token(ActorKind::user, "u-anna", "contoso-fr"), "token_bad_signature"},
      {ledger_->token(ActorKind::user, "u-anna", "contoso-fr", -1000), "token_expired"},
  };
  for (const auto& [token, code] : cases) {
    const auto r = server_->call("POST", "/v1/commands", token, add_user("hostile-token"));
    expect_error(r, 401, code);
    EXPECT_TRUE(r.headers.contains("www-authenticate"));
  }
  auto c = server_->client();
  auto r = c->request("GET", "/v1/digest", {{"Authorization", "Basic dXNlcjpwYXNz"}});
  ASSERT_TRUE(r.ok());
  expect_error(*r, 401, "token_malformed");
}

TEST_F(Hostile, a_token_for_another_account_is_403) {
  const std::string other = ledger_->token(ActorKind::user, "u-anna.schmidt", "contoso-de");
  expect_error(server_->call("GET", "/v1/accounts/contoso-fr/keys", other), 403, "not_own_account");
  expect_error(server_->call("POST", "/v1/commands", other, add_user("hostile-other")), 403,
               "actor_not_token_subject");
}

TEST_F(Hostile, unknown_paths_methods_queries_and_media_types_are_named) {
  const std::string auditor = ledger_->token(ActorKind::auditor, "aud-1");
  expect_error(server_->call("GET", "/v1/nothing", auditor), 404, "no_such_endpoint");
  expect_error(server_->call("GET", "/v1/accounts/contoso-fr/nothing", auditor), 404, "no_such_endpoint");
  const auto r = server_->call("DELETE", "/v1/commands", user_token());
  expect_error(r, 405, "method_not_allowed");
  EXPECT_EQ(r.headers.at("allow"), "POST");
  expect_error(server_->call("GET", "/v1/accounts/contoso-fr/history?limit=0", auditor), 400, "bad_query");
  expect_error(server_->call("GET", "/v1/accounts/contoso-fr/history?bogus=1", auditor), 400, "bad_query");
  expect_error(server_->call("GET", "/v1/accounts/contoso-fr/state", auditor), 400, "bad_query");
  expect_error(server_->call("GET", "/v1/accounts/" + std::string(65, 'a') + "/profile", auditor), 400,
               "bad_account_id");
  expect_error(server_->call("GET", "/v1/accounts/nobody/profile", auditor), 404, "account_not_found");
  expect_error(server_->call("GET", "/v1/accounts/nobody/history", auditor), 404, "account_not_found");
  expect_error(server_->call("GET", "/v1/accounts/contoso-fr/state?at_seq=9&clock=business", auditor), 400,
               "bad_query");
  auto c = server_->client();
  auto m = c->request("POST", "/v1/commands", {{"Authorization", "Bearer " + user_token()}}, add_user("hostile-m"));
  ASSERT_TRUE(m.ok());
  expect_error(*m, 415, "unsupported_media_type");
  auto x = c->request("POST", "/v1/commands",
                      {{"Authorization", "Bearer " + user_token()}, {"Content-Type", "application/jsonx"}},
                      add_user("hostile-x"));
  ASSERT_TRUE(x.ok());
  expect_error(*x, 415, "unsupported_media_type");
}

TEST_F(Hostile, connections_over_the_limit_get_503) {
  std::vector<std::unique_ptr<http::HttpClient>> open;
  for (int i = 0; i < 8; ++i) {
    open.push_back(server_->client());
    ASSERT_TRUE(open.back()->request("GET", "/healthz").ok());  // the connection is counted
  }
  auto extra = server_->client();
  auto r = extra->read_response();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_error(*r, 503, "too_many_connections");
  open.clear();
  // Closed connections free their places.
  for (int i = 0; i < 500 && server_->call("GET", "/healthz", "").status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->call("GET", "/healthz", "").status, 200);
}

}  // namespace
}  // namespace mledger::testing
