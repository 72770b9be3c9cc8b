#include "adapters/ledger/ledger.h"

#include "domain/account/account_state.h"
#include "domain/account/enroll.h"

namespace mledger {

std::string account_stream(std::string_view account_id) {
  return "account-" + std::string(account_id);
}

namespace {

CommandResult rejected(Rejection r) {
  CommandResult out;
  out.kind = CommandResult::Kind::rejected;
  out.rejection = std::move(r);
  return out;
}

// What one attempt at a command decided: events for streams, or a rejection.
struct Decided {
  std::vector<StreamExpectation> expectations;
  std::vector<std::pair<std::string, EventPayload>> events;  // stream, payload
  std::optional<Rejection> rejection;
};

}  // namespace

Ledger::Ledger(EventLog& log, GroupCommitWriter& writer, Clock& clock, IdSource& ids,
               LedgerOptions options)
    : log_(log), writer_(writer), clock_(clock), ids_(ids), options_(std::move(options)) {}

StatusOr<std::vector<RecordedEvent>> Ledger::load_stream(const std::string& stream) {
  std::vector<RecordedEvent> all;
  for (;;) {
    auto chunk = log_.read_stream(stream, all.size() + 1, 4096);
    if (!chunk.ok()) return Err{chunk.error()};
    if (chunk->empty()) return all;
    if (all.size() + chunk->size() > options_.stream_events_max) {
      return fail(StatusCode::limit_exceeded, "stream " + stream + " is longer than stream_events_max");
    }
    for (auto& e : *chunk) {
      // Check after reading: the stream index must agree with the events.
      if (e.stream != stream || e.version != all.size() + 1) {
        return fail(StatusCode::corruption, "stream " + stream + " index is out of order at version " +
                                                std::to_string(all.size() + 1));
      }
      all.push_back(std::move(e));
    }
  }
}

StatusOr<CommandResult> Ledger::execute(const Command& command, const Hash256& digest) {
  const CommandContext& ctx = command.context;
  auto first = log_.find_command(ctx.command_id);
  if (!first.ok()) return Err{first.error()};
  if (first->has_value()) {
    if ((*first)->command_digest != digest) {
      return rejected(Rejection{RejectionCode::command_id_reused_with_different_content,
                                "command id " + ctx.command_id +
                                    " was used before for a different command (R-LED-02)"});
    }
    CommandResult out;
    out.kind = CommandResult::Kind::duplicate;
    out.events = std::move((*first)->events);
    return out;
  }

  for (int attempt = 0; attempt <= options_.conflict_retries_max; ++attempt) {
    Decided decided;
    Status load_status;
    std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, EnrollPartnerAccount>) {
            const std::string stream = account_stream(ctx.account_id);
            auto events = load_stream(stream);
            if (!events.ok()) {
              load_status = events.error();
              return;
            }
            AccountState state;
            for (const auto& e : *events) state = evolve(std::move(state), e.payload);
            auto d = decide_enroll(state, ctx, body, options_.enrollment);
            if (!d.ok()) {
              decided.rejection = d.error();
              return;
            }
            decided.expectations.push_back({stream, events->size()});
            for (auto& p : d.value()) decided.events.emplace_back(stream, std::move(p));
          } else {
            static_assert(sizeof(T) == 0, "every command type needs its route here");
          }
        },
        command.body);
    if (!load_status.ok()) return Err{load_status};
    if (decided.rejection) return rejected(std::move(*decided.rejection));

    AppendRequest req;
    req.command_id = ctx.command_id;
    req.command_digest = digest;
    req.metadata = EventMetadata{ctx.command_id,
                                 ctx.correlation_id.empty() ? ctx.command_id : ctx.correlation_id,
                                 ctx.causation_id, ctx.actor, clock_.now(), ctx.now};
    req.expectations = std::move(decided.expectations);
    for (auto& [stream, payload] : decided.events) {
      req.events.push_back(NewEvent{stream, ids_.next_id(), {ctx.account_id}, std::move(payload)});
    }
    auto outcome = writer_.append(std::move(req));
    if (!outcome.ok()) return Err{outcome.error()};
    switch (outcome->status) {
      case AppendStatus::appended:
      case AppendStatus::duplicate: {
        CommandResult out;
        out.kind = outcome->status == AppendStatus::appended ? CommandResult::Kind::accepted
                                                             : CommandResult::Kind::duplicate;
        out.events = std::move(outcome->events);
        return out;
      }
      case AppendStatus::command_id_reused:
        return rejected(Rejection{RejectionCode::command_id_reused_with_different_content,
                                  "command id " + ctx.command_id +
                                      " was used before for a different command (R-LED-02)"});
      case AppendStatus::conflict:
        continue;  // someone else appended to the stream first: decide again
    }
  }
  return fail(StatusCode::unavailable, "command " + ctx.command_id + " lost " +
                                           std::to_string(options_.conflict_retries_max + 1) +
                                           " races for its stream; try again");
}

}  // namespace mledger
