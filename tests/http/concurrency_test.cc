// Many clients at once over real HTTP (issue 6): 32 clients redeeming the same
// key, exactly one succeeds (R-KEY: a key is redeemed once, ever); and
// SIGTERM under load: every command that got a success response is in the
// log after the server has stopped.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/http/server_process.h"

namespace mledger::testing {
namespace {

// An issued subscription key of the account that is neither redeemed nor replaced.
std::string unredeemed_key(const nlohmann::json& keys_view) {
  for (const auto& k : keys_view["data"]) {  // the keys issued to the account (one page)
    if (k.value("kind", "") == "subscription" && !k.contains("redemption") &&
        k.value("replaced_by_key_id", "").empty()) {
      return k.value("key_id", "");
    }
  }
  return "";
}

std::string as_anna(const std::string& id, const std::string& type, const nlohmann::json& data) {
  return nlohmann::json{{"command_id", id},
                        {"type", type},
                        {"account_id", "contoso-de"},
                        {"actor", {{"kind", "user"}, {"account_id", "contoso-de"}, {"user_id", "u-anna.schmidt"}}},
                        {"now", "2026-06-01T10:00:00Z"},
                        {"data", data}}
      .dump();
}

TEST(HttpConcurrency, thirty_two_clients_redeem_one_key_and_exactly_one_succeeds) {
  LedgerDir ledger("mledger-http-redeem");
  auto server = ServerProcess::start(ledger, {"--workers", "64"});
  ASSERT_NE(server, nullptr);
  const std::string auditor = ledger.token(ActorKind::auditor, "aud-1");
  const std::string token = ledger.token(ActorKind::user, "u-anna.schmidt", "contoso-de");
  // contoso-de buys an Action Pack by card and reveals its Microsoft 365 keys.
  const nlohmann::json address = {{"line1", "Friedrichstrasse 68"}, {"city", "Berlin"}, {"postal_code", "10117"}, {"country", "DE"}};
  const auto order = server->call("POST", "/v1/commands", token,
                                  as_anna("race-order", "place_order",
                                          {{"order_id", "ap-race"}, {"offer_id", "action_pack"}, {"payment_method", "card"},
                                           {"billing_address", address}, {"card", {{"last4", "4242"}, {"address", address}}}}));
  ASSERT_EQ(order.status, 200) << order.body;
  const auto reveal = server->call("POST", "/v1/commands", token,
                                   as_anna("race-reveal", "reveal_keys",
                                           {{"order_id", "ap-race"}, {"product", "microsoft_365_business"},
                                            {"language", "de"}, {"operating_system", "windows"}}));
  ASSERT_EQ(reveal.status, 200) << reveal.body;
  const uint64_t revealed_at = body_json(reveal)["events"].back()["seq"];
  const auto view = server->call(
      "GET", "/v1/accounts/contoso-de/keys?limit=1000&min_seq=" + std::to_string(revealed_at), auditor);
  ASSERT_EQ(view.status, 200) << view.body;
  const std::string key = unredeemed_key(body_json(view));
  ASSERT_FALSE(key.empty()) << "the demo has no unredeemed subscription key: " << view.body;

  constexpr int kClients = 32;
  std::vector<std::unique_ptr<http::HttpClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(server->client());
  std::atomic<int> ready{0};
  std::vector<http::ClientResponse> answers(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      const std::string body = as_anna("race-" + std::to_string(i), "redeem_key",
                                       {{"key", key}, {"mode", "add_seats"}});
      ready.fetch_add(1);
      while (ready.load() < kClients) std::this_thread::yield();  // all start together
      auto r = clients[i]->request("POST", "/v1/commands",
                                   {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                                   body);
      if (r.ok()) answers[i] = *r;
    });
  }
  for (auto& t : threads) t.join();
  int accepted = 0, rejected = 0;
  std::set<std::string> codes;
  for (const auto& a : answers) {
    if (a.status == 200) {
      ++accepted;
      EXPECT_EQ(body_json(a)["status"], "accepted") << a.body;
    } else {
      EXPECT_EQ(a.status, 422) << a.body;
      ++rejected;
      codes.insert(body_json(a).value("code", ""));
    }
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(rejected, kClients - 1);
  EXPECT_EQ(codes.size(), 1u) << "every loser is refused for the same reason";
  // The log agrees: the key shows one redemption.
  uint64_t last = 0;
  for (const auto& a : answers) {
    if (a.status == 200) last = body_json(a)["events"].back()["seq"];
  }
  const auto after = body_json(
      server->call("GET", "/v1/accounts/contoso-de/keys?limit=1000&min_seq=" + std::to_string(last), auditor));
  int redemptions = 0;
  for (const auto& k : after["data"]) {
    if (k.value("key_id", "") == key && k.contains("redemption")) ++redemptions;
  }
  EXPECT_EQ(redemptions, 1) << after.dump();
  EXPECT_EQ(server->terminate(), 0);
}

std::string enroll(const std::string& account) {
  return nlohmann::json{
      {"command_id", "enroll-" + account},
      {"type", "enroll_partner_account"},
      {"account_id", account},
      {"actor", {{"kind", "user"}, {"account_id", account}, {"user_id", "u-admin"}}},
      {"now", "2026-01-05T09:00:00Z"},
      {"data",
       {{"legal_name", "Company " + account},
        {"address", {{"line1", "1 Main Street"}, {"city", "Berlin"}, {"postal_code", "10117"}, {"country", "DE"}}},
        {"phone", "3020145000"},
        {"primary_contact", {{"first_name", "Ada"}, {"last_name", "Admin"}, {"email", "ada.admin@" + account + ".example"}}}}}}
      .dump();
}

std::string add_user(const std::string& account, const std::string& id) {
  return nlohmann::json{{"command_id", id},
                        {"type", "add_user"},
                        {"account_id", account},
                        {"actor", {{"kind", "user"}, {"account_id", account}, {"user_id", "u-admin"}}},
                        {"data", {{"user_id", "u-" + id}, {"email", id + "@x.example"}, {"display_name", id}}}}
      .dump();
}

// A single command does not hold a worker while its write becomes durable
// (issue 15): with one worker, 64 clients' commands still share durable
// writes, which a worker waiting for each command's write could never give.
TEST(HttpConcurrency, one_worker_still_batches_many_clients_commands_into_shared_writes) {
  LedgerDir ledger("mledger-http-one-worker", /*seed=*/false);
  auto server = ServerProcess::start(ledger, {"--workers", "1"});
  ASSERT_NE(server, nullptr);
  const std::string ops = ledger.token(ActorKind::operator_, "ops-1");
  auto batches = [&] {
    const auto m = server->call("GET", "/metrics", ops);
    EXPECT_EQ(m.status, 200) << m.body;
    const std::string series = "\nmledger_append_batches_total ";
    const size_t at = m.body.find(series);
    EXPECT_NE(at, std::string::npos) << m.body;
    return at == std::string::npos ? 0.0 : std::stod(m.body.substr(at + series.size()));
  };
  const double before = batches();
  constexpr int kClients = 64, kRounds = 4;
  std::atomic<int> ready{0}, accepted{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      const std::string account = "one-worker-" + std::to_string(c);
      const std::vector<std::pair<std::string, std::string>> headers = {
          {"Authorization", "Bearer " + ledger.token(ActorKind::user, "u-admin", account)},
          {"Content-Type", "application/json"}};
      auto client = server->client();
      ready.fetch_add(1);
      while (ready.load() < kClients) std::this_thread::yield();  // all start together
      for (int n = 0; n < kRounds; ++n) {
        const std::string body = n == 0 ? enroll(account) : add_user(account, account + "-" + std::to_string(n));
        auto r = client->request("POST", "/v1/commands", headers, body);
        if (r.ok() && r->status == 200) {
          ++accepted;
        } else {
          ADD_FAILURE() << (r.ok() ? r->body : r.error().to_string());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(accepted.load(), kClients * kRounds);
  const double writes = batches() - before;
  EXPECT_GE(writes, 1);
  EXPECT_LT(writes, kClients * kRounds) << "every command had a durable write of its own";
  EXPECT_EQ(server->terminate(), 0);
}

TEST(HttpShutdown, sigterm_under_load_loses_no_acknowledged_command) {
  LedgerDir ledger("mledger-http-sigterm", /*seed=*/false);
  auto server = ServerProcess::start(ledger);
  ASSERT_NE(server, nullptr);
  constexpr int kSingles = 12, kBatchers = 4, kBatch = 20;
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<int> enrolled{0};
  std::atomic<uint64_t> answered{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kSingles + kBatchers; ++c) {
    threads.emplace_back([&, c] {
      const std::string account = "sigterm-" + std::to_string(c);
      const std::string token =
          "Bearer " + ledger.token(ActorKind::user, "u-admin", account);
      auto client = server->client();
      const std::vector<std::pair<std::string, std::string>> headers = {
          {"Authorization", token}, {"Content-Type", "application/json"}};
      auto r = client->request("POST", "/v1/commands", headers, enroll(account));
      enrolled.fetch_add(1);
      if (!r.ok() || r->status != 200) {
        ADD_FAILURE() << (r.ok() ? r->body : r.error().to_string());
        return;
      }
      for (int n = 0;; ++n) {
        std::vector<std::string> ids;
        std::string body;
        if (c < kSingles) {
          ids.push_back(account + "-" + std::to_string(n));
          body = add_user(account, ids[0]);
        } else {
          body = "[";
          for (int k = 0; k < kBatch; ++k) {
            ids.push_back(account + "-" + std::to_string(n) + "-" + std::to_string(k));
            body += (k ? "," : "") + add_user(account, ids.back());
          }
          body += "]";
        }
        auto answer = client->request("POST", "/v1/commands", headers, body);
        if (!answer.ok() || answer->status != 200) {
          // Shutting down: this connection is closed; a new one is refused.
          auto again = http::HttpClient::connect("127.0.0.1", server->port);
          if (!again.ok()) return;
          client = std::move(again.value());
          if (answer.ok() && answer->status != 503) ADD_FAILURE() << answer->body;
          continue;
        }
        answered.fetch_add(1);
        std::lock_guard lock(mu);
        if (c < kSingles) {
          acked.insert(ids[0]);
        } else {
          const auto results = body_json(*answer)["results"];
          for (size_t k = 0; k < results.size(); ++k) {
            if (results[k]["status"] == "accepted") acked.insert(ids[k]);
          }
        }
      }
    });
  }
  while (enrolled.load() < kSingles + kBatchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 3000 && answered.load() < 300; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server->terminate(), 0) << "a clean shutdown under load";
  for (auto& t : threads) t.join();
  ASSERT_GT(acked.size(), 300u);

  // Every acknowledged command is in the log, read back by the CLI.
  std::set<std::string> logged;
  for (int c = 0; c < kSingles + kBatchers; ++c) {
    const mledger::testing::Run h = run("history --data " + ledger.data + " --account sigterm-" + std::to_string(c) + " --json");
    ASSERT_EQ(h.exit_code, 0) << h.out;
    std::istringstream lines(h.out);
    for (std::string line; std::getline(lines, line);) {
      const auto e = nlohmann::json::parse(line, nullptr, false);
      if (!e.is_discarded()) logged.insert(e.value("command_id", ""));
    }
  }
  size_t missing = 0;
  for (const auto& id : acked) missing += logged.contains(id) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged commands";
  // And the chain is whole.
  const mledger::testing::Run v = run("verify --data " + ledger.data);
  EXPECT_EQ(v.exit_code, 0) << v.out;
}

}  // namespace
}  // namespace mledger::testing

namespace mledger::testing {
namespace {

// --access-log: one JSON line per answer, with the route pattern, the
// principal, the request id, the peer and a refusal's code, never the token;
// every line of the server's log has a time, a level and a logger.
TEST(HttpAccessLog, one_line_per_answer_without_tokens) {
  LedgerDir ledger("mledger-http-access-log");
  const std::string log_path = ledger.dir + "/serve.err";
  auto server = ServerProcess::start(ledger, {"--access-log"}, log_path);
  ASSERT_NE(server, nullptr);
  const std::string token = ledger.token(ActorKind::user, "u-anna", "contoso-fr");
  ASSERT_EQ(server->call("GET", "/v1/accounts/contoso-fr/profile", token).status, 200);
  ASSERT_EQ(server->call("GET", "/v1/accounts/contoso-de/profile", token).status, 403);
  ASSERT_EQ(server->call("GET", "/v1/digest", "forged." + token.substr(7)).status, 401);
  ASSERT_EQ(server->terminate(), 0);
  std::ifstream in(log_path);
  std::vector<nlohmann::json> lines;
  bool started = false;
  for (std::string line; std::getline(in, line);) {
    EXPECT_EQ(line.find(token.substr(token.rfind('.') + 1)), std::string::npos) << "a token was logged";
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not a JSON line: " << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("logger")) << line;
    EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z")) << line;
    if (j.value("msg", "") == "starting") {
      started = true;
      EXPECT_EQ(j["data"], ledger.data);
      EXPECT_EQ(j["limits"]["workers"], 64);
      EXPECT_TRUE(j.contains("version"));
    }
    if (j["logger"] == "access") lines.push_back(j);
  }
  EXPECT_TRUE(started) << "no start-up line";
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) {
    EXPECT_TRUE(l["request_id"].get<std::string>().starts_with("r-")) << l;
    EXPECT_TRUE(l["peer"].get<std::string>().starts_with("127.0.0.1:")) << l;
  }
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_FALSE(lines[0].contains("error"));
  EXPECT_EQ(lines[1]["level"], "warning");
  EXPECT_EQ(lines[1]["error"], "not_own_account");
  EXPECT_EQ(lines[2]["error"], "token_malformed");  // "forged." + the rest is not a token's shape
  EXPECT_EQ(lines[0]["route"], "/v1/accounts/{id}/{read_model}");
  EXPECT_EQ(lines[0]["method"], "GET");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["principal"], "user:u-anna@contoso-fr");
  EXPECT_EQ(lines[1]["status"], 403);
  EXPECT_EQ(lines[1]["principal"], "user:u-anna@contoso-fr");
  EXPECT_EQ(lines[2]["status"], 401);
  EXPECT_EQ(lines[2]["principal"], "");
}

// A client's X-Request-Id is echoed and logged; one that is not a plain
// token is replaced. --log-format text: time, level, logger, then fields.
TEST(HttpAccessLog, request_ids_are_echoed_and_text_lines_have_time_and_level) {
  LedgerDir ledger("mledger-http-request-id");
  const std::string log_path = ledger.dir + "/serve.err";
  auto server = ServerProcess::start(ledger, {"--access-log", "--log-format", "text"}, log_path);
  ASSERT_NE(server, nullptr);
  auto client = server->client();
  ASSERT_NE(client, nullptr);
  auto sent = client->request("GET", "/healthz", {{"X-Request-Id", "audit-42.a:b_c"}}, "");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->headers["x-request-id"], "audit-42.a:b_c");
  auto odd = client->request("GET", "/healthz", {{"X-Request-Id", "no spaces/slashes"}}, "");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->headers["x-request-id"].starts_with("r-")) << odd->headers["x-request-id"];
  ASSERT_EQ(server->terminate(), 0);
  std::ifstream in(log_path);
  size_t access_lines = 0;
  for (std::string line; std::getline(in, line);) {
    // 2026-12-05T01:02:03.456Z info access ...
    ASSERT_GE(line.size(), 25u) << line;
    EXPECT_EQ(line[10], 'T') << line;
    EXPECT_EQ(line[23], 'Z') << line;
    std::istringstream words(line);
    std::string time, level, logger;
    words >> time >> level >> logger;
    if (logger == "access") ++access_lines;
    if (line.find("request_id=audit-42.a:b_c") != std::string::npos) {
      EXPECT_NE(line.find(" info access "), std::string::npos) << line;
      EXPECT_NE(line.find("route=/healthz"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(access_lines, 2u);
}

}  // namespace
}  // namespace mledger::testing
