// mledger tail: read the published topics (read_committed) and print each
// event as one JSON line, decoded from its Cap'n Proto envelope.

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/capnp/event_codec.h"
#include "adapters/json/command_json.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger tail --brokers HOST:PORT[,HOST:PORT] [--topic T[,T...]]
                    [--topic-prefix P] [--from-beginning] [--count N]
                    [--idle-exit-ms N]

Reads the ledger's topics with isolation.level=read_committed (only events of
committed transactions) and prints each event as one JSON line:
  {"topic":..,"partition":..,"offset":..,"key":..,"headers":{..},"event":{..}}
where "event" is the decoded envelope in the form of `mledger history --json`
(its hash checked). Without --topic: every event topic of prefix P (default
"mledger": P.accounts, P.orders, P.keys, P.benefits, P.merges, P.catalogue).
Without --from-beginning: only events published after it starts.
Events arrive in order per partition (so per account within a topic); the
"seq" of each event orders them globally.

Stops after --count events, after --idle-exit-ms without a new event, or on
SIGINT/SIGTERM. Exit codes: 0 done, 1 a record did not decode (reported on
stderr, the others are still printed), 2 bad usage, 3 Kafka failed.
)";

std::atomic<bool> g_stop{false};
extern "C" void on_tail_signal(int) { g_stop.store(true); }

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

int run_tail(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"brokers", "topic", "topic-prefix", "count", "idle-exit-ms"},
                  {"from-beginning", "json", "help"}) ||
      !args.positionals().empty()) {
    std::fprintf(stderr, "mledger tail: %s\n\n%s",
                 args.error().empty() ? "unexpected argument" : args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  kafka::KafkaReaderOptions o;
  o.brokers = args.value_or("brokers", "");
  if (o.brokers.empty()) {
    std::fprintf(stderr, "mledger tail: --brokers HOST:PORT is required\n");
    return kExitUsage;
  }
  if (Status s = kafka::check_brokers(o.brokers); !s.ok()) {
    std::fprintf(stderr, "mledger tail: %s\n", s.message().c_str());
    return kExitUsage;
  }
  const std::string prefix = args.value_or("topic-prefix", "mledger");
  if (!kafka::valid_topic_prefix(prefix)) {
    std::fprintf(stderr, "mledger tail: bad --topic-prefix '%s'\n", prefix.c_str());
    return kExitUsage;
  }
  if (auto t = args.value("topic")) {
    for (const auto& name : split(*t)) {
      if (!kafka::valid_topic_prefix(name)) {
        std::fprintf(stderr, "mledger tail: bad --topic '%s'\n", name.c_str());
        return kExitUsage;
      }
      o.topics.push_back(name);
    }
  } else {
    o.topics = kafka::event_topics(prefix);
  }
  uint64_t count = 0, idle_ms = 0;
  if (!args.number("count", 0, &count) || !args.number("idle-exit-ms", 0, &idle_ms)) {
    std::fprintf(stderr, "mledger tail: %s\n", args.error().c_str());
    return kExitUsage;
  }
  o.from_beginning = args.flag("from-beginning");

  auto reader = kafka::KafkaReader::open(o);
  if (!reader.ok()) {
    std::fprintf(stderr, "mledger tail: %s\n", reader.error().message().c_str());
    return reader.error().code() == StatusCode::not_found ? kExitUsage : kExitFailure;
  }
  struct sigaction sa {};
  sa.sa_handler = on_tail_signal;
  sigemptyset(&sa.sa_mask);
  (void)sigaction(SIGTERM, &sa, nullptr);
  (void)sigaction(SIGINT, &sa, nullptr);

  uint64_t printed = 0, bad = 0;
  auto last = std::chrono::steady_clock::now();
  while (!g_stop.load() && (count == 0 || printed < count)) {
    auto r = (*reader)->next(100);
    if (!r.ok()) {
      std::fprintf(stderr, "mledger tail: %s\n", r.error().message().c_str());
      return kExitFailure;
    }
    if (!r->has_value()) {
      if (idle_ms > 0 && std::chrono::steady_clock::now() - last > std::chrono::milliseconds(idle_ms)) break;
      continue;
    }
    last = std::chrono::steady_clock::now();
    const kafka::KafkaRecord& rec = **r;
    auto event = codec::open(rec.value);
    if (!event.ok()) {
      ++bad;
      std::fprintf(stderr, "mledger tail: %s[%d]@%lld does not decode: %s\n", rec.topic.c_str(),
                   rec.partition, static_cast<long long>(rec.offset), event.error().message().c_str());
      continue;
    }
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : rec.headers) headers[k] = v;
    nlohmann::json line = {{"topic", rec.topic},     {"partition", rec.partition},
                           {"offset", rec.offset},   {"key", rec.key},
                           {"headers", headers},     {"event", json::event_to_json(*event)}};
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    ++printed;
  }
  if (std::fflush(stdout) != 0) return kExitFailure;
  return bad > 0 ? kExitRejected : kExitOk;
}

}  // namespace mledger::cli
