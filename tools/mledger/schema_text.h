#pragma once
// The Cap'n Proto schema of the events, embedded at build time.

#include <string_view>

namespace mledger::cli {

std::string_view wire_schema_text();

}  // namespace mledger::cli
