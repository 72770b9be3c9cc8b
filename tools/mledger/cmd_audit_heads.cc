// mledger audit check-heads: fork evidence from signed tree heads
// (adapters/audit/head_check.h; docs/audit.md, docs/kafka.md).

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "adapters/audit/head_check.h"
#include "adapters/json/command_json.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"
#include "adapters/merkle/merkle.h"
#include "adapters/system/secret_file.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/line_reader.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr size_t kHeadLineBytesMax = 4096;  // a head's JSON is about 250 bytes
constexpr size_t kPublicKeyBytesMax = 4096;
constexpr int kTopicReadTimeoutMs = 60000;

constexpr const char* kCheckHeadsHelp = R"(usage: mledger audit check-heads FILE --public-key KEY [--data DIR] [--json]
       mledger audit check-heads --brokers HOST:PORT [--topic-prefix P] --public-key KEY
                                 [--data DIR] [--json]

Checks signed tree heads an auditor collected for evidence of a fork: FILE
holds one head per line as `audit tree-head --json` prints it ("-": standard
input); --brokers reads the topic <prefix>.tree-heads (default prefix
mledger) from its start to its end, committed records only. Every head must
be well-formed, signed by KEY (the ledger's public key, `audit public-key`)
and of one ledger; two such heads of one tree size with different root
hashes are named as proof of a fork (the ledger showed two histories).
--data: also checks each pair of consecutive sizes with a consistency proof
from that ledger (opened read-only).
Exit codes: 0 every head checks and no fork; 1 a fork, a head refused, a
pair the ledger's proof does not join (each named), or no head at all; 2 bad usage or an
unreadable key or file; 3 the ledger or Kafka failed.
)";

// Reads FILE's lines into `checker`; false after reporting why it could not.
bool read_file(const char* name, const std::string& path, HeadChecker* checker) {
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "mledger %s: cannot open %s\n", name, path.c_str());
    return false;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(in == stdin ? nullptr : in, &std::fclose);
  LineReader lines(in, kHeadLineBytesMax);
  std::string line;
  for (size_t number = 1;; ++number) {
    const LineReader::Result r = lines.next(&line);
    if (r == LineReader::Result::end) return true;
    if (r == LineReader::Result::error) {
      std::fprintf(stderr, "mledger %s: reading %s failed at line %zu\n", name, path.c_str(), number);
      return false;
    }
    const std::string where = "line " + std::to_string(number);
    if (r == LineReader::Result::too_long) {
      checker->add(where, "");  // refused: not JSON
    } else if (!line.empty()) {
      checker->add(where, line);
    }
  }
}

// Reads the heads topic to its end into `checker`.
Status read_topic(const std::string& brokers, const std::string& prefix, HeadChecker* checker) {
  kafka::KafkaReaderOptions o;
  o.brokers = brokers;
  o.topics = {kafka::tree_heads_topic(prefix)};
  o.read_committed = true;
  auto reader = kafka::KafkaReader::open(o);
  if (!reader.ok()) return reader.error();
  return (*reader)->read_to_end(kTopicReadTimeoutMs, [&](kafka::KafkaRecord&& r) {
    checker->add(r.topic + " offset " + std::to_string(r.offset), r.value);
  });
}

void print_report(const HeadCheckReport& r, bool as_json) {
  if (as_json) {
    nlohmann::json j = {{"holds", r.holds()},           {"heads_checked", r.heads_checked},
                        {"sizes", r.sizes},             {"smallest_size", r.smallest_size},
                        {"largest_size", r.largest_size}, {"ledger_id", r.ledger_id},
                        {"forks", r.forks},             {"inconsistent", r.inconsistent},
                        {"refused", r.refused},         {"findings_left_out", r.findings_left_out}};
    std::printf("%s\n", json::dump_text(j).c_str());
    return;
  }
  for (const auto& f : r.forks) std::printf("%s\n", f.c_str());
  for (const auto& f : r.inconsistent) std::printf("inconsistent: %s\n", f.c_str());
  for (const auto& f : r.refused) std::printf("refused: %s\n", f.c_str());
  if (r.findings_left_out > 0) std::printf("... and %llu more findings\n", static_cast<unsigned long long>(r.findings_left_out));
  std::printf("%s: %llu signed heads of ledger %s, %llu tree sizes from %llu to %llu%s\n",
              r.holds() ? "heads hold" : "heads refused", static_cast<unsigned long long>(r.heads_checked),
              r.ledger_id.empty() ? "(none)" : r.ledger_id.c_str(), static_cast<unsigned long long>(r.sizes),
              static_cast<unsigned long long>(r.smallest_size), static_cast<unsigned long long>(r.largest_size),
              r.forks.empty() ? ", no two of one size that differ" : "");
}

}  // namespace

int check_heads(const Argv& argv) {
  const char* name = "audit check-heads";
  const bool from_topic = std::find(argv.begin(), argv.end(), "--brokers") != argv.end();
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kCheckHeadsHelp, argv, {"public-key", "brokers", "topic-prefix"}, {},
                        from_topic ? 0 : 1, &args, &code)) {
    return code;
  }
  auto key_path = args.value("public-key");
  if (!key_path) return usage_error(name, "--public-key is required", kCheckHeadsHelp);
  auto pem = read_small_file("public key file", *key_path, kPublicKeyBytesMax);
  if (!pem.ok()) return usage_error(name, pem.error().message(), kCheckHeadsHelp);
  auto key = Ed25519PublicKey::from_pem(*pem);
  if (!key.ok()) return usage_error(name, *key_path + ": " + key.error().message(), kCheckHeadsHelp);
  const std::string prefix = args.value_or("topic-prefix", "mledger");
  if (from_topic && !kafka::valid_topic_prefix(prefix)) {
    return usage_error(name, "bad --topic-prefix '" + prefix + "'", kCheckHeadsHelp);
  }
  if (from_topic) {
    if (Status s = kafka::check_brokers(args.value_or("brokers", "")); !s.ok()) {
      return usage_error(name, s.message(), kCheckHeadsHelp);
    }
  }
  std::unique_ptr<RocksDbEventLog> log;
  if (args.value("data")) {
    log = open_read_only_for(name, args);
    if (!log) return kExitFailure;
  }
  HeadChecker checker(std::move(key.value()));
  if (from_topic) {
    if (Status s = read_topic(args.value_or("brokers", ""), prefix, &checker); !s.ok()) {
      return report_failure(name, s, kExitFailure);
    }
  } else if (!read_file(name, args.positionals()[0], &checker)) {
    return kExitUsage;
  }
  std::optional<ConsistencySource> ledger;
  if (log) {
    auto size = log->tree_size();
    if (!size.ok()) return report_failure(name, size.error(), kExitFailure);
    RocksDbEventLog* l = log.get();
    ledger = ConsistencySource{*size, [l](uint64_t from, uint64_t to) {
                                 return merkle::consistency_proof(
                                     [l](unsigned level, uint64_t index) { return l->tree_node(level, index); },
                                     from, to);
                               }};
  }
  const HeadCheckReport report = checker.finish(ledger);
  print_report(report, args.flag("json"));
  if (report.heads_checked == 0 && report.refused.empty()) {
    std::fprintf(stderr, "mledger %s: no signed tree heads to check in %s\n", name,
                 from_topic ? kafka::tree_heads_topic(prefix).c_str() : args.positionals()[0].c_str());
    return kExitRejected;
  }
  return report.holds() ? kExitOk : kExitRejected;
}

}  // namespace mledger::cli
