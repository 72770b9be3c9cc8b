// mledger tick: issue the time-driven commands that have fallen due.
//
// Walks every account and every merge-invitation pair, asks the domain what
// is due at --now (domain/decide/deadlines.h) and executes each as the
// `service` actor. Command ids name the item that fell due, so running tick
// again (or after a crash) never applies a deadline twice.

#include <cstdio>
#include <string>

#include "adapters/json/command_json.h"
#include "adapters/ledger/deadline_runner.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/describe.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger tick [--now T] [--data DIR] [--json]

Issues, as the service actor, every time-driven command that is due at T
(RFC 3339, default: the system clock): wire orders unpaid for 30 days expire,
anniversaries open the renewal window (and end the enrollment year), renewal
windows closed without renewal lapse, go-to-market offers past their expiry
expire, merge invitations unanswered past their expiry expire.

Each command's id names what fell due ("tick:<type>:<account>:<item>"), so a
second run writes nothing new. Prints one line per command.
Exit: 0 done; 1 some command was rejected; 2 bad usage; 3 storage failure.
)";

}  // namespace

int run_tick(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"data", "now"}, {"json", "help"})) {
    std::fprintf(stderr, "mledger tick: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  SystemClock clock;
  Instant now = clock.now();
  if (auto t = args.value("now")) {
    auto parsed = parse_rfc3339(*t);
    if (!parsed) {
      std::fprintf(stderr, "mledger tick: --now must be an RFC 3339 time such as 2027-01-05T00:00:00Z\n");
      return kExitUsage;
    }
    now = *parsed;
  }
  auto rt = open_runtime(args.value_or("data", "mledger-data"));
  if (!rt.ok()) {
    std::fprintf(stderr, "mledger tick: %s\n", rt.error().to_string().c_str());
    return kExitFailure;
  }
  Runtime& r = **rt;
  int exit_code = kExitOk;
  size_t issued = 0;
  const Status walked = issue_due_commands(*r.ledger, *r.log, now, "mledger-tick", [&](const DueOutcome& o) {
    ++issued;
    if (o.result->kind == CommandResult::Kind::rejected) exit_code = kExitRejected;
    if (args.flag("json")) {
      nlohmann::json j = json::result_to_json(*o.result);
      j["command_id"] = o.command_id;
      j["type"] = o.type;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s: %s\n", o.command_id.c_str(), describe(*o.result).c_str());
    }
  });
  if (!walked.ok()) {
    std::fprintf(stderr, "mledger tick: %s\n", walked.to_string().c_str());
    return kExitFailure;
  }
  std::fprintf(stderr, "mledger tick: %zu command(s) due at %s\n", issued, format_rfc3339(now).c_str());
  std::fflush(stdout);
  return exit_code;
}

}  // namespace mledger::cli
