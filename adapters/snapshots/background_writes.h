#pragma once
// BackgroundWrites<Item>: items queued by their owner and written in order
// by one background thread, off every command's path (the snapshot writers).
//
// The owner's mutex guards the queue, so an owner checks its own state and
// queues under one lock: size() and push() are called holding it; flush()
// and the destructor take it. `write` runs on the thread without it.
// Construct it last among the owner's members (the thread starts at once)
// and it is destroyed first: the destructor writes what is queued, then
// ends the thread.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace mledger {

template <class Item>
class BackgroundWrites {
 public:
  BackgroundWrites(std::mutex& mu, std::function<void(const Item&)> write)
      : mu_(mu), write_(std::move(write)), thread_([this] { run(); }) {}
  ~BackgroundWrites() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  BackgroundWrites(const BackgroundWrites&) = delete;
  BackgroundWrites& operator=(const BackgroundWrites&) = delete;

  // Items queued, not yet taken by the thread. The owner's mutex held.
  size_t size() const { return queue_.size(); }
  // Queues `item`. The owner's mutex held.
  void push(Item item) {
    queue_.push_back(std::move(item));
    wake_.notify_one();
  }
  // Waits until the queue is empty and nothing is being written.
  void flush() {
    std::unique_lock lock(mu_);
    drained_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_, nothing left
      Item next = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      write_(next);
      lock.lock();
      busy_ = false;
      if (queue_.empty()) drained_.notify_all();
    }
  }

  std::mutex& mu_;
  const std::function<void(const Item&)> write_;
  std::condition_variable wake_;     // the thread: work or stop
  std::condition_variable drained_;  // flush(): queue empty and nothing in hand
  std::deque<Item> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is initialized
};

}  // namespace mledger
