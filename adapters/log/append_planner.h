#pragma once
// The part of appending that every EventLog implementation shares: given the
// log's head and a way to look up stream versions and command records, it
// decides each request's outcome, assigns sequence numbers and stream
// versions, and seals the events into the hash chain. The implementation then
// writes the planned batch atomically, or not at all.

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/core/status.h"
#include "domain/ports/event_log.h"

namespace mledger {

// What the log stores per appended command id (R-LED-02).
struct CommandRecord {
  Hash256 digest{};
  uint64_t first_seq = 0;
  uint32_t event_count = 0;
};
std::string encode_command_record(const CommandRecord& r);
[[nodiscard]] StatusOr<CommandRecord> decode_command_record(std::string_view bytes);

struct PlannedEvent {
  const NewEvent* source = nullptr;  // points into the planned requests
  uint64_t seq = 0;
  uint64_t version = 0;
  std::string envelope;  // the bytes to store under `seq`
  Hash256 hash{};        // its chain hash (the Merkle tree's leaf input)
};

// A command record to store: under its id within its scope (command_scope()).
struct PlannedCommand {
  std::string scope;
  std::string command_id;
  CommandRecord record;
};

struct PlannedBatch {
  std::vector<AppendOutcome> outcomes;  // one per request
  std::vector<PlannedEvent> events;     // in seq order, contiguous after the old head
  std::vector<PlannedCommand> commands;  // new command records
  std::map<std::string, uint64_t, std::less<>> stream_versions;  // new heads of written streams
  // Duplicates to resolve: outcome index -> the first outcome's record. The
  // caller fills their `events` from the log (they were written earlier).
  std::vector<std::pair<size_t, CommandRecord>> duplicates;
  LogDigest head;  // the digest after the batch
};

using VersionLookup = std::function<StatusOr<uint64_t>(std::string_view stream)>;
// The record of `command_id` within `scope` (command_scope()), if any.
using CommandLookup = std::function<StatusOr<std::optional<CommandRecord>>(std::string_view scope,
                                                                           std::string_view command_id)>;

// Checks a request's shape (limits, every written stream listed). Returns an
// invalid_argument Status naming the problem; called before a request is queued.
[[nodiscard]] Status check_append_request(const AppendRequest& request);

// Fills request.encoded_bodies (see AppendRequest). Thread-safe; run it on the
// submitting thread.
[[nodiscard]] Status encode_bodies(AppendRequest& request);

// Plans the batch. Requests must have passed check_append_request (asserted).
// Fails only when a lookup or sealing fails.
[[nodiscard]] StatusOr<PlannedBatch> plan_append(std::span<const AppendRequest> requests,
                                                 const LogDigest& head,
                                                 const VersionLookup& version_of,
                                                 const CommandLookup& command_of);

// Position of a recorded event, as outcomes report it.
EventPosition position_of(const RecordedEvent& e);

}  // namespace mledger
