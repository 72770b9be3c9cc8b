#pragma once
// Checks an account export (account_export.h) offline, without the ledger:
// what an auditor runs on a file they were handed.
//
// Both versions, line by line: every envelope decodes and its hash equals
// SHA-256(prev_hash || body) (codec::open); the seq, stream, version, type,
// prev_hash and hash stated in the line, and its `event` JSON, equal the
// envelope's; every event concerns the exported account; seqs strictly
// increase; where two exported events are adjacent (seq k, k+1) the second's
// prev_hash is the first's hash; no seq lies beyond the header's ledger
// digest, and an event at the digest's seq has the digest's head hash; the
// trailer's event count, line count and SHA-256 match; with an expected
// digest, the header's ledger digest equals it.
//
// Version 2 also: the header's tree head is signed by `key`; the ledger
// digest is event S of that head's tree (S its size), proven by its path;
// every event's inclusion path leads from its chain hash to the head's root;
// the events of the account's own stream (account-<ID>) are its versions
// 1, 2, ... without a gap; the trailer's account signature, made with `key`,
// covers exactly the exported (seq, hash) list at that head. Without a key
// every check but the two signatures runs (report.signatures_checked false).
// With a trusted head (one the auditor kept), an export against an older
// head or a fork of it is refused.
//
// It cannot prove that the ledger listed every event of the account (the
// account signature is the ledger's word for that) nor, for version 1, the
// links across other accounts' events: docs/audit.md says what each proves.
//
// Feed lines in order, then finish(). Stops at the first problem and names
// its line (1-based) and, for event lines, its seq. Not thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/audit/account_export.h"
#include "adapters/audit/tree_head.h"
#include "adapters/crypto/ed25519.h"
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
  uint64_t format_version = 0;
  std::string account;
  std::string exported_at;
  LogDigest ledger;
  std::optional<TreeHead> tree_head;  // version 2
  uint64_t events = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t links_checked = 0;      // adjacent pairs (k, k+1) whose link was checked
  uint64_t proofs_checked = 0;     // inclusion paths checked (version 2)
  uint64_t own_stream_events = 0;  // events of account-<ID>, versions 1..this
  bool signatures_checked = false; // the head's and the account signature (version 2, with a key)
};

class ExportChecker {
 public:
  // `expected_ledger`: a digest the auditor kept; the header must state it.
  // `key`: the ledger's public key (a version 2 export's signatures are
  // checked with it). `trusted`: a head the auditor kept, signed by `key`.
  explicit ExportChecker(std::optional<LogDigest> expected_ledger = std::nullopt,
                         std::optional<Ed25519PublicKey> key = std::nullopt,
                         std::optional<TreeHead> trusted = std::nullopt)
      : expected_ledger_(expected_ledger), key_(std::move(key)), trusted_(std::move(trusted)) {}

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
  bool header_v2(const nlohmann::json& j);
  bool event(const nlohmann::json& j);
  bool event_v2(const nlohmann::json& j, uint64_t seq, const std::string& stream, uint64_t version,
                const Hash256& hash);
  bool trailer(const nlohmann::json& j);

  std::optional<LogDigest> expected_ledger_;
  std::optional<Ed25519PublicKey> key_;
  std::optional<TreeHead> trusted_;
  ExportReport report_;
  uint64_t line_ = 0;
  bool seen_header_ = false;
  bool seen_trailer_ = false;
  Hash256 last_hash_{};
  Sha256 hasher_;  // over the lines before the trailer, with their '\n'
  AccountEventsDigest events_digest_;
};

}  // namespace mledger
