#include "adapters/audit/account_export.h"

#include <cassert>

#include "adapters/audit/base64.h"
#include "adapters/audit/proofs.h"
#include "adapters/capnp/event_codec.h"
#include "adapters/json/command_json.h"

namespace mledger {

namespace {

nlohmann::json hex_list(const std::vector<Hash256>& hashes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hashes) out.push_back(to_hex(h));
  return out;
}

}  // namespace

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

void ExportWriter::header(const Hash256& head_hash, const std::vector<Hash256>& head_path, Instant exported_at,
                          std::string& out) {
  assert(lines_ == 0);
  nlohmann::json j = {
      {"kind", "header"},
      {"format", kExportFormat},
      {"format_version", kExportFormatVersion},
      {"account", account_},
      {"exported_at", format_rfc3339(exported_at)},
      {"ledger", {{"seq", head_.tree_size}, {"head", to_hex(head_hash)}, {"path", hex_list(head_path)}}},
      {"tree_head", tree_head_to_json(head_)}};
  line(j, true, out);
}

Status ExportWriter::event(std::string_view envelope, const std::vector<Hash256>& path, std::string& out) {
  assert(lines_ >= 1);
  auto e = codec::open(envelope);
  if (!e.ok()) return e.error();
  if (e->seq > head_.tree_size) {
    return Status(StatusCode::invalid_argument, "event " + std::to_string(e->seq) +
                                                    " is beyond the signed head (tree size " +
                                                    std::to_string(head_.tree_size) + ")");
  }
  nlohmann::json j = {{"kind", "event"},
                      {"seq", e->seq},
                      {"stream", e->stream},
                      {"version", e->version},
                      {"type", std::string(event_type_name(e->payload))},
                      {"prev_hash", to_hex(e->prev_hash)},
                      {"hash", to_hex(e->hash)},
                      {"envelope", base64_encode(envelope)},
                      {"event", json::event_to_json(*e)},
                      {"path", hex_list(path)}};
  line(j, true, out);
  events_digest_.add(e->seq, e->hash);
  ++events_;
  return Status::Ok();
}

void ExportWriter::trailer(const Ed25519PrivateKey& key, std::string& out) {
  assert(lines_ >= 1);
  const uint64_t lines_before = lines_;
  const Hash256 sum = hasher_.finish();
  const std::string statement = account_statement_message(head_, account_, events_, events_digest_.finish());
  nlohmann::json j = {{"kind", "trailer"},
                      {"events", events_},
                      {"lines", lines_before},
                      {"sha256", to_hex(sum)},
                      {"account_signature", base64_encode(key.sign(statement))}};
  line(j, false, out);
}

namespace {

// Event `seq`'s envelope and its path in the head's tree, as an export line.
Status export_event(RocksDbEventLog& log, uint64_t seq, uint64_t size, ExportWriter& writer, std::string& buf) {
  auto envelope = log.read_envelope(seq);
  if (!envelope.ok()) return envelope.error();
  auto path = inclusion_path(log, seq, size);
  if (!path.ok()) return path.error();
  return writer.event(*envelope, *path, buf);
}

}  // namespace

Status export_account(RocksDbEventLog& log, const std::string& account, const TreeHead& head,
                      const Ed25519PrivateKey& key, Instant exported_at,
                      const std::function<Status(std::string_view)>& sink, ExportSummary* summary) {
  constexpr size_t kEventsPerRead = 1024;
  constexpr uint64_t kLaterEventsCounted = 1000;
  const uint64_t size = head.tree_size;
  auto last = log.read_global(size, 1);
  if (!last.ok()) return last.error();
  if (last->empty() || last->front().seq != size) {
    return Status(StatusCode::corruption, "event " + std::to_string(size) + " (the signed head's last) is missing");
  }
  auto head_path = inclusion_path(log, size, size);
  if (!head_path.ok()) return head_path.error();
  ExportWriter writer(account, head);
  std::string buf;
  writer.header(last->front().hash, *head_path, exported_at, buf);
  uint64_t from = 0;
  bool more = true;
  while (more) {
    auto events = log.read_account(account, from, kEventsPerRead);
    if (!events.ok()) return events.error();
    more = events->size() == kEventsPerRead;
    for (const auto& e : *events) {
      from = e.seq + 1;
      if (e.seq > size) {  // after the signed head: not part of this export
        if (++summary->later_events >= kLaterEventsCounted) more = false;
        continue;
      }
      Status s = export_event(log, e.seq, size, writer, buf);
      if (!s.ok()) return Status(s.code(), "event " + std::to_string(e.seq) + ": " + s.message());
      if (summary->first_seq == 0) summary->first_seq = e.seq;
      summary->last_seq = e.seq;
    }
    if (Status s = sink(buf); !s.ok()) return s;
    buf.clear();
  }
  writer.trailer(key, buf);
  summary->events = writer.events();
  return sink(buf);
}

}  // namespace mledger
