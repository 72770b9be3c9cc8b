#pragma once
// The account export (docs/audit.md, "Export format"), version 1: JSON lines.
//
//   line 1       {"kind":"header","format":"mledger-account-export","format_version":1,
//                 "account":ID,"exported_at":RFC3339,"ledger":{"seq":N,"head":HEX}}
//   lines 2..    one per event, in sequence order:
//                {"kind":"event","seq":N,"stream":S,"version":V,"type":T,
//                 "prev_hash":HEX,"hash":HEX,"envelope":BASE64,"event":{...}}
//   last line    {"kind":"trailer","events":K,"lines":K+1,"sha256":HEX}
//
// `envelope` is the stored Envelope bytes exactly as the log holds them;
// `event` is their decoding in the JSON form of events (json::event_to_json),
// for people. The trailer's sha256 covers the bytes of every line before it,
// each with its '\n'. Each line is one JSON object ending in '\n'; keys are in
// byte order. ExportWriter writes the format; ExportChecker (export_checker.h)
// reads it back.

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/crypto/sha256.h"
#include "domain/core/status.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "domain/ports/event_log.h"

namespace mledger {

inline constexpr std::string_view kExportFormat = "mledger-account-export";
inline constexpr int kExportFormatVersion = 1;
// A line holds at most one envelope (limits::event_bytes_max), in base64, and
// its decoding; far below this.
inline constexpr size_t kExportLineBytesMax = 1024 * 1024;

// Builds an export line by line into a caller-owned string sink, keeping the
// running SHA-256 for the trailer. Not thread-safe.
class ExportWriter {
 public:
  // Each call appends exactly one line (with its '\n') to `out`.
  void header(std::string_view account, const LogDigest& ledger, Instant exported_at,
              std::string& out);
  // Decodes `envelope` (codec::open, which checks its hash) to write the
  // human-readable part. Fails with corruption, appending nothing, when the
  // envelope does not open.
  [[nodiscard]] Status event(std::string_view envelope, std::string& out);
  void trailer(std::string& out);

  uint64_t events() const { return events_; }

 private:
  // Appends `text` and '\n'; `hashed` lines count towards the trailer.
  void line(const nlohmann::json& j, bool hashed, std::string& out);

  Sha256 hasher_;
  bool begun_ = false;
  uint64_t lines_ = 0;
  uint64_t events_ = 0;
};

struct ExportSummary {
  uint64_t events = 0;
  uint64_t first_seq = 0;  // 0 when no event
  uint64_t last_seq = 0;
};

// Writes the whole export of `account` (its events up to `ledger.seq`, a
// digest of `log`) in chunks to `sink`, which may refuse one (its Status is
// returned). Fails with corruption when an envelope does not open.
[[nodiscard]] Status export_account(RocksDbEventLog& log, const std::string& account,
                                    const LogDigest& ledger, Instant exported_at,
                                    const std::function<Status(std::string_view chunk)>& sink,
                                    ExportSummary* summary);

}  // namespace mledger
