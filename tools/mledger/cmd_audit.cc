// mledger history / verify / digest: what an auditor reads. All open the
// ledger read-only, so they may run while another process writes.

#include <unistd.h>

#include <cstdio>
#include <string>

#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "projections/account_profile.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHistoryHelp = R"(usage: mledger history --account ID [--data DIR] [--json]
                       [--from-seq N] [--limit N]

Lists every event concerning the account, in log order, with its sequence
number, time, type, stream and version, actor, command id and hash. --json
prints each event in full (payload included) as one JSON line.
)";

constexpr const char* kVerifyHelp = R"(usage: mledger verify [--data DIR] [--json]

Recomputes the whole hash chain from event 1: each event's SHA-256 over its
predecessor's hash and its own bytes, gap-free sequence numbers, and the head.
Exit 0 when intact; 1 naming the first bad sequence number otherwise.
)";

constexpr const char* kDigestHelp = R"(usage: mledger digest [--data DIR] [--json]

Prints the last sequence number and the head hash. Keep it: a later `verify`
shows whether the log still leads to it (`mledger verify` then compare).
)";

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool parse_common(const char* name, const char* help, const Argv& argv,
                  const std::set<std::string>& values, Args* args, int* exit_code) {
  std::set<std::string> value_options = values;
  value_options.insert("data");
  if (!args->parse(argv, value_options, {"json", "help"}) || !args->positionals().empty()) {
    std::fprintf(stderr, "mledger %s: %s\n\n%s", name,
                 args->error().empty() ? "unexpected argument" : args->error().c_str(), help);
    *exit_code = kExitUsage;
    return false;
  }
  if (args->flag("help")) {
    std::fputs(help, stdout);
    *exit_code = kExitOk;
    return false;
  }
  return true;
}

// The account as the events above leave it (the account-profile fold).
void print_profile(const projections::AccountProfile& p) {
  const PostalAddress& a = p.address;
  std::printf("\nstate after event #%llu:\n", static_cast<unsigned long long>(p.last_seq));
  std::printf("  company   %s (%s)\n", p.legal_name.c_str(),
              p.source == CompanySource::duns_lookup ? ("DUNS " + p.duns_number).c_str()
                                                     : "entered by hand");
  std::printf("  address   %s, %s %s, %s%s\n", a.line1.c_str(), a.postal_code.c_str(),
              a.city.c_str(), a.country.c_str(), p.address_validated ? " (validated)" : "");
  std::printf("  phone     %s\n", p.phone.c_str());
  std::printf("  contact   %s %s <%s>\n", p.primary_contact.first_name.c_str(),
              p.primary_contact.last_name.c_str(), p.primary_contact.email.c_str());
  for (const auto& [id, u] : p.users) {
    std::string roles;
    for (Role r : u.roles) roles += (roles.empty() ? "" : ",") + std::string(role_name(r));
    std::printf("  user      %s <%s>%s roles=%s\n", id.c_str(), u.email.c_str(),
                u.guest ? " guest" : "", roles.c_str());
  }
}

// Opens the ledger read-only for subcommand `name`; reports a failure itself.
std::unique_ptr<RocksDbEventLog> open_for(const char* name, const Args& args) {
  auto log = open_log_read_only(args.value_or("data", "mledger-data"));
  if (!log.ok()) {
    std::fprintf(stderr, "mledger %s: %s\n", name, log.error().to_string().c_str());
    return nullptr;
  }
  return std::move(log.value());
}

}  // namespace

int run_history(const Argv& argv) {
  Args args;
  int code = 0;
  if (!parse_common("history", kHistoryHelp, argv, {"account", "from-seq", "limit"}, &args, &code)) {
    return code;
  }
  auto account = args.value("account");
  uint64_t from = 0, limit = 0;
  if (!account || account->empty() || !args.number("from-seq", 1, &from) ||
      !args.number("limit", UINT64_MAX, &limit)) {
    std::fprintf(stderr, "mledger history: %s\n\n%s",
                 args.error().empty() ? "--account is required" : args.error().c_str(),
                 kHistoryHelp);
    return kExitUsage;
  }
  auto log = open_for("history", args);
  if (!log) return kExitFailure;
  uint64_t printed = 0;
  projections::AccountProfile profile;
  profile.account_id = *account;
  while (printed < limit) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(limit - printed, 4096));
    auto events = log->read_account(*account, from, chunk);
    if (!events.ok()) {
      std::fprintf(stderr, "mledger history: %s\n", events.error().to_string().c_str());
      return kExitFailure;
    }
    if (events->empty()) break;
    for (const auto& e : *events) {
      if (args.flag("json")) {
        std::printf("%s\n", dump(json::event_to_json(e)).c_str());
      } else {
        const Actor& a = e.metadata.actor;
        std::printf("#%-6llu %s  %-24s %s@%llu  by %s:%s%s%s  cmd=%s  hash=%.16s\n",
                    static_cast<unsigned long long>(e.seq),
                    format_rfc3339(e.metadata.recorded_at).c_str(),
                    std::string(event_type_name(e.payload)).c_str(), e.stream.c_str(),
                    static_cast<unsigned long long>(e.version),
                    std::string(actor_kind_name(a.kind)).c_str(), a.user_id.c_str(),
                    a.account_id.empty() ? "" : "@", a.account_id.c_str(),
                    e.metadata.command_id.c_str(), to_hex(e.hash).c_str());
      }
      projections::apply(profile, e);
      ++printed;
      from = e.seq + 1;
    }
  }
  if (args.flag("json")) return kExitOk;
  if (printed == 0) {
    std::printf("no events concern account %s\n", account->c_str());
  } else if (profile.enrolled) {
    print_profile(profile);
  }
  return kExitOk;
}

int run_verify(const Argv& argv) {
  Args args;
  int code = 0;
  if (!parse_common("verify", kVerifyHelp, argv, {}, &args, &code)) return code;
  auto log = open_for("verify", args);
  if (!log) return kExitFailure;
  const bool tty = isatty(STDERR_FILENO) == 1 && !args.flag("json");
  auto report = log->verify_chain([&](uint64_t n) {
    if (tty) std::fprintf(stderr, "\rverified %llu events", static_cast<unsigned long long>(n));
  });
  if (tty) std::fprintf(stderr, "\r");
  if (!report.ok()) {
    std::fprintf(stderr, "mledger verify: %s\n", report.error().to_string().c_str());
    return kExitFailure;
  }
  const ChainReport& r = *report;
  if (args.flag("json")) {
    nlohmann::json j = {{"intact", !r.first_bad_seq.has_value()},
                        {"events_checked", r.events_checked},
                        {"seq", r.digest.seq},
                        {"head", to_hex(r.digest.head)}};
    if (r.first_bad_seq) {
      j["first_bad_seq"] = *r.first_bad_seq;
      j["problem"] = r.problem;
    }
    std::printf("%s\n", dump(j).c_str());
  } else if (r.first_bad_seq) {
    std::printf("chain broken at seq %llu: %s\n(events 1..%llu verify; last good hash %s)\n",
                static_cast<unsigned long long>(*r.first_bad_seq), r.problem.c_str(),
                static_cast<unsigned long long>(r.digest.seq), to_hex(r.digest.head).c_str());
  } else {
    std::printf("chain intact: %llu events, head seq %llu hash %s\n",
                static_cast<unsigned long long>(r.events_checked),
                static_cast<unsigned long long>(r.digest.seq), to_hex(r.digest.head).c_str());
  }
  return r.first_bad_seq ? kExitRejected : kExitOk;
}

int run_digest(const Argv& argv) {
  Args args;
  int code = 0;
  if (!parse_common("digest", kDigestHelp, argv, {}, &args, &code)) return code;
  auto log = open_for("digest", args);
  if (!log) return kExitFailure;
  auto d = log->digest();
  if (!d.ok()) {
    std::fprintf(stderr, "mledger digest: %s\n", d.error().to_string().c_str());
    return kExitFailure;
  }
  if (args.flag("json")) {
    std::printf("%s\n", dump({{"seq", d->seq}, {"head", to_hex(d->head)}}).c_str());
  } else {
    std::printf("seq %llu head %s\n", static_cast<unsigned long long>(d->seq),
                to_hex(d->head).c_str());
  }
  return kExitOk;
}

}  // namespace mledger::cli
