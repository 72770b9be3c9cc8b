#pragma once
// KafkaReader: reads whole topics (every partition, no consumer group, no
// committed offsets) with isolation.level=read_committed, so it sees only
// committed transactions. Used by `mledger tail`, by the publisher to read its
// cursor back, and by tests. Not thread-safe: one thread calls it.
//
// It never throws. Records are copied out of librdkafka (the reader keeps no
// reference after next() returns).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/kafka/routing.h"
#include "domain/core/status.h"

namespace mledger::kafka {

struct KafkaRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string key;
  std::string value;
  Headers headers;
  // The value of header `name`, or "" when absent.
  std::string header(std::string_view name) const;
};

struct KafkaReaderOptions {
  std::string brokers;              // "host:port[,host:port]"
  std::vector<std::string> topics;  // at least one; each must exist
  bool from_beginning = true;       // else only records produced after open()
  bool read_committed = true;       // false: read_uncommitted (sees aborted records)
  int metadata_timeout_ms = 10000;
  size_t queued_kbytes_max = 64 * 1024;  // librdkafka's prefetch bound per partition
  // How long the broker holds a fetch that finds nothing new (librdkafka's
  // fetch.wait.max.ms). A partition's end is known only from a fetch's
  // answer, so a reader that reads to the end and stops (the publisher's
  // cursor) lowers it: at its end, at_end() comes this much sooner.
  int fetch_wait_max_ms = 500;
};

class KafkaReader {
 public:
  // Connects and assigns every partition of every topic. Fails with
  // invalid_argument for a malformed broker list, not_found for a topic that
  // does not exist, io_error when the brokers cannot be reached in time.
  [[nodiscard]] static StatusOr<std::unique_ptr<KafkaReader>> open(const KafkaReaderOptions& options);
  ~KafkaReader();

  // The next record, waiting at most timeout_ms; nullopt when none came.
  // Fails with io_error on a consumer error that is not transient.
  [[nodiscard]] StatusOr<std::optional<KafkaRecord>> next(int timeout_ms);

  // True when every assigned partition has reached its end (for
  // read_committed: the last stable offset) and nothing came since.
  bool at_end() const;

  // Reads until at_end(), calling fn with each record; gives up with io_error
  // after `timeout_ms` without reaching the end.
  [[nodiscard]] Status read_to_end(int timeout_ms, const std::function<void(KafkaRecord&&)>& fn);

  class Impl;

 private:
  explicit KafkaReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits and checks a broker list: each entry "host:port" with a port in
// 1..65535. Returns invalid_argument naming the bad entry.
[[nodiscard]] Status check_brokers(std::string_view brokers);

}  // namespace mledger::kafka
