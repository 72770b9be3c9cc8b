#pragma once
// AppendSignal: the writer tells a waiting reader that new events are
// durable, so the reader need not poll the log. The writer calls notify()
// after each durable write (GroupCommitOptions::on_batch); a reader (the
// Kafka publisher inside the server) takes generation() *before* it looks at
// the log and, finding nothing new, calls wait_for(that generation, timeout).
// Nothing is missed: a notify() between the look and the wait has changed the
// generation, and wait_for returns at once.
//
// Thread safety: every method may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace mledger {

class AppendSignal {
 public:
  void notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
    }
    cv_.notify_all();
  }

  uint64_t generation() const {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
  }

  // Waits until notify() has been called since generation() returned `seen`,
  // or for `timeout`; true when notified.
  bool wait_for(uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
};

}  // namespace mledger
