#pragma once
// The JSON form of commands (docs/commands.md) and of events and results.
// One form for the CLI and the HTTP API.
//
// The form of a command's `data`, of an event's `data` and of the offer
// catalogue is generic over the domain's field reflection (domain/core/fields.h):
// the JSON names are the domain's field names; strings, booleans and integers
// as themselves (UInt32 within 0..4294967295); Instant as an RFC 3339 string;
// enums as their snake_case names; Money as {"amount_minor": int, "currency":
// "USD"}; nested structs as objects, vectors as arrays.
//
// Parsing is strict: unknown fields, missing fields, wrong types, invalid UTF-8,
// over-long documents, keys given twice, NUL bytes (raw, or \u0000 in a
// string: strict_json.h) and times out of range (below) are errors
// (invalid_argument) whose message names the field by its dotted path
// ("data.billing_address.city", "offers[1].name"). It never throws. Absent is allowed for std::optional fields (null too), bool
// fields (false), vector fields (empty), and line2, region and postal_code of a
// postal address (empty); every other field is required.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/catalogue/offer_catalogue.h"
#include "domain/commands/command.h"
#include "domain/core/status.h"
#include "domain/events/event.h"
#include "domain/ports/event_log.h"

namespace mledger {
struct CommandResult;  // adapters/ledger/ledger.h
}  // namespace mledger

namespace mledger::json {

inline constexpr size_t kCommandBytesMax = 64 * 1024;
// A catalogue file; its event must still fit limits::event_bytes_max once encoded.
inline constexpr size_t kCatalogueBytesMax = 256 * 1024;

// The times a command may hold (its `now`, the times in its data), and the
// `now` of POST /v1/tick: from 1970-01-01T00:00:00Z up to, not including,
// 9000-01-01T00:00:00Z, which leaves room below year 10000 (which RFC 3339
// cannot write) for the deadlines the rules derive from them. Outside it:
// "field 'now' must be from 1970-01-01T00:00:00Z to 8999-12-31T23:59:59.999999Z".
inline constexpr Instant kCommandTimeMin{0};
inline constexpr Instant kCommandTimeEnd{221'845'392'000'000'000};  // 9000-01-01T00:00:00Z
inline constexpr std::string_view kCommandTimeRange =
    "from 1970-01-01T00:00:00Z to 8999-12-31T23:59:59.999999Z";
[[nodiscard]] inline bool in_command_time_range(Instant t) {
  return t >= kCommandTimeMin && t < kCommandTimeEnd;
}

struct ParsedCommand {
  Command command;
  Hash256 digest{};  // SHA-256 of the document's canonical JSON (sorted keys)
};

// `default_now` is used when the document has no "now". `account_id` is
// required for every command type that targets an account and must be absent
// for the others (change_offer_catalogue).
[[nodiscard]] StatusOr<ParsedCommand> parse_command(std::string_view text, Instant default_now);

// The document parse_command() reads back into `command` (correlation_id and
// causation_id only when set), and the `data` of a command alone.
nlohmann::json command_to_json(const Command& command);
nlohmann::json command_data_to_json(const CommandBody& body);

// An operator's catalogue file: the JSON form of OfferCatalogue. Structural
// checks beyond the form (duplicate ids, ...) are the domain's.
[[nodiscard]] StatusOr<OfferCatalogue> parse_offer_catalogue(std::string_view json_text);
nlohmann::json offer_catalogue_to_json(const OfferCatalogue& catalogue);

// One line of JSON text without throwing: bytes that are not UTF-8 (which a
// decoded event should never hold) are written as U+FFFD.
std::string dump_text(const nlohmann::json& j);

// An event's `data`: every field, std::optional ones only when engaged.
nlohmann::json payload_to_json(const EventPayload& payload);
nlohmann::json event_to_json(const RecordedEvent& event);
// (result_json.cc)
nlohmann::json position_to_json(const EventPosition& position);
// {"seq": N, "head": HEX}
nlohmann::json digest_to_json(const LogDigest& digest);
nlohmann::json result_to_json(const CommandResult& result);

}  // namespace mledger::json
