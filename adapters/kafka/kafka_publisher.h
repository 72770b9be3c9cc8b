#pragma once
// KafkaPublisher: publishes the event log to Kafka exactly once for
// read_committed consumers (docs/kafka.md).
//
// Each Kafka transaction holds a contiguous run of events (seq c+1..c+n, at
// most batch_events_max events and batch_bytes_max envelope bytes) and one
// cursor record {seq c+n, hash of event c+n} on the compacted topic
// "<prefix>.publisher-cursors", keyed by the transactional id. The cursor thus
// commits atomically with the events it covers. On start (and after any
// producer restart) the publisher fences older instances with the same
// transactional id (init_transactions aborts their open transaction), reads its
// cursor back with read_committed and resumes after it. A cursor whose hash is
// not the ledger's hash at that seq (another ledger) is refused: run() fails
// with `corruption` and publishes nothing.
//
// Errors: an unreachable broker, a timed-out or abortable transaction are
// transient: the transaction is aborted (or its commit retried) and the batch
// is published again from the cursor after a backoff (doubling up to
// retry_backoff_max_ms); run() keeps going. A fatal epoch error on a
// transaction open for at least transaction_timeout_ms, with the cursor on
// Kafka still ours, is the coordinator's abort of a timed-out transaction
// (an outage): run() creates a new producer, reads the cursor back and goes
// on (PublisherStatus::producer_restarts). Any other fatal producer error
// (fenced by a newer publisher with the same transactional id) ends run()
// with io_error ("fenced: ..."); a restart resumes from the cursor. An
// existing event topic whose partition count is not `partitions` ends run()
// with io_error naming the topic and both counts, before anything is
// published.
//
// Signed tree heads (when `heads` is set): each stored head goes to the
// topic "<prefix>.tree-heads" (one partition, kept forever; key = the ledger
// id, value = the head's JSON), smallest tree first, exactly once: a head of
// size S goes in the transaction that holds event S, or, when it was signed
// after that one committed, in a later transaction (one with only heads and
// the cursor when no events come), never in one before event S's. So a
// read_committed consumer sees a head only once every event it covers is
// committed. The cursor record also carries "heads_size", the size of the
// last head published; a restart resumes after it (a cursor without it, from
// a build before heads, starts with the first head).
//
// Thread safety: run() on one thread; `stop` may be set from any thread (and
// from a signal handler): the current transaction is committed or aborted,
// then run() returns OK. While Kafka is unavailable run() stops waiting for
// it and returns OK within about kStopBoundMs (5 s; docs/kafka.md), leaving
// the open transaction to the broker's timeout or the next start.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/writer/append_signal.h"
#include "domain/core/status.h"
#include "domain/ports/event_log.h"

namespace mledger::kafka {

// The latencies of one committed transaction, per event in it, in seconds:
// from the event's recorded-at (the ledger's clock at append) to the
// publisher's produce call, and from that call to the commit's success.
struct CommittedLatencies {
  std::vector<double> append_to_produce_seconds;
  std::vector<double> produce_to_commit_seconds;
};

// A signed tree head to publish: its tree size and its JSON as `mledger
// audit tree-head --json` prints it.
struct PublishedHead {
  uint64_t tree_size = 0;
  std::string json;
};
// The stored heads of size in (after_size, at_most_size], smallest first, at
// most max_count; a failure (a head that does not decode) ends run().
using HeadSource = std::function<StatusOr<std::vector<PublishedHead>>(uint64_t after_size, uint64_t at_most_size,
                                                                      size_t max_count)>;
inline constexpr size_t kHeadsPerTransactionMax = 1000;

struct PublisherOptions {
  std::string brokers;                 // "host:port[,host:port]"
  std::string topic_prefix = "mledger";
  int32_t partitions = 6;              // for event topics it creates
  int16_t replication_factor = -1;     // -1: the broker's default
  std::string transactional_id;        // empty: "mledger-publisher-<prefix>-<ledger id>"
  // A transaction takes the events there are when it begins, and closes at
  // whichever limit comes first: events, envelope bytes, or the time since
  // it began (so its first event does not wait behind a large backlog).
  size_t batch_events_max = 50000;
  size_t batch_bytes_max = 32 << 20;
  int batch_time_max_ms = 200;
  int transaction_timeout_ms = 60000;  // also message.timeout.ms; <= the broker's max
  int retry_backoff_max_ms = 5000;
  // follow, when caught up: how it learns of new events. With `appended`
  // (the writer's signal, in the same process) it waits for the writer's
  // notify(), looking at the log anyway every poll_interval_ms. Without it
  // (a secondary instance beside another process's writer) it looks every
  // 1 ms at first after the last new event, doubling the pause while
  // nothing comes, up to poll_interval_ms.
  int poll_interval_ms = 100;
  AppendSignal* appended = nullptr;    // must outlive run()
  bool follow = false;                 // false: publish up to the head seen at start, return
  // Called after each committed transaction, on each retry and while idle
  // (at most every status_interval_ms, but always when it falls idle in a
  // state not yet reported), from run()'s thread.
  int status_interval_ms = 1000;
  // Called after each committed transaction, from run()'s thread (metrics).
  // May be empty: then no latency is kept.
  std::function<void(const CommittedLatencies&)> on_committed;
  // The signed heads to publish beside the events (see above); empty: none.
  HeadSource heads;
};

struct PublisherStatus {
  uint64_t published_seq = 0;    // the cursor: every event <= this is committed on Kafka
  uint64_t head_seq = 0;         // the ledger's head as last seen
  uint64_t lag() const { return head_seq > published_seq ? head_seq - published_seq : 0; }
  uint64_t published_this_run = 0;
  uint64_t heads_size = 0;         // the cursor's last published head (0: none)
  uint64_t heads_published_this_run = 0;
  uint64_t transactions = 0;
  uint64_t retries = 0;
  uint64_t commit_ms = 0;        // time spent in commit_transaction this run
  uint64_t producer_restarts = 0;  // new producers after a transaction timed out in an outage
  bool broker_ok = false;        // the last Kafka operation succeeded
  std::string last_error;        // why the last attempt failed ("" when broker_ok)
  std::string transactional_id;
};

class KafkaPublisher {
 public:
  using StatusFn = std::function<void(const PublisherStatus&)>;

  // `log` must outlive the publisher; in follow mode it must be a secondary
  // instance or the writer's own (its catch_up() is called before each look
  // at the head).
  KafkaPublisher(EventLog& log, PublisherOptions options, StatusFn on_status);
  ~KafkaPublisher();

  // Publishes until the head (follow = false) or until *stop. See above.
  [[nodiscard]] Status run(const std::atomic<bool>& stop);

  // The last status; call it only while run() is not running (during run(),
  // the StatusFn receives each status on run()'s thread).
  PublisherStatus status() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The ledger id: the first 16 hex digits of event 1's hash (the genesis of
// the chain); not_found on an empty log.
[[nodiscard]] StatusOr<std::string> ledger_id(EventLog& log);

}  // namespace mledger::kafka
