// Token revocation over real HTTP: a `mledger serve --revoked-tokens FILE`
// refuses a token with 401 token_revoked once `mledger token revoke` listed it,
// while the server runs, and keeps serving every other token; a version of
// the file that does not load keeps the list in force and is reported on
// stderr; a malformed file stops the start, naming the path and the line.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/http/server_process.h"
#include "tests/support/files.h"

namespace mledger::testing {
namespace {

std::string issue(const LedgerDir& ledger, const std::string& user) {
  const mledger::testing::Run r = run("token issue --key-file " + ledger.key_file + " --kind operator --user " + user);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return lines_of(r.out).at(0);
}

// Polls `done` every 50 ms for at most 60 s (the server looks at the file
// about once a second); true once it holds.
template <class F>
bool eventually(F&& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

TEST(Revocation, a_token_revoked_while_the_server_runs_gets_401_and_others_still_work) {
  LedgerDir ledger("mledger-http-revocation", /*seed=*/false);
  const std::string list = ledger.dir + "/revoked-tokens";
  const std::string err = ledger.dir + "/stderr";
  write_file(list, "# revoked tokens\n");
  auto server = ServerProcess::start(ledger, {"--revoked-tokens", list}, err);
  ASSERT_NE(server, nullptr);
  const std::string revoked = issue(ledger, "ops-1");
  const std::string kept = issue(ledger, "ops-2");
  ASSERT_EQ(server->call("GET", "/v1/projections", revoked).status, 200);
  ASSERT_EQ(server->call("GET", "/v1/projections", kept).status, 200);

  const mledger::testing::Run r = run("token revoke --revoked-tokens " + list + " " + revoked);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(eventually([&] { return server->call("GET", "/v1/projections", revoked).status == 401; }))
      << "the revoked token is still served";
  const http::ClientResponse refused = server->call("GET", "/v1/projections", revoked);
  EXPECT_EQ(refused.status, 401);
  const auto j = body_json(refused);
  EXPECT_EQ(j.value("error", ""), "token_revoked") << refused.body;
  EXPECT_EQ(j.value("message", ""), "the token has been revoked") << refused.body;
  EXPECT_EQ(refused.body.find(revoked), std::string::npos) << "the token is not echoed";
  ASSERT_TRUE(refused.headers.contains("www-authenticate"));
  EXPECT_EQ(refused.headers.at("www-authenticate"), "Bearer realm=\"mledger\", error=\"invalid_token\"");
  EXPECT_EQ(server->call("GET", "/v1/projections", kept).status, 200) << "another token still works";
  // Every route checks it, not just one.
  EXPECT_EQ(server->call("GET", "/metrics", revoked).status, 401);

  const std::string metrics = server->call("GET", "/metrics", kept).body;
  EXPECT_NE(metrics.find("mledger_auth_failures_total{code=\"token_revoked\"} "), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("mledger_revoked_tokens 1"), std::string::npos);

  // A bad version of the file: reported on stderr, the list in force stays.
  write_file(list + ".new", read_file(list) + "not-a-valid-line\n");
  std::filesystem::rename(list + ".new", list);
  ASSERT_TRUE(eventually([&] { return read_file(err).find("the revocation list was not reloaded") !=
                                      std::string::npos; }))
      << read_file(err);
  EXPECT_NE(read_file(err).find(list + " line 3"), std::string::npos) << read_file(err);
  EXPECT_EQ(server->call("GET", "/v1/projections", revoked).status, 401);
  EXPECT_EQ(server->call("GET", "/v1/projections", kept).status, 200);

  // Fixed again: loaded, and an emptied list serves the token again.
  write_file(list + ".new", "# nothing revoked\n");
  std::filesystem::rename(list + ".new", list);
  EXPECT_TRUE(eventually([&] { return server->call("GET", "/v1/projections", revoked).status == 200; }));
  EXPECT_EQ(server->terminate(), 0);
}

TEST(Revocation, a_malformed_or_missing_list_stops_the_start_naming_path_and_line) {
  LedgerDir ledger("mledger-http-revocation-bad", /*seed=*/false);
  const std::string list = ledger.dir + "/revoked-tokens";
  const std::string serve = "serve --listen 127.0.0.1:0 --data " + ledger.data + " --key-file " +
                            ledger.key_file + " --revoked-tokens " + list;
  const mledger::testing::Run missing = run(serve);
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.out.find("revocation list " + list + " does not exist"), std::string::npos) << missing.out;

  write_file(list, "# ops\njti-1 4102444800\njti-2 tomorrow\n");
  const mledger::testing::Run malformed = run(serve);
  EXPECT_EQ(malformed.exit_code, 2) << malformed.out;
  EXPECT_NE(malformed.out.find("revocation list " + list + " line 3: EXP must be"), std::string::npos)
      << malformed.out;
  EXPECT_EQ(malformed.out.find("listening"), std::string::npos);
}

}  // namespace
}  // namespace mledger::testing
