// libFuzzer target: the bearer token verifier (adapters/auth/bearer_token.h).
// The input is token text, verified against one fixed signing key. It must
// never crash or throw, and it must never accept a token that key did not
// sign: the only tokens that may verify are the ones this target issues
// itself (kSeeds below, also kept in the corpus). A verified token's claims
// must equal what read_unverified_claims reads from it.
//
// MLEDGER_FUZZ_WRITE_SEEDS=<dir> writes the signed seed tokens into <dir>
// (how tests/fuzz/corpus/fuzz_bearer_token/valid-* were made).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/auth/bearer_token.h"

namespace {

using mledger::ActorKind;
using mledger::Role;
using mledger::auth::SigningKey;
using mledger::auth::TokenClaims;

constexpr int64_t kNow = 1'800'000'000;

const SigningKey& key() {
  static const SigningKey k =
      SigningKey::from_bytes(std::string("fuzz-signing-key-0123456789abcdef0123456789")).value();
  return k;
}

std::vector<TokenClaims> seed_claims() {
  TokenClaims user;
  user.kind = ActorKind::user;
  user.user_id = "u-1";
  user.account_id = "acct-1";
  user.roles = {Role::global_admin, Role::account_admin};
  user.issued_at_s = kNow - 60;
  user.expires_at_s = kNow + 3600;
  user.token_id = "jti-user";
  TokenClaims auditor;
  auditor.kind = ActorKind::auditor;
  auditor.user_id = "auditor-1";
  auditor.issued_at_s = kNow - 10;
  auditor.expires_at_s = kNow + 10;
  auditor.token_id = "jti-auditor";
  TokenClaims expired = user;
  expired.expires_at_s = kNow - 1;
  expired.issued_at_s = kNow - 100;
  expired.token_id = "jti-expired";
  TokenClaims service;
  service.kind = ActorKind::service;
  service.user_id = "svc";
  service.issued_at_s = 0;
  service.expires_at_s = kNow + 1;
  service.token_id = "jti-service";
  return {user, auditor, expired, service};
}

const std::vector<std::string>& signed_tokens() {
  static const std::vector<std::string> tokens = [] {
    std::vector<std::string> out;
    for (const auto& c : seed_claims()) out.push_back(mledger::auth::issue_token(key(), c));
    return out;
  }();
  return tokens;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("MLEDGER_FUZZ_WRITE_SEEDS")) {
    int i = 0;
    for (const auto& t : signed_tokens()) {
      std::ofstream(std::string(dir) + "/valid-" + std::to_string(i++), std::ios::binary) << t;
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const auto verified = mledger::auth::verify_token(key(), token, kNow);
  const auto unverified = mledger::auth::read_unverified_claims(token);
  if (const auto* claims = std::get_if<TokenClaims>(&verified)) {
    bool ours = false;
    for (const auto& t : signed_tokens()) ours = ours || t == token;
    if (!ours) __builtin_trap();  // accepted a token the key did not sign
    const auto* read = std::get_if<TokenClaims>(&unverified);
    if (read == nullptr || !(*read == *claims)) std::abort();
  } else {
    const auto& r = std::get<mledger::auth::TokenRejection>(verified);
    if (mledger::auth::token_problem_code(r.problem).empty() || r.message.empty()) std::abort();
  }
  return 0;
}
