#include "adapters/audit/export_checker.h"

#include <algorithm>
#include <initializer_list>
#include <set>

#include <nlohmann/json.hpp>

#include "adapters/audit/account_export.h"
#include "adapters/audit/base64.h"
#include "adapters/capnp/event_codec.h"
#include "adapters/json/command_json.h"
#include "adapters/json/json_access.h"
#include "adapters/merkle/merkle.h"
#include "domain/core/streams.h"

namespace mledger {

namespace {

using Json = nlohmann::json;
using json::field;
using json::get_hash;
using json::get_string;
using json::get_uint;

// The object's keys are exactly `keys`; names the first stray or missing one.
std::optional<std::string> wrong_keys(const Json& j, std::initializer_list<const char*> keys) {
  const std::set<std::string> wanted(keys.begin(), keys.end());
  for (const auto& [k, v] : j.items()) {
    if (!wanted.contains(k)) return "unexpected field '" + k + "'";
  }
  for (const auto& k : wanted) {
    if (!j.contains(k)) return "field '" + k + "' is missing";
  }
  return std::nullopt;
}

// Parses a line that must be a JSON object of kind `kind`.
std::optional<Json> parse_object(std::string_view line, std::string* problem) {
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *problem = "not a JSON object";
    return std::nullopt;
  }
  return j;
}

// The hashes of j[key] (at most merkle::kPathEntriesMax): false when not so.
bool get_path(const Json& j, const char* key, std::vector<Hash256>* out) {
  const Json* list = field(j, key);
  if (list == nullptr || !list->is_array() || list->size() > merkle::kPathEntriesMax) return false;
  for (const auto& item : *list) {
    Hash256 h{};
    if (!item.is_string() || !from_hex(item.get<std::string>(), &h)) return false;
    out->push_back(h);
  }
  return true;
}

// The envelope's framing (docs/event-log.md, "Every byte"): one segment, its
// table first, filling the bytes exactly. Cap'n Proto's reader ignores words
// after the segment; the export's envelope must be the stored bytes alone.
bool one_segment_filling(std::string_view bytes) {
  if (bytes.size() < 16 || bytes.size() % 8 != 0) return false;
  auto le32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + static_cast<size_t>(i)]);
    return v;
  };
  return le32(0) == 0 && le32(4) == bytes.size() / 8 - 1;
}

std::string kind_of(const Json& j) {
  std::string kind;
  return get_string(j, "kind", &kind) ? kind : std::string();
}

}  // namespace

bool ExportChecker::bad(std::string problem, std::optional<uint64_t> seq) {
  if (report_.bad_line == 0) {
    report_.bad_line = line_;
    report_.bad_seq = seq;
    report_.problem = std::move(problem);
  }
  return false;
}

void ExportChecker::unreadable(std::string problem) {
  if (report_.bad_line != 0) return;
  ++line_;
  (void)bad(std::move(problem));  // the report records it; nothing more to read
}

bool ExportChecker::feed(std::string_view line) {
  if (report_.bad_line != 0) return false;
  ++line_;
  if (seen_trailer_) return bad("a line follows the trailer");
  if (!seen_header_) return header(line);
  std::string problem;
  auto j = parse_object(line, &problem);
  if (!j) return bad(problem);
  const std::string kind = kind_of(*j);
  if (kind == "event") {
    if (!event(*j)) return false;
  } else if (kind == "trailer") {
    return trailer(*j);
  } else {
    return bad("expected an event or the trailer, found kind '" + kind + "'");
  }
  hasher_.update(line);
  hasher_.update("\n");
  return true;
}

bool ExportChecker::header(std::string_view line) {
  std::string problem;
  auto j = parse_object(line, &problem);
  if (!j) return bad(problem);
  if (kind_of(*j) != "header") return bad("the first line is not an export header");
  std::string format;
  uint64_t version = 0;
  if (!get_string(*j, "format", &format) || format != kExportFormat) {
    return bad("header: format is not " + std::string(kExportFormat));
  }
  if (!get_uint(*j, "format_version", &version) ||
      (version != kExportFormatVersion1 && version != kExportFormatVersion)) {
    const Json* v = field(*j, "format_version");
    return bad("header: format_version " + (v ? json::dump_text(*v) : std::string("(missing)")) +
               " is not read by this build (it reads 1 and 2)");
  }
  report_.format_version = version;
  const bool v2 = version == kExportFormatVersion;
  auto wrong = v2 ? wrong_keys(*j, {"kind", "format", "format_version", "account", "exported_at", "ledger",
                                    "tree_head"})
                  : wrong_keys(*j, {"kind", "format", "format_version", "account", "exported_at", "ledger"});
  if (wrong) return bad("header: " + *wrong);
  if (!get_string(*j, "account", &report_.account) || report_.account.empty()) {
    return bad("header: account must be a non-empty string");
  }
  if (!get_string(*j, "exported_at", &report_.exported_at) ||
      !parse_rfc3339(report_.exported_at)) {
    return bad("header: exported_at is not an RFC 3339 instant");
  }
  const Json& ledger = *field(*j, "ledger");
  const bool ledger_keys = ledger.is_object() && !(v2 ? wrong_keys(ledger, {"seq", "head", "path"})
                                                      : wrong_keys(ledger, {"seq", "head"}));
  if (!ledger_keys || !get_uint(ledger, "seq", &report_.ledger.seq) ||
      !get_hash(ledger, "head", &report_.ledger.head)) {
    return bad(v2 ? "header: ledger must be {\"seq\": N, \"head\": 64 hex digits, \"path\": [hashes]}"
                  : "header: ledger must be {\"seq\": N, \"head\": 64 hex digits}");
  }
  if (v2 && !header_v2(*j)) return false;
  if (expected_ledger_ && *expected_ledger_ != report_.ledger) {
    return bad("header: the export's ledger digest (seq " + std::to_string(report_.ledger.seq) +
               " head " + to_hex(report_.ledger.head) + ") is not the digest given (seq " +
               std::to_string(expected_ledger_->seq) + " head " + to_hex(expected_ledger_->head) +
               ")");
  }
  seen_header_ = true;
  hasher_.begin();
  hasher_.update(line);
  hasher_.update("\n");
  return true;
}

bool ExportChecker::header_v2(const Json& j) {
  auto head = tree_head_from_json(*field(j, "tree_head"));
  if (!head.ok()) return bad("header: " + head.error().message());
  report_.tree_head = *head;
  if (key_) {
    if (std::string why = check_tree_head(*head, *key_); !why.empty()) return bad("header: " + why);
  }
  if (std::string why = against_trusted(*head, trusted_); !why.empty()) return bad("header: " + why);
  std::vector<Hash256> path;
  if (!get_path(*field(j, "ledger"), "path", &path)) {
    return bad("header: ledger.path must be a list of at most 64 hashes (64 hex digits each)");
  }
  if (report_.ledger.seq != head->tree_size || head->tree_size == 0) {
    return bad("header: the ledger digest's seq " + std::to_string(report_.ledger.seq) +
               " is not the signed head's tree size " + std::to_string(head->tree_size));
  }
  const std::string why = merkle::verify_inclusion(merkle::leaf_hash(report_.ledger.head), head->tree_size - 1,
                                                   head->tree_size, path, head->root_hash);
  if (!why.empty()) return bad("header: the ledger head is not the last event of the signed tree: " + why);
  return true;
}

bool ExportChecker::event(const Json& j) {
  uint64_t seq = 0, version = 0;
  if (!get_uint(j, "seq", &seq)) return bad("event: seq must be a whole number");
  const bool v2 = report_.format_version == kExportFormatVersion;
  auto wrong = v2 ? wrong_keys(j, {"kind", "seq", "stream", "version", "type", "prev_hash", "hash", "envelope",
                                   "event", "path"})
                  : wrong_keys(j, {"kind", "seq", "stream", "version", "type", "prev_hash", "hash", "envelope",
                                   "event"});
  if (wrong) return bad("event: " + *wrong, seq);
  std::string stream, type, envelope_text;
  Hash256 prev_hash{}, hash{};
  if (!get_uint(j, "version", &version) || !get_string(j, "stream", &stream) ||
      !get_string(j, "type", &type) || !get_hash(j, "prev_hash", &prev_hash) ||
      !get_hash(j, "hash", &hash) || !get_string(j, "envelope", &envelope_text) ||
      !field(j, "event")->is_object()) {
    return bad("event: a field has the wrong type", seq);
  }
  auto envelope = base64_decode(envelope_text);
  if (!envelope) return bad("envelope is not base64", seq);
  auto e = codec::open(*envelope);
  if (!e.ok()) return bad("envelope does not open: " + e.error().message(), seq);
  if (!one_segment_filling(*envelope)) {
    return bad("envelope does not open: it is not one segment filling its bytes", seq);
  }
  if (e->seq != seq) return bad("the line says seq " + std::to_string(seq) +
                                " but its envelope holds seq " + std::to_string(e->seq), seq);
  if (e->hash != hash) return bad("hash in the line differs from the envelope's", seq);
  if (e->prev_hash != prev_hash) return bad("prev_hash in the line differs from the envelope's", seq);
  if (e->stream != stream || e->version != version) {
    return bad("stream@version in the line differs from the envelope's", seq);
  }
  if (event_type_name(e->payload) != type) return bad("type in the line differs from the envelope's", seq);
  if (json::dump_text(*field(j, "event")) != json::dump_text(json::event_to_json(*e))) {
    return bad("the event JSON differs from the envelope's decoding", seq);
  }
  if (std::find(e->account_ids.begin(), e->account_ids.end(), report_.account) ==
      e->account_ids.end()) {
    return bad("the event does not concern account " + report_.account, seq);
  }
  if (report_.events > 0 && seq <= report_.last_seq) {
    return bad("seq " + std::to_string(seq) + " does not follow " +
                   std::to_string(report_.last_seq),
               seq);
  }
  if (report_.events > 0 && seq == report_.last_seq + 1) {
    if (e->prev_hash != last_hash_) {
      return bad("prev_hash is not the hash of event " + std::to_string(report_.last_seq), seq);
    }
    ++report_.links_checked;
  }
  if (seq > report_.ledger.seq) {
    return bad("seq lies beyond the ledger digest's seq " + std::to_string(report_.ledger.seq), seq);
  }
  if (seq == report_.ledger.seq && e->hash != report_.ledger.head) {
    return bad("the event is the digest's head but its hash is not the head hash", seq);
  }
  if (v2 && !event_v2(j, seq, stream, version, e->hash)) return false;
  if (report_.events == 0) report_.first_seq = seq;
  report_.last_seq = seq;
  last_hash_ = e->hash;
  ++report_.events;
  return true;
}

bool ExportChecker::event_v2(const Json& j, uint64_t seq, const std::string& stream, uint64_t version,
                             const Hash256& hash) {
  std::vector<Hash256> path;
  if (!get_path(j, "path", &path)) return bad("event: path must be a list of at most 64 hashes", seq);
  const TreeHead& head = *report_.tree_head;
  const std::string why =
      merkle::verify_inclusion(merkle::leaf_hash(hash), seq - 1, head.tree_size, path, head.root_hash);
  if (!why.empty()) return bad("not in the signed tree: " + why, seq);
  ++report_.proofs_checked;
  if (stream == account_stream(report_.account)) {
    if (version != report_.own_stream_events + 1) {
      return bad("version " + std::to_string(version) + " of the account's stream " + stream + " follows version " +
                     std::to_string(report_.own_stream_events) + ": an event of the account is missing",
                 seq);
    }
    ++report_.own_stream_events;
  }
  events_digest_.add(seq, hash);
  return true;
}

bool ExportChecker::trailer(const Json& j) {
  const bool v2 = report_.format_version == kExportFormatVersion;
  auto wrong = v2 ? wrong_keys(j, {"kind", "events", "lines", "sha256", "account_signature"})
                  : wrong_keys(j, {"kind", "events", "lines", "sha256"});
  if (wrong) return bad("trailer: " + *wrong);
  uint64_t events = 0, lines = 0;
  Hash256 sum{};
  if (!get_uint(j, "events", &events) || !get_uint(j, "lines", &lines) ||
      !get_hash(j, "sha256", &sum)) {
    return bad("trailer: a field has the wrong type");
  }
  if (events != report_.events) {
    return bad("trailer: says " + std::to_string(events) + " events, the file holds " +
               std::to_string(report_.events));
  }
  if (lines != line_ - 1) {
    return bad("trailer: says " + std::to_string(lines) + " lines before it, the file holds " +
               std::to_string(line_ - 1));
  }
  if (hasher_.finish() != sum) return bad("trailer: the SHA-256 of the lines before it differs");
  if (v2) {
    std::string text;
    auto signature = get_string(j, "account_signature", &text) ? base64_decode(text) : std::nullopt;
    if (!signature || signature->size() != kEd25519SignatureBytes) {
      return bad("trailer: account_signature must be 64 bytes in base64");
    }
    const std::string statement =
        account_statement_message(*report_.tree_head, report_.account, report_.events, events_digest_.finish());
    if (key_ && !key_->verify(statement, *signature)) {
      return bad("trailer: the account signature does not verify with this public key: the ledger did not "
                 "sign this list of the account's events at this head");
    }
    report_.signatures_checked = key_.has_value();
  }
  seen_trailer_ = true;
  return true;
}

const ExportReport& ExportChecker::finish() {
  if (report_.bad_line != 0) return report_;
  const char* problem = !seen_header_      ? "the file is empty"
                        : !seen_trailer_    ? "the file ends without a trailer (truncated?)"
                        : report_.events == 0 ? "the export holds no events"
                                              : nullptr;
  if (problem) {
    ++line_;  // the problem is where the file ends
    (void)bad(problem);
  } else {
    report_.intact = true;
  }
  return report_;
}

}  // namespace mledger
