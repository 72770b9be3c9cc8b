// Bearer tokens (adapters/auth/bearer_token.h): tokens round-trip for every
// kind of principal; any change to a token, another key, another algorithm,
// malformed claims and the wrong time are each rejected with their problem;
// random input never crashes; key files are read only when private and are
// written new, 0600, never over an existing file.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "adapters/audit/base64.h"
#include "adapters/auth/bearer_token.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace mledger::auth {
namespace {

constexpr int64_t kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z
const std::string kKeyBytes = "0123456789abcdef0123456789abcdef-the-test-key";

std::string b64url(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::string b64url_decode(std::string_view text) {
  std::string s(text);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4 != 0) s.push_back('=');
  return base64_decode(s).value_or("<not base64>");
}

// HMAC-SHA256 computed here, independently of the adapter.
std::string hmac(const std::string& key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

// A token with any header and payload text, correctly signed with `key`.
std::string craft(const std::string& header, const std::string& payload,
                  const std::string& key = kKeyBytes) {
  const std::string signing_input = b64url(header) + "." + b64url(payload);
  return signing_input + "." + b64url(hmac(key, signing_input));
}

const std::string kHeader = R"({"alg":"HS256","typ":"JWT"})";

SigningKey key_of(const std::string& bytes) {
  auto key = SigningKey::from_bytes(bytes);
  EXPECT_TRUE(key.ok()) << key.error().to_string();
  return std::move(key).value();
}

TokenClaims user_claims() {
  TokenClaims c;
  c.kind = ActorKind::user;
  c.user_id = "u-alice";
  c.account_id = "contoso";
  c.roles = {Role::account_admin, Role::admin_agent};
  c.issued_at_s = kNow - 10;
  c.expires_at_s = kNow + 3600;
  c.token_id = "3f0b7c2e-1d2a-4b6e-9a51-0c8d7e6f5a41";
  return c;
}

TokenClaims system_claims(ActorKind kind) {
  TokenClaims c;
  c.kind = kind;
  c.user_id = "principal-1";
  c.issued_at_s = kNow;
  c.expires_at_s = kNow + 60;
  c.token_id = "jti-1";
  return c;
}

// The problem of a rejected token; fails the test when the token was accepted.
std::optional<TokenProblem> problem_of(const std::variant<TokenClaims, TokenRejection>& v) {
  if (const auto* r = std::get_if<TokenRejection>(&v)) return r->problem;
  return std::nullopt;
}

std::string message_of(const std::variant<TokenClaims, TokenRejection>& v) {
  if (const auto* r = std::get_if<TokenRejection>(&v)) return r->message;
  return "<accepted>";
}

TokenProblem verify_problem(const std::string& token, int64_t now_s = kNow,
                            const std::string& key = kKeyBytes) {
  auto v = verify_token(key_of(key), token, now_s);
  EXPECT_TRUE(problem_of(v).has_value()) << "accepted: " << token;
  // The message never echoes the token or the key.
  if (token.size() > 8) {
    EXPECT_EQ(message_of(v).find(token), std::string::npos);
  }
  EXPECT_EQ(message_of(v).find(key), std::string::npos);
  return problem_of(v).value_or(TokenProblem::missing);
}

TEST(BearerToken, problem_codes) {
  EXPECT_EQ(token_problem_code(TokenProblem::missing), "token_missing");
  EXPECT_EQ(token_problem_code(TokenProblem::malformed), "token_malformed");
  EXPECT_EQ(token_problem_code(TokenProblem::bad_signature), "token_bad_signature");
  EXPECT_EQ(token_problem_code(TokenProblem::expired), "token_expired");
  EXPECT_EQ(token_problem_code(TokenProblem::not_yet_valid), "token_not_yet_valid");
  EXPECT_EQ(token_problem_code(TokenProblem::revoked), "token_revoked");
}

// `mledger token revoke` reads a token's claims without the key: the shape,
// header and claims are checked as by verify_token, the signature and time not.
TEST(BearerToken, unverified_claims_check_all_but_the_signature_and_time) {
  const std::string token = issue_token(key_of(kKeyBytes), user_claims());
  auto other_key = read_unverified_claims(issue_token(key_of(kKeyBytes + "-other"), user_claims()));
  ASSERT_TRUE(std::holds_alternative<TokenClaims>(other_key));
  EXPECT_EQ(std::get<TokenClaims>(other_key), user_claims());
  EXPECT_EQ(std::get<TokenClaims>(read_unverified_claims(token)), user_claims());

  TokenClaims expired = user_claims();
  expired.issued_at_s = 1;
  expired.expires_at_s = 2;
  EXPECT_EQ(std::get<TokenClaims>(read_unverified_claims(issue_token(key_of(kKeyBytes), expired))).expires_at_s, 2);

  EXPECT_EQ(problem_of(read_unverified_claims("")), TokenProblem::missing);
  for (const std::string& bad : {std::string("garbage"), std::string("a.b"), std::string("a..c"),
                                std::string("a.b.c.d"), std::string("a!.b.c"), std::string(5000, 'a'),
                                craft(R"({"alg":"none"})", claims_to_json(user_claims()).dump()),
                                craft(kHeader, "not json"),
                                craft(kHeader, R"({"kind":"user","sub":"u"})"),
                                craft(kHeader, R"({"kind":"auditor","sub":"a","iat":1,"exp":2,"jti":"j","acct":"x"})")}) {
    EXPECT_EQ(problem_of(read_unverified_claims(bad)), TokenProblem::malformed) << bad.substr(0, 80);
  }
}

TEST(BearerToken, round_trip_for_each_kind) {
  const SigningKey key = key_of(kKeyBytes);
  std::vector<TokenClaims> all = {user_claims(), system_claims(ActorKind::auditor),
                                  system_claims(ActorKind::operator_),
                                  system_claims(ActorKind::service)};
  TokenClaims no_roles = user_claims();
  no_roles.roles.clear();
  all.push_back(no_roles);
  for (const TokenClaims& claims : all) {
    const std::string token = issue_token(key, claims);
    EXPECT_LE(token.size(), kTokenBytesMax);
    auto v = verify_token(key, token, kNow);
    ASSERT_TRUE(std::holds_alternative<TokenClaims>(v)) << message_of(v);
    EXPECT_EQ(std::get<TokenClaims>(v), claims);
  }
}

TEST(BearerToken, is_a_standard_hs256_jwt) {
  const std::string token = issue_token(key_of(kKeyBytes), system_claims(ActorKind::auditor));
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  ASSERT_NE(dot1, dot2);
  EXPECT_EQ(b64url_decode(token.substr(0, dot1)), kHeader);
  EXPECT_EQ(nlohmann::json::parse(b64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1))),
            nlohmann::json::parse(
                R"({"kind":"auditor","sub":"principal-1","iat":1767225600,"exp":1767225660,"jti":"jti-1"})"));
  EXPECT_EQ(token.substr(dot2 + 1), b64url(hmac(kKeyBytes, token.substr(0, dot2))));
  EXPECT_EQ(token.find('='), std::string::npos);
}

TEST(BearerToken, the_rfc_7515_hs256_example_signature_verifies) {
  // RFC 7515 appendix A.1: its signature verifies (another implementation's HMAC agrees);
  // its claims are not ours, so the token is malformed, not bad_signature.
  const std::string key =
      b64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  const std::string token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  EXPECT_EQ(verify_problem(token, kNow, key), TokenProblem::malformed);
  EXPECT_EQ(verify_problem(token.substr(0, token.size() - 1) + "l", kNow, key),
            TokenProblem::bad_signature);
}

TEST(BearerToken, any_change_to_a_token_is_a_bad_signature) {
  const std::string token = issue_token(key_of(kKeyBytes), user_claims());
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  const std::string header = token.substr(0, dot1);
  const std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string signature = token.substr(dot2 + 1);

  // Another payload (admin of another account), the original signature.
  nlohmann::json other = nlohmann::json::parse(b64url_decode(payload));
  ASSERT_EQ(other["acct"], "contoso");
  other["acct"] = "fabrikam";
  const std::string forged = b64url(other.dump());
  EXPECT_EQ(verify_problem(header + "." + forged + "." + signature), TokenProblem::bad_signature);
  // A header spelled differently (same meaning), the original signature.
  EXPECT_EQ(verify_problem(b64url(R"({"typ":"JWT","alg":"HS256"})") + "." + payload + "." + signature),
            TokenProblem::bad_signature);
  // Each character of the signature changed in turn.
  for (size_t i = 0; i < signature.size(); ++i) {
    std::string s = signature;
    s[i] = s[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(verify_problem(header + "." + payload + "." + s), TokenProblem::bad_signature) << i;
  }
  // Each character of the payload changed in turn.
  for (size_t i = 0; i < payload.size(); ++i) {
    std::string p = payload;
    p[i] = p[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(verify_problem(header + "." + p + "." + signature), TokenProblem::bad_signature) << i;
  }
  // Truncated or extended signatures.
  EXPECT_EQ(verify_problem(header + "." + payload + "." + signature.substr(1)),
            TokenProblem::bad_signature);
  EXPECT_EQ(verify_problem(header + "." + payload + "." + signature + "A"),
            TokenProblem::bad_signature);
  // Signed with another key.
  const std::string other_key(40, 'k');
  EXPECT_EQ(verify_problem(issue_token(key_of(other_key), user_claims())), TokenProblem::bad_signature);
  EXPECT_EQ(verify_problem(craft(kHeader, b64url_decode(payload), other_key)),
            TokenProblem::bad_signature);
}

TEST(BearerToken, only_hs256_is_accepted) {
  const std::string claims = R"({"kind":"service","sub":"tick","iat":1767225600,"exp":1767229200,"jti":"j"})";
  EXPECT_EQ(std::get<TokenClaims>(verify_token(key_of(kKeyBytes), craft(kHeader, claims), kNow)).user_id,
            "tick");
  EXPECT_TRUE(std::holds_alternative<TokenClaims>(
      verify_token(key_of(kKeyBytes), craft(R"({"alg":"HS256"})", claims), kNow)));
  for (const char* header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"HS512","typ":"JWT"})",
                             R"({"alg":"hs256","typ":"JWT"})", R"({"alg":"RS256"})",
                             R"({"typ":"JWT"})", R"({"alg":["HS256"]})", R"({"alg":"HS256","typ":"JOSE+JSON"})",
                             R"({"alg":"HS256","kid":"k1"})", R"(["HS256"])", "HS256", "{"}) {
    EXPECT_EQ(verify_problem(craft(header, claims)), TokenProblem::malformed) << header;
  }
  // An unsigned token (alg none, empty signature) is not even three non-empty parts.
  EXPECT_EQ(verify_problem(b64url(R"({"alg":"none"})") + "." + b64url(claims) + "."),
            TokenProblem::malformed);
}

TEST(BearerToken, expiry_and_clock_skew) {
  const SigningKey key = key_of(kKeyBytes);
  TokenClaims c = user_claims();
  const std::string token = issue_token(key, c);
  EXPECT_TRUE(std::holds_alternative<TokenClaims>(verify_token(key, token, c.expires_at_s - 1)));
  EXPECT_EQ(verify_problem(token, c.expires_at_s), TokenProblem::expired);
  EXPECT_EQ(verify_problem(token, c.expires_at_s + 86400), TokenProblem::expired);
  // Issued up to 60 s in the future (the issuer's clock runs ahead) is fine; more is not.
  EXPECT_TRUE(std::holds_alternative<TokenClaims>(verify_token(key, token, c.issued_at_s - 60)));
  EXPECT_EQ(verify_problem(token, c.issued_at_s - 61), TokenProblem::not_yet_valid);
  EXPECT_EQ(verify_problem(token, std::numeric_limits<int64_t>::min()), TokenProblem::not_yet_valid);
  EXPECT_EQ(verify_problem(token, std::numeric_limits<int64_t>::max()), TokenProblem::expired);
}

TEST(BearerToken, missing_and_too_long) {
  EXPECT_EQ(verify_problem(""), TokenProblem::missing);
  TokenClaims c = user_claims();
  const std::string token = issue_token(key_of(kKeyBytes), c);
  EXPECT_EQ(verify_problem(token + std::string(kTokenBytesMax, 'A')), TokenProblem::malformed);
  // A correctly signed token just over the limit is still malformed.
  nlohmann::json claims = nlohmann::json::parse(b64url_decode(token.substr(token.find('.') + 1,
                                                                            token.rfind('.') - token.find('.') - 1)));
  claims["pad"] = std::string(kTokenBytesMax, 'x');
  EXPECT_EQ(verify_problem(craft(kHeader, claims.dump())), TokenProblem::malformed);
}

TEST(BearerToken, malformed_structure) {
  const std::string token = issue_token(key_of(kKeyBytes), user_claims());
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  const std::string header = token.substr(0, dot1);
  const std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string signature = token.substr(dot2 + 1);
  for (const std::string& bad :
       {header, header + "." + payload, header + "." + payload + "." + signature + ".",
        "." + payload + "." + signature, header + ".." + signature, header + "." + payload + ".",
        header + "." + payload + "." + signature + "=", header + "=." + payload + "." + signature,
        header + "." + payload + "+." + signature, "Bearer " + token, token + "\n", std::string("..."),
        std::string("a.b.c.d"), header + "." + payload + "." + signature + "." + signature}) {
    EXPECT_EQ(verify_problem(bad), TokenProblem::malformed) << bad;
  }
  // Correctly signed parts that are not base64url or not JSON.
  auto signed_parts = [](const std::string& h, const std::string& p) {
    const std::string input = h + "." + p;
    return input + "." + b64url(hmac(kKeyBytes, input));
  };
  EXPECT_EQ(verify_problem(signed_parts(b64url(kHeader), "A")), TokenProblem::malformed);  // 1 mod 4
  EXPECT_EQ(verify_problem(signed_parts(b64url(kHeader), "Zh")), TokenProblem::malformed);  // unused bits
  EXPECT_EQ(verify_problem(signed_parts("Zh", b64url("{}"))), TokenProblem::malformed);
  EXPECT_EQ(verify_problem(craft(kHeader, "not json")), TokenProblem::malformed);
  EXPECT_EQ(verify_problem(craft(kHeader, "{\"kind\":\"user\"")), TokenProblem::malformed);
  EXPECT_EQ(verify_problem(craft(kHeader, "\xff\xfe")), TokenProblem::malformed);
  EXPECT_EQ(verify_problem(craft("not json", "{}")), TokenProblem::malformed);
}

TEST(BearerToken, malformed_claims) {
  const std::string base = R"("iat":1767225600,"exp":1767229200,"jti":"j1")";
  const std::string user = R"("kind":"user","sub":"u-1","acct":"contoso","roles":[],)" + base;
  // Well formed first: each case below changes one thing.
  ASSERT_TRUE(std::holds_alternative<TokenClaims>(
      verify_token(key_of(kKeyBytes), craft(kHeader, "{" + user + "}"), kNow)));
  const std::vector<std::string> bad = {
      // missing fields
      R"({"sub":"u-1","acct":"contoso","roles":[],)" + base + "}",
      R"({"kind":"user","acct":"contoso","roles":[],)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"exp":1767229200,"jti":"j1"})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"jti":"j1"})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"exp":1767229200})",
      R"({"kind":"user","sub":"u-1","roles":[],)" + base + "}",  // user without acct
      R"({"kind":"user","sub":"u-1","acct":"contoso",)" + base + "}",
      // wrong types
      R"({"kind":"user","sub":5,"acct":"contoso","roles":[],)" + base + "}",
      R"({"kind":1,"sub":"u-1","acct":"contoso","roles":[],)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":null,"roles":[],)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":"account_admin",)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[1],)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":"1767225600","exp":1767229200,"jti":"j1"})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"exp":1767229200.5,"jti":"j1"})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"exp":true,"jti":"j1"})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"exp":1767229200,"jti":7})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"exp":18446744073709551615,"jti":"j1"})",
      "[" + std::string(R"("kind","user")") + "]", "42", "null", "\"claims\"",
      // unknown values
      R"({"kind":"admin","sub":"u-1","acct":"contoso","roles":[],)" + base + "}",
      R"({"kind":"operator_","sub":"u-1",)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":["account_admin","root"],)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":["Account_Admin"],)" + base + "}",
      // out of range
      R"({"kind":"user","sub":"","acct":"contoso","roles":[],)" + base + "}",
      R"({"kind":"user","sub":")" + std::string(129, 'u') + R"(","acct":"contoso","roles":[],)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"","roles":[],)" + base + "}",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"exp":1767225600,"jti":"j1"})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":-5,"exp":1767225600,"jti":"j1"})",
      R"({"kind":"user","sub":"u-1","acct":"contoso","roles":[],"iat":1767225600,"exp":1767229200,"jti":""})",
      // system principals carry neither acct nor roles
      R"({"kind":"auditor","sub":"a-1","acct":"contoso",)" + base + "}",
      R"({"kind":"auditor","sub":"a-1","acct":"",)" + base + "}",
      R"({"kind":"service","sub":"s-1","roles":[],)" + base + "}",
      R"({"kind":"operator","sub":"o-1","roles":["global_admin"],)" + base + "}",
      // unknown claims
      "{" + user + R"(,"admin":true})",
  };
  for (const std::string& claims : bad) {
    EXPECT_EQ(verify_problem(craft(kHeader, claims)), TokenProblem::malformed) << claims;
  }
}

TEST(BearerToken, random_input_never_crashes) {
  const SigningKey key = key_of(kKeyBytes);
  std::mt19937_64 rng(20260101);
  auto byte = [&] { return static_cast<char>(rng() & 0xff); };
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
  const std::string valid = issue_token(key, user_claims());
  const std::string valid_payload = b64url_decode(valid.substr(valid.find('.') + 1,
                                                               valid.rfind('.') - valid.find('.') - 1));
  size_t accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string input;
    switch (i % 5) {
      case 0:  // random bytes
        input.resize(rng() % 300);
        for (char& c : input) c = byte();
        break;
      case 1:  // random base64url text with dots
        input.resize(rng() % 300);
        for (char& c : input) c = alphabet[rng() % alphabet.size()];
        break;
      case 2: {  // the valid token, mutated a few times
        input = valid;
        for (int m = 0, n = 1 + static_cast<int>(rng() % 4); m < n; ++m) {
          const size_t at = input.empty() ? 0 : rng() % input.size();
          switch (rng() % 3) {
            case 0: if (!input.empty()) input[at] = byte(); break;
            case 1: input.insert(input.begin() + static_cast<long>(at), byte()); break;
            default: if (!input.empty()) input.erase(at, 1); break;
          }
        }
        break;
      }
      case 3: {  // random payload bytes, correctly signed: reaches the JSON parser
        std::string p(rng() % 200, '\0');
        for (char& c : p) c = byte();
        input = craft(kHeader, p);
        break;
      }
      default: {  // the valid payload text, mutated, correctly signed: reaches the claims
        std::string p = valid_payload;
        for (int m = 0, n = 1 + static_cast<int>(rng() % 3); m < n; ++m) {
          p[rng() % p.size()] = static_cast<char>(rng() % 2 ? byte() : "{}[]\",:0a-"[rng() % 10]);
        }
        input = craft(kHeader, p);
        break;
      }
    }
    auto v = verify_token(key, input, kNow);
    if (std::holds_alternative<TokenClaims>(v)) {
      ++accepted;
      // Only a correctly signed, well formed token passes; a mutation of the valid token
      // can pass only by being the valid token again.
      if (i % 5 == 2) {
        EXPECT_EQ(input, valid);
      }
    } else {
      EXPECT_FALSE(std::get<TokenRejection>(v).message.empty());
    }
  }
  EXPECT_LT(accepted, 2000u);
}

// ---------------------------------------------------------------------------
// Key files

class KeyFile : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = dir_.sub(name);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  mledger::testing::TempDir dir_;
};

TEST_F(KeyFile, loads_a_private_file_without_its_trailing_whitespace) {
  const std::string path = write("key", kKeyBytes + "\r\n \t\n", 0600);
  auto key = SigningKey::load(path);
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  // The same key as the bytes without the whitespace: each verifies the other's token.
  const std::string token = issue_token(*key, user_claims());
  EXPECT_TRUE(std::holds_alternative<TokenClaims>(verify_token(key_of(kKeyBytes), token, kNow)));
  EXPECT_TRUE(std::holds_alternative<TokenClaims>(verify_token(*key, issue_token(key_of(kKeyBytes), user_claims()), kNow)));
  EXPECT_TRUE(SigningKey::load(write("ro", kKeyBytes, 0400)).ok());
}

TEST_F(KeyFile, refuses_missing_short_long_and_shared_files) {
  auto missing = SigningKey::load(dir_.sub("absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::not_found);
  EXPECT_NE(missing.error().message().find(dir_.sub("absent")), std::string::npos);

  const std::string short_key(kSigningKeyBytesMin - 1, 's');
  auto too_short = SigningKey::load(write("short", short_key + "\n", 0600));
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.error().code(), StatusCode::invalid_argument);
  EXPECT_NE(too_short.error().message().find(dir_.sub("short")), std::string::npos);
  EXPECT_EQ(too_short.error().message().find(short_key), std::string::npos);
  EXPECT_FALSE(SigningKey::load(write("blank", std::string(kSigningKeyBytesMin, ' '), 0600)).ok());
  EXPECT_FALSE(SigningKey::load(write("empty", "", 0600)).ok());

  EXPECT_TRUE(SigningKey::load(write("max", std::string(kSigningKeyBytesMax, 'm') + "\n", 0600)).ok());
  auto too_long = SigningKey::load(write("long", std::string(kSigningKeyBytesMax + 1, 'l'), 0600));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code(), StatusCode::invalid_argument);
  EXPECT_FALSE(SigningKey::load(write("huge", std::string(1 << 20, 'h'), 0600)).ok());

  for (mode_t mode : {0644, 0640, 0604, 0660, 0610}) {
    auto shared = SigningKey::load(write("shared", kKeyBytes, mode));
    ASSERT_FALSE(shared.ok()) << mode;
    EXPECT_EQ(shared.error().code(), StatusCode::invalid_argument);
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(shared.error().message().find(text), std::string::npos) << shared.error().message();
    EXPECT_NE(shared.error().message().find(dir_.sub("shared")), std::string::npos);
    EXPECT_EQ(shared.error().message().find(kKeyBytes), std::string::npos);
  }
  auto directory = SigningKey::load(dir_.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code(), StatusCode::invalid_argument);
  // A FIFO is refused at once, not waited on.
  const std::string fifo = dir_.sub("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto from_fifo = SigningKey::load(fifo);
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_EQ(from_fifo.error().code(), StatusCode::invalid_argument);
}

TEST_F(KeyFile, from_bytes_checks_the_size) {
  EXPECT_FALSE(SigningKey::from_bytes(std::string(kSigningKeyBytesMin - 1, 'k')).ok());
  EXPECT_TRUE(SigningKey::from_bytes(std::string(kSigningKeyBytesMin, 'k')).ok());
  EXPECT_TRUE(SigningKey::from_bytes(std::string(kSigningKeyBytesMax, 'k')).ok());
  EXPECT_FALSE(SigningKey::from_bytes(std::string(kSigningKeyBytesMax + 1, 'k')).ok());
}

TEST_F(KeyFile, keygen_writes_a_new_0600_file_and_never_overwrites) {
  const std::string path = dir_.sub("new.key");
  ASSERT_TRUE(write_new_key_file(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  const std::string text = mledger::testing::read_file(path);
  ASSERT_EQ(text.size(), 65u);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.substr(0, 64).find_first_not_of("0123456789abcdef"), std::string::npos);
  auto key = SigningKey::load(path);
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_TRUE(std::holds_alternative<TokenClaims>(
      verify_token(key_of(text.substr(0, 64)), issue_token(*key, user_claims()), kNow)));

  const Status again = write_new_key_file(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), StatusCode::invalid_argument);
  EXPECT_NE(again.message().find(path), std::string::npos);
  EXPECT_EQ(mledger::testing::read_file(path), text);

  // Two keys are different.
  const std::string second = dir_.sub("second.key");
  ASSERT_TRUE(write_new_key_file(second).ok());
  EXPECT_NE(mledger::testing::read_file(second), text);

  // Missing folders are created; a folder that cannot be (a file is in its
  // place) is an io_error naming the path, and leaves nothing behind.
  ASSERT_TRUE(write_new_key_file(dir_.sub("new/dir/key")).ok());
  std::ofstream(dir_.sub("a-file")) << "x";
  const std::string nowhere = dir_.sub("a-file/dir/key");
  const Status failed = write_new_key_file(nowhere);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), StatusCode::io_error);
  EXPECT_NE(failed.message().find(dir_.sub("a-file")), std::string::npos) << failed.message();
  EXPECT_FALSE(std::filesystem::exists(nowhere));
}

}  // namespace
}  // namespace mledger::auth
