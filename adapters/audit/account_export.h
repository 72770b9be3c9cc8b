#pragma once
// The account export (docs/audit.md, "Export format"), version 2: JSON lines
// that prove, with the ledger's public key and nothing of the ledger, that
// these are the account's events in the tree of a signed head.
//
//   line 1       {"kind":"header","format":"mledger-account-export","format_version":2,
//                 "account":ID,"exported_at":RFC3339,
//                 "ledger":{"seq":S,"head":HEX,"path":[HEX...]},"tree_head":{head}}
//   lines 2..    one per event, in sequence order:
//                {"kind":"event","seq":N,"stream":S,"version":V,"type":T,
//                 "prev_hash":HEX,"hash":HEX,"envelope":BASE64,"event":{...},
//                 "path":[HEX...]}
//   last line    {"kind":"trailer","events":K,"lines":K+1,"sha256":HEX,
//                 "account_signature":BASE64}
//
// `tree_head` is a head the ledger signed and kept (tree_head.h), of size S;
// `ledger` is the digest at it (event S's chain hash) with its inclusion path.
// Each event's `path` is its RFC 9162 inclusion path in that tree; the export
// holds the account's events with seq <= S. `envelope` is the stored Envelope
// bytes exactly as the log holds them; `event` is their decoding in the JSON
// form of events (json::event_to_json), for people. The trailer's sha256
// covers the bytes of every line before it, each with its '\n';
// `account_signature` is the ledger's Ed25519 signature over
// account_statement_message(): "at tree size S, the account's events are
// exactly these". Each line is one JSON object ending in '\n'; keys are in
// byte order. ExportWriter writes the format; ExportChecker (export_checker.h)
// reads it back, and version 1 (no tree head, paths or signature) too.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/audit/account_statement.h"
#include "adapters/audit/tree_head.h"
#include "adapters/crypto/ed25519.h"
#include "adapters/crypto/sha256.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "domain/core/status.h"
#include "domain/ports/event_log.h"

namespace mledger {

inline constexpr std::string_view kExportFormat = "mledger-account-export";
inline constexpr int kExportFormatVersion = 2;
inline constexpr int kExportFormatVersion1 = 1;  // still read by ExportChecker
// A line holds at most one envelope (limits::event_bytes_max), in base64, its
// decoding and a path of at most 64 hashes; far below this.
inline constexpr size_t kExportLineBytesMax = 1024 * 1024;

// Builds an export line by line into a caller-owned string sink, keeping the
// running SHA-256 for the trailer and the account statement. Not thread-safe.
class ExportWriter {
 public:
  // `head`: the signed head the export is proven against. Each call appends
  // exactly one line (with its '\n') to `out`.
  ExportWriter(std::string account, TreeHead head) : account_(std::move(account)), head_(std::move(head)) {}

  // `head_hash`: event S's chain hash (S the head's size); `head_path` its
  // inclusion path in the head's tree.
  void header(const Hash256& head_hash, const std::vector<Hash256>& head_path, Instant exported_at,
              std::string& out);
  // Decodes `envelope` (codec::open, which checks its hash) to write the
  // human-readable part. Fails with corruption, appending nothing, when the
  // envelope does not open; invalid_argument when its seq is beyond the head.
  [[nodiscard]] Status event(std::string_view envelope, const std::vector<Hash256>& path, std::string& out);
  // Signs the account statement with `key`, the key that signed the head.
  void trailer(const Ed25519PrivateKey& key, std::string& out);

  uint64_t events() const { return events_; }

 private:
  // Appends `text` and '\n'; `hashed` lines count towards the trailer.
  void line(const nlohmann::json& j, bool hashed, std::string& out);

  const std::string account_;
  const TreeHead head_;
  Sha256 hasher_;
  AccountEventsDigest events_digest_;
  bool begun_ = false;
  uint64_t lines_ = 0;
  uint64_t events_ = 0;
};

struct ExportSummary {
  uint64_t events = 0;
  uint64_t first_seq = 0;  // 0 when no event
  uint64_t last_seq = 0;
  uint64_t later_events = 0;  // the account's events after the head (not exported), up to 1000 counted
};

// Writes the whole export of `account` (its events up to `head.tree_size`,
// `head` a signed head of `log` whose signature `key` made) in chunks to
// `sink`, which may refuse one (its Status is returned). Fails with
// corruption when an envelope does not open or a tree node is missing.
[[nodiscard]] Status export_account(RocksDbEventLog& log, const std::string& account, const TreeHead& head,
                                    const Ed25519PrivateKey& key, Instant exported_at,
                                    const std::function<Status(std::string_view chunk)>& sink,
                                    ExportSummary* summary);

}  // namespace mledger
