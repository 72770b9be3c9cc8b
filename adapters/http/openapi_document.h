#pragma once
// The API's OpenAPI 3.1 description: docs/openapi.yaml as one line of JSON,
// converted and embedded at build time (tools/openapi/embed.py), served at
// GET /v1/openapi.json. docs/openapi.yaml is the only source.

#include <string_view>

namespace mledger::http {

// The whole document, without a trailing newline; static, never changes.
std::string_view openapi_json();

}  // namespace mledger::http
