// `mledger token keygen|issue` as a user runs it: a new 0600 key that is never
// printed or overwritten; tokens that verify (adapters/auth/bearer_token.h)
// with the claims asked for; bad flags and bad key files are exit 2 naming
// the flag or the path.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "adapters/auth/bearer_token.h"
#include "tests/support/files.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace {

using mledger::testing::read_file;
using mledger::testing::run;
namespace auth = mledger::auth;

class TokenCli : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = dir_.sub("signing.key");
    auto r = run("token keygen --key-file " + key_);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    key_text_ = read_file(key_).substr(0, 64);
    ASSERT_EQ(key_text_.size(), 64u);
  }

  // Verifies `token` with the key file, now; the claims or a test failure.
  auth::TokenClaims verified(const std::string& token) {
    auto key = auth::SigningKey::load(key_);
    EXPECT_TRUE(key.ok()) << key.error().to_string();
    auto v = auth::verify_token(*key, token, std::time(nullptr));
    if (auto* rejection = std::get_if<auth::TokenRejection>(&v)) {
      ADD_FAILURE() << "rejected: " << rejection->message;
      return {};
    }
    return std::get<auth::TokenClaims>(v);
  }

  mledger::testing::TempDir dir_;
  std::string key_;
  std::string key_text_;
};

TEST_F(TokenCli, help_on_each_and_no_subcommand_is_usage) {
  for (const char* c : {"token --help", "token keygen --help", "token issue --help"}) {
    auto r = run(c);
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("usage"), std::string::npos) << c;
  }
  EXPECT_NE(run("--help").out.find("token keygen|issue"), std::string::npos);
  EXPECT_EQ(run("token").exit_code, 2);
  EXPECT_EQ(run("token frobnicate").exit_code, 2);
}

TEST_F(TokenCli, keygen_writes_a_private_key_never_prints_it_and_never_overwrites) {
  struct stat st {};
  ASSERT_EQ(::stat(key_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  const std::string before = read_file(key_);
  auto again = run("token keygen --key-file " + key_);
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find(key_), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("exists"), std::string::npos) << again.out;
  EXPECT_EQ(read_file(key_), before);

  auto fresh = run("token keygen --json --key-file " + dir_.sub("k2"));
  EXPECT_EQ(fresh.exit_code, 0) << fresh.out;
  EXPECT_EQ(fresh.out.find(read_file(dir_.sub("k2")).substr(0, 64)), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(fresh.out)["key_file"], dir_.sub("k2"));

  EXPECT_EQ(run("token keygen").exit_code, 2);
  // Missing folders are created; one that cannot be (a file in the way) is exit 3.
  EXPECT_EQ(run("token keygen --key-file " + dir_.sub("new/dir/k")).exit_code, 0);
  mledger::testing::write_file(dir_.sub("a-file"), "x");
  auto nowhere = run("token keygen --key-file " + dir_.sub("a-file/dir/k"));
  EXPECT_EQ(nowhere.exit_code, 3) << nowhere.out;
  EXPECT_NE(nowhere.out.find(dir_.sub("a-file")), std::string::npos) << nowhere.out;
}

TEST_F(TokenCli, issue_prints_one_token_that_verifies_with_the_claims_asked_for) {
  auto r = run("token issue --key-file " + key_ +
               " --kind user --user u-alice --account contoso --roles account_admin,admin_agent");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_EQ(mledger::testing::lines_of(r.out).size(), 1u) << r.out;
  EXPECT_EQ(r.out.find(key_text_), std::string::npos);
  const auth::TokenClaims c = verified(mledger::testing::lines_of(r.out)[0]);
  EXPECT_EQ(c.kind, mledger::ActorKind::user);
  EXPECT_EQ(c.user_id, "u-alice");
  EXPECT_EQ(c.account_id, "contoso");
  EXPECT_EQ(c.roles, (std::vector{mledger::Role::account_admin, mledger::Role::admin_agent}));
  EXPECT_EQ(c.expires_at_s - c.issued_at_s, 3600);
  EXPECT_LE(std::abs(c.issued_at_s - static_cast<int64_t>(std::time(nullptr))), 5);
  EXPECT_EQ(c.token_id.size(), 36u) << c.token_id;  // a UUID

  // Each token has its own id.
  auto r2 = run("token issue --key-file " + key_ + " --kind user --user u-alice --account contoso");
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  const auth::TokenClaims c2 = verified(mledger::testing::lines_of(r2.out)[0]);
  EXPECT_NE(c2.token_id, c.token_id);
  EXPECT_TRUE(c2.roles.empty());
}

TEST_F(TokenCli, issue_for_system_principals_and_as_json) {
  for (const char* kind : {"auditor", "operator", "service"}) {
    auto r = run("token issue --json --ttl-seconds 60 --key-file " + key_ + " --kind " + kind +
                 " --user principal-1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    const auth::TokenClaims c = verified(j["token"].get<std::string>());
    EXPECT_EQ(mledger::actor_kind_name(c.kind), kind);
    EXPECT_EQ(c.user_id, "principal-1");
    EXPECT_TRUE(c.account_id.empty());
    EXPECT_EQ(c.expires_at_s - c.issued_at_s, 60);
    EXPECT_EQ(j["claims"]["kind"], kind);
    EXPECT_EQ(j["claims"]["sub"], "principal-1");
    EXPECT_EQ(j["claims"]["iat"], c.issued_at_s);
    EXPECT_EQ(j["claims"]["exp"], c.expires_at_s);
    EXPECT_EQ(j["claims"]["jti"], c.token_id);
    EXPECT_FALSE(j["claims"].contains("acct"));
  }
  auto max = run("token issue --ttl-seconds 31536000 --key-file " + key_ + " --kind service --user tick");
  EXPECT_EQ(max.exit_code, 0) << max.out;
}

TEST_F(TokenCli, bad_flags_are_usage_errors_naming_the_flag) {
  const std::string k = " --key-file " + key_;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"token issue --kind user --user u --account a", "--key-file"},
      {"token issue" + k + " --user u --account a", "--kind"},
      {"token issue" + k + " --kind admin --user u", "--kind"},
      {"token issue" + k + " --kind user --account a", "--user"},
      {"token issue" + k + " --kind user --user 'u 1' --account a", "--user"},
      {"token issue" + k + " --kind user --user " + std::string(129, 'u') + " --account a", "--user"},
      {"token issue" + k + " --kind user --user u", "--account"},
      {"token issue" + k + " --kind user --user u --account 'a/b'", "--account"},
      {"token issue" + k + " --kind auditor --user u --account a", "--account"},
      {"token issue" + k + " --kind service --user u --roles account_admin", "--roles"},
      {"token issue" + k + " --kind user --user u --account a --roles account_admin,root", "--roles"},
      {"token issue" + k + " --kind user --user u --account a --roles account_admin,", "--roles"},
      {"token issue" + k + " --kind user --user u --account a --ttl-seconds 0", "--ttl-seconds"},
      {"token issue" + k + " --kind user --user u --account a --ttl-seconds 31536001", "--ttl-seconds"},
      {"token issue" + k + " --kind user --user u --account a --ttl-seconds 1h", "--ttl-seconds"},
      {"token issue" + k + " --kind user --user u --account a --ttl-seconds", "--ttl-seconds"},
      {"token issue" + k + " --kind user --user u --account a --bogus", "--bogus"},
      {"token issue" + k + " --kind user --user u --account a extra", "extra"},
      {"token keygen --key-file " + dir_.sub("k3") + " --kind user", "--kind"},
  };
  for (const auto& [args, flag] : cases) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(flag), std::string::npos) << args << "\n" << r.out;
    EXPECT_EQ(r.out.find(key_text_), std::string::npos) << args;
  }
  EXPECT_FALSE(std::ifstream(dir_.sub("k3")).good());
}

TEST_F(TokenCli, bad_key_files_are_usage_errors_naming_the_path) {
  const std::string issue = " --kind service --user tick";
  auto missing = run("token issue --key-file " + dir_.sub("absent") + issue);
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.out.find(dir_.sub("absent")), std::string::npos) << missing.out;

  ASSERT_EQ(::chmod(key_.c_str(), 0644), 0);
  auto shared = run("token issue --key-file " + key_ + issue);
  EXPECT_EQ(shared.exit_code, 2) << shared.out;
  EXPECT_NE(shared.out.find(key_), std::string::npos) << shared.out;
  EXPECT_NE(shared.out.find("0644"), std::string::npos) << shared.out;
  EXPECT_EQ(shared.out.find(key_text_), std::string::npos) << shared.out;

  const std::string short_key = dir_.sub("short.key");
  mledger::testing::write_file(short_key, "tooshort\n");
  ASSERT_EQ(::chmod(short_key.c_str(), 0600), 0);
  auto too_short = run("token issue --key-file " + short_key + issue);
  EXPECT_EQ(too_short.exit_code, 2) << too_short.out;
  EXPECT_NE(too_short.out.find(short_key), std::string::npos) << too_short.out;
  EXPECT_EQ(too_short.out.find("tooshort\n"), std::string::npos) << too_short.out;
}

}  // namespace

// `mledger token revoke`: lists a token's jti and exp in the revocation file
// without the key, once, in a file made 0600; garbage is refused naming the
// problem and writes nothing.
class TokenRevokeCli : public TokenCli {
 protected:
  std::string issue(const std::string& extra = "") {
    auto r = run("token issue --key-file " + key_ + " --kind user --user u-alice --account contoso " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return mledger::testing::lines_of(r.out).at(0);
  }
  std::string list_ = dir_.sub("revoked-tokens");
};

TEST_F(TokenRevokeCli, revoke_writes_jti_and_exp_once_in_a_private_file) {
  const std::string token = issue();
  const auth::TokenClaims c = verified(token);
  const std::string line = c.token_id + " " + std::to_string(c.expires_at_s) + "\n";

  auto r = run("token revoke --revoked-tokens " + list_ + " " + token);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("revoked token " + c.token_id), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(token), std::string::npos) << "the token is not printed";
  EXPECT_EQ(read_file(list_), line);
  struct stat st {};
  ASSERT_EQ(::stat(list_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  auto again = run("token revoke --json --revoked-tokens " + list_ + " " + token);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  const nlohmann::json j = nlohmann::json::parse(again.out);
  EXPECT_EQ(j["added"], false);
  EXPECT_EQ(j["jti"], c.token_id);
  EXPECT_EQ(j["exp"], c.expires_at_s);
  EXPECT_EQ(j["entries"], 1);
  EXPECT_EQ(read_file(list_), line) << "no duplicate line";

  // From stdin, and by id: each adds its line after the others.
  const std::string second = issue();
  const auth::TokenClaims c2 = verified(second);
  auto piped = mledger::testing::shell("echo '" + second + "' | " + std::string(MLEDGER_BINARY) +
                                       " token revoke --revoked-tokens " + list_ + " - 2>&1");
  ASSERT_EQ(piped.exit_code, 0) << piped.out;
  auto by_id = run("token revoke --revoked-tokens " + list_ + " --jti some-id --exp 4102444800");
  ASSERT_EQ(by_id.exit_code, 0) << by_id.out;
  EXPECT_EQ(read_file(list_), line + c2.token_id + " " + std::to_string(c2.expires_at_s) + "\n" +
                                  "some-id 4102444800\n");
}

TEST_F(TokenRevokeCli, needs_no_key_but_refuses_what_is_not_a_token) {
  // A token signed with another key is still a token: revoking it is safe.
  ASSERT_EQ(run("token keygen --key-file " + dir_.sub("other-key")).exit_code, 0);
  auto other = run("token issue --key-file " + dir_.sub("other-key") + " --kind auditor --user a-1");
  ASSERT_EQ(other.exit_code, 0);
  auto ok = run("token revoke --revoked-tokens " + list_ + " " + mledger::testing::lines_of(other.out)[0]);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  const std::string before = read_file(list_);

  const std::string header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";  // {"alg":"HS256","typ":"JWT"}
  const std::vector<std::pair<std::string, std::string>> garbage = {
      {"not-a-token", "token_malformed"},
      {"a.b", "three parts"},
      {header + ".bm90IGpzb24.c2ln", "payload is not JSON"},           // "not json"
      {header + ".eyJraW5kIjoidXNlciJ9.c2ln", "claim 'sub' is missing"},  // {"kind":"user"}
      {"eyJhbGciOiJub25lIn0.eyJraW5kIjoidXNlciJ9.c2ln", "not HS256"},     // {"alg":"none"}
  };
  for (const auto& [token, says] : garbage) {
    auto r = run("token revoke --revoked-tokens " + list_ + " '" + token + "'");
    EXPECT_EQ(r.exit_code, 2) << token << ": " << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << token << ": " << r.out;
  }
  EXPECT_EQ(read_file(list_), before) << "nothing written";
}

TEST_F(TokenRevokeCli, bad_usage_a_malformed_list_and_an_expired_token) {
  const std::string token = issue();
  const std::vector<std::pair<std::string, std::string>> usage = {
      {"token revoke " + token, "--revoked-tokens"},
      {"token revoke --revoked-tokens " + list_, "missing argument"},
      {"token revoke --revoked-tokens " + list_ + " --jti x", "--exp"},
      {"token revoke --revoked-tokens " + list_ + " --jti x --exp soon", "--exp"},
      {"token revoke --revoked-tokens " + list_ + " --jti x --exp 0", "--exp"},
      {"token revoke --revoked-tokens " + list_ + " --jti '#x' --exp 4102444800", "--jti"},
      {"token revoke --revoked-tokens " + list_ + " --jti 'a b' --exp 4102444800", "--jti"},
      {"token revoke --revoked-tokens " + list_ + " --exp 4102444800 " + token, "--exp"},
      {"token revoke --revoked-tokens " + list_ + " --jti x --exp 4102444800 " + token, "unexpected argument"},
  };
  for (const auto& [args, says] : usage) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << args << ": " << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(list_));

  mledger::testing::write_file(list_, "# ops\nbroken-line\n");
  auto malformed = run("token revoke --revoked-tokens " + list_ + " " + token);
  EXPECT_EQ(malformed.exit_code, 2) << malformed.out;
  EXPECT_NE(malformed.out.find("revocation list " + list_ + " line 2"), std::string::npos) << malformed.out;
  EXPECT_EQ(read_file(list_), "# ops\nbroken-line\n");

  // An expired token needs no entry: nothing written, exit 0.
  std::filesystem::remove(list_);
  auto expired = run("token revoke --revoked-tokens " + list_ + " --jti old --exp 1000");
  EXPECT_EQ(expired.exit_code, 0) << expired.out;
  EXPECT_NE(expired.out.find("nothing written"), std::string::npos) << expired.out;
  EXPECT_FALSE(std::filesystem::exists(list_));

  // Missing folders are created; a folder that cannot be (a file is in the
  // way) is exit 3 naming the path.
  auto deep = run("token revoke --revoked-tokens " + dir_.sub("new/dir/list") + " " + token);
  EXPECT_EQ(deep.exit_code, 0) << deep.out;
  EXPECT_TRUE(std::filesystem::exists(dir_.sub("new/dir/list")));
  mledger::testing::write_file(dir_.sub("a-file"), "x");
  auto nowhere = run("token revoke --revoked-tokens " + dir_.sub("a-file/dir/list") + " " + token);
  EXPECT_EQ(nowhere.exit_code, 3) << nowhere.out;
  EXPECT_NE(nowhere.out.find(dir_.sub("a-file")), std::string::npos) << nowhere.out;
}
