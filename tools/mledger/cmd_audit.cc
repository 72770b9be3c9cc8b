// mledger audit (history | export | check | state), verify, digest: what an
// auditor reads. All open the ledger read-only, so they may run while another
// process writes. `mledger history` is `mledger audit history`.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "adapters/audit/ledger_digest.h"
#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "projections/all.h"
#include "projections/views.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr const char* kAuditHelp = R"(usage: mledger audit history --account ID [options]   an account's events
       mledger audit export --account ID --out FILE    export them with proofs and signatures
       mledger audit check FILE [--public-key KEY]     check an export offline
       mledger audit state ...                         an account's state at a point
       mledger audit public-key                        the key that checks tree heads (PEM)
       mledger audit tree-heads [--limit N]            the signed tree heads kept
       mledger audit tree-head [--size M]              a signed tree head
       mledger audit prove --seq N [--size M]          proof that event N is in a signed tree
       mledger audit consistency --from-size M1 [--to-size M2]  proof the log only grew
       mledger audit check-proof FILE --public-key KEY check a proof offline
       mledger audit check-heads FILE|--brokers B --public-key KEY  fork evidence in signed heads

`mledger audit <subcommand> --help` explains each (docs/audit.md).
)";

constexpr const char* kHistoryHelp = R"(usage: mledger audit history --account ID [--data DIR] [--json]
                             [--from T] [--to T] [--from-seq N] [--limit N]
       (`mledger history` is the same command)

Lists every event concerning the account, in log order, with its sequence
number, time (recorded_at, RFC 3339, UTC), type, stream and version, actor,
command id and hash. --json prints each event in full (payload, prev_hash and
hash included) as one JSON line.
  --from T, --to T  only events recorded at or after T, and before T (RFC 3339
                    instants, e.g. 2026-01-05T10:00:00Z; --from inclusive,
                    --to exclusive)
  --from-seq N      only events with sequence number N or later
  --limit N         at most N events
Without --from and --from-seq, the account's state as the listed events leave
it follows the list (text output only).
)";

constexpr const char* kVerifyHelp = R"(usage: mledger verify [--data DIR] [--json]

Recomputes the whole hash chain from event 1: each event's SHA-256 over its
predecessor's hash and its own bytes, gap-free sequence numbers, and the head;
and with it the Merkle tree: every stored node as the chain gives it.
Checks that every acknowledged event is there (the head watermark), then the
rest of the database: every index entry (streams, accounts, commands) against
the events it names and every event's entries present, and every table
file's checksums. Exit 0 when intact; 1 naming the first bad sequence
number, or the damaged file, family and key, otherwise.
)";

constexpr const char* kDigestHelp = R"(usage: mledger digest [--seq N] [--data DIR] [--json]

Prints the last sequence number and the head hash: the ledger's digest. Keep
it. Later, `mledger verify` shows the whole chain is intact, and `mledger
digest --seq N` prints the hash of event N in that chain (its body checked
against it): the same hash as the digest you kept means the ledger still
leads to it. Exit 1 when there is no event N.
)";

using json::dump_text;

// The account as the events above leave it (the profile read model).
void print_profile(const projections::ProfileView& p, uint64_t last_seq) {
  const PostalAddress& a = p.address;
  std::printf("\nstate after event #%llu:\n", static_cast<unsigned long long>(last_seq));
  std::printf("  company   %s (%s)\n", p.legal_name.c_str(),
              p.source == CompanySource::duns_lookup ? ("DUNS " + p.duns_number).c_str()
                                                     : "entered by hand");
  std::printf("  address   %s, %s %s, %s%s\n", a.line1.c_str(), a.postal_code.c_str(),
              a.city.c_str(), a.country.c_str(), p.address_validated ? " (validated)" : "");
  std::printf("  phone     %s\n", p.phone.c_str());
  std::printf("  contact   %s %s <%s>\n", p.primary_contact.first_name.c_str(),
              p.primary_contact.last_name.c_str(), p.primary_contact.email.c_str());
  for (const auto& u : p.users) {
    std::string roles;
    for (Role r : u.roles) roles += (roles.empty() ? "" : ",") + std::string(role_name(r));
    std::printf("  user      %s <%s>%s roles=%s\n", u.user_id.c_str(), u.email.c_str(),
                u.guest ? " guest" : "", roles.c_str());
  }
}

// An RFC 3339 option (--from, --to): false after reporting a bad one.
bool instant_option(const char* name, const Args& args, const char* option,
                    std::optional<Instant>* out) {
  auto text = args.value(option);
  if (!text) return true;
  *out = parse_rfc3339(*text);
  if (*out) return true;
  usage_error(name, std::string("--") + option + " '" + *text +
                        "' is not an RFC 3339 instant (e.g. 2026-01-05T10:00:00Z)",
              kHistoryHelp);
  return false;
}

void print_event_line(const RecordedEvent& e) {
  const Actor& a = e.metadata.actor;
  std::printf("#%-6llu %s  %-24s %s@%llu  by %s:%s%s%s  cmd=%s  hash=%.16s\n",
              static_cast<unsigned long long>(e.seq), format_rfc3339(e.metadata.recorded_at).c_str(),
              std::string(event_type_name(e.payload)).c_str(), e.stream.c_str(),
              static_cast<unsigned long long>(e.version), std::string(actor_kind_name(a.kind)).c_str(),
              a.user_id.c_str(), a.account_id.empty() ? "" : "@", a.account_id.c_str(),
              e.metadata.command_id.c_str(), to_hex(e.hash).c_str());
}

int history(const char* name, const Argv& argv) {
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kHistoryHelp, argv, {"account", "from", "to", "from-seq", "limit"}, {},
                        0, &args, &code)) {
    return code;
  }
  auto account = args.value("account");
  uint64_t from = 0, limit = 0;
  if (!account || account->empty()) return usage_error(name, "--account is required", kHistoryHelp);
  if (!args.number("from-seq", 1, &from) || !args.number("limit", UINT64_MAX, &limit)) {
    return usage_error(name, args.error(), kHistoryHelp);
  }
  if (limit == 0) return usage_error(name, "--limit must be at least 1", kHistoryHelp);
  std::optional<Instant> from_t, to_t;
  if (!instant_option(name, args, "from", &from_t) || !instant_option(name, args, "to", &to_t)) {
    return kExitUsage;
  }
  if (from_t && to_t && *from_t >= *to_t) {
    return usage_error(name, "--from must be before --to", kHistoryHelp);
  }
  auto log = open_read_only_for(name, args);
  if (!log) return kExitFailure;
  const bool window = from_t || to_t;
  const bool prefix = !from_t && !args.value("from-seq");  // the state is then meaningful
  uint64_t printed = 0;
  projections::AccountDocs docs;
  docs.accounts.account_id = *account;
  bool more = true;
  while (more && printed < limit) {
    const size_t chunk = window ? 4096 : static_cast<size_t>(std::min<uint64_t>(limit - printed, 4096));
    auto events = log->read_account(*account, from, chunk);
    if (!events.ok()) return report_failure(name, events.error(), kExitFailure);
    more = !events->empty();
    for (const auto& e : *events) {
      from = e.seq + 1;
      const Instant at = e.metadata.recorded_at;
      if ((from_t && at < *from_t) || (to_t && at >= *to_t)) continue;
      if (args.flag("json")) {
        std::printf("%s\n", dump_text(json::event_to_json(e)).c_str());
      } else {
        print_event_line(e);
      }
      projections::fold_account(docs, *account, e);
      if (++printed == limit) break;
    }
  }
  if (args.flag("json")) return kExitOk;
  if (printed == 0) {
    std::printf("no events concern account %s%s\n", account->c_str(),
                window || args.value("from-seq") ? " in that range" : "");
  } else if (prefix && docs.accounts.enrolled) {
    print_profile(projections::profile_view(docs.accounts), docs.last_seq);
  }
  return kExitOk;
}

}  // namespace

int run_history(const Argv& argv) { return history("history", argv); }

int run_audit(const Argv& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(kAuditHelp, argv.empty() ? stderr : stdout);
    return argv.empty() ? kExitUsage : kExitOk;
  }
  const std::string& what = argv[0];
  const Argv rest(argv.begin() + 1, argv.end());
  if (what == "history") return history("audit history", rest);
  if (what == "export") return run_audit_export(rest);
  if (what == "check") return run_audit_check(rest);
  if (what == "state") return run_audit_state(rest);
  if (int code = run_audit_tree(what, rest); code >= 0) return code;
  std::fprintf(stderr, "mledger audit: unknown subcommand '%s'\n\n%s", what.c_str(), kAuditHelp);
  return kExitUsage;
}

// Prints what verify found; its exit code.
int print_verify(const ChainReport& r, const StorageReport& storage, const std::optional<LogDigest>& acked,
                 bool as_json) {
  const bool intact = !r.first_bad_seq && storage.whole();
  if (as_json) {
    nlohmann::json j = {{"intact", intact},
                        {"events_checked", r.events_checked},
                        {"seq", r.digest.seq},
                        {"head", to_hex(r.digest.head)},  // the digest's fields, flat
                        {"tree_size", r.tree_size}};
    if (r.first_bad_seq) {
      j["first_bad_seq"] = *r.first_bad_seq;
      j["problem"] = r.problem;
    }
    if (acked) j["acknowledged_seq"] = acked->seq;
    j["storage"] = {{"intact", storage.whole()}, {"entries_checked", storage.entries_checked}};
    if (!storage.whole()) {
      j["storage"]["family"] = storage.family;
      j["storage"]["key"] = storage.key;
      j["storage"]["problem"] = storage.problem;
    }
    std::printf("%s\n", dump_text(j).c_str());
    return intact ? kExitOk : kExitRejected;
  }
  if (r.first_bad_seq) {
    std::printf("chain broken at seq %llu: %s\n(events 1..%llu verify; last good hash %s)\n",
                static_cast<unsigned long long>(*r.first_bad_seq), r.problem.c_str(),
                static_cast<unsigned long long>(r.digest.seq), to_hex(r.digest.head).c_str());
    return kExitRejected;
  }
  std::printf("chain intact: %llu events, head seq %llu hash %s\n",
              static_cast<unsigned long long>(r.events_checked),
              static_cast<unsigned long long>(r.digest.seq), to_hex(r.digest.head).c_str());
  std::printf("Merkle tree: %llu events, every stored node as the chain gives it%s\n",
              static_cast<unsigned long long>(r.tree_size),
              r.tree_size < r.digest.seq ? " (the rest is built when a writer next opens the ledger)" : "");
  if (acked) {
    std::printf("acknowledged head seq %llu present (head watermark)\n",
                static_cast<unsigned long long>(acked->seq));
  }
  if (!storage.whole()) {
    std::printf("damaged: the %s family%s%s: %s\n", storage.family.c_str(), storage.key.empty() ? "" : ", key ",
                storage.key.c_str(), storage.problem.c_str());
    return kExitRejected;
  }
  std::printf("indexes intact: %llu entries agree with the events; every table file checks\n",
              static_cast<unsigned long long>(storage.entries_checked));
  return kExitOk;
}

int run_verify(const Argv& argv) {
  Args args;
  int code = 0;
  if (!parse_subcommand("verify", kVerifyHelp, argv, {}, {}, 0, &args, &code)) return code;
  auto opened = open_log_read_only(data_dir(args));
  if (!opened.ok()) {
    // A log that does not open whole is damaged: a finding, not a failure.
    const bool damaged = opened.error().code() == StatusCode::corruption;
    if (damaged && args.flag("json")) {
      std::printf("%s\n", dump_text(nlohmann::json{{"intact", false}, {"problem", opened.error().message()}}).c_str());
    } else if (damaged) {
      std::printf("%s\n", opened.error().message().c_str());
    }
    if (damaged) return kExitRejected;
    return report_failure("verify", opened.error(), kExitFailure);
  }
  auto& log = opened.value();
  const bool tty = isatty(STDERR_FILENO) == 1 && !args.flag("json");
  auto progress = [&](const char* what) {
    return [tty, what](uint64_t n) {
      if (tty) std::fprintf(stderr, "\rverified %llu %s", static_cast<unsigned long long>(n), what);
    };
  };
  auto report = log->verify_chain(progress("events"));
  StatusOr<StorageReport> storage = StorageReport{};
  if (report.ok() && !report->first_bad_seq) storage = log->verify_storage(progress("index entries"));
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!report.ok()) return report_failure("verify", report.error(), kExitFailure);
  if (!storage.ok()) return report_failure("verify", storage.error(), kExitFailure);
  return print_verify(*report, *storage, log->acknowledged_head(), args.flag("json"));
}

int run_digest(const Argv& argv) {
  Args args;
  int code = 0;
  if (!parse_subcommand("digest", kDigestHelp, argv, {"seq"}, {}, 0, &args, &code)) return code;
  uint64_t seq = 0;
  if (!args.number("seq", 0, &seq)) return usage_error("digest", args.error(), kDigestHelp);
  auto log = open_read_only_for("digest", args);
  if (!log) return kExitFailure;
  auto d = digest_at(*log, args.value("seq") ? std::optional<uint64_t>(seq) : std::nullopt);
  if (!d.ok()) {
    const bool absent = d.error().code() == StatusCode::not_found;
    if (!absent && d.error().code() != StatusCode::corruption) {
      return report_failure("digest", d.error(), kExitFailure);
    }
    std::fprintf(stderr, "mledger digest: %s\n", d.error().message().c_str());
    return kExitRejected;
  }
  if (args.flag("json")) {
    std::printf("%s\n", dump_text(json::digest_to_json(*d)).c_str());
  } else {
    std::printf("seq %llu head %s\n", static_cast<unsigned long long>(d->seq),
                to_hex(d->head).c_str());
  }
  return kExitOk;
}

}  // namespace mledger::cli
