#include "adapters/kafka/kafka_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

namespace mledger::kafka {

std::string KafkaRecord::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

Status check_brokers(std::string_view brokers) {
  if (brokers.empty()) return Status(StatusCode::invalid_argument, "--brokers is empty");
  size_t start = 0;
  while (start <= brokers.size()) {
    size_t end = brokers.find(',', start);
    if (end == std::string_view::npos) end = brokers.size();
    const std::string_view entry = brokers.substr(start, end - start);
    const size_t colon = entry.rfind(':');
    bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < entry.size() &&
              entry.size() - colon - 1 <= 5;
    uint32_t port = 0;
    if (ok) {
      for (char c : entry.substr(colon + 1)) {
        if (c < '0' || c > '9') ok = false;
        port = port * 10 + static_cast<uint32_t>(c - '0');
      }
    }
    if (!ok || port == 0 || port > 65535) {
      return Status(StatusCode::invalid_argument,
                    "bad broker address '" + std::string(entry) + "' (expected HOST:PORT)");
    }
    start = end + 1;
  }
  return Status::Ok();
}

class KafkaReader::Impl {
 public:
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::set<std::pair<std::string, int32_t>> partitions;
  std::set<std::pair<std::string, int32_t>> at_eof;
};

namespace {

bool set(RdKafka::Conf& conf, const std::string& k, const std::string& v, std::string* err) {
  return conf.set(k, v, *err) == RdKafka::Conf::CONF_OK;
}

}  // namespace

StatusOr<std::unique_ptr<KafkaReader>> KafkaReader::open(const KafkaReaderOptions& o) {
  if (Status s = check_brokers(o.brokers); !s.ok()) return Err{s};
  if (o.topics.empty()) return fail(StatusCode::invalid_argument, "no topic to read");
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  std::random_device rd;
  // A group id is required by the consumer API; assign() never joins the
  // group and nothing is committed, so a random one leaves no trace.
  const std::string group = "mledger-reader-" + std::to_string(rd()) + std::to_string(rd());
  if (!set(*conf, "bootstrap.servers", o.brokers, &err) || !set(*conf, "group.id", group, &err) ||
      !set(*conf, "enable.auto.commit", "false", &err) ||
      !set(*conf, "enable.auto.offset.store", "false", &err) ||
      !set(*conf, "enable.partition.eof", "true", &err) ||
      !set(*conf, "isolation.level", o.read_committed ? "read_committed" : "read_uncommitted",
           &err) ||
      !set(*conf, "auto.offset.reset", o.from_beginning ? "earliest" : "latest", &err) ||
      !set(*conf, "queued.max.messages.kbytes", std::to_string(o.queued_kbytes_max), &err) ||
      !set(*conf, "allow.auto.create.topics", "false", &err) ||
      !set(*conf, "fetch.wait.max.ms", std::to_string(o.fetch_wait_max_ms), &err) ||
      !set(*conf, "log_level", "3", &err)) {
    return fail(StatusCode::invalid_argument, "consumer configuration: " + err);
  }
  auto impl = std::make_unique<Impl>();
  impl->consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!impl->consumer) return fail(StatusCode::io_error, "cannot create a Kafka consumer: " + err);

  std::vector<RdKafka::TopicPartition*> assignment;
  auto free_assignment = [&] { RdKafka::TopicPartition::destroy(assignment); };
  for (const auto& name : o.topics) {
    std::unique_ptr<RdKafka::Topic> topic(
        RdKafka::Topic::create(impl->consumer.get(), name, nullptr, err));
    if (!topic) {
      free_assignment();
      return fail(StatusCode::invalid_argument, "topic '" + name + "': " + err);
    }
    RdKafka::Metadata* raw = nullptr;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.metadata_timeout_ms);
    RdKafka::ErrorCode ec = RdKafka::ERR_NO_ERROR;
    RdKafka::ErrorCode topic_ec = RdKafka::ERR_NO_ERROR;
    std::vector<int32_t> ids;
    // A broker that just started may answer "leader not available" for a
    // moment; ask again until the deadline.
    do {
      ids.clear();
      ec = impl->consumer->metadata(false, topic.get(), &raw, 5000);
      if (ec == RdKafka::ERR_NO_ERROR) {
        std::unique_ptr<RdKafka::Metadata> md(raw);
        for (const auto* t : *md->topics()) {
          if (t->topic() != name) continue;
          topic_ec = t->err();
          for (const auto* p : *t->partitions()) ids.push_back(p->id());
        }
        if (topic_ec == RdKafka::ERR_NO_ERROR && !ids.empty()) break;
        if (topic_ec == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) break;
      }
    } while (std::chrono::steady_clock::now() < deadline &&
             (std::this_thread::sleep_for(std::chrono::milliseconds(200)), true));
    if (ec != RdKafka::ERR_NO_ERROR) {
      free_assignment();
      return fail(StatusCode::io_error, "cannot reach Kafka at " + o.brokers + ": " + RdKafka::err2str(ec));
    }
    if (topic_ec == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
      free_assignment();
      return fail(StatusCode::not_found, "topic '" + name + "' does not exist");
    }
    if (ids.empty()) {
      free_assignment();
      return fail(StatusCode::io_error, "topic '" + name + "' has no partitions yet: " + RdKafka::err2str(topic_ec));
    }
    for (int32_t id : ids) {
      assignment.push_back(RdKafka::TopicPartition::create(
          name, id, o.from_beginning ? RdKafka::Topic::OFFSET_BEGINNING : RdKafka::Topic::OFFSET_END));
      impl->partitions.emplace(name, id);
    }
  }
  const RdKafka::ErrorCode ec = impl->consumer->assign(assignment);
  free_assignment();
  if (ec != RdKafka::ERR_NO_ERROR) return fail(StatusCode::io_error, "assign: " + RdKafka::err2str(ec));
  return std::unique_ptr<KafkaReader>(new KafkaReader(std::move(impl)));
}

KafkaReader::KafkaReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaReader::~KafkaReader() {
  if (impl_ && impl_->consumer) impl_->consumer->close();
}

bool KafkaReader::at_end() const { return impl_->at_eof.size() == impl_->partitions.size(); }

StatusOr<std::optional<KafkaRecord>> KafkaReader::next(int timeout_ms) {
  std::unique_ptr<RdKafka::Message> m(impl_->consumer->consume(timeout_ms));
  if (!m) return std::optional<KafkaRecord>();
  switch (m->err()) {
    case RdKafka::ERR_NO_ERROR: {
      KafkaRecord r;
      r.topic = m->topic_name();
      r.partition = m->partition();
      r.offset = m->offset();
      r.timestamp_ms = m->timestamp().timestamp;
      if (m->key()) r.key = *m->key();
      r.value.assign(static_cast<const char*>(m->payload()), m->len());
      if (const RdKafka::Headers* h = m->headers()) {
        for (const auto& hdr : h->get_all()) {
          r.headers.emplace_back(hdr.key(), hdr.value() ? std::string(static_cast<const char*>(hdr.value()),
                                                                      hdr.value_size())
                                                        : std::string());
        }
      }
      impl_->at_eof.erase({r.topic, r.partition});
      return std::optional<KafkaRecord>(std::move(r));
    }
    case RdKafka::ERR__PARTITION_EOF:
      impl_->at_eof.emplace(m->topic_name(), m->partition());
      return std::optional<KafkaRecord>();
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
      return std::optional<KafkaRecord>();  // transient: librdkafka reconnects
    default:
      return fail(StatusCode::io_error, "consume: " + m->errstr());
  }
}

Status KafkaReader::read_to_end(int timeout_ms, const std::function<void(KafkaRecord&&)>& fn) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!at_end()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(StatusCode::io_error, "did not reach the end of the topics in " +
                                              std::to_string(timeout_ms) + " ms");
    }
    auto r = next(200);
    if (!r.ok()) return r.error();
    if (r->has_value()) fn(std::move(**r));
  }
  return Status::Ok();
}

}  // namespace mledger::kafka
