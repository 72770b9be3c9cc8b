// mledger serve: the ledger as an HTTP/JSON server (docs/api.md).
//
// Wires the RocksDB ledger (single group-commit writer), the projections and
// their projector, the signing key, the metrics, the API, an optional Kafka
// publisher, and the HTTP server; runs until SIGTERM or SIGINT, then drains
// and closes in order: requests, publisher, projections, writer, log.

#include <atomic>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/auth/bearer_token.h"
#include "adapters/auth/revocation_watcher.h"
#include "adapters/http/api.h"
#include "adapters/http/http_server.h"
#include "adapters/http/metrics_listener.h"
#include "adapters/http/process_metrics.h"
#include "adapters/kafka/head_source.h"
#include "adapters/kafka/kafka_publisher.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"
#include "adapters/system/system_clock.h"
#include "adapters/writer/append_signal.h"
#include "domain/core/time.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/logging.h"
#include "tools/mledger/publisher_metrics.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger serve --key-file FILE [--listen HOST:PORT] [--data DIR] [--init]
                     [--revoked-tokens FILE] [--brokers HOST:PORT [--topic-prefix P]]
                     [--access-log] [--log-level L] [--log-format json|text]
                     [--metrics-listen HOST:PORT] [limits...]

Serves the ledger in DIR over HTTP/1.1 (with --init, creating DIR and an
empty ledger there if there is none; without it, a missing ledger is exit 3): commands, read
models, the auditors' endpoints, operations, /metrics, /healthz and /readyz
(docs/api.md). Every endpoint but health needs a bearer token signed with the
key in FILE (`mledger token keygen`, `mledger token issue`). Prints
"listening on http://HOST:PORT" once it accepts connections.

With --revoked-tokens, refuses the tokens that FILE lists (401
token_revoked; `mledger token revoke` adds them). FILE must exist (it may be
empty); a malformed FILE stops the start. FILE is checked about once a second
and read again when it changed; a version that does not load is reported on
standard error and the list in force stays.
With --metrics-listen ADDR, also serves GET /metrics alone, without a token,
on ADDR (for a Prometheus server's scrape; prints "metrics on
http://HOST:PORT/metrics"); on the main listener /metrics keeps needing an
operator's token. /metrics includes the process_* metrics and
mledger_build_info{version}.
With --brokers, publishes every event to Kafka from inside the server
(exactly once, as `mledger publish --follow`; docs/kafka.md).
Logs go to standard error, one line each with its UTC time, level and logger
("mledger": start-up with the version, settings and data directory, warnings,
failures; "access": answers), as JSON objects (--log-format json, the default)
or text (--log-format text); --log-level (trace, debug, info (default), warn,
error, critical, off) drops what is below it. Logging never blocks a request
(an asynchronous queue of 8192 lines; when it is full the oldest is dropped).
With --access-log, one "access" line per answer: method, route (the pattern,
not the path), status, ms, bytes, principal, request_id (the request's
X-Request-Id if it sent a valid one, else one made up; echoed in the
answer's X-Request-Id header), peer (address:port) and, for a refusal, its
error code; level info (2xx, 3xx), warn (4xx) or error (5xx). Never a token
or a body.

Limits (each has a safe default; over one: a 4xx and nothing written):
  --body-bytes-max N       request body (default 4194304)
  --header-bytes-max N     request line and headers (default 16384)
  --batch-commands-max N   commands in one request (default 1000)
  --connections-max N      open connections (default 1024)
  --queue-max N            requests waiting for a worker (default 4096)
  --workers N              threads running requests (default 64); a single
                           command holds one while it is decided, not while
                           its write becomes durable
  --header-timeout-ms N    headers must arrive within (default 10000)
  --body-timeout-ms N      the body must arrive within (default 30000)
  --idle-timeout-ms N      a kept-alive connection may idle (default 30000)
  --drain-timeout-ms N     on SIGTERM, wait for requests in flight (default 30000)
  --read-wait-ms N         a read with ?min_seq= waits for the projections at
                           most this long, then 503 (default 2000)
  --aggregate-cache-streams N  folded aggregate states kept in memory between
                           commands, least recently used evicted (default
                           20000; 0: every command folds its streams from a
                           snapshot or the start)
  --snapshot-every N       snapshot an account's decision state once its stream
                           is N events past its last snapshot (default 1000)
  --projector-cache-mib M  read-model documents the live projector keeps decoded
                           between catch-ups, per projection, least recently
                           folded forgotten first (default 32; 0: none)

SIGTERM or SIGINT: stop accepting, answer every request in flight (its
commands durable), stop publishing, bring the projections up to date, close.
Exit: 0 after a clean shutdown; 2 bad usage, key file or revocation list; 3 storage or
listening failure.
)";

struct Limit {
  const char* flag;
  uint64_t fallback, min, max;
};

const Limit kLimits[] = {
    {"body-bytes-max", 4 << 20, 1024, 1ull << 30},  {"header-bytes-max", 16 << 10, 1024, 64 << 10},
    {"batch-commands-max", 1000, 1, 10000},          {"connections-max", 1024, 1, 100000},
    {"queue-max", 4096, 1, 1 << 20},                 {"workers", 64, 1, 1024},
    {"header-timeout-ms", 10000, 10, 3600000},       {"body-timeout-ms", 30000, 10, 3600000},
    {"idle-timeout-ms", 30000, 10, 3600000},         {"drain-timeout-ms", 30000, 10, 3600000},
    {"read-wait-ms", 2000, 0, 600000},
    {"aggregate-cache-streams", LedgerOptions{}.aggregate_cache_streams_max, 0, 10'000'000},
    {"snapshot-every", SnapshotOptions{}.events_between_snapshots, 1, 100'000'000},
    {"projector-cache-mib", ProjectionEngineOptions{}.kept_bytes_max >> 20, 0, 65536},
};

// What the command line asks for, checked.
struct ServeConfig {
  std::map<std::string, uint64_t> limit;
  std::string dir;
  std::string listen;
  std::string metrics_listen;  // empty: /metrics only on the main listener, with a token
  bool init = false;
  bool access_log = false;
  LogSettings logging;
  std::unique_ptr<auth::SigningKey> key;
  std::unique_ptr<auth::RevocationWatcher> revocations;
  kafka::PublisherOptions publisher;  // brokers empty: no publishing
};

int usage(const std::string& problem) {
  std::fprintf(stderr, "mledger serve: %s\n", problem.c_str());
  return kExitUsage;
}

uint64_t now_seconds() { return SystemClock().now().micros_since_epoch / kMicrosPerSecond; }

// The limits, the key and the revocation list; kExitOk when all are good.
int check_limits_and_key(Args& args, ServeConfig& c) {
  for (const Limit& l : kLimits) {
    uint64_t v = 0;
    if (!args.number(l.flag, l.fallback, &v) || v < l.min || v > l.max) {
      return usage("--" + std::string(l.flag) + " must be a number from " + std::to_string(l.min) + " to " +
                   std::to_string(l.max));
    }
    c.limit[l.flag] = v;
  }
  const auto key_file = args.value("key-file");
  if (!key_file) return usage("--key-file is required (create one with mledger token keygen)");
  auto key = auth::SigningKey::load(*key_file);
  if (!key.ok()) return usage(key.error().message());
  c.key = std::make_unique<auth::SigningKey>(std::move(key).value());
  // Loaded now (a bad file stops the start), then checked about once a second.
  if (const auto path = args.value("revoked-tokens")) {
    auto opened = auth::RevocationWatcher::open(*path, now_seconds());
    if (!opened.ok()) return usage("--revoked-tokens: " + opened.error().message());
    c.revocations = std::move(opened).value();
  }
  return kExitOk;
}

// Kafka and logging options; kExitOk when all are good.
int check_publishing_and_logging(const Args& args, ServeConfig& c) {
  const std::string brokers = args.value_or("brokers", "");
  if (!brokers.empty()) {
    if (Status s = kafka::check_brokers(brokers); !s.ok()) return usage(s.message());
    c.publisher.brokers = brokers;
    c.publisher.follow = true;
    c.publisher.topic_prefix = args.value_or("topic-prefix", "mledger");
    if (!kafka::valid_topic_prefix(c.publisher.topic_prefix)) {
      return usage("bad --topic-prefix (1..100 of A-Z a-z 0-9 . _ -)");
    }
  }
  auto logging = parse_log_settings(args.value_or("log-level", "info"), args.value_or("log-format", "json"));
  if (!logging.ok()) return usage(logging.error().message());
  c.logging = *logging;
  return kExitOk;
}

// Parses the command line into `c`; returns -1 to go on, else the exit code.
int parse_serve(const Argv& argv, ServeConfig& c) {
  std::set<std::string> value_options = {"listen", "data", "key-file", "brokers", "topic-prefix",
                                         "revoked-tokens", "log-level", "log-format", "metrics-listen"};
  for (const Limit& l : kLimits) value_options.insert(l.flag);
  Args args;
  if (!args.parse(argv, value_options, {"access-log", "init", "help"}) || !args.positionals().empty()) {
    std::fprintf(stderr, "mledger serve: %s\n\n%s",
                 args.error().empty() ? "unexpected argument" : args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (int code = check_limits_and_key(args, c); code != kExitOk) return code;
  if (int code = check_publishing_and_logging(args, c); code != kExitOk) return code;
  c.dir = args.value_or("data", "mledger-data");
  c.listen = args.value_or("listen", "127.0.0.1:8080");
  c.metrics_listen = args.value_or("metrics-listen", "");
  c.init = args.flag("init");
  c.access_log = args.flag("access-log");
  return -1;
}

// The start-up line: version, data directory, settings.
void log_start(spdlog::logger& log, const ServeConfig& c) {
  nlohmann::json limits = nlohmann::json::object();
  for (const auto& [name, value] : c.limit) limits[name] = value;
  ServerLogs::structured(log, spdlog::level::info,
                         {{"msg", "starting"},
                          {"version", MLEDGER_VERSION},
                          {"data", c.dir},
                          {"listen", c.listen},
                          {"metrics_listen", c.metrics_listen},
                          {"init", c.init},
                          {"access_log", c.access_log},
                          {"revoked_tokens", c.revocations ? c.revocations->path() : ""},
                          {"brokers", c.publisher.brokers},
                          {"topic_prefix", c.publisher.brokers.empty() ? "" : c.publisher.topic_prefix},
                          {"limits", limits}});
}

// The publisher inside the server: runs until stop(); a fatal producer error
// (fenced, a refused cursor) ends one run and the next resumes from the
// cursor on Kafka after a backoff of up to 30 s.
class InServerPublisher {
 public:
  InServerPublisher(RocksDbEventLog& log, kafka::PublisherOptions options, spdlog::logger& logger)
      : log_(log), options_(std::move(options)), logger_(logger) {}
  ~InServerPublisher() { stop(); }

  void start() { thread_ = std::thread([this] { loop(); }); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::atomic<uint64_t> published_seq{0};  // the last seq reported committed to Kafka
  std::atomic<bool> broker_ok{false};
  std::atomic<bool> running{false};

 private:
  void loop() {
    std::chrono::milliseconds backoff(500);
    while (!stop_.load()) {
      running.store(true);
      kafka::KafkaPublisher publisher(log_, options_, [&](const kafka::PublisherStatus& s) {
        published_seq.store(s.published_seq);
        broker_ok.store(s.broker_ok);
      });
      const Status result = publisher.run(stop_);
      running.store(false);
      if (stop_.load()) break;
      logger_.error("publisher stopped: {}; restarting in {} ms", result.to_string(), backoff.count());
      for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stop_.load();
           waited += std::chrono::milliseconds(50)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
    }
  }

  RocksDbEventLog& log_;
  const kafka::PublisherOptions options_;
  spdlog::logger& logger_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reloads the revocation list when its file changes, about once a second;
// each distinct failure is logged once, and so is the recovery.
class RevocationReloads {
 public:
  RevocationReloads(auth::RevocationWatcher& watcher, spdlog::logger& logger) : watcher_(watcher), logger_(logger) {
    thread_ = std::thread([this] { loop(); });
  }
  ~RevocationReloads() {
    stop_.store(true);
    thread_.join();
  }

 private:
  void loop() {
    constexpr auto kTick = std::chrono::milliseconds(100);
    constexpr int kTicksPerCheck = 10;
    std::string reported;
    for (int tick = 1; !stop_.load(); ++tick) {
      std::this_thread::sleep_for(kTick);
      if (tick % kTicksPerCheck != 0) continue;
      StatusOr<bool> r = watcher_.refresh(now_seconds());
      if (!r.ok()) {
        if (r.error().to_string() == reported) continue;
        reported = r.error().to_string();
        logger_.warn("the revocation list was not reloaded ({}); the previous one stays in force",
                     r.error().message());
      } else if (*r || !reported.empty()) {
        reported.clear();
        logger_.info("revocation list {} reloaded: {} tokens revoked", watcher_.path(), watcher_.current()->size());
      }
    }
  }

  auth::RevocationWatcher& watcher_;
  spdlog::logger& logger_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The single writer's batch sizes, as histograms; each durable write also
// wakes the publisher (`appended`, may be null: no publisher).
GroupCommitOptions writer_options(http::Metrics& metrics, AppendSignal* appended) {
  auto& commands = metrics.histogram("mledger_append_batch_commands",
                                     "Commands per durable write of the single writer", {}, http::size_buckets());
  auto& events = metrics.histogram("mledger_append_batch_events", "Events per durable write of the single writer",
                                   {}, http::size_buckets());
  GroupCommitOptions options;
  options.on_batch = [&requests = commands.at({}), &events_per_write = events.at({}), appended](size_t n,
                                                                                                  size_t e) {
    requests.observe(static_cast<double>(n));
    events_per_write.observe(static_cast<double>(e));
    if (appended != nullptr) appended->notify();
  };
  return options;
}

// Counters of the decision-state snapshots.
void register_snapshot_metrics(http::Metrics& metrics, Runtime& rt) {
  metrics.counter_reader("mledger_snapshots_loaded_total",
                         "Account loads that started from a snapshot that passed its checks",
                         [&rt] { return static_cast<double>(rt.ledger->snapshot_stats().loaded); });
  metrics.counter_reader("mledger_snapshots_written_total", "Snapshots of decision states written",
                         [&rt] { return static_cast<double>(rt.ledger->snapshot_stats().written); });
  metrics.counter_reader("mledger_snapshots_dropped_total", "Snapshots not written: their queue was full",
                         [&rt] { return static_cast<double>(rt.ledger->snapshot_stats().dropped); });
  metrics.counter_reader("mledger_snapshots_ignored_total",
                         "Snapshots that failed a check (damaged, foreign, other fold version) and were ignored",
                         [&rt] { return static_cast<double>(rt.ledger->snapshot_stats().ignored); });
}

// Gauges and counters of the log, the projections, the writer and the cache.
void register_ledger_metrics(http::Metrics& metrics, Runtime& rt) {
  metrics.gauge("mledger_log_head_seq", "The sequence number of the log's last event", [&rt] {
    auto d = rt.log->digest();
    return d.ok() ? static_cast<double>(d->seq) : 0.0;
  });
  metrics.gauge("mledger_projection_lag_events", "Events appended but not yet in the projections", [&rt] {
    auto d = rt.log->digest();
    const uint64_t at = rt.projector->caught_up_to();
    return d.ok() && d->seq > at ? static_cast<double>(d->seq - at) : 0.0;
  });
  metrics.counter_reader("mledger_append_batches_total", "Durable writes of the single writer",
                         [&rt] { return static_cast<double>(rt.writer->stats().batches); });
  metrics.counter_reader("mledger_appended_events_total", "Events appended by this process",
                         [&rt] { return static_cast<double>(rt.writer->stats().events); });
  metrics.counter_reader("mledger_aggregate_cache_hits_total", "Aggregate loads that started from a cached folded state",
                         [&rt] { return static_cast<double>(rt.ledger->aggregate_cache_stats().hits); });
  metrics.counter_reader("mledger_aggregate_cache_misses_total",
                         "Aggregate loads not in the cache (folded from a snapshot or the start)",
                         [&rt] { return static_cast<double>(rt.ledger->aggregate_cache_stats().misses); });
  metrics.counter_reader("mledger_aggregate_cache_evictions_total",
                         "Cached folded states evicted (least recently used) to stay within the limit",
                         [&rt] { return static_cast<double>(rt.ledger->aggregate_cache_stats().evictions); });
  metrics.gauge("mledger_aggregate_cache_streams", "Folded aggregate states in the cache",
                [&rt] { return static_cast<double>(rt.ledger->aggregate_cache_stats().streams); });
  register_snapshot_metrics(metrics, rt);
  metrics.counter_reader("mledger_append_failed_batches_total", "Durable writes of the single writer that failed",
                         [&rt] { return static_cast<double>(rt.writer->stats().failed_batches); });
  metrics.gauge("mledger_writer_failed_writes",
                "Durable writes failed in a row since the last that succeeded (0: writing works; "
                "above 0: /readyz answers 503 writer_failing)",
                [&rt] { return static_cast<double>(rt.writer->health().consecutive_failed_writes); });
}

// The events appended but not yet committed to Kafka (never less than the truth).
uint64_t publish_lag(Runtime& rt, const InServerPublisher& p) {
  auto d = rt.log->digest();
  const uint64_t published = p.published_seq.load();
  return d.ok() && d->seq > published ? d->seq - published : 0;
}

// Gauges of the publisher, the revocation list, the HTTP server and the logs.
void register_server_metrics(http::Metrics& metrics, Runtime& rt, const http::ServerCounters& counters,
                             const InServerPublisher* publisher, const auth::RevocationWatcher* revocations,
                             const ServerLogs& logs) {
  if (publisher != nullptr) {
    metrics.gauge("mledger_publish_lag_events", "Events appended but not yet committed to Kafka",
                  [&rt, publisher] { return static_cast<double>(publish_lag(rt, *publisher)); });
    metrics.gauge("mledger_publisher_running", "1 while the publisher runs (0: it stopped on a fatal error)",
                  [publisher] { return publisher->running.load() ? 1.0 : 0.0; });
    metrics.gauge("mledger_publish_broker_up", "1 when the publisher's last Kafka operation succeeded",
                  [publisher] { return publisher->broker_ok.load() ? 1.0 : 0.0; });
  }
  if (revocations != nullptr) {
    metrics.gauge("mledger_revoked_tokens", "Tokens on the revocation list in force (not yet expired)",
                  [revocations] { return static_cast<double>(revocations->current()->size()); });
  }
  metrics.gauge("mledger_http_connections_open", "Open HTTP connections",
                [&counters] { return static_cast<double>(counters.connections_open.load()); });
  metrics.gauge("mledger_http_requests_in_flight", "Requests handed to a worker, not yet answered",
                [&counters] { return static_cast<double>(counters.requests_in_flight.load()); });
  metrics.gauge("mledger_http_queued_requests", "Requests waiting for a worker",
                [&counters] { return static_cast<double>(counters.queued.load()); });
  metrics.counter_reader("mledger_log_lines_dropped_total",
                         "Log lines dropped because the logging queue was full",
                         [&logs] { return static_cast<double>(logs.dropped_lines()); });
}

http::HttpLimits http_limits(std::map<std::string, uint64_t>& limit) {
  http::HttpLimits limits;
  limits.body_bytes_max = limit["body-bytes-max"];
  limits.header_bytes_max = limit["header-bytes-max"];
  limits.connections_max = limit["connections-max"];
  limits.queue_requests_max = limit["queue-max"];
  limits.workers = limit["workers"];
  limits.header_timeout = std::chrono::milliseconds(limit["header-timeout-ms"]);
  limits.body_timeout = std::chrono::milliseconds(limit["body-timeout-ms"]);
  limits.idle_timeout = std::chrono::milliseconds(limit["idle-timeout-ms"]);
  limits.drain_timeout = std::chrono::milliseconds(limit["drain-timeout-ms"]);
  return limits;
}

// One "access" line per answer (never a token or a body).
std::function<void(const http::AccessRecord&)> access_log(ServerLogs& logs) {
  return [&logs](const http::AccessRecord& a) {
    const auto level = a.status >= 500 ? spdlog::level::err : a.status >= 400 ? spdlog::level::warn : spdlog::level::info;
    nlohmann::json line = {{"method", a.method},
                           {"route", a.route},
                           {"status", a.status},
                           {"ms", std::round(a.seconds * 1e6) / 1e3},
                           {"bytes", a.response_bytes},
                           {"principal", a.principal},
                           {"request_id", a.request_id},
                           {"peer", a.peer}};
    if (!a.error_code.empty()) line["error"] = a.error_code;
    ServerLogs::structured(logs.access(), level, line);
  };
}

// Opens the ledger and checks that its projections are this process's.
StatusOr<std::unique_ptr<Runtime>> open_for_serving(const ServeConfig& c, http::Metrics& metrics) {
  LedgerOptions ledger_options;
  ledger_options.aggregate_cache_streams_max = c.limit.at("aggregate-cache-streams");
  ledger_options.snapshots.events_between_snapshots = c.limit.at("snapshot-every");
  ProjectionEngineOptions projections;
  projections.kept_bytes_max = static_cast<size_t>(c.limit.at("projector-cache-mib")) << 20;
  auto opened = open_runtime(c.dir, writer_options(metrics, c.publisher.appended), ledger_options,
                             c.init ? LedgerCreation::create_if_missing : LedgerCreation::refuse_missing,
                             std::move(projections));
  if (!opened.ok()) return opened;
  if (!(*opened)->projector) {
    // Held by another process (stop it first), or damaged (the message says how to rebuild).
    return fail(StatusCode::unavailable, "cannot serve without the projections of " + c.dir + ": " +
                                             (*opened)->projections_absent.message());
  }
  return opened;
}

// Serves until SIGTERM or SIGINT, then closes in order; returns the exit code.
int serve(ServeConfig& c, ServerLogs& logs, Runtime& rt, http::Metrics& metrics) {
  std::unique_ptr<InServerPublisher> publisher;
  if (!c.publisher.brokers.empty()) {
    kafka::PublisherOptions options = with_latency_metrics(c.publisher, metrics);
    options.heads = kafka::stored_tree_heads(*rt.log);
    publisher = std::make_unique<InServerPublisher>(*rt.log, std::move(options), logs.server());
    publisher->start();
  }
  std::optional<RevocationReloads> reloads;
  if (c.revocations) reloads.emplace(*c.revocations, logs.server());
  rt.tree_heads->start([&logs](const Status& s) { logs.server().error("signing a tree head: {}", s.to_string()); });
  http::ServerCounters counters;
  register_ledger_metrics(metrics, rt);
  http::register_process_metrics(metrics);
  metrics.info("mledger_build_info", "The running build: its version", {"version"}, {MLEDGER_VERSION});
  register_server_metrics(metrics, rt, counters, publisher.get(), c.revocations.get(), logs);
  http::ApiOptions api_options;
  api_options.batch_commands_max = c.limit["batch-commands-max"];
  api_options.read_wait_max = std::chrono::milliseconds(c.limit["read-wait-ms"]);
  InServerPublisher* p = publisher.get();
  // GET /v1/accounts/{id}/state folds from them and leaves them (docs/audit.md).
  std::optional<ReadModelSnapshots> read_model_snapshots;
  if (rt.snapshots) read_model_snapshots.emplace(*rt.log, *rt.snapshots, ReadModelSnapshotOptions{});
  http::Api api(http::ApiParts{*rt.ledger, *rt.writer, *rt.log, *rt.projection_store, *rt.projection_engine,
                               *rt.projector, rt.clock, *c.key, metrics, counters,
                               [&rt, p]() -> std::optional<uint64_t> {
                                 if (p == nullptr) return std::nullopt;
                                 return publish_lag(rt, *p);
                               },
                               c.revocations.get(), &rt.tree_heads->key(),
                               read_model_snapshots ? &*read_model_snapshots : nullptr},
                api_options);
  http::HttpServer server(api, metrics, counters, http_limits(c.limit),
                          c.access_log ? access_log(logs) : nullptr,
                          [&logs](std::string_view line) { logs.server().error("{}", line); });
  http::MetricsListener metrics_only(metrics);
  if (!c.metrics_listen.empty()) {
    server.add_listener(c.metrics_listen, metrics_only, [&](uint16_t port) {
      const std::string host = c.metrics_listen.substr(0, c.metrics_listen.rfind(':'));
      logs.server().info("metrics on http://{}:{}/metrics", host, port);
      std::printf("metrics on http://%s:%u/metrics\n", host.c_str(), static_cast<unsigned>(port));
      std::fflush(stdout);
    });
  }
  const Status served = server.run(c.listen, [&](uint16_t port) {
    const std::string host = c.listen.substr(0, c.listen.rfind(':'));
    logs.server().info("listening on http://{}:{}", host, port);
    std::printf("listening on http://%s:%u\n", host.c_str(), static_cast<unsigned>(port));
    std::fflush(stdout);
  });
  if (served.ok()) logs.server().info("stopped accepting; requests answered; closing");
  if (!served.ok()) logs.server().error("{}", served.to_string());
  if (publisher) publisher->stop();
  reloads.reset();
  rt.writer->stop();
  if (Status s = rt.projector->stop(); !s.ok()) logs.server().error("projections: {}", s.to_string());
  if (served.ok()) return kExitOk;
  return served.code() == StatusCode::invalid_argument ? kExitUsage : kExitFailure;
}

}  // namespace

int run_serve(const Argv& argv) {
  http::capture_stop_signals();  // before any thread: every thread then leaves them to the server
  // A client that hangs up while its answer is written is an EPIPE, not the end of the server.
  (void)::signal(SIGPIPE, SIG_IGN);
  ServeConfig config;
  if (int code = parse_serve(argv, config); code >= 0) return code;
  ServerLogs logs(config.logging);
  log_start(logs.server(), config);
  http::Metrics metrics;
  AppendSignal appended;  // the writer wakes the publisher (when there is one)
  if (!config.publisher.brokers.empty()) config.publisher.appended = &appended;
  auto opened = open_for_serving(config, metrics);
  if (!opened.ok()) {
    logs.server().error("{}", opened.error().to_string());
    return kExitFailure;
  }
  return serve(config, logs, **opened, metrics);
}

}  // namespace mledger::cli
