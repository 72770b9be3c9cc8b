#include "adapters/ledger/deadline_runner.h"

#include "adapters/crypto/sha256.h"
#include "domain/core/streams.h"
#include "domain/decide/deadlines.h"

namespace mledger {

namespace {

constexpr size_t kPage = 1024;

StatusOr<CommandResult> issue(Ledger& ledger, const DueCommand& due, Instant now,
                              const std::string& principal, std::string* id, std::string* type) {
  Command command;
  command.context.actor = Actor{ActorKind::service, "", principal, {}};
  command.context.account_id = due.account_id;
  command.context.now = now;
  *type = std::string(command_type_name(due.body));
  command.context.command_id = "tick:" + *type + ":" + due.account_id + ":" + due.item;
  if (command.context.command_id.size() > 128) {
    command.context.command_id = "tick:" + to_hex(sha256({command.context.command_id}));
  }
  *id = command.context.command_id;
  command.body = due.body;
  // The digest leaves out `now`: a rerun at another time is the same command.
  const Hash256 digest = sha256({command.context.command_id, *type, due.account_id, due.item});
  return ledger.execute(command, digest);
}

}  // namespace

Status issue_due_commands(Ledger& ledger, EventLog& log, Instant now, const std::string& principal,
                          const std::function<void(const DueOutcome&)>& each) {
  for (const std::string_view prefix : {kAccountStreamPrefix, kMergePairStreamPrefix}) {
    std::string after;
    for (;;) {
      auto page = log.list_streams(prefix, after, kPage);
      if (!page.ok()) return page.error();
      for (const std::string& stream : *page) {
        const std::string name = stream.substr(prefix.size());
        std::vector<DueCommand> due;
        if (prefix == kAccountStreamPrefix) {
          auto state = ledger.account_state(name);
          if (!state.ok()) return state.error();
          due = due_commands(*state, now);
        } else {
          const size_t plus = name.find('+');
          if (plus == std::string::npos) continue;
          auto state = ledger.merge_pair_state(name.substr(0, plus), name.substr(plus + 1));
          if (!state.ok()) return state.error();
          due = due_commands(*state, now);
        }
        for (const DueCommand& d : due) {
          std::string id, type;
          auto result = issue(ledger, d, now, principal, &id, &type);
          if (!result.ok()) return Status(result.error().code(), id + ": " + result.error().message());
          each(DueOutcome{id, type, &*result});
        }
      }
      if (page->size() < kPage) break;
      after = page->back();
    }
  }
  return Status();
}

}  // namespace mledger
