#include "adapters/audit/account_export.h"

#include <cassert>

#include "adapters/audit/base64.h"
#include "adapters/capnp/event_codec.h"
#include "adapters/json/command_json.h"

namespace mledger {

void ExportWriter::line(const nlohmann::json& j, bool hashed, std::string& out) {
  std::string text = json::dump_text(j);
  text.push_back('\n');
  if (hashed) {
    if (!begun_) {
      hasher_.begin();
      begun_ = true;
    }
    hasher_.update(text);
    ++lines_;
  }
  out += text;
}

void ExportWriter::header(std::string_view account, const LogDigest& ledger, Instant exported_at,
                          std::string& out) {
  assert(lines_ == 0);
  nlohmann::json j = {{"kind", "header"},
                      {"format", kExportFormat},
                      {"format_version", kExportFormatVersion},
                      {"account", account},
                      {"exported_at", format_rfc3339(exported_at)},
                      {"ledger", {{"seq", ledger.seq}, {"head", to_hex(ledger.head)}}}};
  line(j, true, out);
}

Status ExportWriter::event(std::string_view envelope, std::string& out) {
  assert(lines_ >= 1);
  auto e = codec::open(envelope);
  if (!e.ok()) return e.error();
  nlohmann::json j = {{"kind", "event"},
                      {"seq", e->seq},
                      {"stream", e->stream},
                      {"version", e->version},
                      {"type", std::string(event_type_name(e->payload))},
                      {"prev_hash", to_hex(e->prev_hash)},
                      {"hash", to_hex(e->hash)},
                      {"envelope", base64_encode(envelope)},
                      {"event", json::event_to_json(*e)}};
  line(j, true, out);
  ++events_;
  return Status::Ok();
}

void ExportWriter::trailer(std::string& out) {
  assert(lines_ >= 1);
  const uint64_t lines_before = lines_;
  const Hash256 sum = hasher_.finish();
  nlohmann::json j = {{"kind", "trailer"},
                      {"events", events_},
                      {"lines", lines_before},
                      {"sha256", to_hex(sum)}};
  line(j, false, out);
}

}  // namespace mledger
