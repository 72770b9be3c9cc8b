#pragma once
// The JSON form of commands (docs/commands.md) and of events and results.
// One form for the CLI and the HTTP API.
//
// parse_command() is strict: unknown fields, missing fields, wrong types,
// invalid UTF-8 and over-long documents are errors (invalid_argument) whose
// message names the field. It never throws.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/ledger/ledger.h"
#include "domain/commands/command.h"
#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger::json {

inline constexpr size_t kCommandBytesMax = 64 * 1024;

struct ParsedCommand {
  Command command;
  Hash256 digest{};  // SHA-256 of the document's canonical JSON (sorted keys)
};

// `default_now` is used when the document has no "now".
[[nodiscard]] StatusOr<ParsedCommand> parse_command(std::string_view text, Instant default_now);

nlohmann::json payload_to_json(const EventPayload& payload);
nlohmann::json event_to_json(const RecordedEvent& event);
nlohmann::json position_to_json(const EventPosition& position);
nlohmann::json result_to_json(const CommandResult& result);

}  // namespace mledger::json
