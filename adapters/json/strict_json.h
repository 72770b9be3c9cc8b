#pragma once
// Parsing JSON text that came from outside, strictly. JSON (RFC 8259) leaves
// some things to the parser; a ledger must not guess at them, so beyond the
// grammar and UTF-8 these are refused, each with a message naming it:
//
//   - an object key given twice ("field 'data.email' is given twice"): which
//     value counts would be the parser's choice (nlohmann keeps the last);
//   - a NUL byte anywhere in the text ("the text holds a NUL byte at offset
//     N"), including after the document, where a parser that stops at it
//     reads less than was sent;
//   - \u0000 in a string or a key ("field 'data.email' holds a NUL
//     character"): such ids and names end early in C and in many stores.
//
// Paths are dotted as in command_json.h ("data.address.city", "roles[0]").
// When the document is an array and `item_label` is not empty, a problem
// inside item i reads "ITEM_LABEL[i]: field 'PATH' ..." with the path inside
// the item. Never throws (but for std::bad_alloc).

#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/core/status.h"

namespace mledger::json {

// On success `*out` holds the document. On failure, invalid_argument whose
// message starts with "malformed JSON: " for text that is not JSON at all.
[[nodiscard]] Status parse_strict(std::string_view text, nlohmann::json* out, std::string_view item_label = "");

}  // namespace mledger::json
