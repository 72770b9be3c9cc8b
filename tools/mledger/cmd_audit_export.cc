// mledger audit export / audit check: an account's events with their chain
// links in a file (adapters/audit/account_export.h), and the offline check of
// such a file (adapters/audit/export_checker.h). docs/audit.md documents both.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "adapters/audit/account_export.h"
#include "adapters/audit/export_checker.h"
#include "adapters/json/command_json.h"
#include "adapters/system/system_clock.h"
#include "tools/mledger/atomic_file.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/line_reader.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr const char* kExportHelp = R"(usage: mledger audit export --account ID --out FILE [--data DIR] [--force] [--json]

Writes every event concerning the account, in log order, to FILE: a header
with the ledger's digest (seq, head) at export time, one JSON line per event
holding its stored envelope (base64), prev_hash, hash and its decoding, and a
trailer with the event count and a SHA-256 over the lines before it
(docs/audit.md, "Export format"). FILE appears whole or not at all (written to
FILE.tmp, synced, renamed); an existing FILE is kept unless --force.
Exit: 0 written; 2 bad usage, FILE exists, or no events concern the account
(nothing written); 3 storage failure.
)";

constexpr const char* kCheckHelp = R"(usage: mledger audit check FILE [--digest SEQ:HASH] [--json]

Checks an export offline, without the ledger: every envelope decodes and
hashes to its hash, the lines agree with their envelopes, seqs increase, the
links between adjacent exported events hold, the events concern the account,
the trailer's count and SHA-256 match. --digest: a digest you kept (`mledger
digest`); the export's ledger digest must be exactly it.
It cannot check the links across other accounts' events (not in the file):
compare the hashes with the ledger (docs/audit.md, "What a check proves").
Exit: 0 intact; 1 not intact, naming the first bad line and seq; 2 bad usage
or FILE unreadable.
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

int run_audit_export(const Argv& argv) {
  const char* name = kExportName;
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kExportHelp, argv, {"account", "out"}, {"force"}, 0, &args, &code)) {
    return code;
  }
  const std::string account = args.value_or("account", "");
  const std::string out = args.value_or("out", "");
  if (account.empty()) return usage_error(name, "--account is required", kExportHelp);
  if (out.empty()) return usage_error(name, "--out is required", kExportHelp);
  auto log = open_read_only_for(name, args);
  if (!log) return kExitFailure;
  auto digest = log->digest();
  auto first = log->read_account(account, 0, 1);
  if (!digest.ok()) return report_failure(name, digest.error(), kExitFailure);
  if (!first.ok()) return report_failure(name, first.error(), kExitFailure);
  if (first->empty()) {
    std::fprintf(stderr, "mledger %s: no events concern account %s; nothing written\n", name,
                 account.c_str());
    return kExitUsage;
  }
  auto file = AtomicFile::create(out, args.flag("force"));
  if (!file.ok()) {
    std::fprintf(stderr, "mledger %s: %s; nothing written\n", name, file.error().message().c_str());
    return file.error().code() == StatusCode::invalid_argument ? kExitUsage : kExitFailure;
  }
  ExportSummary summary;
  SystemClock clock;
  Status written = export_account(*log, account, *digest, clock.now(),
                                  [&](std::string_view chunk) { return file->append(chunk); }, &summary);
  if (written.ok()) written = file->commit();
  if (!written.ok()) return report_failure(name, written, kExitFailure);
  const uint64_t first_seq = summary.first_seq, last_seq = summary.last_seq;
  if (args.flag("json")) {
    std::printf("%s\n", json::dump_text({{"file", out},
                                         {"account", account},
                                         {"events", summary.events},
                                         {"first_seq", first_seq},
                                         {"last_seq", last_seq},
                                         {"ledger", json::digest_to_json(*digest)}})
                            .c_str());
  } else {
    std::printf("exported %llu events of account %s (seq %llu..%llu) to %s\n"
                "ledger digest at export: seq %llu head %s\n",
                static_cast<unsigned long long>(summary.events), account.c_str(),
                static_cast<unsigned long long>(first_seq), static_cast<unsigned long long>(last_seq),
                out.c_str(), static_cast<unsigned long long>(digest->seq), to_hex(digest->head).c_str());
  }
  return kExitOk;
}

int run_audit_check(const Argv& argv) {
  const char* name = "audit check";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kCheckHelp, argv, {"digest"}, {}, 1, &args, &code)) return code;
  std::optional<LogDigest> expected;
  if (auto text = args.value("digest")) {
    expected = parse_digest(*text);
    if (!expected) {
      return usage_error(name, "--digest '" + *text + "' is not SEQ:HASH (64 hex digits)", kCheckHelp);
    }
  }
  const std::string path = args.positionals()[0];
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "mledger %s: cannot read %s: %s\n", name, path.c_str(), std::strerror(errno));
    return kExitUsage;
  }
  ExportChecker checker(expected);
  LineReader reader(in, kExportLineBytesMax);
  std::string line;
  bool more = true;
  while (more) {
    switch (reader.next(&line)) {
      case LineReader::Result::line:
        more = checker.feed(line);
        break;
      case LineReader::Result::too_long:
        checker.unreadable("longer than " + std::to_string(kExportLineBytesMax) + " bytes");
        more = false;
        break;
      case LineReader::Result::end:
        more = false;
        break;
      case LineReader::Result::error:
        std::fprintf(stderr, "mledger %s: cannot read %s: %s\n", name, path.c_str(), std::strerror(errno));
        std::fclose(in);
        return kExitUsage;
    }
  }
  std::fclose(in);
  const ExportReport& r = checker.finish();
  if (args.flag("json")) {
    nlohmann::json j = {{"intact", r.intact},   {"account", r.account},
                        {"events", r.events},   {"first_seq", r.first_seq},
                        {"last_seq", r.last_seq}, {"links_checked", r.links_checked},
                        {"ledger", json::digest_to_json(r.ledger)}, {"exported_at", r.exported_at}};
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
                "ledger digest at export (%s): seq %llu head %s\n"
                "not provable from the file alone: the links across other accounts' events;\n"
                "compare these hashes with the ledger (docs/audit.md)\n",
                r.account.c_str(), static_cast<unsigned long long>(r.events),
                static_cast<unsigned long long>(r.first_seq), static_cast<unsigned long long>(r.last_seq),
                static_cast<unsigned long long>(r.links_checked), r.exported_at.c_str(),
                static_cast<unsigned long long>(r.ledger.seq), to_hex(r.ledger.head).c_str());
  }
  return r.intact ? kExitOk : kExitRejected;
}

}  // namespace mledger::cli
