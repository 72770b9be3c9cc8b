// libFuzzer target: the JSON command parser (adapters/json/command_json.h),
// strict parsing included (strict_json.h). It must never crash, throw or
// hang, and what it accepts must hold to its contract: a command id of 1 to
// 128 bytes, times in the command range, and a document that parses again
// from its own JSON form to the same command digest.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/json/command_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = mledger::json::parse_command(text, mledger::Instant{1'767'600'000'000'000});
  if (!parsed.ok()) return 0;
  const mledger::Command& c = parsed->command;
  if (c.context.command_id.empty() || c.context.command_id.size() > 128) std::abort();
  if (!mledger::json::in_command_time_range(c.context.now)) std::abort();
  const std::string again = mledger::json::command_to_json(c).dump();
  auto reparsed = mledger::json::parse_command(again, mledger::Instant{});
  if (!reparsed.ok()) std::abort();  // the written form of an accepted command parses
  return 0;
}
