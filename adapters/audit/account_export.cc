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

Status export_account(RocksDbEventLog& log, const std::string& account, const LogDigest& ledger,
                      Instant exported_at, const std::function<Status(std::string_view)>& sink,
                      ExportSummary* summary) {
  constexpr size_t kEventsPerRead = 1024;
  ExportWriter writer;
  std::string buf;
  writer.header(account, ledger, exported_at, buf);
  uint64_t from = 0;
  bool more = true;
  while (more) {
    auto events = log.read_account(account, from, kEventsPerRead);
    if (!events.ok()) return events.error();
    more = events->size() == kEventsPerRead;
    for (const auto& e : *events) {
      if (e.seq > ledger.seq) {  // after the digest: not part of this export
        more = false;
        break;
      }
      auto envelope = log.read_envelope(e.seq);
      Status s = envelope.ok() ? writer.event(*envelope, buf) : envelope.error();
      if (!s.ok()) return Status(s.code(), "event " + std::to_string(e.seq) + ": " + s.message());
      if (summary->first_seq == 0) summary->first_seq = e.seq;
      summary->last_seq = e.seq;
      from = e.seq + 1;
    }
    if (Status s = sink(buf); !s.ok()) return s;
    buf.clear();
  }
  writer.trailer(buf);
  summary->events = writer.events();
  return sink(buf);
}

}  // namespace mledger
