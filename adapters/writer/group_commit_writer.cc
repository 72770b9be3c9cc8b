#include "adapters/writer/group_commit_writer.h"

#include <cassert>
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

// A completion that fulfils the returned future.
std::pair<AppendDone, std::future<StatusOr<AppendOutcome>>> promised() {
  auto p = std::make_shared<std::promise<StatusOr<AppendOutcome>>>();
  auto f = p->get_future();
  return {[p](StatusOr<AppendOutcome> outcome) { p->set_value(std::move(outcome)); }, std::move(f)};
}

// The outcome of a chained request after an earlier one of its chain was not appended.
AppendOutcome chain_broken() {
  AppendOutcome out;
  out.status = AppendStatus::conflict;
  return out;
}
}  // namespace

GroupCommitWriter::GroupCommitWriter(EventLog& log, GroupCommitOptions options)
    : log_(log), options_(options), thread_([this] { run(); }) {}

GroupCommitWriter::~GroupCommitWriter() { stop(); }

std::future<StatusOr<AppendOutcome>> GroupCommitWriter::submit(AppendRequest request) {
  auto [done, future] = promised();
  submit_then(std::move(request), std::move(done));
  return std::move(future);
}

void GroupCommitWriter::submit_then(AppendRequest request, AppendDone done) {
  assert(done);
  if (Status s = check_append_request(request); !s.ok()) return done(Err{std::move(s)});
  // Encoding is the costly part of an append and needs no order: do it here,
  // on the caller's thread, and leave the writer only the chain.
  if (request.encoded_bodies.empty()) {
    if (Status s = encode_bodies(request); !s.ok()) return done(Err{std::move(s)});
  }
  std::unique_lock lock(mu_);
  if (Status s = refusal_locked(1); !s.ok()) {
    lock.unlock();
    return done(Err{std::move(s)});
  }
  queue_.push_back(Pending{std::move(request), std::move(done), nullptr});
  lock.unlock();
  wake_.notify_one();
}

Status GroupCommitWriter::refusal_locked(size_t requests) const {
  if (stopping_) return Status(StatusCode::unavailable, "the writer is stopping");
  if (queue_.size() + requests > options_.queue_requests_max) {
    return Status(StatusCode::limit_exceeded, "append queue is full (queue_requests_max = " +
                                                  std::to_string(options_.queue_requests_max) +
                                                  ")");
  }
  return Status::Ok();
}

std::shared_ptr<AppendChain> GroupCommitWriter::open_chain() {
  std::lock_guard lock(mu_);
  auto chain = std::make_shared<AppendChain>();
  chain->id = ++chains_opened_;
  return chain;
}

std::vector<std::future<StatusOr<AppendOutcome>>> GroupCommitWriter::submit_chained(
    std::vector<AppendRequest> requests, const std::shared_ptr<AppendChain>& chain) {
  assert(chain != nullptr);
  std::vector<std::future<StatusOr<AppendOutcome>>> out;
  out.reserve(requests.size());
  // Check and encode on the caller's thread; a request refused here breaks
  // the chain, and the later ones are not queued (they were decided over it).
  size_t accepted = requests.size();
  Status refused;
  for (size_t i = 0; i < requests.size(); ++i) {
    AppendRequest& r = requests[i];
    r.chain = chain->id;
    refused = check_append_request(r);
    if (refused.ok() && r.encoded_bodies.empty()) refused = encode_bodies(r);
    if (!refused.ok()) {
      accepted = i;
      break;
    }
  }
  std::unique_lock lock(mu_);
  const bool was_broken = chain->broken || chain->refused;
  if (!was_broken && accepted > 0) {
    if (Status s = refusal_locked(accepted); !s.ok()) {
      refused = std::move(s);
      accepted = 0;
    }
  }
  if (!was_broken) {
    for (size_t i = 0; i < accepted; ++i) {
      auto [done, future] = promised();
      queue_.push_back(Pending{std::move(requests[i]), std::move(done), chain});
      out.push_back(std::move(future));
    }
  }
  // The requests queued before the refused one still go; no later one may.
  if (accepted < requests.size()) chain->refused = true;
  lock.unlock();
  if (!was_broken && accepted > 0) wake_.notify_one();
  // The refused one gets the reason; after it, and on a chain broken
  // before, each request gets the outcome of an unappended chain.
  for (size_t i = out.size(); i < requests.size(); ++i) {
    if (!was_broken && i == accepted) {
      out.push_back(ready(refused));
    } else {
      std::promise<StatusOr<AppendOutcome>> p;
      p.set_value(chain_broken());
      out.push_back(p.get_future());
    }
  }
  return out;
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

WriterHealth GroupCommitWriter::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

void GroupCommitWriter::run() {
  std::vector<Pending> batch;
  std::vector<Pending> skipped;  // of a chain broken in an earlier batch
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
        if (queue_.front().chain && queue_.front().chain->broken) {
          skipped.push_back(std::move(queue_.front()));
          queue_.pop_front();
          continue;
        }
        events += queue_.front().request.events.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stats_.requests += skipped.size();
    }
    for (Pending& p : skipped) p.done(chain_broken());
    skipped.clear();
    if (batch.empty()) continue;
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
        health_ = WriterHealth{};
      } else {
        ++stats_.failed_batches;
        if (health_.consecutive_failed_writes++ == 0) health_.failing_since_batch = stats_.batches;
        health_.last_failure = outcomes.error();
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].chain &&
            (!outcomes.ok() || outcomes.value()[i].status != AppendStatus::appended)) {
          batch[i].chain->broken = true;
        }
      }
    }
    if (outcomes.ok() && options_.on_batch) options_.on_batch(batch.size(), events);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (outcomes.ok()) {
        batch[i].done(std::move(outcomes.value()[i]));
      } else {
        batch[i].done(Err{outcomes.error()});
      }
    }
    batch.clear();
  }
}

}  // namespace mledger
