#pragma once
// FramingStream: one accepted connection as kj-http reads it, through a
// FramingFilter (request_framing.h). Internal to the HTTP server.
//
// kj-http reads canonical request heads and well-framed bodies only. At the
// end of the connection's reading it sees end of file: after a problem in
// the framing (problem() says which), after the request whose head asked to
// close (HTTP/1.0, "Connection: close"), or when the client closed. Writes
// go straight to the socket (a response's head joined with its body, see
// join_next_writes()). One event-loop thread; not thread-safe.

#include <cstddef>
#include <optional>
#include <string>

#include <kj/async-io.h>

#include "adapters/http/request_framing.h"

namespace mledger::http {

// (kj's interfaces are destroyed through their concrete types.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class FramingStream final : public kj::AsyncIoStream {
 public:
  FramingStream(kj::Own<kj::AsyncIoStream> inner, size_t head_bytes_max)
      : inner_(kj::mv(inner)), filter_(head_bytes_max) {}

  kj::Promise<size_t> tryRead(void* buffer, size_t min_bytes, size_t max_bytes) override;
  kj::Promise<void> write(const void* buffer, size_t size) override;
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override;
  kj::Promise<void> whenWriteDisconnected() override { return inner_->whenWriteDisconnected(); }
  void shutdownWrite() override { inner_->shutdownWrite(); }
  void abortRead() override { inner_->abortRead(); }
  void getpeername(struct sockaddr* addr, kj::uint* length) override { inner_->getpeername(addr, length); }

  // The client's "address:port" ("[address]:port" for IPv6), or "" when the
  // socket cannot say. Asked once, then kept.
  const std::string& peer();

  // The framing problem that ended reading; null while there is none.
  const FramingProblem* problem() const { return filter_.failed() ? &filter_.problem() : nullptr; }
  // Nothing is read after the current request: its answer says "Connection: close".
  bool closing() const { return filter_.failed() || (filter_.head_done() && filter_.head().close); }
  // The next write (a response's head, whose body follows) is held and sent
  // with the write after it, in one system call and one TCP segment when
  // they fit: a client then reads a whole answer in one read. Call only when
  // another write follows (a body of at least one byte, not to HEAD).
  void join_next_writes() { joining_ = true; }
  // A response to the current request was sent (a problem found afterwards in
  // its body needs no answer of its own).
  void mark_answered() { answered_ = true; }
  bool answered() const { return answered_; }
  // The client ended its side (nothing more can be read from the socket).
  bool client_done() const { return eof_; }

  // After kj-http is done with the connection: writes `problem_answer` (the
  // raw bytes of the problem's answer, when it needs one; the caller keeps
  // them alive until the promise resolves), then closes lingering (the write
  // side shut, what the client still sends read and dropped), so that the
  // client reads the last answer rather than a reset. All within `linger`;
  // never fails.
  kj::Promise<void> finish(kj::Timer& timer, kj::StringPtr problem_answer, kj::Duration linger);

 private:
  kj::Promise<size_t> read_into(kj::byte* buffer, size_t min_bytes, size_t max_bytes, size_t done);
  kj::Promise<void> drain_input(size_t budget);

  kj::Own<kj::AsyncIoStream> inner_;
  std::optional<std::string> peer_;
  FramingFilter filter_;
  std::string ready_;      // filtered bytes kj-http has not read yet
  size_t ready_at_ = 0;
  std::string raw_;        // bytes from the socket not yet filtered
  bool joining_ = false;  // the next write is held
  std::string held_;      // a held write, sent before the next one
  bool eof_ = false;
  bool answered_ = false;
  kj::byte chunk_[16384];
};
#pragma GCC diagnostic pop

}  // namespace mledger::http
