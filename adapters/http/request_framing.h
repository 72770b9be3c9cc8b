#pragma once
// The framing of HTTP/1.1 requests (RFC 9112), checked strictly before
// kj-http reads a byte of them: kj-http is lenient (it reads `+5` and `5 0`
// as lengths, ignores the version, lets Transfer-Encoding and Content-Length
// disagree) and answers what it cannot parse with a 500 holding its
// internals. What is accepted is documented in docs/api.md, "HTTP framing".
//
// Pure: no I/O, no kj, no clock. Never throws (but for std::bad_alloc).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/core/result.h"

namespace mledger::http {

// Why a request cannot be read: the status to answer (400, 431, 501, 505),
// a stable code ("bad_content_length", ...) and a message for people. The
// connection is closed after the answer: the stream cannot be resynchronised.
struct FramingProblem {
  int status = 400;
  std::string code;
  std::string message;
};

enum class BodyFraming { none, length, chunked };

// A request head that passed: what kj-http is given, and what the server
// needs to know of it.
struct RequestHead {
  std::string method;       // one of GET HEAD POST PUT DELETE PATCH OPTIONS TRACE
  std::string target;       // as sent
  int minor_version = 1;    // HTTP/1.0 or HTTP/1.1
  BodyFraming body = BodyFraming::none;
  uint64_t content_length = 0;  // with BodyFraming::length
  bool close = false;       // HTTP/1.0, or "Connection: close": the last request
  // The head as kj-http reads it: the request line, each field line as
  // "Name: value" (optional whitespace trimmed, Content-Length and
  // Transfer-Encoding in their canonical form), the empty line.
  std::string canonical;
};

// `head`: from the request line through the empty line that ends the field
// section, "\r\n\r\n" included. A problem names the first thing wrong.
[[nodiscard]] Result<RequestHead, FramingProblem> parse_request_head(std::string_view head);

// The byte stream of one connection in, the bytes kj-http may read out:
// each request's head in canonical form, then its body (a Content-Length
// body as is; a chunked body re-chunked without extensions or trailers,
// which are checked and dropped). The end of a body is passed on only once
// the whole body is known to be well framed.
//
// One request at a time: feed() stops at the end of each request
// (message_done()); next_message() starts on the next one. Not thread-safe.
class FramingFilter {
 public:
  // `head_bytes_max`: a longer head, or trailer section, is a 431.
  explicit FramingFilter(size_t head_bytes_max) : head_bytes_max_(head_bytes_max) {}

  // Reads a prefix of `in`, appending to `out` what may be forwarded, and
  // returns how many bytes it read: all of `in` unless the request ended
  // (message_done()) or a problem was found (failed()).
  [[nodiscard]] size_t feed(std::string_view in, std::string& out);

  bool failed() const { return state_ == State::failed; }
  const FramingProblem& problem() const { return problem_; }
  // The current request's head has passed (head() is set).
  bool head_done() const { return state_ != State::head && state_ != State::failed; }
  const RequestHead& head() const { return head_; }
  bool message_done() const { return state_ == State::done; }
  // Starts reading the next request. Only after message_done().
  void next_message();

 private:
  enum class State { head, length_body, chunk_size, chunk_data, chunk_cr, chunk_lf, trailers, done, failed };

  size_t feed_head(std::string_view in, std::string& out);
  size_t feed_line(std::string_view in, std::string& out);
  void start_body();
  void chunk_size_line(std::string& out);
  void trailer_line(std::string& out);
  void fail(int status, std::string code, std::string message);

  const size_t head_bytes_max_;
  State state_ = State::head;
  std::string buffer_;       // the head, or the current chunk-size or trailer line
  size_t head_skipped_ = 0;  // empty lines before a request line
  size_t trailer_bytes_ = 0;
  uint64_t remaining_ = 0;   // of the body or the chunk
  RequestHead head_;
  FramingProblem problem_;
};

}  // namespace mledger::http
