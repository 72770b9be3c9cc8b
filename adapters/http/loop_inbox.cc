#include "adapters/http/loop_inbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>

#include <kj/debug.h>

namespace mledger::http {

LoopInbox::LoopInbox(kj::LowLevelAsyncIoProvider& io) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) KJ_FAIL_SYSCALL("eventfd", errno);
  wake_ = io.wrapInputFd(wake_fd_, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                                       kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK |
                                       kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC);
}

LoopInbox::Ticket LoopInbox::expect() {
  auto paf = kj::newPromiseAndFulfiller<MakeResponse>();
  const uint64_t id = next_id_++;
  waiting_.emplace(id, kj::mv(paf.fulfiller));
  return Ticket{id, kj::mv(paf.promise)};
}

void LoopInbox::post(uint64_t id, MakeResponse make) { settle(Settled{id, kj::mv(make), {}}); }

void LoopInbox::drop(uint64_t id, std::string why) { settle(Settled{id, nullptr, std::move(why)}); }

void LoopInbox::settle(Settled settled) {
  bool first;
  {
    std::lock_guard lock(mu_);
    first = settled_.empty();
    settled_.push_back(kj::mv(settled));
  }
  // Only the first of a run wakes the loop: it takes all that are there
  // when it looks, and one settled after that wakes it again.
  if (first) {
    const uint64_t one = 1;
    // Cannot fail short of a bug: the counter would need 2^64 - 2 wake-ups
    // the loop never read.
    const ssize_t n = ::write(wake_fd_, &one, sizeof one);
    assert(n == sizeof one && "the loop's eventfd takes a wake-up");
    (void)n;
  }
}

kj::Promise<void> LoopInbox::serve() {
  return wake_->tryRead(&wake_count_, sizeof wake_count_, sizeof wake_count_).then([this](size_t) {
    deliver();
    return serve();
  });
}

void LoopInbox::deliver() {
  std::vector<Settled> now;
  {
    std::lock_guard lock(mu_);
    now.swap(settled_);
  }
  for (Settled& s : now) {
    auto it = waiting_.find(s.id);
    assert(it != waiting_.end() && "a ticket is settled once");
    kj::Own<kj::PromiseFulfiller<MakeResponse>> fulfiller = kj::mv(it->second);
    waiting_.erase(it);
    KJ_IF_MAYBE(make, s.make) {
      fulfiller->fulfill(kj::mv(*make));
    } else {
      fulfiller->reject(KJ_EXCEPTION(FAILED, s.why));
    }
  }
}

}  // namespace mledger::http
