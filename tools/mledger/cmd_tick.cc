// mledger tick: issue the time-driven commands that have fallen due.
//
// Walks every account and every merge-invitation pair, asks the domain what
// is due at --now (domain/decide/deadlines.h) and executes each as the
// `service` actor. Command ids name the item that fell due, so running tick
// again (or after a crash) never applies a deadline twice.

#include <cstdio>
#include <string>

#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "domain/core/streams.h"
#include "domain/decide/deadlines.h"
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

constexpr size_t kPage = 1024;

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

  auto run = [&](const DueCommand& due) -> bool {
    Command command;
    command.context.actor = Actor{ActorKind::service, "", "mledger-tick", {}};
    command.context.account_id = due.account_id;
    command.context.now = now;
    const std::string type(command_type_name(due.body));
    command.context.command_id = "tick:" + type + ":" + due.account_id + ":" + due.item;
    if (command.context.command_id.size() > 128) {
      command.context.command_id = "tick:" + to_hex(sha256({command.context.command_id}));
    }
    command.body = due.body;
    // The digest leaves out `now`: a rerun at another time is the same command.
    const Hash256 digest = sha256({command.context.command_id, type, due.account_id, due.item});
    auto result = r.ledger->execute(command, digest);
    if (!result.ok()) {
      std::fprintf(stderr, "mledger tick: %s: %s\n", command.context.command_id.c_str(),
                   result.error().to_string().c_str());
      return false;
    }
    ++issued;
    if (result->kind == CommandResult::Kind::rejected) exit_code = kExitRejected;
    if (args.flag("json")) {
      nlohmann::json j = json::result_to_json(*result);
      j["command_id"] = command.context.command_id;
      j["type"] = type;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s: %s\n", command.context.command_id.c_str(), describe(*result).c_str());
    }
    return true;
  };

  for (const std::string_view prefix : {kAccountStreamPrefix, kMergePairStreamPrefix}) {
    std::string after;
    for (;;) {
      auto page = r.log->list_streams(prefix, after, kPage);
      if (!page.ok()) {
        std::fprintf(stderr, "mledger tick: %s\n", page.error().to_string().c_str());
        return kExitFailure;
      }
      for (const std::string& stream : *page) {
        const std::string name = stream.substr(prefix.size());
        std::vector<DueCommand> due;
        if (prefix == kAccountStreamPrefix) {
          auto state = r.ledger->account_state(name);
          if (!state.ok()) {
            std::fprintf(stderr, "mledger tick: %s\n", state.error().to_string().c_str());
            return kExitFailure;
          }
          due = due_commands(*state, now);
        } else {
          const size_t plus = name.find('+');
          if (plus == std::string::npos) continue;
          auto state = r.ledger->merge_pair_state(name.substr(0, plus), name.substr(plus + 1));
          if (!state.ok()) {
            std::fprintf(stderr, "mledger tick: %s\n", state.error().to_string().c_str());
            return kExitFailure;
          }
          due = due_commands(*state, now);
        }
        for (const DueCommand& d : due) {
          if (!run(d)) return kExitFailure;
        }
      }
      if (page->size() < kPage) break;
      after = page->back();
    }
  }
  std::fprintf(stderr, "mledger tick: %zu command(s) due at %s\n", issued, format_rfc3339(now).c_str());
  std::fflush(stdout);
  return exit_code;
}

}  // namespace mledger::cli
