// mledger publish: publish the ledger's events to Kafka exactly once
// (adapters/kafka/kafka_publisher.h, docs/kafka.md).

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/http/http_server.h"
#include "adapters/http/metrics_listener.h"
#include "adapters/http/process_metrics.h"
#include "adapters/kafka/head_source.h"
#include "adapters/kafka/kafka_publisher.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"
#include "adapters/rocksdb/head_watermark.h"
#include "adapters/system/file_change_watch.h"
#include "adapters/writer/append_signal.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/publisher_metrics.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger publish --brokers HOST:PORT[,HOST:PORT] [--data DIR] [--follow]
                       [--topic-prefix P] [--partitions N] [--replication-factor N]
                       [--transactional-id ID] [--batch-events N] [--batch-bytes N]
                       [--batch-ms N] [--transaction-timeout-ms N] [--status-interval-ms N]
                       [--poll-interval-ms N] [--json] [--metrics-listen HOST:PORT]

Publishes every event of the ledger to Kafka, exactly once for read_committed
consumers: each Kafka transaction carries a run of events and the publisher's
cursor (on the compacted topic P.publisher-cursors), so a publisher killed at
any point and started again neither loses nor repeats an event. Topics are
P.accounts, P.orders, P.keys, P.benefits, P.merges, P.catalogue (created with
--partitions partitions when missing); the record key is the partner account
id, the value the Cap'n Proto envelope (`mledger schema`), the headers name the
event (docs/kafka.md).

Without --follow: publishes up to the head seen at start and exits 0.
With --follow: runs beside the writer (another process may run `mledger exec`
meanwhile), publishes new events as they are appended, and exits 0 on SIGTERM
or SIGINT after committing or aborting the transaction in flight.
An unreachable broker is retried with backoff, never fatal; status lines (on
stderr, or JSON lines on stdout with --json) show the lag: events appended but
not yet published.

Defaults: --data ./mledger-data --topic-prefix mledger --partitions 6
  --replication-factor -1 (the broker's default) --transactional-id
  mledger-publisher-<prefix>-<ledger id> --batch-events 50000 --batch-bytes 33554432
  --batch-ms 1000, with --follow 200 (a transaction closes at whichever of the
  three comes first; each commit waits for every record of its transaction, so
  a one-shot publish, a bulk copy, commits less often, and a follower keeps
  the events behind a backlog from waiting long)
  --status-interval-ms 1000 --poll-interval-ms 100 (follow: it wakes when the
  writer acknowledges events, by watching DIR/ACKED-HEAD, and looks anyway
  every N ms; where the directory cannot be watched it polls instead, again
  within 1 ms after a new event, doubling the pause while nothing comes).
A broker away for longer than --transaction-timeout-ms (default 60000, also
the records' delivery timeout) is ridden out: the timed-out transaction is told
from a fencing, a new producer resumes from the cursor. SIGTERM while the
broker is away exits 0 within about 5 s.

With --follow, --metrics-listen ADDR also serves GET /metrics, without a
token, on ADDR (prints "metrics on http://HOST:PORT/metrics"): the publish
lag and the broker's state as of the last status (--status-interval-ms), the
transactions and producer restarts of this run, each published event's
append-to-produce and produce-to-commit latencies as histograms, and the
process_* metrics.

Exit codes: 0 done or stopped, 2 bad usage, 3 the ledger or Kafka failed for
good: fenced by another publisher with the same id, an existing topic with
another partition count than --partitions, the topics hold another ledger's
cursor.
)";

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

void print_status(const kafka::PublisherStatus& s, bool json) {
  if (json) {
    std::printf(
        "{\"published_seq\":%llu,\"head_seq\":%llu,\"lag\":%llu,\"published_this_run\":%llu,"
        "\"transactions\":%llu,\"retries\":%llu,\"commit_ms\":%llu,\"producer_restarts\":%llu,"
        "\"heads_size\":%llu,\"heads_published_this_run\":%llu,\"broker_ok\":%s,\"last_error\":%s,"
        "\"transactional_id\":%s}\n",
        static_cast<unsigned long long>(s.published_seq), static_cast<unsigned long long>(s.head_seq),
        static_cast<unsigned long long>(s.lag()), static_cast<unsigned long long>(s.published_this_run),
        static_cast<unsigned long long>(s.transactions), static_cast<unsigned long long>(s.retries),
        static_cast<unsigned long long>(s.commit_ms), static_cast<unsigned long long>(s.producer_restarts),
        static_cast<unsigned long long>(s.heads_size), static_cast<unsigned long long>(s.heads_published_this_run),
        s.broker_ok ? "true" : "false", nlohmann::json(s.last_error).dump().c_str(),
        nlohmann::json(s.transactional_id).dump().c_str());
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "mledger publish: published %llu of %llu (lag %llu), %llu this run in %llu transactions%s%s\n",
                 static_cast<unsigned long long>(s.published_seq), static_cast<unsigned long long>(s.head_seq),
                 static_cast<unsigned long long>(s.lag()), static_cast<unsigned long long>(s.published_this_run),
                 static_cast<unsigned long long>(s.transactions),
                 s.broker_ok ? "" : "; Kafka unavailable, retrying: ",
                 s.broker_ok ? "" : s.last_error.c_str());
  }
}

// Secondary instances of crashed publishers leave their directories behind.
void remove_stale_secondaries(const std::filesystem::path& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kPrefix = "mledger-publisher-secondary-";
    if (!name.starts_with(kPrefix)) continue;
    const std::string pid = name.substr(kPrefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno == EPERM) continue;
    std::filesystem::remove_all(entry.path(), ec);
  }
}

// What the command line asks for; nullopt after a usage error was printed.
struct PublishConfig {
  kafka::PublisherOptions options;
  bool json = false;
  std::string dir;
  std::string metrics_listen;  // empty: no metrics listener
};

// The numeric options, checked against their ranges; false after printing why.
bool parse_numbers(Args& args, kafka::PublisherOptions& o) {
  uint64_t partitions = 0, batch_events = 0, batch_bytes = 0, batch_ms = 0, interval = 0, poll = 0,
           txn_timeout = 0;
  if (!args.number("partitions", 6, &partitions) || !args.number("batch-events", 50000, &batch_events) ||
      !args.number("batch-ms", args.flag("follow") ? 200 : 1000, &batch_ms) ||
      !args.number("transaction-timeout-ms", 60000, &txn_timeout) ||
      !args.number("batch-bytes", 32u << 20, &batch_bytes) ||
      !args.number("status-interval-ms", 1000, &interval) ||
      !args.number("poll-interval-ms", 100, &poll)) {
    std::fprintf(stderr, "mledger publish: %s\n", args.error().c_str());
    return false;
  }
  if (partitions < 1 || partitions > 10000 || batch_events < 1 || batch_events > 100000 ||
      batch_bytes < 1024 || batch_bytes > (256u << 20) || batch_ms < 1 || batch_ms > 60000 ||
      interval > 3600000 || poll < 1 ||
      poll > 60000 || txn_timeout < 1000 || txn_timeout > 900000) {
    std::fprintf(stderr,
                 "mledger publish: out of range: --partitions 1..10000, --batch-events 1..100000, "
                 "--batch-bytes 1024..268435456, --batch-ms 1..60000, --status-interval-ms 0..3600000, "
                 "--poll-interval-ms 1..60000, --transaction-timeout-ms 1000..900000\n");
    return false;
  }
  o.partitions = static_cast<int32_t>(partitions);
  o.batch_events_max = batch_events;
  o.batch_bytes_max = batch_bytes;
  o.batch_time_max_ms = static_cast<int>(batch_ms);
  o.status_interval_ms = static_cast<int>(interval);
  o.poll_interval_ms = static_cast<int>(poll);
  o.transaction_timeout_ms = static_cast<int>(txn_timeout);
  return true;
}

// The options naming where to publish; false after printing why.
bool parse_destination(Args& args, kafka::PublisherOptions& o) {
  o.brokers = args.value_or("brokers", "");
  if (o.brokers.empty()) {
    std::fprintf(stderr, "mledger publish: --brokers HOST:PORT is required\n");
    return false;
  }
  if (Status s = kafka::check_brokers(o.brokers); !s.ok()) {
    std::fprintf(stderr, "mledger publish: %s\n", s.message().c_str());
    return false;
  }
  o.topic_prefix = args.value_or("topic-prefix", "mledger");
  if (!kafka::valid_topic_prefix(o.topic_prefix)) {
    std::fprintf(stderr, "mledger publish: bad --topic-prefix '%s' (1..100 of A-Z a-z 0-9 . _ -)\n",
                 o.topic_prefix.c_str());
    return false;
  }
  const std::string rf = args.value_or("replication-factor", "-1");
  if (rf != "-1" && (rf.empty() || rf.size() > 4 || rf.find_first_not_of("0123456789") != std::string::npos ||
                     std::stoi(rf) < 1 || std::stoi(rf) > 1000)) {
    std::fprintf(stderr, "mledger publish: --replication-factor needs -1 or 1..1000, got '%s'\n", rf.c_str());
    return false;
  }
  o.replication_factor = static_cast<int16_t>(std::stoi(rf));
  o.transactional_id = args.value_or("transactional-id", "");
  if (args.value("transactional-id") && (o.transactional_id.empty() || o.transactional_id.size() > 200 ||
                                         o.transactional_id.find_first_of(" \t\r\n\"\\") != std::string::npos)) {
    std::fprintf(stderr, "mledger publish: bad --transactional-id (1..200 characters, no spaces or quotes)\n");
    return false;
  }
  return true;
}

std::optional<PublishConfig> parse_config(Args& args) {
  PublishConfig c;
  if (!parse_destination(args, c.options) || !parse_numbers(args, c.options)) return std::nullopt;
  c.options.follow = args.flag("follow");
  c.json = args.flag("json");
  c.dir = args.value_or("data", "./mledger-data");
  c.metrics_listen = args.value_or("metrics-listen", "");
  if (args.value("metrics-listen") && !c.options.follow) {
    std::fprintf(stderr, "mledger publish: --metrics-listen needs --follow (a one-shot publish exits when done)\n");
    return std::nullopt;
  }
  if (args.value("metrics-listen") && c.metrics_listen.rfind(':') == std::string::npos) {
    std::fprintf(stderr, "mledger publish: --metrics-listen needs HOST:PORT, got '%s'\n", c.metrics_listen.c_str());
    return std::nullopt;
  }
  return c;
}

// The ledger to publish: a secondary instance of the writer's with --follow
// (its directory removed by the caller), else a read-only open.
StatusOr<std::unique_ptr<RocksDbEventLog>> open_ledger(const PublishConfig& c, std::filesystem::path& secondary) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(c.dir) / "CURRENT", ec)) {
    return fail(StatusCode::not_found, "no ledger at " + c.dir + " (run `mledger exec` first)");
  }
  if (!c.options.follow) return open_log_read_only(c.dir);
  const auto parent = std::filesystem::temp_directory_path(ec);
  remove_stale_secondaries(parent);
  secondary = parent / ("mledger-publisher-secondary-" + std::to_string(::getpid()));
  std::filesystem::create_directories(secondary, ec);
  RocksDbOptions ro;
  ro.path = c.dir;
  ro.create_if_missing = false;
  ro.secondary_path = secondary.string();
  return RocksDbEventLog::open(ro);
}

// Wakes a follower when the writer advances the ledger's head watermark
// (after each durable write), so that it need not poll; without a watch it
// polls (a warning says why).
std::unique_ptr<FileChangeWatch> watch_head(const std::string& dir, AppendSignal& appended,
                                            kafka::PublisherOptions& o) {
  auto watch = FileChangeWatch::start(dir, HeadWatermark::kFileName, [&appended] { appended.notify(); });
  if (!watch.ok()) {
    std::fprintf(stderr, "mledger publish: polling for new events: %s\n", watch.error().message().c_str());
    return nullptr;
  }
  o.appended = &appended;
  return std::move(watch.value());
}

// Publishes until done or a stop signal (handled here).
Status publish(RocksDbEventLog& log, const PublishConfig& c) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  (void)sigaction(SIGTERM, &sa, nullptr);
  (void)sigaction(SIGINT, &sa, nullptr);
  kafka::KafkaPublisher publisher(log, c.options, [&](const kafka::PublisherStatus& s) { print_status(s, c.json); });
  return publisher.run(g_stop);
}

// The publisher's state as of its last status, for the gauges.
struct LastStatus {
  std::mutex mu;
  kafka::PublisherStatus status;
  double read(uint64_t kafka::PublisherStatus::*field) {
    std::lock_guard lock(mu);
    return static_cast<double>(status.*field);
  }
};

void register_publisher_metrics(http::Metrics& metrics, LastStatus& last) {
  metrics.gauge("mledger_publish_lag_events", "Events appended but not yet committed to Kafka, at the last status",
                [&last] {
                  std::lock_guard lock(last.mu);
                  return static_cast<double>(last.status.lag());
                });
  metrics.gauge("mledger_publish_broker_up", "1 when the publisher's last Kafka operation succeeded", [&last] {
    std::lock_guard lock(last.mu);
    return last.status.broker_ok ? 1.0 : 0.0;
  });
  metrics.gauge("mledger_published_seq", "The publisher's cursor: every event up to it is committed on Kafka",
                [&last] { return last.read(&kafka::PublisherStatus::published_seq); });
  metrics.counter_reader("mledger_publish_transactions_total", "Kafka transactions committed by this process",
                         [&last] { return last.read(&kafka::PublisherStatus::transactions); });
  metrics.counter_reader("mledger_publish_producer_restarts_total",
                         "New producers after a transaction timed out in an outage",
                         [&last] { return last.read(&kafka::PublisherStatus::producer_restarts); });
  http::register_process_metrics(metrics);
}

// Publishes (following) on a thread while GET /metrics is served on
// c.metrics_listen, until a stop signal; a publisher that ends by itself
// (a fatal error) stops the listener.
// Stop signals must have been captured before any thread started.
Status publish_serving_metrics(RocksDbEventLog& log, const PublishConfig& c) {
  http::Metrics metrics;
  LastStatus last;
  register_publisher_metrics(metrics, last);
  const kafka::PublisherOptions options = with_latency_metrics(c.options, metrics);
  http::ServerCounters counters;
  http::MetricsListener handler(metrics);
  http::HttpServer server(handler, metrics, counters, http::HttpLimits{});
  Status result;
  std::thread publishing([&] {
    kafka::KafkaPublisher publisher(log, options, [&](const kafka::PublisherStatus& s) {
      print_status(s, c.json);
      std::lock_guard lock(last.mu);
      last.status = s;
    });
    result = publisher.run(g_stop);
    if (!g_stop.load()) ::kill(::getpid(), SIGTERM);  // ended by itself: stop the listener too
  });
  const Status served = server.run(c.metrics_listen, [&](uint16_t port) {
    const std::string host = c.metrics_listen.substr(0, c.metrics_listen.rfind(':'));
    std::printf("metrics on http://%s:%u/metrics\n", host.c_str(), static_cast<unsigned>(port));
    std::fflush(stdout);
  });
  g_stop.store(true);
  publishing.join();
  return result.ok() ? served : result;
}

}  // namespace

int run_publish(const Argv& argv) {
  Args args;
  if (!args.parse(argv,
                  {"data", "brokers", "topic-prefix", "partitions", "replication-factor",
                   "transactional-id", "batch-events", "batch-bytes", "batch-ms", "status-interval-ms",
                   "poll-interval-ms", "transaction-timeout-ms", "metrics-listen"},
                  {"follow", "json", "help"}) ||
      !args.positionals().empty()) {
    std::fprintf(stderr, "mledger publish: %s\n\n%s",
                 args.error().empty() ? "unexpected argument" : args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  std::optional<PublishConfig> config = parse_config(args);
  if (!config) return kExitUsage;
  // Before the ledger's threads start: every thread leaves them to the listener.
  if (!config->metrics_listen.empty()) http::capture_stop_signals();
  std::filesystem::path secondary;
  std::error_code ec;
  auto opened = open_ledger(*config, secondary);
  if (!opened.ok()) {
    if (!secondary.empty()) std::filesystem::remove_all(secondary, ec);
    std::fprintf(stderr, "mledger publish: %s\n", opened.error().to_string().c_str());
    return kExitFailure;
  }
  std::unique_ptr<RocksDbEventLog> log = std::move(opened.value());
  config->options.heads = kafka::stored_tree_heads(*log);
  AppendSignal appended;
  std::unique_ptr<FileChangeWatch> watch;
  if (config->options.follow) watch = watch_head(config->dir, appended, config->options);
  const Status result =
      config->metrics_listen.empty() ? publish(*log, *config) : publish_serving_metrics(*log, *config);
  watch.reset();
  log.reset();
  if (!secondary.empty()) std::filesystem::remove_all(secondary, ec);
  if (!result.ok()) {
    std::fprintf(stderr, "mledger publish: %s\n", result.to_string().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace mledger::cli
