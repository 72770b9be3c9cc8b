#include "adapters/kafka/kafka_publisher.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "adapters/audit/tree_head.h"
#include "adapters/capnp/event_codec.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"

namespace mledger::kafka {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kCursorReadTimeoutMs = 30000;
constexpr int kCursorFetchWaitMs = 10;
constexpr int kAdminTimeoutMs = 15000;
constexpr int kInitTimeoutMs = 5000;
// Each commit or abort call waits at most this long; a timed-out call is
// retried (librdkafka allows it), so status and lag are reported meanwhile.
constexpr int kTxnCallTimeoutMs = 2000;

// SIGTERM while the broker is away: no single Kafka call below waits longer
// than this (init_transactions, a metadata request); run() checks the stop
// flag between calls, so it returns within about this bound (docs/kafka.md).
constexpr int kStopBoundMs = 5000;

// One failed Kafka operation: how to go on. `stopped`: stop was asked while
// Kafka was unavailable; run() returns OK and leaves the open transaction to
// the next start (or to the broker's transaction timeout).
enum class Failure { retry, abort_and_retry, fatal, stopped };

struct Outcome {
  Failure kind = Failure::retry;
  std::string message;
  RdKafka::ErrorCode code = RdKafka::ERR_NO_ERROR;  // librdkafka's code, when known
};

// The fatal errors a bumped producer epoch gives. Both another publisher's
// init_transactions with our transactional id (a real fencing: we are the
// zombie) and the coordinator aborting our transaction after
// transaction.timeout.ms (an outage) bump it; librdkafka 2.0.2 reports them
// as fatal: ERR__FENCED (PRODUCER_FENCED from the broker), or
// INVALID_PRODUCER_EPOCH; after an outage against Kafka 3.9 the abort of the
// timed-out transaction ends in INVALID_TXN_STATE (seen in the outage test).
// Which one it was is decided by fenced_by_timeout() below.
bool epoch_bumped(RdKafka::ErrorCode c) {
  return c == RdKafka::ERR__FENCED || c == RdKafka::ERR_PRODUCER_FENCED ||
         c == RdKafka::ERR_INVALID_PRODUCER_EPOCH || c == RdKafka::ERR_UNKNOWN_PRODUCER_ID ||
         c == RdKafka::ERR_INVALID_TXN_STATE;
}

Outcome classify(std::unique_ptr<RdKafka::Error> e, const char* what) {
  Outcome o;
  o.message = std::string(what) + ": " + e->str();
  o.code = e->code();
  if (e->is_fatal()) o.kind = Failure::fatal;
  else if (e->txn_requires_abort()) o.kind = Failure::abort_and_retry;
  else o.kind = Failure::retry;
  return o;
}

std::string cursor_value(uint64_t seq, const Hash256& hash, uint64_t heads_size) {
  nlohmann::json j;
  j["seq"] = seq;
  j["hash"] = hex(hash);
  j["heads_size"] = heads_size;
  return j.dump();
}

// Parses a cursor record's value; false when it is not one. A record from a
// build before heads has no heads_size (0: no head published yet).
bool parse_cursor(const std::string& value, uint64_t* seq, std::string* hash, uint64_t* heads_size) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned() ||
      !j.contains("hash") || !j["hash"].is_string() ||
      (j.contains("heads_size") && !j["heads_size"].is_number_unsigned())) {
    return false;
  }
  *seq = j["seq"].get<uint64_t>();
  *hash = j["hash"].get<std::string>();
  *heads_size = j.value("heads_size", uint64_t{0});
  return true;
}

}  // namespace

StatusOr<std::string> ledger_id(EventLog& log) {
  return ledger_id_of(log);  // the one the tree heads are signed with
}

class KafkaPublisher::Impl {
 public:
  Impl(EventLog& log, PublisherOptions options, StatusFn on_status)
      : log_(log), o_(std::move(options)), on_status_(std::move(on_status)) {}

  ~Impl() { producer_.reset(); }

  Status run(const std::atomic<bool>& stop);

  EventLog& log_;
  PublisherOptions o_;
  StatusFn on_status_;
  PublisherStatus st_;
  std::string source_;
  std::string ledger_id_;  // the heads' record key
  std::unique_ptr<RdKafka::Producer> producer_;
  const std::atomic<bool>* stop_ = nullptr;  // run()'s stop flag, while it runs
  bool cursor_loaded_ = false;
  Hash256 cursor_hash_{};
  // The transaction in flight: when begin_transaction succeeded, and the seq
  // its cursor record carries (0 until produced).
  std::optional<SteadyClock::time_point> txn_started_;
  uint64_t txn_seq_ = 0;
  int backoff_ms_ = 0;
  int idle_pause_ms_ = 1;  // follow without an AppendSignal: the next pause
  SteadyClock::time_point last_report_{};
  std::tuple<uint64_t, uint64_t, uint64_t> reported_{};  // published_seq, head_seq, transactions
  // The transaction in flight, when o_.on_committed is set: each event's
  // append->produce latency and when it was produced.
  CommittedLatencies latencies_;
  std::vector<SteadyClock::time_point> produced_at_;

  void report(bool force) {
    const auto now = SteadyClock::now();
    if (!force && now - last_report_ < std::chrono::milliseconds(o_.status_interval_ms)) return;
    last_report_ = now;
    reported_ = {st_.published_seq, st_.head_seq, st_.transactions};
    if (on_status_) on_status_(st_);
  }

  // Before an idle wait (which may last poll_interval_ms): the state it
  // settled in is reported, even within status_interval_ms of the last report.
  void report_settled() {
    const bool changed = reported_ != std::tuple(st_.published_seq, st_.head_seq, st_.transactions);
    report(changed);
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
    if (o_.heads) {  // evidence: one order, never deleted
      const std::string heads = tree_heads_topic(o_.topic_prefix);
      rd_kafka_NewTopic_t* ht = rd_kafka_NewTopic_new(heads.c_str(), 1, o_.replication_factor, errbuf, sizeof errbuf);
      if (!ht) { cleanup(); return Outcome{Failure::fatal, "topic " + heads + ": " + errbuf}; }
      topics.push_back(ht);
      (void)rd_kafka_NewTopic_set_config(ht, "retention.ms", "-1");
      (void)rd_kafka_NewTopic_set_config(ht, "retention.bytes", "-1");
    }

    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    (void)rd_kafka_AdminOptions_set_request_timeout(opts, kAdminTimeoutMs, errbuf, sizeof errbuf);
    (void)rd_kafka_AdminOptions_set_operation_timeout(opts, kAdminTimeoutMs, errbuf, sizeof errbuf);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, topics.data(), topics.size(), opts, q);
    rd_kafka_event_t* ev = nullptr;
    const auto give_up = SteadyClock::now() + std::chrono::milliseconds(kAdminTimeoutMs + 5000);
    while (!ev && !stopping() && SteadyClock::now() < give_up) ev = rd_kafka_queue_poll(q, 100);
    std::optional<Outcome> out;
    if (!ev && stopping()) {
      out = Outcome{Failure::stopped, "create topics: stopping"};
    } else if (!ev) {
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

  bool stopping() const { return stop_ && stop_->load(); }

  // The last committed (read_committed) cursor record of our transactional
  // id into *last (nullopt: none yet). Reading never touches the producer,
  // so it fences nobody. Waits at most kCursorReadTimeoutMs, in steps that
  // check the stop flag.
  std::optional<Outcome> read_cursor_record(std::optional<std::string>* last) {
    KafkaReaderOptions ro;
    ro.brokers = o_.brokers;
    ro.topics = {cursor_topic(o_.topic_prefix)};
    ro.from_beginning = true;
    ro.read_committed = true;
    ro.metadata_timeout_ms = kStopBoundMs;
    ro.fetch_wait_max_ms = kCursorFetchWaitMs;  // its end sooner: the start-up waits on it
    auto reader = KafkaReader::open(ro);
    if (!reader.ok()) return Outcome{Failure::retry, "read cursor: " + reader.error().message()};
    const auto give_up = SteadyClock::now() + std::chrono::milliseconds(kCursorReadTimeoutMs);
    while (!(*reader)->at_end()) {
      if (stopping()) return Outcome{Failure::stopped, "read cursor: stopping"};
      if (SteadyClock::now() >= give_up) return Outcome{Failure::retry, "read cursor: no end in time"};
      auto r = (*reader)->next(200);
      if (!r.ok()) return Outcome{Failure::retry, "read cursor: " + r.error().message()};
      if (r->has_value() && (*r)->key == st_.transactional_id) *last = std::move((*r)->value);
    }
    return std::nullopt;
  }

  // Event topics that existed with another partition count than
  // o_.partitions are refused: the same key would hash to another partition
  // than before, and one account's order on that topic would be lost.
  std::optional<Outcome> check_partitions() {
    RdKafka::Metadata* md = nullptr;
    const RdKafka::ErrorCode ec = producer_->metadata(true, nullptr, &md, kStopBoundMs);
    std::unique_ptr<RdKafka::Metadata> owned(md);
    if (ec != RdKafka::ERR_NO_ERROR) return Outcome{Failure::retry, "topic metadata: " + RdKafka::err2str(ec), ec};
    std::vector<std::string> names = event_topics(o_.topic_prefix);
    names.push_back(o_.topic_prefix + ".other");
    for (const std::string& name : names) {  // in routing order: the first wrong one is named
      const auto& all = *owned->topics();
      auto t = std::find_if(all.begin(), all.end(), [&](const auto* m) { return m->topic() == name; });
      if (t == all.end() || (*t)->err() != RdKafka::ERR_NO_ERROR) continue;  // just created
      const size_t found = (*t)->partitions()->size();
      if (found == static_cast<size_t>(o_.partitions)) continue;
      return Outcome{Failure::fatal,
                     "topic " + name + " has " + std::to_string(found) + " partitions, expected " +
                         std::to_string(o_.partitions) +
                         " (--partitions): refusing to publish to it (an account's events would change "
                         "partition); publish with --partitions " + std::to_string(found) +
                         " or use another --topic-prefix"};
    }
    return std::nullopt;
  }

  // Reads the cursor back (read_committed) and checks it against the ledger.
  // A cursor of another ledger is fatal (`corruption` via *refuse).
  std::optional<Outcome> load_cursor(Status* refuse) {
    std::optional<std::string> last;
    if (auto f = read_cursor_record(&last)) return f;
    uint64_t seq = 0, heads_size = 0;
    Hash256 hash{};
    if (last) {
      std::string want;
      if (!parse_cursor(*last, &seq, &want, &heads_size)) {
        *refuse = Status(StatusCode::corruption, "the cursor record of '" + st_.transactional_id +
                                                     "' on " + cursor_topic(o_.topic_prefix) +
                                                     " does not parse: " + *last);
        return Outcome{Failure::fatal, refuse->message()};
      }
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
    st_.heads_size = heads_size;
    cursor_hash_ = hash;
    cursor_loaded_ = true;
    return std::nullopt;
  }

  // The stored heads not yet published whose events are: size in
  // (heads_size, seq]; at most `max_count`.
  StatusOr<std::vector<PublishedHead>> heads_up_to(uint64_t seq, size_t max_count) {
    if (!o_.heads || seq <= st_.heads_size) return std::vector<PublishedHead>{};
    auto heads = o_.heads(st_.heads_size, seq, max_count);
    if (!heads.ok()) return Err{Status(heads.error().code(), "reading signed tree heads: " + heads.error().message())};
    uint64_t after = st_.heads_size;
    for (const auto& h : *heads) {
      if (h.tree_size <= after || h.tree_size > seq) {
        return fail(StatusCode::corruption, "the signed tree heads read back are not in (" + std::to_string(after) +
                                                ", " + std::to_string(seq) + "] in order");
      }
      after = h.tree_size;
    }
    return heads;
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
        if (stopping()) return Outcome{Failure::stopped, "produce: stopping with the local queue full"};
        producer_->poll(10);
        continue;
      }
      if (ec == RdKafka::ERR__FATAL) {
        std::string why;
        const RdKafka::ErrorCode code = producer_->fatal_error(why);
        return Outcome{Failure::fatal, "produce: " + RdKafka::err2str(ec) + ": " + why, code};
      }
      return Outcome{Failure::abort_and_retry, "produce to " + topic + ": " + RdKafka::err2str(ec)};
    }
  }

  // Commits the transaction in flight. A retriable failure (a timeout) is
  // retried on the same transaction: it may have committed, and only a
  // commit that returns success or an abortable error says which.
  std::optional<Outcome> commit(const std::atomic<bool>& stop) {
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
        return Outcome{Failure::stopped, o.message + " (stopping; the next start resumes from Kafka's cursor)"};
      }
      back_off(stop);
    }
    return std::nullopt;
  }

  // One transaction: events cursor+1..`until` (the head as the log reports
  // it; a secondary's is the acknowledged head) up to the batch limits, then
  // the cursor.
  std::optional<Outcome> publish_batch(const std::atomic<bool>& stop, uint64_t until) {
    if (auto* e = producer_->begin_transaction()) {
      return classify(std::unique_ptr<RdKafka::Error>(e), "begin_transaction");
    }
    txn_started_ = SteadyClock::now();
    txn_seq_ = 0;
    latencies_.append_to_produce_seconds.clear();
    produced_at_.clear();
    uint64_t seq = st_.published_seq;
    Hash256 last_hash = cursor_hash_;
    size_t bytes = 0, count = 0;
    std::optional<Outcome> failure;
    Status corrupt;
    Status scan = log_.scan_envelopes(seq + 1, [&](uint64_t at, std::string_view envelope) {
      if (at > until) return false;
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
      if (o_.on_committed) note_produced(head->recorded_at_micros);
      seq = at;
      last_hash = head->hash;
      bytes += envelope.size();
      ++count;
      return count < o_.batch_events_max && bytes < o_.batch_bytes_max && !stop.load() &&
             SteadyClock::now() - *txn_started_ < std::chrono::milliseconds(o_.batch_time_max_ms);
    });
    if (!scan.ok() || !corrupt.ok()) {
      abort_quietly();
      const Status& s = scan.ok() ? corrupt : scan;
      return Outcome{Failure::fatal, s.to_string()};
    }
    if (failure) return failure;
    // The heads whose events are now in this transaction or committed.
    auto heads = heads_up_to(seq, kHeadsPerTransactionMax);
    if (!heads.ok()) {
      abort_quietly();
      return Outcome{Failure::fatal, heads.error().to_string()};
    }
    if (count == 0 && heads->empty()) {
      abort_quietly();
      txn_started_.reset();
      return std::nullopt;
    }
    for (const PublishedHead& h : *heads) {
      if (auto f = produce(tree_heads_topic(o_.topic_prefix), ledger_id_, h.json, {})) return f;
    }
    const uint64_t heads_size = heads->empty() ? st_.heads_size : heads->back().tree_size;
    if (auto f = produce(cursor_topic(o_.topic_prefix), st_.transactional_id,
                         cursor_value(seq, last_hash, heads_size), {})) {
      return f;
    }
    txn_seq_ = seq;
    if (auto f = commit(stop)) return f;
    committed(seq, last_hash, count, heads_size, heads->size());
    return std::nullopt;
  }

  // After a transaction committed: the cursor it carried is ours.
  void committed(uint64_t seq, const Hash256& last_hash, size_t events, uint64_t heads_size, size_t heads) {
    txn_started_.reset();
    st_.published_seq = seq;
    cursor_hash_ = last_hash;
    st_.heads_size = heads_size;
    st_.heads_published_this_run += heads;
    st_.published_this_run += events;
    ++st_.transactions;
    st_.broker_ok = true;
    st_.last_error.clear();
    backoff_ms_ = 0;
    idle_pause_ms_ = 1;
    if (o_.on_committed) report_latencies();
  }

  void note_produced(int64_t recorded_at_micros) {
    const int64_t now_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
    // Clocks of two processes: never a negative latency.
    latencies_.append_to_produce_seconds.push_back(
        static_cast<double>(std::max<int64_t>(0, now_micros - recorded_at_micros)) / 1e6);
    produced_at_.push_back(SteadyClock::now());
  }

  void report_latencies() {
    const auto committed = SteadyClock::now();
    latencies_.produce_to_commit_seconds.clear();
    for (const auto& t : produced_at_) {
      latencies_.produce_to_commit_seconds.push_back(std::chrono::duration<double>(committed - t).count());
    }
    o_.on_committed(latencies_);
  }

  // follow, caught up: waits for new events (PublisherOptions::appended and
  // poll_interval_ms say how), serving the producer's callbacks meanwhile;
  // returns at once on stop. `seen` is the signal's generation taken before
  // the last look at the log.
  void wait_for_events(uint64_t seen, const std::atomic<bool>& stop) {
    const int pause_ms = o_.appended ? o_.poll_interval_ms : idle_pause_ms_;
    const auto wake = SteadyClock::now() + std::chrono::milliseconds(pause_ms);
    for (auto now = SteadyClock::now(); !stop.load() && now < wake; now = SteadyClock::now()) {
      const auto slice = std::min<SteadyClock::duration>(wake - now, std::chrono::milliseconds(50));
      if (o_.appended) {
        if (o_.appended->wait_for(seen, std::chrono::ceil<std::chrono::milliseconds>(slice))) break;
      } else {
        std::this_thread::sleep_for(slice);
      }
      producer_->poll(0);
    }
    if (!o_.appended) idle_pause_ms_ = std::min(idle_pause_ms_ * 2, std::max(1, o_.poll_interval_ms));
  }

  void abort_quietly() {
    if (auto* e = producer_->abort_transaction(kTxnCallTimeoutMs)) delete e;
  }

  // Aborts after an abortable error; retries a timed-out abort. Returns a
  // fatal Outcome (with librdkafka's code) or a stopped one.
  std::optional<Outcome> abort(const std::atomic<bool>& stop) {
    for (;;) {
      auto* e = producer_->abort_transaction(kTxnCallTimeoutMs);
      if (!e) {
        txn_started_.reset();
        return std::nullopt;
      }
      Outcome o = classify(std::unique_ptr<RdKafka::Error>(e), "abort_transaction");
      if (o.kind == Failure::fatal) return o;
      if (stop.load()) return Outcome{Failure::stopped, o.message};
      failed(o.message);
      back_off(stop);
    }
  }

  // A fatal epoch error is a timed-out transaction, not a fencing, when the
  // transaction it hit had been open for transaction.timeout.ms (so the
  // coordinator aborts it, bumping the epoch, whoever else exists) and the
  // cursor committed on Kafka is still ours (the one before the transaction
  // or the one it carried): a publisher with our id that took over and
  // committed would have moved it. A zombie fenced by a newer publisher
  // that has not committed yet is not told apart; it re-initialises, which
  // fences the newer one in turn: that one exits 3 (docs/kafka.md).
  bool fenced_by_timeout(const Outcome& f) {
    if (!epoch_bumped(f.code) || !txn_started_) return false;
    if (SteadyClock::now() - *txn_started_ < std::chrono::milliseconds(o_.transaction_timeout_ms)) return false;
    std::optional<std::string> last;
    std::optional<Outcome> unread = read_cursor_record(&last);
    for (int attempt = 1; attempt < 3 && unread && unread->kind == Failure::retry; ++attempt) {
      last.reset();
      unread = read_cursor_record(&last);
    }
    // Unreadable (or stopping): take it for the timeout; the new producer
    // reads the cursor again before it publishes anything.
    if (unread) return true;
    uint64_t seq = 0, heads_size = 0;
    std::string hash;
    if (!last) return st_.published_seq == 0;
    if (!parse_cursor(*last, &seq, &hash, &heads_size)) return false;
    return seq == st_.published_seq || (txn_seq_ != 0 && seq == txn_seq_);
  }

  // After a failure: nullopt to go on (after a backoff), or how run() ends.
  std::optional<Status> recover(const Outcome& f, const std::atomic<bool>& stop) {
    if (f.kind == Failure::stopped) return Status::Ok();
    if (f.kind != Failure::fatal) failed(f.message);
    if (f.kind == Failure::fatal && fenced_by_timeout(f)) {
      // The transaction timed out during an outage: a new producer's
      // init_transactions and the cursor read back continue where Kafka
      // says we are, exactly once.
      producer_.reset();
      cursor_loaded_ = false;
      txn_started_.reset();
      ++st_.producer_restarts;
      failed("transaction timed out while Kafka was unavailable (" + f.message + "); new producer");
    } else if (f.kind == Failure::fatal) {
      producer_.reset();
      cursor_loaded_ = false;
      const bool fenced = epoch_bumped(f.code);
      return Status(StatusCode::io_error,
                    fenced ? "fenced: another publisher with transactional id '" + st_.transactional_id +
                                 "' took over (" + f.message + ")"
                           : f.message);
    } else if (f.kind == Failure::abort_and_retry && producer_) {
      if (auto a = abort(stop)) return recover(*a, stop);
    }
    back_off(stop);
    return std::nullopt;
  }
};

Status KafkaPublisher::Impl::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  if (Status s = check_brokers(o_.brokers); !s.ok()) return s;
  if (!valid_topic_prefix(o_.topic_prefix)) {
    return Status(StatusCode::invalid_argument, "bad topic prefix '" + o_.topic_prefix + "'");
  }
  if (o_.partitions < 1 || o_.batch_events_max < 1 || o_.batch_bytes_max < 1 || o_.batch_time_max_ms < 1) {
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
  source_ = cloudevents_source(id);
  ledger_id_ = id;
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
      if (!f) f = check_partitions();
      Status refuse;
      if (!f) f = load_cursor(&refuse);
      if (!refuse.ok()) return refuse;
      if (!f) { st_.broker_ok = true; st_.last_error.clear(); backoff_ms_ = 0; report(true); }
    }
    if (!f) {
      // Taken before the look: a notify() after it ends the wait below.
      const uint64_t seen = o_.appended ? o_.appended->generation() : 0;
      if (Status s = refresh_head(); !s.ok()) return s;
      const uint64_t until = o_.follow ? st_.head_seq : target;
      if (st_.published_seq >= until) {
        // Heads signed after their events went out go in a transaction of their own.
        auto pending = heads_up_to(st_.published_seq, 1);
        if (!pending.ok()) return pending.error();
        if (pending->empty()) {
          if (!o_.follow) break;
          report_settled();
          wait_for_events(seen, stop);
          continue;
        }
      }
      f = publish_batch(stop, until);
      if (!f) { report(false); continue; }
    }
    // Something failed.
    if (auto end = recover(*f, stop)) {
      if (end->ok()) break;  // stopped while Kafka was unavailable
      return *end;
    }
  }
  report(true);
  producer_.reset();
  return Status::Ok();
}

KafkaPublisher::KafkaPublisher(EventLog& log, PublisherOptions options, StatusFn on_status)
    : impl_(std::make_unique<Impl>(log, std::move(options), std::move(on_status))) {}
KafkaPublisher::~KafkaPublisher() = default;
Status KafkaPublisher::run(const std::atomic<bool>& stop) { return impl_->run(stop); }
PublisherStatus KafkaPublisher::status() const { return impl_->st_; }

}  // namespace mledger::kafka
