#include "adapters/kafka/kafka_publisher.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/capnp/event_codec.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"

namespace mledger::kafka {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kCursorReadTimeoutMs = 30000;
constexpr int kAdminTimeoutMs = 15000;
constexpr int kInitTimeoutMs = 5000;
// Each commit or abort call waits at most this long; a timed-out call is
// retried (librdkafka allows it), so status and lag are reported meanwhile.
constexpr int kTxnCallTimeoutMs = 2000;

// One failed Kafka operation: how to go on.
enum class Failure { retry, abort_and_retry, fatal };

struct Outcome {
  Failure kind = Failure::retry;
  std::string message;
};

Outcome classify(std::unique_ptr<RdKafka::Error> e, const char* what) {
  Outcome o;
  o.message = std::string(what) + ": " + e->str();
  if (e->is_fatal()) o.kind = Failure::fatal;
  else if (e->txn_requires_abort()) o.kind = Failure::abort_and_retry;
  else o.kind = Failure::retry;
  return o;
}

std::string cursor_value(uint64_t seq, const Hash256& hash) {
  nlohmann::json j;
  j["seq"] = seq;
  j["hash"] = hex(hash);
  return j.dump();
}

}  // namespace

StatusOr<std::string> ledger_id(RocksDbEventLog& log) {
  auto first = log.read_global(1, 1);
  if (!first.ok()) return Err{first.error()};
  if (first->empty()) return fail(StatusCode::not_found, "the ledger is empty");
  return hex(first->front().hash).substr(0, 16);
}

class KafkaPublisher::Impl {
 public:
  Impl(RocksDbEventLog& log, PublisherOptions options, StatusFn on_status)
      : log_(log), o_(std::move(options)), on_status_(std::move(on_status)) {}

  ~Impl() { producer_.reset(); }

  Status run(const std::atomic<bool>& stop);

  RocksDbEventLog& log_;
  PublisherOptions o_;
  StatusFn on_status_;
  PublisherStatus st_;
  std::string source_;
  std::unique_ptr<RdKafka::Producer> producer_;
  const std::atomic<bool>* stop_ = nullptr;  // run()'s stop flag, while it runs
  bool cursor_loaded_ = false;
  Hash256 cursor_hash_{};
  int backoff_ms_ = 0;
  SteadyClock::time_point last_report_{};

  void report(bool force) {
    const auto now = SteadyClock::now();
    if (!force && now - last_report_ < std::chrono::milliseconds(o_.status_interval_ms)) return;
    last_report_ = now;
    if (on_status_) on_status_(st_);
  }

  void failed(const std::string& why) {
    // Keep the lag current while Kafka is away (best effort: a failed look
    // at the ledger shows up on the next successful one).
    (void)refresh_head().ok();
    st_.broker_ok = false;
    st_.last_error = why;
    ++st_.retries;
    report(true);
  }

  // Sleeps for the current backoff (interruptible by stop), then doubles it.
  void back_off(const std::atomic<bool>& stop) {
    backoff_ms_ = backoff_ms_ == 0 ? 100 : std::min(backoff_ms_ * 2, o_.retry_backoff_max_ms);
    const auto until = SteadyClock::now() + std::chrono::milliseconds(backoff_ms_);
    while (!stop.load() && SteadyClock::now() < until) {
      if (producer_) producer_->poll(50);
      else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  Status refresh_head() {
    if (o_.follow) {
      if (Status s = log_.catch_up(); !s.ok()) return s;
    }
    auto d = log_.digest();
    if (!d.ok()) return d.error();
    st_.head_seq = d->seq;
    return Status::Ok();
  }

  // Creates the producer and fences older instances. Transient failures are
  // returned as Outcome::retry.
  std::optional<Outcome> connect() {
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string err;
    const std::pair<std::string, std::string> settings[] = {
        {"bootstrap.servers", o_.brokers},
        {"transactional.id", st_.transactional_id},
        {"enable.idempotence", "true"},
        {"transaction.timeout.ms", std::to_string(o_.transaction_timeout_ms)},
        {"message.timeout.ms", std::to_string(o_.transaction_timeout_ms)},
        {"linger.ms", "10"},
        {"batch.num.messages", "10000"},
        {"queue.buffering.max.messages", std::to_string(std::max<size_t>(o_.batch_events_max + 1000, 100000))},
        {"queue.buffering.max.kbytes", std::to_string(std::max<size_t>(o_.batch_bytes_max / 1024 * 2, 65536))},
        {"reconnect.backoff.max.ms", "2000"},
        {"log_level", "3"},
    };
    for (const auto& [k, v] : settings) {
      if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
        return Outcome{Failure::fatal, "producer configuration " + k + ": " + err};
      }
    }
    producer_.reset(RdKafka::Producer::create(conf.get(), err));
    if (!producer_) return Outcome{Failure::fatal, "cannot create a Kafka producer: " + err};
    if (auto* e = producer_->init_transactions(kInitTimeoutMs)) {
      auto o = classify(std::unique_ptr<RdKafka::Error>(e), "init_transactions");
      producer_.reset();  // a fresh producer next time; init may be retried only on the same one otherwise
      if (o.kind != Failure::fatal) o.kind = Failure::retry;
      return o;
    }
    return std::nullopt;
  }

  // Creates the event topics and the cursor topic; existing ones are kept.
  std::optional<Outcome> ensure_topics() {
    rd_kafka_t* rk = producer_->c_ptr();
    std::vector<std::string> names = event_topics(o_.topic_prefix);
    names.push_back(o_.topic_prefix + ".other");
    std::vector<rd_kafka_NewTopic_t*> topics;
    char errbuf[512];
    auto cleanup = [&] { for (auto* t : topics) rd_kafka_NewTopic_destroy(t); };
    for (const auto& n : names) {
      topics.push_back(rd_kafka_NewTopic_new(n.c_str(), o_.partitions, o_.replication_factor, errbuf, sizeof errbuf));
      if (!topics.back()) { topics.pop_back(); cleanup(); return Outcome{Failure::fatal, "topic " + n + ": " + errbuf}; }
    }
    const std::string cursors = cursor_topic(o_.topic_prefix);
    rd_kafka_NewTopic_t* ct = rd_kafka_NewTopic_new(cursors.c_str(), 1, o_.replication_factor, errbuf, sizeof errbuf);
    if (!ct) { cleanup(); return Outcome{Failure::fatal, "topic " + cursors + ": " + errbuf}; }
    topics.push_back(ct);
    (void)rd_kafka_NewTopic_set_config(ct, "cleanup.policy", "compact");
    (void)rd_kafka_NewTopic_set_config(ct, "segment.ms", "600000");
    (void)rd_kafka_NewTopic_set_config(ct, "min.cleanable.dirty.ratio", "0.1");

    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    (void)rd_kafka_AdminOptions_set_request_timeout(opts, kAdminTimeoutMs, errbuf, sizeof errbuf);
    (void)rd_kafka_AdminOptions_set_operation_timeout(opts, kAdminTimeoutMs, errbuf, sizeof errbuf);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, topics.data(), topics.size(), opts, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, kAdminTimeoutMs + 5000);
    std::optional<Outcome> out;
    if (!ev) {
      out = Outcome{Failure::retry, "create topics: no answer from the broker"};
    } else if (rd_kafka_event_error(ev)) {
      out = Outcome{Failure::retry, std::string("create topics: ") + rd_kafka_event_error_string(ev)};
    } else {
      const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
      size_t n = 0;
      const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
      for (size_t i = 0; i < n && !out; ++i) {
        const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
        const char* msg = rd_kafka_topic_result_error_string(results[i]);
        const Failure kind = (e == RD_KAFKA_RESP_ERR_INVALID_PARTITIONS ||
                              e == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR ||
                              e == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION ||
                              e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
                                 ? Failure::fatal : Failure::retry;
        out = Outcome{kind, std::string("create topic ") + rd_kafka_topic_result_name(results[i]) + ": " +
                                (msg ? msg : rd_kafka_err2str(e))};
      }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(opts);
    cleanup();
    return out;
  }

  // Reads the cursor back (read_committed) and checks it against the ledger.
  // A cursor of another ledger is fatal (`corruption` via *refuse).
  std::optional<Outcome> load_cursor(Status* refuse) {
    KafkaReaderOptions ro;
    ro.brokers = o_.brokers;
    ro.topics = {cursor_topic(o_.topic_prefix)};
    ro.from_beginning = true;
    ro.read_committed = true;
    auto reader = KafkaReader::open(ro);
    if (!reader.ok()) return Outcome{Failure::retry, "read cursor: " + reader.error().message()};
    std::optional<std::string> last;
    Status s = (*reader)->read_to_end(kCursorReadTimeoutMs, [&](KafkaRecord&& r) {
      if (r.key == st_.transactional_id) last = std::move(r.value);
    });
    if (!s.ok()) return Outcome{Failure::retry, "read cursor: " + s.message()};
    uint64_t seq = 0;
    Hash256 hash{};
    if (last) {
      auto j = nlohmann::json::parse(*last, nullptr, false);
      if (j.is_discarded() || !j.contains("seq") || !j["seq"].is_number_unsigned() ||
          !j.contains("hash") || !j["hash"].is_string()) {
        *refuse = Status(StatusCode::corruption, "the cursor record of '" + st_.transactional_id +
                                                     "' on " + cursor_topic(o_.topic_prefix) +
                                                     " does not parse: " + *last);
        return Outcome{Failure::fatal, refuse->message()};
      }
      seq = j["seq"].get<uint64_t>();
      const std::string want = j["hash"].get<std::string>();
      if (Status h = refresh_head(); !h.ok()) { *refuse = h; return Outcome{Failure::fatal, h.message()}; }
      auto ev = log_.read_global(seq, 1);
      if (!ev.ok()) { *refuse = ev.error(); return Outcome{Failure::fatal, ev.error().message()}; }
      if (ev->empty() || ev->front().seq != seq || hex(ev->front().hash) != want) {
        *refuse = Status(StatusCode::corruption,
                         "the Kafka cursor of '" + st_.transactional_id + "' says event " +
                             std::to_string(seq) + " has hash " + want + ", but this ledger " +
                             (ev->empty() ? std::string("has no such event (head ") + std::to_string(st_.head_seq) + ")"
                                          : "has " + hex(ev->front().hash)) +
                             ": these topics hold another ledger's events; use another "
                             "--topic-prefix or --transactional-id");
        return Outcome{Failure::fatal, refuse->message()};
      }
      hash = ev->front().hash;
    }
    st_.published_seq = seq;
    cursor_hash_ = hash;
    cursor_loaded_ = true;
    return std::nullopt;
  }

  // Produces one record, waiting while the local queue is full.
  std::optional<Outcome> produce(const std::string& topic, const std::string& key,
                                 std::string_view value, const Headers& headers) {
    for (;;) {
      RdKafka::Headers* h = RdKafka::Headers::create();
      for (const auto& [k, v] : headers) (void)h->add(k, v.data(), v.size());
      const RdKafka::ErrorCode ec = producer_->produce(
          topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, h, nullptr);
      if (ec == RdKafka::ERR_NO_ERROR) return std::nullopt;  // h is owned by librdkafka now
      delete h;
      if (ec == RdKafka::ERR__QUEUE_FULL) {
        // Full while the broker is away: the records time out (then the
        // transaction must abort) unless it returns; stop ends the wait.
        if (stop_ && stop_->load()) return Outcome{Failure::abort_and_retry, "produce: stopping with the local queue full"};
        producer_->poll(10);
        continue;
      }
      if (ec == RdKafka::ERR__FATAL) return Outcome{Failure::fatal, "produce: " + RdKafka::err2str(ec)};
      return Outcome{Failure::abort_and_retry, "produce to " + topic + ": " + RdKafka::err2str(ec)};
    }
  }

  // One transaction: events cursor+1.. up to the limits, then the cursor.
  std::optional<Outcome> publish_batch(const std::atomic<bool>& stop) {
    if (auto* e = producer_->begin_transaction()) {
      return classify(std::unique_ptr<RdKafka::Error>(e), "begin_transaction");
    }
    uint64_t seq = st_.published_seq;
    Hash256 last_hash = cursor_hash_;
    size_t bytes = 0, count = 0;
    std::optional<Outcome> failure;
    Status corrupt;
    Status scan = log_.scan_envelopes(seq + 1, [&](uint64_t at, std::string_view envelope) {
      auto head = codec::open_head(envelope);
      if (!head.ok() || head->seq != at || at != seq + 1 || head->prev_hash != last_hash) {
        corrupt = Status(StatusCode::corruption,
                         "event " + std::to_string(at) + " does not follow event " + std::to_string(seq) +
                             " in the chain" + (head.ok() ? "" : ": " + head.error().message()));
        return false;
      }
      const Route route = route_event(*head, o_.topic_prefix);
      failure = produce(route.topic, route.key, envelope, event_headers(*head, source_));
      if (failure) return false;
      seq = at;
      last_hash = head->hash;
      bytes += envelope.size();
      ++count;
      return count < o_.batch_events_max && bytes < o_.batch_bytes_max && !stop.load();
    });
    if (!scan.ok() || !corrupt.ok()) {
      abort_quietly();
      const Status& s = scan.ok() ? corrupt : scan;
      return Outcome{Failure::fatal, s.to_string()};
    }
    if (failure) return failure;
    if (count == 0) {
      abort_quietly();
      return std::nullopt;
    }
    if (auto f = produce(cursor_topic(o_.topic_prefix), st_.transactional_id, cursor_value(seq, last_hash), {})) {
      return f;
    }
    // Commit; a retriable failure (a timeout) is retried on the same
    // transaction: it may have committed, and only a commit that returns
    // success or an abortable error says which.
    const auto commit_start = SteadyClock::now();
    for (;;) {
      auto* e = producer_->commit_transaction(kTxnCallTimeoutMs);
      st_.commit_ms += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                SteadyClock::now() - commit_start).count());
      if (!e) break;
      Outcome o = classify(std::unique_ptr<RdKafka::Error>(e), "commit_transaction");
      if (o.kind != Failure::retry) return o;
      failed(o.message);
      if (stop.load()) {
        // Shutting down while the broker is away: leave the outcome to the
        // next start, which fences this instance and reads the cursor back.
        return Outcome{Failure::fatal, o.message + " (stopping; the next start resumes from Kafka's cursor)"};
      }
      back_off(stop);
    }
    st_.published_seq = seq;
    cursor_hash_ = last_hash;
    st_.published_this_run += count;
    ++st_.transactions;
    st_.broker_ok = true;
    st_.last_error.clear();
    backoff_ms_ = 0;
    return std::nullopt;
  }

  void abort_quietly() {
    if (auto* e = producer_->abort_transaction(kTxnCallTimeoutMs)) delete e;
  }

  // Aborts after an abortable error; retries a timed-out abort.
  std::optional<Outcome> abort(const std::atomic<bool>& stop) {
    for (;;) {
      auto* e = producer_->abort_transaction(kTxnCallTimeoutMs);
      if (!e) return std::nullopt;
      Outcome o = classify(std::unique_ptr<RdKafka::Error>(e), "abort_transaction");
      if (o.kind == Failure::fatal || stop.load()) return Outcome{Failure::fatal, o.message};
      failed(o.message);
      back_off(stop);
    }
  }
};

Status KafkaPublisher::Impl::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  if (Status s = check_brokers(o_.brokers); !s.ok()) return s;
  if (!valid_topic_prefix(o_.topic_prefix)) {
    return Status(StatusCode::invalid_argument, "bad topic prefix '" + o_.topic_prefix + "'");
  }
  if (o_.partitions < 1 || o_.batch_events_max < 1 || o_.batch_bytes_max < 1) {
    return Status(StatusCode::invalid_argument, "partitions and batch limits must be positive");
  }
  if (Status s = refresh_head(); !s.ok()) return s;
  // The ledger id names the default transactional id and the CloudEvents
  // source; an empty ledger has none yet.
  std::string id;
  for (;;) {
    auto lid = ledger_id(log_);
    if (lid.ok()) { id = *lid; break; }
    if (lid.error().code() != StatusCode::not_found) return lid.error();
    if (!o_.follow || stop.load()) { report(true); return Status::Ok(); }
    std::this_thread::sleep_for(std::chrono::milliseconds(o_.poll_interval_ms));
    if (Status s = refresh_head(); !s.ok()) return s;
  }
  source_ = "mledger/" + id;
  // The prefix is part of the default id: publishers of one ledger to two
  // prefixes must not fence each other.
  st_.transactional_id = o_.transactional_id.empty() ? "mledger-publisher-" + o_.topic_prefix + "-" + id
                                                     : o_.transactional_id;
  const uint64_t target = st_.head_seq;  // without --follow: the head seen at start

  while (!stop.load()) {
    std::optional<Outcome> f;
    if (!producer_ || !cursor_loaded_) {
      if (!producer_) f = connect();
      if (!f) f = ensure_topics();
      Status refuse;
      if (!f) f = load_cursor(&refuse);
      if (!refuse.ok()) return refuse;
      if (!f) { st_.broker_ok = true; st_.last_error.clear(); backoff_ms_ = 0; report(true); }
    }
    if (!f) {
      if (Status s = refresh_head(); !s.ok()) return s;
      const uint64_t until = o_.follow ? st_.head_seq : target;
      if (st_.published_seq >= until) {
        if (!o_.follow) break;
        report(false);
        const auto wake = SteadyClock::now() + std::chrono::milliseconds(o_.poll_interval_ms);
        while (!stop.load() && SteadyClock::now() < wake) producer_->poll(std::min(o_.poll_interval_ms, 50));
        continue;
      }
      f = publish_batch(stop);
      if (!f) { report(false); continue; }
    }
    // Something failed.
    failed(f->message);
    if (f->kind == Failure::fatal) {
      producer_.reset();
      cursor_loaded_ = false;
      return Status(StatusCode::io_error, f->message);
    }
    if (f->kind == Failure::abort_and_retry && producer_) {
      if (auto a = abort(stop)) {
        producer_.reset();
        return Status(StatusCode::io_error, a->message);
      }
    }
    back_off(stop);
  }
  report(true);
  producer_.reset();
  return Status::Ok();
}

KafkaPublisher::KafkaPublisher(RocksDbEventLog& log, PublisherOptions options, StatusFn on_status)
    : impl_(std::make_unique<Impl>(log, std::move(options), std::move(on_status))) {}
KafkaPublisher::~KafkaPublisher() = default;
Status KafkaPublisher::run(const std::atomic<bool>& stop) { return impl_->run(stop); }
PublisherStatus KafkaPublisher::status() const { return impl_->st_; }

}  // namespace mledger::kafka
