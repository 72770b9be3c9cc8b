#include "adapters/writer/group_commit_writer.h"

#include <chrono>
#include <vector>

#include "adapters/log/append_planner.h"

namespace mledger {

namespace {
std::future<StatusOr<AppendOutcome>> ready(Status status) {
  std::promise<StatusOr<AppendOutcome>> p;
  p.set_value(Err{std::move(status)});
  return p.get_future();
}
}  // namespace

GroupCommitWriter::GroupCommitWriter(EventLog& log, GroupCommitOptions options)
    : log_(log), options_(options), thread_([this] { run(); }) {}

GroupCommitWriter::~GroupCommitWriter() { stop(); }

std::future<StatusOr<AppendOutcome>> GroupCommitWriter::submit(AppendRequest request) {
  if (Status s = check_append_request(request); !s.ok()) return ready(std::move(s));
  // Encoding is the costly part of an append and needs no order: do it here,
  // on the caller's thread, and leave the writer only the chain.
  if (request.encoded_bodies.empty()) {
    if (Status s = encode_bodies(request); !s.ok()) return ready(std::move(s));
  }
  std::unique_lock lock(mu_);
  if (stopping_) return ready(Status(StatusCode::unavailable, "the writer is stopping"));
  if (queue_.size() >= options_.queue_requests_max) {
    return ready(Status(StatusCode::limit_exceeded,
                        "append queue is full (queue_requests_max = " +
                            std::to_string(options_.queue_requests_max) + ")"));
  }
  queue_.push_back(Pending{std::move(request), {}});
  auto future = queue_.back().promise.get_future();
  lock.unlock();
  wake_.notify_one();
  return future;
}

void GroupCommitWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

GroupCommitStats GroupCommitWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitWriter::run() {
  std::vector<Pending> batch;
  std::vector<AppendRequest> requests;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t events = 0;
      while (!queue_.empty() && batch.size() < options_.batch_requests_max &&
             (batch.empty() ||
              events + queue_.front().request.events.size() <= options_.batch_events_max)) {
        events += queue_.front().request.events.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    requests.clear();
    for (Pending& p : batch) requests.push_back(std::move(p.request));
    const auto t0 = std::chrono::steady_clock::now();
    auto outcomes = log_.append_batch(requests);
    const auto spent = std::chrono::steady_clock::now() - t0;
    size_t events = 0;
    for (const auto& r : requests) events += r.events.size();
    {
      std::lock_guard lock(mu_);
      ++stats_.batches;
      stats_.append_micros += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(spent).count());
      stats_.requests += batch.size();
      if (outcomes.ok()) {
        stats_.events += events;
      } else {
        ++stats_.failed_batches;
      }
    }
    if (outcomes.ok() && options_.on_batch) options_.on_batch(batch.size(), events);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (outcomes.ok()) {
        batch[i].promise.set_value(std::move(outcomes.value()[i]));
      } else {
        batch[i].promise.set_value(Err{outcomes.error()});
      }
    }
    batch.clear();
  }
}

}  // namespace mledger
