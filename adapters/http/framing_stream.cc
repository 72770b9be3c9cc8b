#include "adapters/http/framing_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cstring>

namespace mledger::http {

const std::string& FramingStream::peer() {
  if (peer_) return *peer_;
  peer_.emplace();
  sockaddr_storage addr{};
  kj::uint length = sizeof addr;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
    inner_->getpeername(reinterpret_cast<sockaddr*>(&addr), &length);
  })) {
    (void)e;
    return *peer_;
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    *peer_ = std::string(text) + ":" + std::to_string(ntohs(a.sin_port));
  } else if (addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    *peer_ = "[" + std::string(text) + "]:" + std::to_string(ntohs(a.sin6_port));
  }
  return *peer_;
}


namespace {

constexpr size_t kLingerBytesMax = 1 << 20;  // read and dropped at a lingering close

}  // namespace

kj::Promise<void> FramingStream::write(const void* buffer, size_t size) {
  const kj::ArrayPtr<const kj::byte> piece(static_cast<const kj::byte*>(buffer), size);
  return write(kj::arrayPtr(&piece, 1));
}

kj::Promise<void> FramingStream::write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) {
  if (joining_) {  // kj-http writes the next piece only once this one "completed"
    joining_ = false;
    for (const auto& p : pieces) held_.append(reinterpret_cast<const char*>(p.begin()), p.size());
    return kj::READY_NOW;
  }
  if (held_.empty()) return inner_->write(pieces);
  auto joined = kj::heapArray<kj::ArrayPtr<const kj::byte>>(pieces.size() + 1);
  auto held = kj::heap<std::string>(std::move(held_));
  held_.clear();
  joined[0] = kj::arrayPtr(reinterpret_cast<const kj::byte*>(held->data()), held->size());
  for (size_t i = 0; i < pieces.size(); ++i) joined[i + 1] = pieces[i];
  auto written = inner_->write(joined.asPtr());
  return written.attach(kj::mv(joined), kj::mv(held));
}

kj::Promise<size_t> FramingStream::tryRead(void* buffer, size_t min_bytes, size_t max_bytes) {
  return read_into(static_cast<kj::byte*>(buffer), min_bytes, max_bytes, 0);
}

kj::Promise<size_t> FramingStream::read_into(kj::byte* buffer, size_t min_bytes, size_t max_bytes,
                                             size_t done) {
  for (;;) {
    if (ready_at_ < ready_.size()) {
      const size_t n = std::min(max_bytes - done, ready_.size() - ready_at_);
      std::memcpy(buffer + done, ready_.data() + ready_at_, n);
      ready_at_ += n;
      done += n;
      if (ready_at_ == ready_.size()) {
        ready_.clear();
        ready_at_ = 0;
      }
      if (done >= min_bytes || done == max_bytes) return done;
      continue;
    }
    if (filter_.failed() || eof_) return done;  // kj-http sees the end of the stream
    if (filter_.message_done()) {
      if (filter_.head().close) return done;
      filter_.next_message();  // kj-http asks for the next request
      answered_ = false;
    }
    if (!raw_.empty()) {
      const size_t used = filter_.feed(raw_, ready_);
      assert(used > 0 || filter_.failed() || filter_.message_done());
      raw_.erase(0, used);
      continue;
    }
    return inner_->tryRead(chunk_, 1, sizeof chunk_)
        .then([this, buffer, min_bytes, max_bytes, done](size_t n) {
          if (n == 0) {
            eof_ = true;
          } else {
            raw_.append(reinterpret_cast<const char*>(chunk_), n);
          }
          return read_into(buffer, min_bytes, max_bytes, done);
        });
  }
}

kj::Promise<void> FramingStream::finish(kj::Timer& timer, kj::StringPtr problem_answer, kj::Duration linger) {
  kj::Promise<void> written = problem_answer.size() == 0
                                  ? kj::Promise<void>(kj::READY_NOW)
                                  : inner_->write(problem_answer.begin(), problem_answer.size());
  auto lingering = written.then([this]() -> kj::Promise<void> {
    if (eof_) return kj::READY_NOW;
    inner_->shutdownWrite();
    return drain_input(kLingerBytesMax);
  });
  return timer.timeoutAfter(linger, kj::mv(lingering)).then([] {}, [](kj::Exception&&) {});
}

kj::Promise<void> FramingStream::drain_input(size_t budget) {
  if (budget == 0) return kj::READY_NOW;
  return inner_->tryRead(chunk_, 1, sizeof chunk_).then([this, budget](size_t n) -> kj::Promise<void> {
    if (n == 0) return kj::READY_NOW;
    return drain_input(budget - std::min(budget, n));
  });
}

}  // namespace mledger::http
