#pragma once
// One line describing a command's result, as `exec` and `tick` print it.

#include <string>

#include "adapters/ledger/ledger.h"

namespace mledger::cli {

inline std::string describe(const CommandResult& r) {
  if (r.rejection) {
    const std::string rule = "(" + std::string(rule_id(r.rejection->code)) + ")";
    const std::string& message = r.rejection->message;
    // Messages usually end with their rule already; print it once.
    return "rejected " + std::string(code_name(r.rejection->code)) + ": " + message +
           (message.ends_with(rule) ? "" : " " + rule);
  }
  std::string out = r.kind == CommandResult::Kind::accepted ? "accepted" : "duplicate";
  for (size_t i = 0; i < r.events.size(); ++i) {
    const auto& e = r.events[i];
    out += (i == 0 ? " " : ", ") + std::string("#") + std::to_string(e.seq) + " " + e.type + " " +
           e.stream + "@" + std::to_string(e.version);
  }
  return out;
}

}  // namespace mledger::cli
