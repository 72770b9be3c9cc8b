#pragma once
// Checks an account export (account_export.h) offline, without the ledger:
// what an auditor runs on a file they were handed.
//
// It proves, line by line: every envelope decodes and its hash equals
// SHA-256(prev_hash || body) (codec::open); the seq, stream, version, type,
// prev_hash and hash stated in the line, and its `event` JSON, equal the
// envelope's; every event concerns the exported account; seqs strictly
// increase; where two exported events are adjacent (seq k, k+1) the second's
// prev_hash is the first's hash; no seq lies beyond the header's ledger
// digest, and an event at the digest's seq has the digest's head hash; the
// trailer's event count, line count and SHA-256 match; with an expected
// digest, the header's ledger digest equals it.
//
// It cannot prove the links across events of other accounts (their bodies are
// not in the export): docs/audit.md says how an auditor closes that gap.
//
// Feed lines in order, then finish(). Stops at the first problem and names
// its line (1-based) and, for event lines, its seq. Not thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/crypto/sha256.h"
#include "domain/ports/event_log.h"

namespace mledger {

struct ExportReport {
  // Set by finish() when nothing was wrong.
  bool intact = false;
  uint64_t bad_line = 0;             // 0 when intact
  std::optional<uint64_t> bad_seq;   // when the bad line is an event line
  std::string problem;
  // What the export says (as far as it was read).
  std::string account;
  std::string exported_at;
  LogDigest ledger;
  uint64_t events = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t links_checked = 0;  // adjacent pairs (k, k+1) whose link was checked
};

class ExportChecker {
 public:
  // `expected_ledger`: a digest the auditor kept; the header must state it.
  explicit ExportChecker(std::optional<LogDigest> expected_ledger = std::nullopt)
      : expected_ledger_(expected_ledger) {}

  // The next line, without its '\n'. Returns false once the export is bad;
  // later calls change nothing.
  bool feed(std::string_view line);
  // The next line could not be read whole (e.g. over the length limit).
  void unreadable(std::string problem);
  // End of input: the trailer must have been the last line.
  const ExportReport& finish();

 private:
  bool bad(std::string problem, std::optional<uint64_t> seq = std::nullopt);
  bool header(std::string_view line);
  bool event(const nlohmann::json& j);
  bool trailer(const nlohmann::json& j);

  std::optional<LogDigest> expected_ledger_;
  ExportReport report_;
  uint64_t line_ = 0;
  bool seen_header_ = false;
  bool seen_trailer_ = false;
  Hash256 last_hash_{};
  Sha256 hasher_;  // over the lines before the trailer, with their '\n'
};

}  // namespace mledger
