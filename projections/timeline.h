#pragma once
// Read model "timeline": an account's events, oldest first, one line each:
// when, what, by whom, and the ids the event names. It is a view of the
// log's own account index (written in the same batch as the events), so it
// never lags and needs no stored projection.

#include <string>
#include <vector>

#include "domain/events/event.h"

namespace mledger::projections {

struct TimelineEntry {
  uint64_t seq = 0;
  Instant occurred_at;  // the command's business time
  Instant recorded_at;  // the ledger's clock
  std::string type;
  std::string stream;
  std::string actor;  // "user:u-1@account-a", "service:tick", ...
  std::string command_id;
  std::vector<std::string> names;  // "order_id=o-1", "key_ids=A,B": the ids it names
  MLEDGER_FIELDS(seq, occurred_at, recorded_at, type, stream, actor, command_id, names)
};

TimelineEntry timeline_entry(const RecordedEvent& event);

}  // namespace mledger::projections
