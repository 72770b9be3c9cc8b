#pragma once
// Bearer tokens for the HTTP server: compact JWS (JWT) signed with
// HMAC-SHA256 under one shared signing key. The server verifies a token to
// learn who speaks (TokenClaims); `mledger token` makes keys and issues
// tokens. Thread-safe: every function here may be called from any thread; a
// SigningKey is immutable after construction.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/core/actor.h"
#include "domain/core/status.h"

namespace mledger::auth {

inline constexpr size_t kTokenBytesMax = 4096;      // longer tokens are malformed
inline constexpr size_t kSigningKeyBytesMin = 32;
inline constexpr size_t kSigningKeyBytesMax = 1024;

// Who a token speaks for. kind user: a partner user of account_id (required,
// non-empty); other kinds: a system principal, account_id empty.
struct TokenClaims {
  ActorKind kind = ActorKind::user;
  std::string user_id;       // "sub", 1..128 bytes
  std::string account_id;    // "acct"
  std::vector<Role> roles;   // "roles" (users only; informational: the ledger uses recorded roles)
  int64_t issued_at_s = 0;   // "iat", unix seconds
  int64_t expires_at_s = 0;  // "exp", unix seconds; must be > issued_at_s
  std::string token_id;      // "jti"
  friend bool operator==(const TokenClaims&, const TokenClaims&) = default;
};

// revoked: never found by verify_token; the server's revocation list
// (revocation_list.h) names the token's jti.
enum class TokenProblem { missing, malformed, bad_signature, expired, not_yet_valid, revoked };
// "token_missing", "token_malformed", "token_bad_signature", "token_expired",
// "token_not_yet_valid", "token_revoked"
std::string_view token_problem_code(TokenProblem problem);

struct TokenRejection {
  TokenProblem problem;
  std::string message;  // says what is wrong; never echoes the token or the key
};

class SigningKey {
 public:
  // Reads the key file: its bytes with trailing whitespace (\n, \r, space, tab) stripped,
  // kSigningKeyBytesMin..kSigningKeyBytesMax bytes. Errors (invalid_argument / not_found /
  // io_error) name the path and the problem, never the content. Refuses a file readable
  // by group or others (mode & 077) with invalid_argument naming the mode.
  [[nodiscard]] static StatusOr<SigningKey> load(const std::string& path);
  [[nodiscard]] static StatusOr<SigningKey> from_bytes(std::string bytes);

  SigningKey(const SigningKey&) = default;
  SigningKey(SigningKey&&) = default;
  SigningKey& operator=(const SigningKey&) = default;
  SigningKey& operator=(SigningKey&&) = default;
  ~SigningKey();  // overwrites the bytes before freeing them

 private:
  explicit SigningKey(std::string bytes) : bytes_(std::move(bytes)) {}
  // HMAC-SHA256(bytes_, data), base64url without padding (43 characters).
  std::string sign(std::string_view data) const;
  friend std::string issue_token(const SigningKey& key, const TokenClaims& claims);
  friend std::variant<TokenClaims, TokenRejection> verify_token(const SigningKey& key,
                                                                std::string_view token,
                                                                int64_t now_s);

  std::string bytes_;  // no accessor: nothing outside this file can log them
};

// A compact JWS (JWT) with header {"alg":"HS256","typ":"JWT"}: base64url (no padding)
// header.payload.signature, signature = HMAC-SHA256(key, header "." payload).
// Asserts the claims are well formed (a bug otherwise).
std::string issue_token(const SigningKey& key, const TokenClaims& claims);

// The claims as the token carries them: {"kind","sub","acct","roles","iat","exp","jti"}
// ("acct" and "roles" for users only).
nlohmann::json claims_to_json(const TokenClaims& claims);

// Verifies signature (constant time, CRYPTO_memcmp), then the header (alg must be exactly
// HS256: "none" and anything else is malformed), then the claims (strict: required
// fields present with the right types, kind one of user|auditor|operator|service, roles
// known role names, user kind needs acct, system kinds must not have acct or roles),
// then time: now_s >= exp -> expired; iat > now_s + 60 -> not_yet_valid.
// Never throws, whatever the input (fuzz it with random bytes in a test).
//
// In detail: empty -> missing; longer than kTokenBytesMax, not three non-empty parts of
// the base64url alphabet -> malformed (nothing else can be checked); then the signature
// text must equal the expected one exactly (any other text, including another encoding
// of the same bytes, is bad_signature). Claims: "kind", "sub", "iat", "exp", "jti"
// always; "acct" and "roles" (an array, possibly empty) for users, absent otherwise;
// no other claim; 0 <= iat < exp. Header: "alg" and optionally "typ":"JWT", nothing else.
std::variant<TokenClaims, TokenRejection> verify_token(const SigningKey& key,
                                                       std::string_view token, int64_t now_s);

// The claims of a token whose signature is NOT checked (no key needed): for
// `mledger token revoke`, which only reads the jti and exp of a token its user
// holds. Checks everything verify_token checks but the signature and the time:
// the shape (missing / malformed as above), the header, the claims. Never
// trust the result for access; never throws.
std::variant<TokenClaims, TokenRejection> read_unverified_claims(std::string_view token);

// Writes a new random key (32 random bytes from RAND_bytes, as 64 lowercase hex chars +
// "\n") to `path` with mode 0600, refusing to overwrite an existing file (O_EXCL).
// invalid_argument when `path` exists; io_error when it cannot be written (a partly
// written file is removed). The key is never part of an error.
[[nodiscard]] Status write_new_key_file(const std::string& path);

}  // namespace mledger::auth
