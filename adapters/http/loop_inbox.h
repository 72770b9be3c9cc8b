#pragma once
// LoopInbox: answers handed to the HTTP server's event loop from other
// threads, with one wake-up of the loop for all that arrive while it is busy
// (a writer completing a group-commit batch answers all its commands at
// once). Internal to the HTTP server.
//
// The loop thread takes a ticket per request (expect()) and waits on its
// promise; any thread then settles the ticket exactly once: post() fulfils
// it with what makes the response, drop() rejects it. The loop fulfils the
// promises in the order the tickets were settled. A ticket whose promise was
// cancelled (the client left) is settled all the same; what it carries is
// destroyed on the loop thread.

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <kj/async-io.h>

#include "adapters/http/http_server.h"

namespace mledger::http {

// What the event loop sends for a handled request: the response, made there
// (Reply::answer_on_loop) or already made (Reply::answer). A kj::Own: kj's
// promise of a std::function or a unique_ptr trips GCC 12's maybe-uninitialized.
using MakeResponse = kj::Own<std::function<HttpResponse()>>;

class LoopInbox {
 public:
  // Loop thread. Throws a kj exception (as setting up the loop does) when
  // the wake-up descriptor cannot be made.
  explicit LoopInbox(kj::LowLevelAsyncIoProvider& io);
  LoopInbox(const LoopInbox&) = delete;
  LoopInbox& operator=(const LoopInbox&) = delete;

  struct Ticket {
    uint64_t id;
    kj::Promise<MakeResponse> promise;
  };
  // Loop thread.
  Ticket expect();

  // Any thread; once per ticket, post() or drop().
  void post(uint64_t id, MakeResponse make);
  void drop(uint64_t id, std::string why);

  // Loop thread: fulfils settled tickets as they come; never resolves.
  kj::Promise<void> serve();

 private:
  struct Settled {
    uint64_t id;
    kj::Maybe<MakeResponse> make;  // null: dropped, for `why`
    std::string why;
  };
  void settle(Settled settled);
  void deliver();

  int wake_fd_ = -1;                     // an eventfd, owned by wake_
  kj::Own<kj::AsyncInputStream> wake_;   // the loop's side of wake_fd_
  uint64_t wake_count_ = 0;              // read buffer
  uint64_t next_id_ = 0;                 // loop thread
  std::unordered_map<uint64_t, kj::Own<kj::PromiseFulfiller<MakeResponse>>> waiting_;  // loop thread
  std::mutex mu_;
  std::vector<Settled> settled_;  // guarded by mu_
};

}  // namespace mledger::http
