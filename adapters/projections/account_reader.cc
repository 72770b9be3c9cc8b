#include "adapters/projections/account_reader.h"

#include <algorithm>
#include <cassert>

#include "adapters/projections/stored_projection.h"
#include "adapters/system/heap_in_use.h"

namespace mledger {

AccountReader::AccountReader(EventLog& log, const std::vector<const std::string*>& accounts, uint64_t until,
                             size_t events_ahead_max, size_t threads)
    : log_(log), accounts_(accounts), until_(until), events_ahead_max_(events_ahead_max), running_(threads) {
  assert(threads >= 1 && events_ahead_max >= 1);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

AccountReader::~AccountReader() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

StatusOr<std::optional<AccountReader::Chunk>> AccountReader::next() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !ready_.empty() || running_ == 0; });
  if (ready_.empty()) {
    if (!failure_.ok()) return Err{failure_};
    return std::optional<Chunk>();
  }
  Queued q = std::move(ready_.front());
  ready_.pop_front();
  queued_events_ -= q.chunk.events.size();
  queued_bytes_ -= q.bytes;
  taken_bytes_ = q.bytes;
  changed_.notify_all();
  return std::optional<Chunk>(std::move(q.chunk));
}

void AccountReader::skip_from(uint64_t partition) {
  std::lock_guard lock(mu_);
  skip_from_ = std::min(skip_from_, partition);
}

size_t AccountReader::held_bytes() {
  std::lock_guard lock(mu_);
  return queued_bytes_ + taken_bytes_;
}

void AccountReader::run() {
  for (;;) {
    size_t index = 0;
    {
      std::lock_guard lock(mu_);
      while (next_account_ < accounts_.size() && account_partition(*accounts_[next_account_]) >= skip_from_) {
        ++next_account_;
      }
      if (stop_ || !failure_.ok() || next_account_ == accounts_.size()) break;
      index = next_account_++;
    }
    if (!read_account(index)) break;
  }
  std::lock_guard lock(mu_);
  --running_;
  changed_.notify_all();
}

bool AccountReader::read_account(size_t index) {
  for (uint64_t from = 1;;) {
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] { return stop_ || queued_events_ < events_ahead_max_; });
      if (stop_) return false;
    }
    const int64_t heap_before = thread_heap_net_bytes();
    auto events = log_.read_account(*accounts_[index], from, kAccountChunkEvents);
    Chunk chunk{index, {}, true};
    if (events.ok()) {
      chunk.events = std::move(events.value());
      const bool whole = chunk.events.size() == kAccountChunkEvents;
      const auto past = std::find_if(chunk.events.begin(), chunk.events.end(),
                                     [this](const RecordedEvent& e) { return e.seq > until_; });
      const bool beyond = past != chunk.events.end();
      chunk.events.erase(past, chunk.events.end());
      if (!chunk.events.empty()) from = chunk.events.back().seq + 1;
      chunk.last = !whole || beyond || from > until_;
    }
    const size_t bytes = static_cast<size_t>(std::max<int64_t>(0, thread_heap_net_bytes() - heap_before));
    std::lock_guard lock(mu_);
    if (!events.ok()) {
      if (failure_.ok()) failure_ = events.error();
      changed_.notify_all();
      return false;
    }
    queued_events_ += chunk.events.size();
    queued_bytes_ += bytes;
    const bool last = chunk.last;
    ready_.push_back(Queued{std::move(chunk), bytes});
    changed_.notify_all();
    if (last) return true;
  }
}

}  // namespace mledger
