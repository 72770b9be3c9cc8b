// The JSON form of the ledger's answers (kept apart from command_json.cc so the
// command and event forms do not depend on the ledger).

#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "adapters/ledger/ledger.h"

namespace mledger::json {

using nlohmann::json;

json position_to_json(const EventPosition& p) {
  return {{"seq", p.seq},       {"stream", p.stream}, {"version", p.version},
          {"event_id", p.event_id}, {"type", p.type}, {"hash", to_hex(p.hash)}};
}

json digest_to_json(const LogDigest& d) { return {{"seq", d.seq}, {"head", to_hex(d.head)}}; }

json result_to_json(const CommandResult& r) {
  json j;
  switch (r.kind) {
    case CommandResult::Kind::accepted: j["status"] = "accepted"; break;
    case CommandResult::Kind::duplicate: j["status"] = "duplicate"; break;
    case CommandResult::Kind::rejected: j["status"] = "rejected"; break;
  }
  if (r.rejection) {
    j["code"] = std::string(code_name(r.rejection->code));
    j["rule"] = std::string(rule_id(r.rejection->code));
    j["message"] = r.rejection->message;
  } else {
    json events = json::array();
    for (const auto& p : r.events) events.push_back(position_to_json(p));
    j["events"] = std::move(events);
  }
  return j;
}

}  // namespace mledger::json
