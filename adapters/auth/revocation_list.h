#pragma once
// The revocation list of bearer tokens: the token ids (jti) the server refuses
// with 401 token_revoked although their signature verifies. Its file (given to
// `mledger serve --revoked-tokens FILE`, written by `mledger token revoke`)
// holds one entry per line:
//
//   JTI EXP
//
// JTI: the token's "jti", 1..128 bytes of printable ASCII without spaces, not
// starting with '#'. EXP: the token's "exp" in Unix seconds (1 to 19 digits);
// it tells when the entry may go (the token is refused as expired from then
// on). The two are separated by spaces or tabs; spaces around a line are
// ignored; blank lines and lines whose first character (after spaces) is '#'
// are comments. A token is revoked when its jti is listed, whatever the EXP
// (a jti listed twice keeps the later EXP).
//
// Limits: at most kRevocationFileBytesMax bytes and kRevokedTokensMax entries
// (expired ones count: `mledger token revoke` drops them when it rewrites the
// file). A file over a limit, or with one malformed line, is refused whole,
// with an error naming the path and the line or the limit: the list is all or
// nothing. Thread-safe: a RevocationList is immutable.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/core/status.h"

namespace mledger::auth {

inline constexpr size_t kRevokedTokensMax = 100'000;
inline constexpr size_t kRevocationFileBytesMax = 16 << 20;
inline constexpr size_t kRevokedTokenIdBytesMax = 128;

struct RevokedToken {
  std::string token_id;      // "jti"
  int64_t expires_at_s = 0;  // "exp"
};

// Why `token_id` cannot be an entry's JTI (see above), or empty when it can.
std::string revoked_token_id_problem(std::string_view token_id);

class RevocationList {
 public:
  RevocationList() = default;  // revokes nothing

  // Parses a file's text. `source` (the path) starts every error message:
  // invalid_argument "revocation list FILE line N: WHAT", or
  // limit_exceeded naming the limit. Entries whose EXP <= now_s are dropped
  // (checked, not kept): their tokens are expired anyway.
  [[nodiscard]] static StatusOr<RevocationList> parse(std::string_view text, const std::string& source,
                                                      int64_t now_s);
  // Reads and parses the file at `path` (a regular file). not_found when it is
  // missing, io_error when it cannot be read, and parse()'s errors.
  [[nodiscard]] static StatusOr<RevocationList> load(const std::string& path, int64_t now_s);

  bool contains(std::string_view token_id) const;
  size_t size() const { return expiry_.size(); }  // entries kept (not expired)
  // Kept entries, by jti: their EXP.
  const std::unordered_map<std::string, int64_t>& entries() const { return expiry_; }

 private:
  std::unordered_map<std::string, int64_t> expiry_;
};

// Adds `token` to the file at `path` (`mledger token revoke`): creates it with
// mode 0600 when missing; otherwise checks it as load() does (a malformed file
// is refused and left alone) and rewrites it whole (a temporary file renamed
// over it; its mode kept), keeping its comments and blank lines, dropping the
// entries expired at now_s, and adding the line "JTI EXP" unless the jti is
// listed already (idempotent). Holds an flock on the file while it reads and
// writes, so two at once add both. invalid_argument for a bad jti or exp;
// io_error when the file cannot be written (the file is then unchanged).
struct RevocationAdded {
  bool added = false;   // false: the jti was listed already
  size_t dropped = 0;   // expired entries removed
  size_t entries = 0;   // entries in the file now
};
[[nodiscard]] StatusOr<RevocationAdded> add_to_revocation_file(const std::string& path,
                                                               const RevokedToken& token, int64_t now_s);

}  // namespace mledger::auth
