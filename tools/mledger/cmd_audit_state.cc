// mledger audit state: an account's read models as they were at a point of
// the log, folded from its events by the same folds as the live projections.

#include <cstdio>
#include <string>

#include "adapters/projections/read_models.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger audit state --account ID (--as-of T | --at-seq N)
                          [--clock business|recorded] [--data DIR] [--pretty]

Prints every read model of the account (profile, memberships, benefits,
assignments, orders, keys, merges) as it was:
  --at-seq N   after event N of the log;
  --as-of T    at instant T (RFC 3339): after the account's events up to
               the first one later than T, by their business time (the
               command's `now`; the default) or, with --clock recorded, by
               the ledger's clock when it recorded them.
The account's events are folded by the projections' own folds, so the state
at the log's head equals what `mledger query` shows. The fold starts from
the nearest read-model snapshot at or before the point (DIR/snapshots,
checked before use; docs/audit.md) and, where it passes a multiple of
10,000 account events that has none, leaves one there for the next audit
(written in the background; skipped when DIR/snapshots cannot be written).
Output: {"account_id", "at_seq" (the last event of the account folded),
"as_of" or "log_seq" (the point asked for), "events_folded", "read_models"}.
Exit: 0 shown; 1 no events of the account at that point; 2 bad usage;
3 storage failure.
)";


}  // namespace

int run_audit_state(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"data", "account", "as-of", "at-seq", "clock"}, {"help", "pretty", "json"})) {
    std::fprintf(stderr, "mledger audit state: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  auto account = args.value("account");
  auto as_of_text = args.value("as-of");
  const bool by_seq = args.value("at-seq").has_value();
  uint64_t at_seq = 0;
  std::optional<Instant> as_of;
  if (!account || account->empty() || by_seq == as_of_text.has_value() || !args.positionals().empty()) {
    std::fprintf(stderr, "mledger audit state: give --account and exactly one of --as-of, --at-seq\n\n%s",
                 kHelp);
    return kExitUsage;
  }
  if (by_seq && (!args.number("at-seq", 0, &at_seq) || at_seq == 0)) {
    std::fprintf(stderr, "mledger audit state: --at-seq must be a sequence number from 1\n");
    return kExitUsage;
  }
  if (as_of_text) {
    as_of = parse_rfc3339(*as_of_text);
    if (!as_of) {
      std::fprintf(stderr, "mledger audit state: --as-of must be an RFC 3339 time such as "
                           "2026-01-05T09:00:00Z, not '%s'\n", as_of_text->c_str());
      return kExitUsage;
    }
  }
  const std::string clock = args.value_or("clock", "business");
  if (clock != "business" && clock != "recorded") {
    std::fprintf(stderr, "mledger audit state: --clock must be business or recorded\n");
    return kExitUsage;
  }
  const bool recorded_clock = clock == "recorded";
  auto log = open_log_read_only(args.value_or("data", "mledger-data"));
  if (!log.ok()) {
    std::fprintf(stderr, "mledger audit state: %s\n", log.error().to_string().c_str());
    return kExitFailure;
  }

  AsOf until;
  if (by_seq) until.at_seq = at_seq;
  until.as_of = as_of;
  until.recorded_clock = recorded_clock;
  const std::string dir = args.value_or("data", "mledger-data");
  auto store = FileSnapshotStore::open(snapshots_dir(dir));  // absent: fold from the first event
  std::optional<ReadModelSnapshots> snapshots;
  if (store.ok()) snapshots.emplace(*log.value(), **store, ReadModelSnapshotOptions{});
  auto state = fold_account_as_of(*log.value(), *account, until, snapshots ? &*snapshots : nullptr);
  if (!state.ok()) {
    std::fprintf(stderr, "mledger audit state: %s\n", state.error().to_string().c_str());
    return kExitFailure;
  }
  if (state->events_folded == 0) {
    std::fprintf(stderr, "mledger audit state: no events of account %s at that point\n", account->c_str());
    return kExitRejected;
  }
  const nlohmann::json out = account_as_of_json(*state, *account, until);
  std::printf("%s\n", out.dump(args.flag("pretty") ? 2 : -1, ' ', false,
                               nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

}  // namespace mledger::cli
