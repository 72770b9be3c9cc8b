#include "adapters/auth/bearer_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "adapters/audit/base64.h"
#include "adapters/system/secret_file.h"
#include "domain/core/limits.h"

namespace mledger::auth {

namespace {

using nlohmann::json;

constexpr size_t kTokenIdBytesMax = 128;
// A key file holds the key and a little trailing whitespace; anything larger is refused
// before it is read.
constexpr size_t kKeyFileBytesMax = kSigningKeyBytesMax + 64;
constexpr size_t kNewKeyBytes = 32;
constexpr int64_t kClockSkewMax_s = 60;
constexpr std::string_view kHeaderText = R"({"alg":"HS256","typ":"JWT"})";

// ---------------------------------------------------------------------------
// base64url (RFC 4648 section 5) without padding, over the strict standard codec.

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Strict: only the url alphabet, no padding, unused bits zero. nullopt otherwise.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) {
    if (!is_base64url_char(c)) return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (standard.size() % 4 != 0) standard.push_back('=');
  return base64_decode(standard);
}

// ---------------------------------------------------------------------------
// Claims

// Why `claims` are not well formed, or nullopt when they are. Shared by issuing (where a
// problem is a bug) and verifying (where it makes the token malformed).
std::optional<std::string> claims_problem(const TokenClaims& c) {
  if (c.user_id.empty() || c.user_id.size() > limits::user_id_bytes_max) {
    return "claim 'sub' must be 1.." + std::to_string(limits::user_id_bytes_max) + " bytes";
  }
  if (c.token_id.empty() || c.token_id.size() > kTokenIdBytesMax) {
    return "claim 'jti' must be 1.." + std::to_string(kTokenIdBytesMax) + " bytes";
  }
  if (c.issued_at_s < 0) return "claim 'iat' must not be negative";
  if (c.expires_at_s <= c.issued_at_s) return "claim 'exp' must be later than 'iat'";
  if (c.kind == ActorKind::user) {
    if (c.account_id.empty() || c.account_id.size() > limits::account_id_bytes_max) {
      return "claim 'acct' of a user must be 1.." + std::to_string(limits::account_id_bytes_max) +
             " bytes";
    }
    if (c.roles.size() > limits::roles_per_actor_max) return "claim 'roles' has too many roles";
  } else {
    if (!c.account_id.empty()) return "a system principal must not have claim 'acct'";
    if (!c.roles.empty()) return "a system principal must not have claim 'roles'";
  }
  return std::nullopt;
}


// Reads one member of a claims or header object; remembers how many were read so that
// unknown ones are found by count. Never echoes values or unknown names.
class Reader {
 public:
  explicit Reader(const json& obj) : obj_(obj) {}

  const json* find(const char* key) {
    auto it = obj_.find(key);
    if (it == obj_.end()) return nullptr;
    ++used_;
    return &*it;
  }

  std::optional<std::string> text(const char* key, std::string* out) {
    const json* v = find(key);
    if (v == nullptr) return std::string("claim '") + key + "' is missing";
    if (!v->is_string()) return std::string("claim '") + key + "' must be a string";
    *out = v->get<std::string>();
    return std::nullopt;
  }

  std::optional<std::string> seconds(const char* key, int64_t* out) {
    const json* v = find(key);
    if (v == nullptr) return std::string("claim '") + key + "' is missing";
    if (v->is_number_unsigned()) {
      const uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return std::string("claim '") + key + "' is out of range";
      }
      *out = static_cast<int64_t>(u);
      return std::nullopt;
    }
    if (!v->is_number_integer()) return std::string("claim '") + key + "' must be an integer";
    *out = v->get<int64_t>();
    return std::nullopt;
  }

  bool all_read() const { return used_ == obj_.size(); }

 private:
  const json& obj_;
  size_t used_ = 0;
};

std::optional<std::string> read_claims(const json& j, TokenClaims* c) {
  if (!j.is_object()) return "the claims are not a JSON object";
  Reader r(j);
  std::string kind;
  if (auto p = r.text("kind", &kind)) return p;
  const std::optional<ActorKind> k = parse_actor_kind(kind);
  if (!k) return "claim 'kind' must be one of user, auditor, operator, service";
  c->kind = *k;
  if (auto p = r.text("sub", &c->user_id)) return p;
  if (auto p = r.seconds("iat", &c->issued_at_s)) return p;
  if (auto p = r.seconds("exp", &c->expires_at_s)) return p;
  if (auto p = r.text("jti", &c->token_id)) return p;
  if (c->kind == ActorKind::user) {
    if (auto p = r.text("acct", &c->account_id)) return p;
    const json* roles = r.find("roles");
    if (roles == nullptr) return "claim 'roles' is missing";
    if (!roles->is_array()) return "claim 'roles' must be an array";
    if (roles->size() > limits::roles_per_actor_max) return "claim 'roles' has too many roles";
    for (const json& role : *roles) {
      if (!role.is_string()) return "claim 'roles' must hold strings";
      const std::optional<Role> parsed = parse_role(role.get_ref<const std::string&>());
      if (!parsed) return "claim 'roles' holds an unknown role";
      c->roles.push_back(*parsed);
    }
  } else {
    if (j.contains("acct")) return "a system principal must not have claim 'acct'";
    if (j.contains("roles")) return "a system principal must not have claim 'roles'";
  }
  if (!r.all_read()) return "the claims hold an unknown claim";
  return claims_problem(*c);
}

std::optional<std::string> header_problem(const json& j) {
  if (!j.is_object()) return "the header is not a JSON object";
  Reader r(j);
  const json* alg = r.find("alg");
  if (alg == nullptr) return "the header has no 'alg'";
  if (!alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    return "the header's 'alg' is not HS256";
  }
  if (const json* typ = r.find("typ");
      typ != nullptr && (!typ->is_string() || typ->get_ref<const std::string&>() != "JWT")) {
    return "the header's 'typ' is not JWT";
  }
  if (!r.all_read()) return "the header holds an unknown field";
  return std::nullopt;
}

// The JSON object encoded in one part of a token, or the problem.
std::optional<std::string> decode_part(std::string_view part, const char* name, json* out) {
  const std::optional<std::string> bytes = base64url_decode(part);
  if (!bytes) return std::string("the ") + name + " is not base64url";
  *out = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return std::string("the ") + name + " is not JSON";
  return std::nullopt;
}

TokenRejection reject(TokenProblem problem, std::string message) {
  return TokenRejection{problem, std::move(message)};
}

// ---------------------------------------------------------------------------
// Files

constexpr std::string_view kWhat = "key file";

}  // namespace

std::string_view token_problem_code(TokenProblem problem) {
  switch (problem) {
    case TokenProblem::missing: return "token_missing";
    case TokenProblem::malformed: return "token_malformed";
    case TokenProblem::bad_signature: return "token_bad_signature";
    case TokenProblem::expired: return "token_expired";
    case TokenProblem::not_yet_valid: return "token_not_yet_valid";
    case TokenProblem::revoked: return "token_revoked";
  }
  assert(false && "unknown TokenProblem");
  return "token_malformed";
}

// ---------------------------------------------------------------------------
// SigningKey

SigningKey::~SigningKey() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

StatusOr<SigningKey> SigningKey::from_bytes(std::string bytes) {
  if (bytes.size() < kSigningKeyBytesMin || bytes.size() > kSigningKeyBytesMax) {
    const size_t size = bytes.size();
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return fail(StatusCode::invalid_argument,
                "a signing key must be " + std::to_string(kSigningKeyBytesMin) + ".." +
                    std::to_string(kSigningKeyBytesMax) + " bytes, not " + std::to_string(size));
  }
  return SigningKey(std::move(bytes));
}

StatusOr<SigningKey> SigningKey::load(const std::string& path) {
  StatusOr<std::string> bytes = read_secret_file(kWhat, path, kKeyFileBytesMax);
  if (!bytes.ok()) return Err{std::move(bytes).error()};
  StatusOr<SigningKey> key = from_bytes(std::move(bytes).value());
  if (!key.ok()) {
    return fail(StatusCode::invalid_argument, "key file " + path + ": " + key.error().message());
  }
  return key;
}

std::string SigningKey::sign(std::string_view data) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  // HMAC fails only on allocation failure or a bug: nothing sensible to do but stop.
  if (HMAC(EVP_sha256(), bytes_.data(), static_cast<int>(bytes_.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &len) == nullptr ||
      len != 32) {
    std::abort();
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), len));
}

// ---------------------------------------------------------------------------
// Tokens

nlohmann::json claims_to_json(const TokenClaims& c) {
  json j = json::object();
  j["kind"] = std::string(actor_kind_name(c.kind));
  j["sub"] = c.user_id;
  if (c.kind == ActorKind::user) {
    j["acct"] = c.account_id;
    json roles = json::array();
    for (Role r : c.roles) roles.push_back(std::string(role_name(r)));
    j["roles"] = std::move(roles);
  }
  j["iat"] = c.issued_at_s;
  j["exp"] = c.expires_at_s;
  j["jti"] = c.token_id;
  return j;
}

std::string issue_token(const SigningKey& key, const TokenClaims& claims) {
  const std::optional<std::string> problem = claims_problem(claims);
  assert(!problem && "issue_token: claims not well formed");
  (void)problem;
  std::string token = base64url_encode(kHeaderText) + "." + base64url_encode(claims_to_json(claims).dump());
  const std::string signature = key.sign(token);
  token += "." + signature;
  assert(token.size() <= kTokenBytesMax);
  return token;
}

namespace {

// A token cut at its dots; each part non-empty and of the base64url alphabet.
struct TokenParts {
  std::string_view header, payload, signature;
  std::string_view signed_text;  // header "." payload
};

std::variant<TokenParts, TokenRejection> split_token(std::string_view token) {
  if (token.empty()) return reject(TokenProblem::missing, "no token was given");
  if (token.size() > kTokenBytesMax) {
    return reject(TokenProblem::malformed,
                  "the token is longer than " + std::to_string(kTokenBytesMax) + " bytes");
  }
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return reject(TokenProblem::malformed, "the token is not three parts separated by '.'");
  }
  TokenParts p{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1), token.substr(dot2 + 1),
               token.substr(0, dot2)};
  for (std::string_view part : {p.header, p.payload, p.signature}) {
    if (part.empty()) return reject(TokenProblem::malformed, "the token has an empty part");
    for (char ch : part) {
      if (!is_base64url_char(ch)) {
        return reject(TokenProblem::malformed, "the token holds a character outside base64url");
      }
    }
  }
  return p;
}

// The header and the claims of a split token (the signature is not looked at).
std::variant<TokenClaims, TokenRejection> decode_claims(const TokenParts& parts) {
  json header_json;
  if (auto p = decode_part(parts.header, "header", &header_json)) {
    return reject(TokenProblem::malformed, *p);
  }
  if (auto p = header_problem(header_json)) return reject(TokenProblem::malformed, *p);
  json claims_doc;
  if (auto p = decode_part(parts.payload, "payload", &claims_doc)) {
    return reject(TokenProblem::malformed, *p);
  }
  TokenClaims claims;
  if (auto p = read_claims(claims_doc, &claims)) return reject(TokenProblem::malformed, *p);
  return claims;
}

}  // namespace

std::variant<TokenClaims, TokenRejection> verify_token(const SigningKey& key,
                                                       std::string_view token, int64_t now_s) {
  auto split = split_token(token);
  if (auto* r = std::get_if<TokenRejection>(&split)) return std::move(*r);
  const TokenParts& parts = std::get<TokenParts>(split);

  const std::string expected = key.sign(parts.signed_text);
  if (parts.signature.size() != expected.size() ||
      CRYPTO_memcmp(parts.signature.data(), expected.data(), expected.size()) != 0) {
    return reject(TokenProblem::bad_signature, "the token's signature does not verify");
  }

  auto decoded = decode_claims(parts);
  if (std::holds_alternative<TokenRejection>(decoded)) return decoded;
  const TokenClaims& claims = std::get<TokenClaims>(decoded);

  if (now_s >= claims.expires_at_s) return reject(TokenProblem::expired, "the token has expired");
  // iat - now_s in unsigned arithmetic: the true difference is below 2^64, a signed one may overflow.
  if (claims.issued_at_s > now_s &&
      static_cast<uint64_t>(claims.issued_at_s) - static_cast<uint64_t>(now_s) >
          static_cast<uint64_t>(kClockSkewMax_s)) {
    return reject(TokenProblem::not_yet_valid, "the token was issued in the future");
  }
  return decoded;
}

std::variant<TokenClaims, TokenRejection> read_unverified_claims(std::string_view token) {
  auto split = split_token(token);
  if (auto* r = std::get_if<TokenRejection>(&split)) return std::move(*r);
  return decode_claims(std::get<TokenParts>(split));
}

// ---------------------------------------------------------------------------
// Key files

Status write_new_key_file(const std::string& path) {
  std::array<unsigned char, kNewKeyBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return Status(StatusCode::io_error, "no random bytes for a new key (RAND_bytes failed)");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(2 * random.size() + 1);
  for (unsigned char b : random) {
    text.push_back(kDigits[b >> 4]);
    text.push_back(kDigits[b & 15]);
  }
  text.push_back('\n');
  OPENSSL_cleanse(random.data(), random.size());

  Status status = write_new_secret_file(kWhat, path, text);
  OPENSSL_cleanse(text.data(), text.size());
  return status;
}

}  // namespace mledger::auth
