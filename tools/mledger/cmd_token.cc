// mledger token (keygen | issue | revoke): the signing key of the HTTP
// server's bearer tokens, tokens signed with it (adapters/auth/bearer_token.h),
// and the server's revocation list (adapters/auth/revocation_list.h). None
// opens the ledger. The key is never printed, not even in an error.

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/auth/bearer_token.h"
#include "adapters/auth/revocation_list.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "domain/account/enroll.h"
#include "domain/core/limits.h"
#include "domain/core/time.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr uint64_t kTtlSecondsDefault = 3600;
constexpr uint64_t kTtlSecondsMax = 31'536'000;  // one year

constexpr const char* kTokenHelp = R"(usage: mledger token keygen --key-file FILE      make a new signing key
       mledger token issue --key-file FILE ...   issue a bearer token signed with it
       mledger token revoke --revoked-tokens FILE TOKEN
                                                 list a token on the server's revocation list

The HTTP server authenticates requests by bearer tokens: HMAC-SHA256 signed
JWTs (docs/cli.md#bearer-tokens). `mledger token <subcommand> --help` explains
each.
)";

constexpr const char* kKeygenHelp = R"(usage: mledger token keygen --key-file FILE [--json]

Writes a new signing key to FILE: 32 random bytes as 64 hex digits and a
newline, with mode 0600. Refuses to overwrite an existing FILE. The key is
never printed; keep FILE readable by the server's user only.

Exit: 0 written; 2 bad usage or FILE exists; 3 FILE could not be written.
)";

constexpr const char* kIssueHelp = R"(usage: mledger token issue --key-file FILE --kind user|auditor|operator|service
                           --user ID [--account ID] [--roles R1,R2,...]
                           [--ttl-seconds N] [--json]

Prints a bearer token signed with the key in FILE, on one line (--json:
{"token": ..., "claims": {...}}). FILE must not be readable by group or
others (chmod 600).
  --kind K         who the token speaks for: a partner `user` of an account,
                   or a system principal (`auditor`, `operator`, `service`)
  --user ID        the user or principal id ("sub"), 1..128 characters of
                   A-Z a-z 0-9 . _ : -
  --account ID     the user's partner account ("acct"); required for
                   --kind user, refused for the other kinds
  --roles R1,R2    the user's roles (informational: the ledger authorizes by
                   the roles it recorded), e.g. account_admin,admin_agent;
                   users only
  --ttl-seconds N  valid for N seconds from now (default 3600, at most
                   31536000)

Exit: 0 issued; 2 bad usage, or the key file is missing, unreadable, too
loosely permitted or of the wrong size.
)";

constexpr const char* kRevokeHelp = R"(usage: mledger token revoke --revoked-tokens FILE TOKEN [--json]
       mledger token revoke --revoked-tokens FILE - [--json]     (the token on stdin)
       mledger token revoke --revoked-tokens FILE --jti ID --exp SECONDS [--json]

Adds the token to the revocation list FILE that `mledger serve
--revoked-tokens FILE` reads (it refuses the token with 401 token_revoked
within about a second). Writes the line "JTI EXP": the token's jti, and its
exp in Unix seconds (the entry is dropped once the token has expired).
Needs no key: the token's signature is not checked, but its shape and claims
must be those of a token (a garbage TOKEN is refused). With --jti and --exp,
lists that id without a token (ID as in the token's "jti").

FILE is created with mode 0600 when missing. Otherwise it must be a valid
list; it is rewritten whole (a temporary file renamed over it, its mode
kept) keeping its comments, dropping the entries already expired, and adding
the line unless the jti is listed already (running it twice adds one line).
A token already expired needs no entry: nothing is written.

Exit: 0 listed (or listed already, or expired); 2 bad usage, a garbage token,
a malformed FILE or one at a limit (100000 entries, 16 MiB); 3 FILE could not
be written.
)";

// The domain's identifier form: [A-Za-z0-9._:-], 1..max bytes.
bool is_principal_id(const std::string& s) {
  if (s.empty() || s.size() > limits::user_id_bytes_max) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Parses "r1,r2"; nullopt (with *problem) on an empty or unknown name.
std::optional<std::vector<Role>> parse_roles(const std::string& text, std::string* problem) {
  std::vector<Role> roles;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string name = text.substr(start, comma == std::string::npos ? comma : comma - start);
    const std::optional<Role> role = parse_role(name);
    if (!role) {
      *problem = name.empty() ? "--roles has an empty role name"
                              : "--roles names an unknown role '" + name + "'";
      return std::nullopt;
    }
    roles.push_back(*role);
    if (roles.size() > limits::roles_per_actor_max) {
      *problem = "--roles names more than " + std::to_string(limits::roles_per_actor_max) + " roles";
      return std::nullopt;
    }
    if (comma == std::string::npos) return roles;
    start = comma + 1;
  }
}

std::string known_roles() {
  std::string out;
  for (std::string_view r : enum_names(Role{})) out += (out.empty() ? "" : ", ") + std::string(r);
  return out;
}


int keygen(const Argv& argv) {
  const char* name = "token keygen";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kKeygenHelp, argv, {"key-file"}, {}, 0, &args, &code)) return code;
  const std::optional<std::string> path = args.value("key-file");
  if (!path || path->empty()) return usage_error(name, "--key-file FILE is required", kKeygenHelp);
  const Status written = auth::write_new_key_file(*path);
  if (!written.ok()) {
    return report_failure(name, written,
                          written.code() == StatusCode::io_error ? kExitFailure : kExitUsage);
  }
  if (args.flag("json")) {
    std::printf("%s\n", nlohmann::json({{"key_file", *path}, {"mode", "0600"}}).dump().c_str());
  } else {
    std::printf("wrote a new signing key to %s (mode 0600)\n", path->c_str());
  }
  return kExitOk;
}

// The claims the flags ask for, without iat/exp/jti; nullopt after printing a usage error.
std::optional<auth::TokenClaims> claims_from_flags(const char* name, const Args& args, int* code) {
  auto usage = [&](const std::string& problem) {
    *code = usage_error(name, problem, kIssueHelp);
    return std::nullopt;
  };
  auth::TokenClaims claims;
  const std::optional<std::string> kind = args.value("kind");
  if (!kind) return usage("--kind is required (user, auditor, operator or service)");
  const std::optional<ActorKind> parsed_kind = parse_actor_kind(*kind);
  if (!parsed_kind) {
    return usage("--kind must be user, auditor, operator or service, not '" + *kind + "'");
  }
  claims.kind = *parsed_kind;
  const std::optional<std::string> user = args.value("user");
  if (!user) return usage("--user ID is required");
  if (!is_principal_id(*user)) {
    return usage("--user must be 1.." + std::to_string(limits::user_id_bytes_max) +
                 " characters of A-Z a-z 0-9 . _ : -");
  }
  claims.user_id = *user;
  const std::optional<std::string> account = args.value("account");
  const std::optional<std::string> roles = args.value("roles");
  if (claims.kind != ActorKind::user) {
    if (account) return usage("--account is for --kind user only");
    if (roles) return usage("--roles is for --kind user only");
    return claims;
  }
  if (!account) return usage("--account ID is required for --kind user");
  if (!is_valid_account_id(*account)) {
    return usage("--account must be 1.." + std::to_string(limits::account_id_bytes_max) +
                 " characters of A-Z a-z 0-9 - _ .");
  }
  claims.account_id = *account;
  if (roles) {
    std::string problem;
    std::optional<std::vector<Role>> parsed = parse_roles(*roles, &problem);
    if (!parsed) return usage(problem + " (known roles: " + known_roles() + ")");
    claims.roles = std::move(*parsed);
  }
  return claims;
}

int issue(const Argv& argv) {
  const char* name = "token issue";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kIssueHelp, argv,
                        {"key-file", "kind", "user", "account", "roles", "ttl-seconds"}, {}, 0, &args,
                        &code)) {
    return code;
  }
  const std::optional<std::string> path = args.value("key-file");
  if (!path || path->empty()) return usage_error(name, "--key-file FILE is required", kIssueHelp);
  std::optional<auth::TokenClaims> claims = claims_from_flags(name, args, &code);
  if (!claims) return code;
  uint64_t ttl_s = 0;
  if (!args.number("ttl-seconds", kTtlSecondsDefault, &ttl_s)) {
    return usage_error(name, args.error(), kIssueHelp);
  }
  if (ttl_s == 0 || ttl_s > kTtlSecondsMax) {
    return usage_error(name, "--ttl-seconds must be 1.." + std::to_string(kTtlSecondsMax),
                       kIssueHelp);
  }
  StatusOr<auth::SigningKey> key = auth::SigningKey::load(*path);
  if (!key.ok()) return report_failure(name, key.error(), kExitUsage);

  claims->issued_at_s = SystemClock().now().micros_since_epoch / kMicrosPerSecond;
  claims->expires_at_s = claims->issued_at_s + static_cast<int64_t>(ttl_s);
  claims->token_id = RandomUuidSource().next_id();
  const std::string token = auth::issue_token(*key, *claims);
  if (args.flag("json")) {
    std::printf("%s\n", nlohmann::json({{"token", token}, {"claims", auth::claims_to_json(*claims)}}).dump().c_str());
  } else {
    std::printf("%s\n", token.c_str());
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

// The token's text: the argument, or one line of stdin for "-".
std::optional<std::string> token_text(const std::string& arg) {
  if (arg != "-") return arg;
  std::string line;
  int c;
  while ((c = std::getchar()) != EOF && c != '\n') {
    if (line.size() > auth::kTokenBytesMax + 1) return std::nullopt;
    line.push_back(static_cast<char>(c));
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return line;
}

int revoke(const Argv& argv) {
  const char* name = "token revoke";
  Args args;
  int code = 0;
  const bool by_id = std::find(argv.begin(), argv.end(), "--jti") != argv.end();
  if (!parse_subcommand(name, kRevokeHelp, argv, {"revoked-tokens", "jti", "exp"}, {}, by_id ? 0 : 1,
                        &args, &code)) {
    return code;
  }
  const std::optional<std::string> path = args.value("revoked-tokens");
  if (!path || path->empty()) return usage_error(name, "--revoked-tokens FILE is required", kRevokeHelp);
  auth::RevokedToken entry;
  if (by_id) {
    uint64_t exp = 0;
    if (!args.value("exp")) return usage_error(name, "--jti needs --exp SECONDS (the token's exp)", kRevokeHelp);
    if (!args.number("exp", 0, &exp) || exp == 0 ||
        exp > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return usage_error(name, "--exp must be the token's exp in Unix seconds (a positive number)", kRevokeHelp);
    }
    entry.token_id = *args.value("jti");
    entry.expires_at_s = static_cast<int64_t>(exp);
    if (std::string p = auth::revoked_token_id_problem(entry.token_id); !p.empty()) {
      return usage_error(name, "--jti: " + p, kRevokeHelp);
    }
  } else {
    if (args.value("exp")) return usage_error(name, "--exp goes with --jti, not with a token", kRevokeHelp);
    const std::optional<std::string> token = token_text(args.positionals()[0]);
    if (!token) return usage_error(name, "the token on stdin is longer than 4096 bytes", kRevokeHelp);
    auto claims = auth::read_unverified_claims(*token);
    if (const auto* r = std::get_if<auth::TokenRejection>(&claims)) {
      return report_failure(name, Status(StatusCode::invalid_argument,
                                         "not a token (" + std::string(auth::token_problem_code(r->problem)) +
                                             "): " + r->message),
                            kExitUsage);
    }
    const auth::TokenClaims& c = std::get<auth::TokenClaims>(claims);
    entry = auth::RevokedToken{c.token_id, c.expires_at_s};
    if (std::string p = auth::revoked_token_id_problem(entry.token_id); !p.empty()) {
      return report_failure(name, Status(StatusCode::invalid_argument, "the token's jti cannot be listed: " + p),
                            kExitUsage);
    }
  }

  const int64_t now_s = SystemClock().now().micros_since_epoch / kMicrosPerSecond;
  const std::string exp_text = format_rfc3339(Instant{entry.expires_at_s * kMicrosPerSecond});
  nlohmann::json out = {{"file", *path}, {"jti", entry.token_id}, {"exp", entry.expires_at_s}};
  if (entry.expires_at_s <= now_s) {
    out["added"] = false;
    out["expired"] = true;
    if (args.flag("json")) {
      std::printf("%s\n", out.dump().c_str());
    } else {
      std::printf("token %s expired at %s: it is refused as expired already; nothing written\n",
                  entry.token_id.c_str(), exp_text.c_str());
    }
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }
  StatusOr<auth::RevocationAdded> added = auth::add_to_revocation_file(*path, entry, now_s);
  if (!added.ok()) {
    return report_failure(name, added.error(),
                          added.error().code() == StatusCode::io_error ? kExitFailure : kExitUsage);
  }
  out["added"] = added->added;
  out["expired"] = false;
  out["dropped_expired"] = added->dropped;
  out["entries"] = added->entries;
  if (args.flag("json")) {
    std::printf("%s\n", out.dump().c_str());
  } else if (added->added) {
    std::printf("revoked token %s (exp %s) in %s: %zu entries, %zu expired ones dropped\n",
                entry.token_id.c_str(), exp_text.c_str(), path->c_str(), added->entries, added->dropped);
  } else {
    std::printf("token %s is revoked already in %s\n", entry.token_id.c_str(), path->c_str());
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

}  // namespace

int run_token(const Argv& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(kTokenHelp, argv.empty() ? stderr : stdout);
    return argv.empty() ? kExitUsage : kExitOk;
  }
  const std::string& what = argv[0];
  const Argv rest(argv.begin() + 1, argv.end());
  if (what == "keygen") return keygen(rest);
  if (what == "issue") return issue(rest);
  if (what == "revoke") return revoke(rest);
  std::fprintf(stderr, "mledger token: unknown subcommand '%s'\n\n%s", what.c_str(), kTokenHelp);
  return kExitUsage;
}

}  // namespace mledger::cli
