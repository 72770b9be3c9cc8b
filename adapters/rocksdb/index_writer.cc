#include "adapters/rocksdb/index_writer.h"

#include <cassert>

namespace mledger {

IndexWriter::IndexWriter(Write write, Written written, Failed failed, uint64_t lag_events_max)
    : write_(std::move(write)),
      written_(std::move(written)),
      failed_(std::move(failed)),
      lag_events_max_(lag_events_max) {
  assert(lag_events_max_ > 0);
  thread_ = std::thread([this] { run(); });
}

IndexWriter::~IndexWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

Status IndexWriter::enqueue(SharedIndexBatch batch) {
  std::unique_lock lock(mu_);
  // A batch larger than the bound waits for an empty queue, never forever.
  changed_.wait(lock, [&] {
    return !failure_.ok() || queued_events_ == 0 || queued_events_ + batch->event_count <= lag_events_max_;
  });
  if (!failure_.ok()) return failure_;
  queued_events_ += batch->event_count;
  queue_.push_back(std::move(batch));
  changed_.notify_all();
  return Status::Ok();
}

Status IndexWriter::wait_idle() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !failure_.ok() || (queue_.empty() && !writing_); });
  return failure_;
}

Status IndexWriter::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void IndexWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || (!queue_.empty() && failure_.ok()); });
    if (queue_.empty() || !failure_.ok()) return;  // stopping, with nothing (more) to write
    writing_ = true;
    const SharedIndexBatch batch = queue_.front();
    lock.unlock();
    Status s = write_(*batch);
    if (s.ok()) written_(batch->last_seq);
    lock.lock();
    writing_ = false;
    if (s.ok()) {
      queued_events_ -= batch->event_count;
      queue_.pop_front();
    } else {
      failure_ = s;
    }
    changed_.notify_all();
    if (!s.ok() && failed_) {
      lock.unlock();
      failed_(s, batch->last_seq);
      lock.lock();
    }
  }
}

}  // namespace mledger
