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
at the log's head equals what `mledger query` shows.
Output: {"account_id", "at_seq" (the last event of the account folded),
"as_of" or "log_seq" (the point asked for), "events_folded", "read_models"}.
Exit: 0 shown; 1 no events of the account at that point; 2 bad usage;
3 storage failure.
)";

constexpr size_t kChunk = 4096;

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
    return log.error().code() == StatusCode::not_found ? kExitUsage : kExitFailure;
  }

  projections::AccountDocs docs;
  docs.accounts.account_id = *account;
  uint64_t folded = 0, from = 0;
  bool done = false;
  while (!done) {
    auto events = log.value()->read_account(*account, from, kChunk);
    if (!events.ok()) {
      std::fprintf(stderr, "mledger audit state: %s\n", events.error().to_string().c_str());
      return kExitFailure;
    }
    for (const RecordedEvent& e : *events) {
      if ((by_seq && e.seq > at_seq) || (as_of && (recorded_clock ? e.metadata.recorded_at : e.metadata.occurred_at) > *as_of)) {
        done = true;
        break;
      }
      projections::fold_account(docs, *account, e);
      ++folded;
      from = e.seq + 1;
    }
    if (events->size() < kChunk) break;
  }
  if (folded == 0) {
    std::fprintf(stderr, "mledger audit state: no events of account %s at that point\n", account->c_str());
    return kExitRejected;
  }
  nlohmann::json models = nlohmann::json::object();
  for (const ReadModel& m : read_models()) {
    if (!m.projection.empty()) models[std::string(m.name)] = read_model_json(m, docs, *account);
  }
  nlohmann::json out = {{"account_id", *account}, {"at_seq", docs.last_seq}, {"events_folded", folded}};
  if (by_seq) out["log_seq"] = at_seq;
  if (as_of) {
    out["as_of"] = format_rfc3339(*as_of);
    out["clock"] = clock;
  }
  out["read_models"] = std::move(models);
  std::printf("%s\n", out.dump(args.flag("pretty") ? 2 : -1, ' ', false,
                               nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

}  // namespace mledger::cli
