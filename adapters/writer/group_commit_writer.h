#pragma once
// GroupCommitWriter: the single writer of an EventLog. Any number of threads
// submit append requests; one thread takes everything queued (up to the batch
// limits) and appends it with one durable write. A caller's future is ready
// only once the batch holding its request is durable, or has failed.
//
// Limits: at most queue_requests_max requests wait; submit() beyond that fails
// at once with limit_exceeded (nothing queued). A malformed request fails at
// once with invalid_argument. After stop() (or destruction) submit() fails
// with unavailable; requests queued before stop() are still written.
//
// Chains (for pipelining): a caller that decides a request over the events of
// its own earlier requests, before those are durable, submits them all with
// one chain. Requests of a chain are applied in submission order, and once one
// of them is not appended (conflict, duplicate, id reused, a failed submit or
// write), no later one is: each fails with AppendStatus::conflict and an empty
// conflict_stream. So a chained request is never applied over a state that
// lacks the events it was decided over, even if another writer's events now
// stand at the same stream versions.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "domain/ports/event_log.h"

namespace mledger {

// Called once with a request's outcome (see submit_then()).
using AppendDone = std::function<void(StatusOr<AppendOutcome>)>;

struct GroupCommitOptions {
  size_t queue_requests_max = 65536;
  size_t batch_requests_max = 4096;
  size_t batch_events_max = 16384;
  // Called on the writer thread after each durable batch (requests, events
  // in it); for metrics, so it must be quick. May be empty.
  std::function<void(size_t requests, size_t events)> on_batch;
};

struct GroupCommitStats {
  uint64_t batches = 0;
  uint64_t requests = 0;
  uint64_t events = 0;
  uint64_t failed_batches = 0;
  uint64_t append_micros = 0;  // time spent inside EventLog::append_batch
};

// Whether durable writes are failing now: for readiness checks and metrics.
// A write is one EventLog::append_batch of the writer; it failed when the log
// returned a Status (not when it answered a request with a conflict or a
// duplicate). Nothing is known until the first write: a writer that has not
// written reports not failing.
struct WriterHealth {
  // Writes failed in a row since the last one that succeeded (or since the
  // start); 0 when the most recent write succeeded or none was made.
  uint64_t consecutive_failed_writes = 0;
  // The most recent write's failure; ok() when consecutive_failed_writes is 0.
  Status last_failure;
  // The value of GroupCommitStats::batches when the first of the failed run
  // was made (1-based); 0 when not failing.
  uint64_t failing_since_batch = 0;

  bool failing() const { return consecutive_failed_writes > 0; }
};

// A chain's state; only the writer reads or changes it (under its lock).
struct AppendChain {
  uint64_t id = 0;
  bool broken = false;   // a queued request was not appended: skip the rest
  bool refused = false;  // a request was refused at submit: queue no more
};

class GroupCommitWriter {
 public:
  GroupCommitWriter(EventLog& log, GroupCommitOptions options);
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  [[nodiscard]] std::future<StatusOr<AppendOutcome>> submit(AppendRequest request);
  // submit() without a future: `done` is called exactly once with the outcome,
  // on the writer's thread once the batch is durable or has failed (or at once,
  // on the caller's thread, when the request is refused). It runs before the
  // writer takes its next batch, so it must be quick; it may submit again but
  // must never wait for an outcome.
  void submit_then(AppendRequest request, AppendDone done);

  // A new chain (see above). Thread-safe; one caller submits to it at a time.
  [[nodiscard]] std::shared_ptr<AppendChain> open_chain();
  // submit() for each request, in order, as the next requests of `chain`
  // (request.chain is set here), all queued at once so that the writer takes
  // them together. One future per request. A request refused (malformed,
  // queue full, stopping) gets that Status, and the later ones the outcome
  // of an unappended chain.
  [[nodiscard]] std::vector<std::future<StatusOr<AppendOutcome>>> submit_chained(
      std::vector<AppendRequest> requests, const std::shared_ptr<AppendChain>& chain);

  // submit() and wait.
  [[nodiscard]] StatusOr<AppendOutcome> append(AppendRequest request) {
    return submit(std::move(request)).get();
  }

  // Stops taking requests, writes what is queued, joins the writer thread.
  void stop();

  GroupCommitStats stats() const;
  // Whether the most recent durable write failed (see WriterHealth).
  // Thread-safe; a short lock, no I/O.
  [[nodiscard]] WriterHealth health() const;

 private:
  struct Pending {
    AppendRequest request;
    AppendDone done;
    std::shared_ptr<AppendChain> chain;  // may be null
  };
  void run();
  // Why `requests` more cannot be queued now (ok: they can).
  Status refusal_locked(size_t requests) const;

  EventLog& log_;
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  GroupCommitStats stats_;
  WriterHealth health_;
  uint64_t chains_opened_ = 0;
  std::thread thread_;
};

}  // namespace mledger
