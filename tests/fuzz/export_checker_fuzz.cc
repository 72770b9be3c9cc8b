// libFuzzer target: the offline account export checker (adapters/audit/
// export_checker.h), what `mledger audit check` runs on a file it was handed.
// The input is the file's bytes, fed line by line, then finish(). It must
// never crash or throw, and its report must be coherent: intact with no bad
// line and no problem, or not intact with a problem and a bad line.
//
// MLEDGER_FUZZ_WRITE_SEEDS=<dir> writes a valid two-event export (format
// version 1) made with the real encoder into <dir> (how
// tests/fuzz/corpus/fuzz_export_checker/valid was made).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/audit/account_export.h"
#include "adapters/audit/base64.h"
#include "adapters/audit/export_checker.h"
#include "adapters/capnp/event_codec.h"
#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "tests/support/sample_event.h"

namespace {

using namespace mledger;

RecordedEvent sample_event(uint64_t seq, const Hash256& prev) {
  RecordedEvent e = mledger::testing::sample_enrollment_event();
  e.seq = seq;
  e.version = seq;
  e.event_id = "5f0c3b8e-1d2a-4c3b-9e8f-0a1b2c3d4e5" + std::to_string(seq);
  e.metadata.command_id = "cmd-" + std::to_string(seq);
  e.prev_hash = prev;
  return e;
}

std::string valid_export() {
  std::string lines;
  Hash256 prev{};
  std::string events;
  for (uint64_t seq = 1; seq <= 2; ++seq) {
    RecordedEvent e = sample_event(seq, prev);
    const std::string envelope = codec::seal(e).value();
    nlohmann::json j = {{"kind", "event"},          {"seq", e.seq},
                        {"stream", e.stream},       {"version", e.version},
                        {"type", std::string(event_type_name(e.payload))},
                        {"prev_hash", to_hex(e.prev_hash)}, {"hash", to_hex(e.hash)},
                        {"envelope", base64_encode(envelope)}, {"event", json::event_to_json(e)}};
    events += json::dump_text(j) + "\n";
    prev = e.hash;
  }
  nlohmann::json header = {{"kind", "header"},
                           {"format", std::string(kExportFormat)},
                           {"format_version", kExportFormatVersion1},
                           {"account", "contoso"},
                           {"exported_at", "2026-01-05T09:00:00Z"},
                           {"ledger", {{"seq", 2}, {"head", to_hex(prev)}}}};
  lines = json::dump_text(header) + "\n" + events;
  Sha256 h;
  h.begin();
  h.update(lines);
  nlohmann::json trailer = {
      {"kind", "trailer"}, {"events", 2}, {"lines", 3}, {"sha256", to_hex(h.finish())}};
  return lines + json::dump_text(trailer) + "\n";
}

ExportReport check_text(std::string_view in);

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("MLEDGER_FUZZ_WRITE_SEEDS")) {
    const std::string text = valid_export();
    const ExportReport r = check_text(text);
    if (!r.intact) {
      std::fprintf(stderr, "the seed export is not intact: line %llu: %s\n",
                   static_cast<unsigned long long>(r.bad_line), r.problem.c_str());
      std::abort();
    }
    std::ofstream(std::string(dir) + "/valid", std::ios::binary) << text;
  }
  return 0;
}

namespace {

ExportReport check_text(std::string_view in) {
  ExportChecker checker;
  while (!in.empty()) {
    const size_t nl = in.find('\n');
    if (nl == std::string_view::npos) {
      checker.feed(in);  // a last line without '\n'
      break;
    }
    checker.feed(in.substr(0, nl));
    in.remove_prefix(nl + 1);
  }
  return checker.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ExportReport r = check_text(std::string_view(reinterpret_cast<const char*>(data), size));
  if (r.intact != (r.bad_line == 0) || r.intact != r.problem.empty()) std::abort();
  return 0;
}
