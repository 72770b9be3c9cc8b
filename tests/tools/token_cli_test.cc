// `mledger token keygen|issue` as a user runs it: a new 0600 key that is never
// printed or overwritten; tokens that verify (adapters/auth/bearer_token.h)
// with the claims asked for; bad flags and bad key files are exit 2 naming
// the flag or the path.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
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
  auto nowhere = run("token keygen --key-file " + dir_.sub("no/such/dir/k"));
  EXPECT_EQ(nowhere.exit_code, 3) << nowhere.out;
  EXPECT_NE(nowhere.out.find(dir_.sub("no/such/dir/k")), std::string::npos) << nowhere.out;
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
