#include "adapters/projections/projector.h"

namespace mledger {

Projector::Projector(ProjectionEngine& engine, EventLog& log, std::chrono::milliseconds poll_interval)
    : engine_(engine), log_(log), poll_interval_(poll_interval), thread_([this] { run(); }) {}

Projector::~Projector() { (void)stop(); }

void Projector::notify() {
  std::lock_guard lock(mu_);
  notified_ = true;
  wake_.notify_one();
}

uint64_t Projector::caught_up_to() const {
  std::lock_guard lock(mu_);
  return caught_up_to_;
}

Status Projector::catch_up_once() {
  auto head = log_.digest();
  if (!head.ok()) return head.error();
  {
    std::lock_guard lock(mu_);
    if (head->seq == caught_up_to_ && caught_up_to_ != 0) return Status::Ok();
  }
  if (Status s = engine_.catch_up({}); !s.ok()) return s;
  std::lock_guard lock(mu_);
  caught_up_to_ = head->seq;
  return Status::Ok();
}

void Projector::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, poll_interval_, [this] { return stopping_ || notified_; });
      if (stopping_) return;
      notified_ = false;
      if (!failure_.ok()) continue;
    }
    Status s = catch_up_once();
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      failure_ = s;
    }
  }
}

Status Projector::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return failure_;
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    if (!failure_.ok()) return failure_;
  }
  Status last = catch_up_once();
  std::lock_guard lock(mu_);
  if (!last.ok()) failure_ = last;
  return failure_;
}

}  // namespace mledger
