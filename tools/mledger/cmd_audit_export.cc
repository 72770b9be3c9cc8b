// mledger audit export / audit check: an account's events with their chain
// links, inclusion proofs and the ledger's signatures in a file
// (adapters/audit/account_export.h), and the offline check of such a file
// (adapters/audit/export_checker.h). docs/audit.md documents both.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "adapters/audit/account_export.h"
#include "adapters/audit/export_checker.h"
#include "adapters/audit/proofs.h"
#include "adapters/system/secret_file.h"
#include "adapters/json/command_json.h"
#include "adapters/system/system_clock.h"
#include "tools/mledger/atomic_file.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/line_reader.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr const char* kExportHelp = R"(usage: mledger audit export --account ID --out FILE [--size M] [--data DIR] [--force] [--json]

Writes every event concerning the account up to a signed tree head (the
latest, or the one of tree size M), in log order, to FILE (format version 2,
docs/audit.md, "Export format"): a header with the signed head and the
ledger's digest at it, one JSON line per event holding its sealed envelope
(base64), prev_hash, hash, its decoding and its inclusion path in the head's
tree, and a trailer with the event count, a SHA-256 over the lines before it
and the ledger's signature over the account's (seq, hash) list at that head.
Needs the ledger's tree-head key (<DIR>/tree-head-key.pem). The account's
events after the head are left out (and counted on stderr): a writing
command or the server signs newer heads. FILE appears whole or not at all
(written to FILE.tmp, synced, renamed); an existing FILE is kept unless
--force.
Exit: 0 written; 1 no head of size M was signed; 2 bad usage, FILE exists,
or no events concern the account up to the head (nothing written); 3
storage failure or an unreadable key.
)";

constexpr const char* kCheckHelp = R"(usage: mledger audit check FILE [--public-key KEY] [--trusted-head HEAD] [--digest SEQ:HASH] [--json]

Checks an export offline, without the ledger: every envelope decodes and
hashes to its hash, the lines agree with their envelopes, seqs increase, the
links between adjacent exported events hold, the events concern the account,
the trailer's count and SHA-256 match. Version 2 also: the tree head's
signature and the account signature verify with KEY (the ledger's public
key, `mledger audit public-key`, PEM), every event's inclusion path leads to
the signed root, the account's own stream has no missing version. Without
--public-key everything but the two signatures is checked, and the output
says so. HEAD: a head you kept (tree-head --json): an export against an
older head, or a fork of it, is refused. --digest: a digest you kept
(`mledger digest`); the export's ledger digest must be exactly it.
Exit: 0 intact; 1 not intact, naming the first bad line and seq; 2 bad usage
or a file unreadable.
)";

constexpr const char* kExportName = "audit export";

// "SEQ:HEXHASH" as `mledger digest` prints them.
std::optional<LogDigest> parse_digest(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 19 ||
      text.find_first_not_of("0123456789") < colon) {
    return std::nullopt;
  }
  LogDigest d;
  d.seq = std::stoull(text.substr(0, colon));
  if (!from_hex(std::string_view(text).substr(colon + 1), &d.head)) return std::nullopt;
  return d;
}

}  // namespace

namespace {

constexpr size_t kKeyFileBytesMax = 4096;
constexpr size_t kHeadFileBytesMax = 1 << 20;

// The ledger's signing key and the signed head an export is proven against;
// false after reporting why not (*code the exit code).
bool key_and_head(const char* name, Args& args, RocksDbEventLog& log, std::optional<Ed25519PrivateKey>* key,
                  std::optional<TreeHead>* head, int* code) {
  std::optional<uint64_t> size;
  if (args.value("size")) {
    uint64_t v = 0;
    if (!args.number("size", 0, &v) || v == 0) {
      *code = usage_error(name, "--size must be a tree size (1 or more)", kExportHelp);
      return false;
    }
    size = v;
  }
  auto loaded = Ed25519PrivateKey::load(tree_head_key_path(data_dir(args)));
  if (!loaded.ok()) {
    *code = report_failure(name, loaded.error(), kExitFailure);
    return false;
  }
  auto signed_at = signed_head(log, size);
  if (!signed_at.ok()) {
    if (signed_at.error().code() != StatusCode::not_found) {
      *code = report_failure(name, signed_at.error(), kExitFailure);
    } else {
      std::fprintf(stderr, "mledger %s: %s; nothing written\n", name, signed_at.error().message().c_str());
      *code = kExitRejected;
    }
    return false;
  }
  auto pub = Ed25519PublicKey::from_pem(loaded->public_pem());
  if (!pub.ok() || !check_tree_head(*signed_at, *pub).empty()) {
    std::fprintf(stderr, "mledger %s: the signed head of size %llu does not verify with %s (the key was "
                 "replaced?); nothing written\n", name, static_cast<unsigned long long>(signed_at->tree_size),
                 tree_head_key_path(data_dir(args)).c_str());
    *code = kExitFailure;
    return false;
  }
  *key = std::move(loaded.value());
  *head = *signed_at;
  return true;
}

void print_exported(const Args& args, const std::string& out, const std::string& account,
                    const ExportSummary& summary, const TreeHead& head) {
  if (args.flag("json")) {
    std::printf("%s\n", json::dump_text({{"file", out},
                                         {"account", account},
                                         {"events", summary.events},
                                         {"first_seq", summary.first_seq},
                                         {"last_seq", summary.last_seq},
                                         {"later_events", summary.later_events},
                                         {"tree_head", tree_head_to_json(head)}})
                            .c_str());
    return;
  }
  std::printf("exported %llu events of account %s (seq %llu..%llu) to %s\n"
              "proven against the tree head of size %llu signed %s (root %s)\n",
              static_cast<unsigned long long>(summary.events), account.c_str(),
              static_cast<unsigned long long>(summary.first_seq), static_cast<unsigned long long>(summary.last_seq),
              out.c_str(), static_cast<unsigned long long>(head.tree_size), format_rfc3339(head.timestamp).c_str(),
              to_hex(head.root_hash).c_str());
  if (summary.later_events > 0) {
    std::fprintf(stderr, "mledger audit export: %llu%s later events of account %s are after the signed head and "
                 "not in the export\n", static_cast<unsigned long long>(summary.later_events),
                 summary.later_events >= 1000 ? " or more" : "", account.c_str());
  }
}

}  // namespace

int run_audit_export(const Argv& argv) {
  const char* name = kExportName;
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kExportHelp, argv, {"account", "out", "size"}, {"force"}, 0, &args, &code)) {
    return code;
  }
  const std::string account = args.value_or("account", "");
  const std::string out = args.value_or("out", "");
  if (account.empty()) return usage_error(name, "--account is required", kExportHelp);
  if (out.empty()) return usage_error(name, "--out is required", kExportHelp);
  auto log = open_read_only_for(name, args);
  if (!log) return kExitFailure;
  std::optional<Ed25519PrivateKey> key;
  std::optional<TreeHead> head;
  if (!key_and_head(name, args, *log, &key, &head, &code)) return code;
  auto first = log->read_account(account, 0, 1);
  if (!first.ok()) return report_failure(name, first.error(), kExitFailure);
  if (first->empty() || first->front().seq > head->tree_size) {
    std::fprintf(stderr, "mledger %s: no events concern account %s up to the signed head (tree size %llu); "
                 "nothing written\n", name, account.c_str(), static_cast<unsigned long long>(head->tree_size));
    return kExitUsage;
  }
  auto file = AtomicFile::create(out, args.flag("force"));
  if (!file.ok()) {
    std::fprintf(stderr, "mledger %s: %s; nothing written\n", name, file.error().message().c_str());
    return file.error().code() == StatusCode::invalid_argument ? kExitUsage : kExitFailure;
  }
  ExportSummary summary;
  SystemClock clock;
  Status written = export_account(*log, account, *head, *key, clock.now(),
                                  [&](std::string_view chunk) { return file->append(chunk); }, &summary);
  if (written.ok()) written = file->commit();
  if (!written.ok()) return report_failure(name, written, kExitFailure);
  print_exported(args, out, account, summary, *head);
  return kExitOk;
}

namespace {

bool refuse(int /*usage_error's exit code, always kExitUsage*/) { return false; }

// --public-key and --trusted-head of audit check; false after reporting a
// bad one (exit 2).
bool check_keys(const char* name, const Args& args, std::optional<Ed25519PublicKey>* key,
                std::optional<TreeHead>* trusted) {
  if (auto path = args.value("public-key")) {
    auto pem = read_small_file("public key file", *path, kKeyFileBytesMax);
    if (!pem.ok()) return refuse(usage_error(name, pem.error().message(), kCheckHelp));
    auto k = Ed25519PublicKey::from_pem(*pem);
    if (!k.ok()) return refuse(usage_error(name, *path + ": " + k.error().message(), kCheckHelp));
    *key = *k;
  }
  if (auto path = args.value("trusted-head")) {
    if (!*key) return refuse(usage_error(name, "--trusted-head needs --public-key (to check it)", kCheckHelp));
    auto text = read_small_file("trusted head file", *path, kHeadFileBytesMax);
    if (!text.ok()) return refuse(usage_error(name, text.error().message(), kCheckHelp));
    auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    auto head = j.is_discarded() ? StatusOr<TreeHead>(fail(StatusCode::invalid_argument, "not JSON"))
                                 : tree_head_from_json(j);
    if (!head.ok()) return refuse(usage_error(name, *path + ": " + head.error().message(), kCheckHelp));
    if (std::string why = check_tree_head(*head, **key); !why.empty()) {
      return refuse(usage_error(name, *path + ": " + why, kCheckHelp));
    }
    *trusted = *head;
  }
  return true;
}

// Feeds FILE's lines to `checker`; false (errno set) when it cannot be read.
bool feed_file(std::FILE* in, ExportChecker& checker) {
  LineReader reader(in, kExportLineBytesMax);
  std::string line;
  for (;;) {
    switch (reader.next(&line)) {
      case LineReader::Result::line:
        if (!checker.feed(line)) return true;
        break;
      case LineReader::Result::too_long:
        checker.unreadable("longer than " + std::to_string(kExportLineBytesMax) + " bytes");
        return true;
      case LineReader::Result::end:
        return true;
      case LineReader::Result::error:
        return false;
    }
  }
}

// What a check of version 2 did not cover, or "" when it covered all.
std::string not_checked(const ExportReport& r) {
  if (r.format_version == kExportFormatVersion1) {
    return "version 1: no signed head; the links across other accounts' events and the export's "
           "completeness are not provable from the file (docs/audit.md)";
  }
  if (!r.signatures_checked) {
    return "no --public-key: the tree head's and the account's signatures were NOT checked; the proofs "
           "show only that the events are in a tree with this root, which anyone can compute";
  }
  return "";
}

void print_report(const Args& args, const ExportReport& r) {
  const std::string missing = r.intact ? not_checked(r) : "";
  if (args.flag("json")) {
    nlohmann::json j = {{"intact", r.intact},   {"account", r.account},
                        {"events", r.events},   {"first_seq", r.first_seq},
                        {"last_seq", r.last_seq}, {"links_checked", r.links_checked},
                        {"ledger", json::digest_to_json(r.ledger)}, {"exported_at", r.exported_at},
                        {"format_version", r.format_version}, {"proofs_checked", r.proofs_checked},
                        {"own_stream_events", r.own_stream_events},
                        {"signatures_checked", r.signatures_checked}};
    if (r.tree_head) j["tree_head"] = tree_head_to_json(*r.tree_head);
    if (!missing.empty()) j["not_checked"] = missing;
    if (!r.intact) {
      j["bad_line"] = r.bad_line;
      j["problem"] = r.problem;
      if (r.bad_seq) j["bad_seq"] = *r.bad_seq;
    }
    std::printf("%s\n", json::dump_text(j).c_str());
  } else if (!r.intact) {
    std::printf("export not intact: line %llu%s: %s\n", static_cast<unsigned long long>(r.bad_line),
                r.bad_seq ? (" (seq " + std::to_string(*r.bad_seq) + ")").c_str() : "",
                r.problem.c_str());
  } else {
    std::printf("export intact: account %s, %llu events (seq %llu..%llu), %llu adjacent links checked\n"
                "ledger digest (exported %s): seq %llu head %s\n",
                r.account.c_str(), static_cast<unsigned long long>(r.events),
                static_cast<unsigned long long>(r.first_seq), static_cast<unsigned long long>(r.last_seq),
                static_cast<unsigned long long>(r.links_checked), r.exported_at.c_str(),
                static_cast<unsigned long long>(r.ledger.seq), to_hex(r.ledger.head).c_str());
    if (r.tree_head) {
      std::printf("%llu inclusion proofs hold against the tree head of size %llu of ledger %s signed %s;\n"
                  "the account's own stream: versions 1..%llu, none missing\n",
                  static_cast<unsigned long long>(r.proofs_checked),
                  static_cast<unsigned long long>(r.tree_head->tree_size), r.tree_head->ledger_id.c_str(),
                  format_rfc3339(r.tree_head->timestamp).c_str(),
                  static_cast<unsigned long long>(r.own_stream_events));
    }
    if (r.signatures_checked) {
      std::printf("signatures verify: the head, and the ledger's statement that these are all of the "
                  "account's events at it\n");
    }
    if (!missing.empty()) std::printf("not checked: %s\n", missing.c_str());
  }
}

}  // namespace

int run_audit_check(const Argv& argv) {
  const char* name = "audit check";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kCheckHelp, argv, {"digest", "public-key", "trusted-head"}, {}, 1, &args, &code)) {
    return code;
  }
  std::optional<LogDigest> expected;
  if (auto text = args.value("digest")) {
    expected = parse_digest(*text);
    if (!expected) {
      return usage_error(name, "--digest '" + *text + "' is not SEQ:HASH (64 hex digits)", kCheckHelp);
    }
  }
  std::optional<Ed25519PublicKey> key;
  std::optional<TreeHead> trusted;
  if (!check_keys(name, args, &key, &trusted)) return kExitUsage;
  const std::string path = args.positionals()[0];
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "mledger %s: cannot read %s: %s\n", name, path.c_str(), std::strerror(errno));
    return kExitUsage;
  }
  ExportChecker checker(expected, key, trusted);
  const bool read = feed_file(in, checker);
  const int read_errno = errno;
  std::fclose(in);
  if (!read) {
    std::fprintf(stderr, "mledger %s: cannot read %s: %s\n", name, path.c_str(), std::strerror(read_errno));
    return kExitUsage;
  }
  const ExportReport& r = checker.finish();
  print_report(args, r);
  return r.intact ? kExitOk : kExitRejected;
}

}  // namespace mledger::cli
