// mledger serve: the ledger as an HTTP/JSON server (docs/api.md).
//
// Wires the RocksDB ledger (single group-commit writer), the projections and
// their projector, the signing key, the metrics, the API, an optional Kafka
// publisher, and the HTTP server; runs until SIGTERM or SIGINT, then drains
// and closes in order: requests, publisher, projections, writer, log.

#include <atomic>
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
#include "adapters/kafka/kafka_publisher.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"
#include "adapters/system/system_clock.h"
#include "domain/core/time.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger serve --key-file FILE [--listen HOST:PORT] [--data DIR]
                     [--revoked-tokens FILE] [--brokers HOST:PORT [--topic-prefix P]]
                     [--access-log] [limits...]

Serves the ledger in DIR (created if missing) over HTTP/1.1: commands, read
models, the auditors' endpoints, operations, /metrics, /healthz and /readyz
(docs/api.md). Every endpoint but health needs a bearer token signed with the
key in FILE (`mledger token keygen`, `mledger token issue`). Prints
"listening on http://HOST:PORT" once it accepts connections.

With --revoked-tokens, refuses the tokens that FILE lists (401
token_revoked; `mledger token revoke` adds them). FILE must exist (it may be
empty); a malformed FILE stops the start. FILE is checked about once a second
and read again when it changed; a version that does not load is reported on
standard error and the list in force stays.
With --brokers, publishes every event to Kafka from inside the server
(exactly once, as `mledger publish --follow`; docs/kafka.md).
With --access-log, writes one JSON line per answer to standard error: time,
method, route (the pattern, not the path), status, ms, bytes, principal
(never a token or a body).

Limits (each has a safe default; over one: a 4xx and nothing written):
  --body-bytes-max N       request body (default 4194304)
  --header-bytes-max N     request line and headers (default 16384)
  --batch-commands-max N   commands in one request (default 1000)
  --connections-max N      open connections (default 1024)
  --queue-max N            requests waiting for a worker (default 4096)
  --workers N              threads running requests (default 64)
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

SIGTERM or SIGINT: stop accepting, answer every request in flight (its
commands durable), stop publishing, bring the projections up to date, close.
Exit: 0 after a clean shutdown; 2 bad usage, key file or revocation list; 3 storage or
listening failure.
)";

struct Limit {
  const char* flag;
  uint64_t fallback, min, max;
};

}  // namespace

int run_serve(const Argv& argv) {
  http::capture_stop_signals();  // before any thread: every thread then leaves them to the server
  // A client that hangs up while its answer is written is an EPIPE, not the end of the server.
  (void)::signal(SIGPIPE, SIG_IGN);

  static const Limit kLimits[] = {
      {"body-bytes-max", 4 << 20, 1024, 1ull << 30},  {"header-bytes-max", 16 << 10, 1024, 64 << 10},
      {"batch-commands-max", 1000, 1, 10000},          {"connections-max", 1024, 1, 100000},
      {"queue-max", 4096, 1, 1 << 20},                 {"workers", 64, 1, 1024},
      {"header-timeout-ms", 10000, 10, 3600000},       {"body-timeout-ms", 30000, 10, 3600000},
      {"idle-timeout-ms", 30000, 10, 3600000},         {"drain-timeout-ms", 30000, 10, 3600000},
      {"read-wait-ms", 2000, 0, 600000},
      {"aggregate-cache-streams", LedgerOptions{}.aggregate_cache_streams_max, 0, 10'000'000},
      {"snapshot-every", SnapshotOptions{}.events_between_snapshots, 1, 100'000'000},
  };
  std::set<std::string> value_options = {"listen", "data", "key-file", "brokers", "topic-prefix",
                                         "revoked-tokens"};
  for (const Limit& l : kLimits) value_options.insert(l.flag);
  Args args;
  if (!args.parse(argv, value_options, {"access-log", "help"}) || !args.positionals().empty()) {
    std::fprintf(stderr, "mledger serve: %s\n\n%s",
                 args.error().empty() ? "unexpected argument" : args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  std::map<std::string, uint64_t> limit;
  for (const Limit& l : kLimits) {
    uint64_t v = 0;
    if (!args.number(l.flag, l.fallback, &v) || v < l.min || v > l.max) {
      std::fprintf(stderr, "mledger serve: --%s must be a number from %llu to %llu\n", l.flag,
                   static_cast<unsigned long long>(l.min), static_cast<unsigned long long>(l.max));
      return kExitUsage;
    }
    limit[l.flag] = v;
  }
  const auto key_file = args.value("key-file");
  if (!key_file) {
    std::fprintf(stderr, "mledger serve: --key-file is required (create one with mledger token keygen)\n");
    return kExitUsage;
  }
  auto key = auth::SigningKey::load(*key_file);
  if (!key.ok()) {
    std::fprintf(stderr, "mledger serve: %s\n", key.error().message().c_str());
    return kExitUsage;
  }
  // The revocation list: loaded now (a bad file stops the start), then
  // checked about once a second by its own thread (below).
  SystemClock revocation_clock;
  auto now_s = [&] { return revocation_clock.now().micros_since_epoch / kMicrosPerSecond; };
  std::unique_ptr<auth::RevocationWatcher> revocations;
  if (const auto path = args.value("revoked-tokens")) {
    auto opened_list = auth::RevocationWatcher::open(*path, now_s());
    if (!opened_list.ok()) {
      std::fprintf(stderr, "mledger serve: --revoked-tokens: %s\n", opened_list.error().message().c_str());
      return kExitUsage;
    }
    revocations = std::move(opened_list).value();
  }
  const std::string brokers = args.value_or("brokers", "");
  kafka::PublisherOptions publisher_options;
  if (!brokers.empty()) {
    if (Status s = kafka::check_brokers(brokers); !s.ok()) {
      std::fprintf(stderr, "mledger serve: %s\n", s.message().c_str());
      return kExitUsage;
    }
    publisher_options.brokers = brokers;
    publisher_options.follow = true;
    publisher_options.topic_prefix = args.value_or("topic-prefix", "mledger");
    if (!kafka::valid_topic_prefix(publisher_options.topic_prefix)) {
      std::fprintf(stderr, "mledger serve: bad --topic-prefix (1..100 of A-Z a-z 0-9 . _ -)\n");
      return kExitUsage;
    }
  }

  http::Metrics metrics;
  auto& batch_requests = metrics.histogram("mledger_append_batch_commands",
                                           "Commands per durable write of the single writer", {},
                                           http::size_buckets());
  auto& batch_events = metrics.histogram("mledger_append_batch_events",
                                         "Events per durable write of the single writer", {},
                                         http::size_buckets());
  auto& requests_series = batch_requests.at({});
  auto& events_series = batch_events.at({});
  GroupCommitOptions writer_options;
  writer_options.on_batch = [&](size_t requests, size_t events) {
    requests_series.observe(static_cast<double>(requests));
    events_series.observe(static_cast<double>(events));
  };
  const std::string dir = args.value_or("data", "mledger-data");
  LedgerOptions ledger_options;
  ledger_options.aggregate_cache_streams_max = limit["aggregate-cache-streams"];
  ledger_options.snapshots.events_between_snapshots = limit["snapshot-every"];
  auto opened = open_runtime(dir, writer_options, ledger_options);
  if (!opened.ok()) {
    std::fprintf(stderr, "mledger serve: %s\n", opened.error().to_string().c_str());
    return kExitFailure;
  }
  Runtime& rt = **opened;
  if (!rt.projector) {
    // Held by another process (stop it first), or damaged (the message says how to rebuild).
    std::fprintf(stderr, "mledger serve: cannot serve without the projections of %s: %s\n", dir.c_str(),
                 rt.projections_absent.message().c_str());
    return kExitFailure;
  }

  // Kafka, from inside the server.
  std::atomic<bool> stop_publishing{false};
  // The last seq the publisher reported committed to Kafka. The lag is
  // computed from it and the log's head when asked, so it is never less than
  // the truth (a report of lag 0 from before the latest appends would be).
  std::atomic<uint64_t> published_seq{0};
  std::atomic<bool> broker_ok{false};
  std::atomic<bool> publishing{false};
  std::thread publisher_thread;
  if (!brokers.empty()) {
    publisher_thread = std::thread([&] {
      // A fatal producer error (fenced, a refused cursor) ends one run; the
      // next resumes from the cursor on Kafka, after a backoff up to 30 s.
      std::chrono::milliseconds backoff(500);
      while (!stop_publishing.load()) {
        publishing.store(true);
        kafka::KafkaPublisher publisher(*rt.log, publisher_options, [&](const kafka::PublisherStatus& s) {
          published_seq.store(s.published_seq);
          broker_ok.store(s.broker_ok);
        });
        const Status result = publisher.run(stop_publishing);
        publishing.store(false);
        if (stop_publishing.load()) break;
        std::fprintf(stderr, "mledger serve: publisher stopped: %s; restarting in %lld ms\n",
                     result.to_string().c_str(), static_cast<long long>(backoff.count()));
        for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stop_publishing.load();
             waited += std::chrono::milliseconds(50)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
      }
    });
  }

  // Reloads the revocation list when its file changes; each distinct failure
  // is reported once, and so is the recovery.
  std::atomic<bool> stop_watching{false};
  std::thread watcher_thread;
  if (revocations) {
    watcher_thread = std::thread([&] {
      constexpr auto kTick = std::chrono::milliseconds(100);
      constexpr int kTicksPerCheck = 10;  // about once a second
      std::string reported;
      for (int tick = 1; !stop_watching.load(); ++tick) {
        std::this_thread::sleep_for(kTick);
        if (tick % kTicksPerCheck != 0) continue;
        StatusOr<bool> r = revocations->refresh(now_s());
        if (!r.ok()) {
          if (r.error().to_string() != reported) {
            reported = r.error().to_string();
            std::fprintf(stderr, "mledger serve: warning: the revocation list was not reloaded (%s); "
                                 "the previous one stays in force\n", r.error().message().c_str());
          }
        } else if (*r || !reported.empty()) {
          reported.clear();
          std::fprintf(stderr, "mledger serve: revocation list %s reloaded: %zu tokens revoked\n",
                       revocations->path().c_str(), revocations->current()->size());
        }
      }
    });
  }

  auto publish_lag = [&]() -> uint64_t {
    auto d = rt.log->digest();
    const uint64_t published = published_seq.load();
    return d.ok() && d->seq > published ? d->seq - published : 0;
  };
  http::ServerCounters counters;
  metrics.gauge("mledger_log_head_seq", "The sequence number of the log's last event", [&] {
    auto d = rt.log->digest();
    return d.ok() ? static_cast<double>(d->seq) : 0.0;
  });
  metrics.gauge("mledger_projection_lag_events", "Events appended but not yet in the projections", [&] {
    auto d = rt.log->digest();
    const uint64_t at = rt.projector->caught_up_to();
    return d.ok() && d->seq > at ? static_cast<double>(d->seq - at) : 0.0;
  });
  if (!brokers.empty()) {
    metrics.gauge("mledger_publish_lag_events", "Events appended but not yet committed to Kafka",
                  [&] { return static_cast<double>(publish_lag()); });
    metrics.gauge("mledger_publisher_running", "1 while the publisher runs (0: it stopped on a fatal error)",
                  [&] { return publishing.load() ? 1.0 : 0.0; });
    metrics.gauge("mledger_publish_broker_up", "1 when the publisher's last Kafka operation succeeded",
                  [&] { return broker_ok.load() ? 1.0 : 0.0; });
  }
  if (revocations) {
    metrics.gauge("mledger_revoked_tokens", "Tokens on the revocation list in force (not yet expired)",
                  [&] { return static_cast<double>(revocations->current()->size()); });
  }
  metrics.gauge("mledger_http_connections_open", "Open HTTP connections",
                [&] { return static_cast<double>(counters.connections_open.load()); });
  metrics.gauge("mledger_http_requests_in_flight", "Requests handed to a worker, not yet answered",
                [&] { return static_cast<double>(counters.requests_in_flight.load()); });
  metrics.gauge("mledger_http_queued_requests", "Requests waiting for a worker",
                [&] { return static_cast<double>(counters.queued.load()); });
  metrics.counter_reader("mledger_append_batches_total", "Durable writes of the single writer",
                         [&] { return static_cast<double>(rt.writer->stats().batches); });
  metrics.counter_reader("mledger_appended_events_total", "Events appended by this process",
                         [&] { return static_cast<double>(rt.writer->stats().events); });
  metrics.counter_reader("mledger_aggregate_cache_hits_total",
                         "Aggregate loads that started from a cached folded state",
                         [&] { return static_cast<double>(rt.ledger->aggregate_cache_stats().hits); });
  metrics.counter_reader("mledger_aggregate_cache_misses_total",
                         "Aggregate loads not in the cache (folded from a snapshot or the start)",
                         [&] { return static_cast<double>(rt.ledger->aggregate_cache_stats().misses); });
  metrics.counter_reader("mledger_aggregate_cache_evictions_total",
                         "Cached folded states evicted (least recently used) to stay within the limit",
                         [&] { return static_cast<double>(rt.ledger->aggregate_cache_stats().evictions); });
  metrics.gauge("mledger_aggregate_cache_streams", "Folded aggregate states in the cache",
                [&] { return static_cast<double>(rt.ledger->aggregate_cache_stats().streams); });
  metrics.counter_reader("mledger_snapshots_loaded_total",
                         "Account loads that started from a snapshot that passed its checks",
                         [&] { return static_cast<double>(rt.ledger->snapshot_stats().loaded); });
  metrics.counter_reader("mledger_snapshots_written_total", "Snapshots of decision states written",
                         [&] { return static_cast<double>(rt.ledger->snapshot_stats().written); });
  metrics.counter_reader("mledger_snapshots_dropped_total", "Snapshots not written: their queue was full",
                         [&] { return static_cast<double>(rt.ledger->snapshot_stats().dropped); });
  metrics.counter_reader("mledger_snapshots_ignored_total",
                         "Snapshots that failed a check (damaged, foreign, other fold version) and were ignored",
                         [&] { return static_cast<double>(rt.ledger->snapshot_stats().ignored); });

  metrics.counter_reader("mledger_append_failed_batches_total", "Durable writes of the single writer that failed",
                         [&] { return static_cast<double>(rt.writer->stats().failed_batches); });
  metrics.gauge("mledger_writer_failed_writes",
                "Durable writes failed in a row since the last that succeeded (0: writing works; "
                "above 0: /readyz answers 503 writer_failing)",
                [&] { return static_cast<double>(rt.writer->health().consecutive_failed_writes); });

  http::ApiOptions api_options;
  api_options.batch_commands_max = limit["batch-commands-max"];
  api_options.read_wait_max = std::chrono::milliseconds(limit["read-wait-ms"]);
  http::Api api(http::ApiParts{*rt.ledger, *rt.writer, *rt.log, *rt.projection_store, *rt.projection_engine,
                               *rt.projector, rt.clock, *key, metrics, counters,
                               [&]() -> std::optional<uint64_t> {
                                 if (brokers.empty()) return std::nullopt;
                                 return publish_lag();
                               },
                               revocations.get()},
                api_options);
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
  // --access-log: one JSON line per answer on stderr (never a token or a body).
  std::function<void(const http::AccessRecord&)> access_log;
  if (args.flag("access-log")) {
    access_log = [&rt](const http::AccessRecord& a) {
      const nlohmann::json line = {{"time", format_rfc3339(rt.clock.now())},
                                   {"method", a.method},
                                   {"route", a.route},
                                   {"status", a.status},
                                   {"ms", a.seconds * 1000},
                                   {"bytes", a.response_bytes},
                                   {"principal", a.principal}};
      std::fprintf(stderr, "%s\n", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    };
  }
  http::HttpServer server(api, metrics, counters, limits, std::move(access_log));

  const std::string listen = args.value_or("listen", "127.0.0.1:8080");
  Status served = server.run(listen, [&](uint16_t port) {
    const std::string host = listen.substr(0, listen.rfind(':'));
    std::printf("listening on http://%s:%u\n", host.c_str(), static_cast<unsigned>(port));
    std::fflush(stdout);
  });
  int code = kExitOk;
  if (!served.ok()) {
    std::fprintf(stderr, "mledger serve: %s\n", served.to_string().c_str());
    code = served.code() == StatusCode::invalid_argument ? kExitUsage : kExitFailure;
  }
  if (served.ok()) std::fprintf(stderr, "mledger serve: stopped accepting; requests answered; closing\n");
  if (publisher_thread.joinable()) {
    stop_publishing.store(true);
    publisher_thread.join();
  }
  if (watcher_thread.joinable()) {
    stop_watching.store(true);
    watcher_thread.join();
  }
  rt.writer->stop();
  if (Status s = rt.projector->stop(); !s.ok()) {
    std::fprintf(stderr, "mledger serve: projections: %s\n", s.to_string().c_str());
  }
  return code;
}

}  // namespace mledger::cli
