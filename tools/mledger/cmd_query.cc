// mledger query: an account's read models, as JSON.

#include <cstdio>
#include <string>

#include "adapters/projections/read_models.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/progress.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger query NAME --account ID [--data DIR] [--pretty]
                     [--limit N] [--after ID]       (collection read models)
                     [--from-seq N] [--limit N]     (timeline)
       mledger query --list

Prints the read model NAME of the account as one JSON document:
  {"read_model": NAME, "account_id": ID, "as_of_seq": S, "lag": L, "data": ...}
as_of_seq is the last event of the log reflected in "data"; lag counts the
events after it (0: current). Before answering, the projections are brought up
to the log's head, unless another process holds them (a server or a rebuild):
then they are shown as they stand and lag says how far behind they are.

Collection read models page: "data" is an array of up to --limit entities
(1 to 1000, default 100) in id order after --after ID, and "next" is the
--after of the next page (null after the last). The others answer whole.

Read models (docs/operations.md describes each field):
  profile        company, verification, users and roles, locations, tenants,
                 contacts, read-only flag
  users          users with roles and licensing offers (paged)
  memberships    offers, status, anniversary, renewal window, lapse
  benefits       allocated, assigned, used, available, expiry, core/incremental
                 (paged)
  assignments    benefits per user; when a Visual Studio subscription becomes
                 reassignable (paged by user)
  orders         status, payments, declines, cancellation, expiry, refunds
                 (paged)
  keys           keys issued (revealed, redeemed by whom and when, replaced)
                 (paged)
  redeemed_keys  keys the account redeemed (paged)
  merges         merge invitations: inbox, outbox, history
  timeline       every event concerning the account (from the log itself;
                 --from-seq N, --limit N up to 10000, default 1000)

Exit: 0 shown; 1 no such account; 2 bad usage; 3 storage failure.
)";

int failure(const Status& s) {
  std::fprintf(stderr, "mledger query: %s\n", s.to_string().c_str());
  return s.code() == StatusCode::not_found ? kExitUsage : kExitFailure;
}

}  // namespace

int run_query(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"data", "account", "from-seq", "limit", "after"}, {"help", "list", "pretty", "json"})) {
    std::fprintf(stderr, "mledger query: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  const int indent = args.flag("pretty") ? 2 : -1;
  if (args.flag("list")) {
    nlohmann::json list = nlohmann::json::array();
    for (const ReadModel& m : read_models()) {
      list.push_back({{"name", m.name},
                      {"projection", m.projection},
                      {"description", m.description},
                      {"paged", !m.kind.empty()}});
    }
    std::printf("%s\n", list.dump(indent).c_str());
    return kExitOk;
  }
  if (args.positionals().size() != 1) {
    std::fprintf(stderr, "mledger query: name one read model (see --list)\n\n%s", kHelp);
    return kExitUsage;
  }
  const ReadModel* model = find_read_model(args.positionals()[0]);
  if (model == nullptr) {
    std::fprintf(stderr, "mledger query: no read model named '%s' (see mledger query --list)\n",
                 args.positionals()[0].c_str());
    return kExitUsage;
  }
  auto account = args.value("account");
  if (!account || account->empty()) {
    std::fprintf(stderr, "mledger query: --account is required\n\n%s", kHelp);
    return kExitUsage;
  }
  PageRequest page;
  for (const char* name : {"from-seq", "limit"}) {
    if (!args.value(name)) continue;
    uint64_t n = 0;
    if (!args.number(name, 0, &n)) {
      std::fprintf(stderr, "mledger query: %s\n", args.error().c_str());
      return kExitUsage;
    }
    (name == std::string_view("limit") ? page.limit : page.from_seq) = n;
  }
  page.after = args.value("after");
  if (const std::string problem = page_problem(*model, page); !problem.empty()) {
    std::fprintf(stderr, "mledger query: %s\n", problem.c_str());
    return kExitUsage;
  }

  auto side = open_read_side(args.value_or("data", "mledger-data"), StoreAccess::write_if_free);
  if (!side.ok()) {
    std::fprintf(stderr, "mledger query: %s\n", side.error().to_string().c_str());
    return kExitFailure;  // also for no ledger at --data
  }
  ReadSide& rs = *side.value();
  if (!model->projection.empty() && rs.writable) {
    ProgressPrinter printer(false);
    if (Status s = rs.engine->catch_up(printer.callback()); !s.ok()) return failure(s);
  }
  auto answer = query_read_model(*rs.log, *rs.store, *rs.engine, *model, *account, page);
  if (!answer.ok()) return failure(answer.error());
  if (!answer->has_value()) {
    std::fprintf(stderr, "mledger query: no account %s in the ledger\n", account->c_str());
    return kExitRejected;
  }
  const nlohmann::json& out = **answer;
  std::printf("%s\n", out.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

}  // namespace mledger::cli
