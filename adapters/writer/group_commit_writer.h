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

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "domain/ports/event_log.h"

namespace mledger {

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

class GroupCommitWriter {
 public:
  GroupCommitWriter(EventLog& log, GroupCommitOptions options);
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  [[nodiscard]] std::future<StatusOr<AppendOutcome>> submit(AppendRequest request);

  // submit() and wait.
  [[nodiscard]] StatusOr<AppendOutcome> append(AppendRequest request) {
    return submit(std::move(request)).get();
  }

  // Stops taking requests, writes what is queued, joins the writer thread.
  void stop();

  GroupCommitStats stats() const;

 private:
  struct Pending {
    AppendRequest request;
    std::promise<StatusOr<AppendOutcome>> promise;
  };
  void run();

  EventLog& log_;
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  GroupCommitStats stats_;
  std::thread thread_;
};

}  // namespace mledger
