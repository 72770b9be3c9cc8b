#pragma once
// HttpServer: HTTP/1.1 on kj-http (Cap'n Proto's), with every limit named
// and a pool of worker threads for handlers that block.
//
// One event-loop thread (the one calling run()) accepts connections, parses
// requests and writes responses. For each request it first calls
// HttpHandler::screen() with the request line and headers (no body yet): a
// response from screen() is sent at once and the body is never read (auth
// failures, unknown routes, cheap endpoints). Otherwise the body is read, up
// to limits.body_bytes_max, and HttpHandler::handle_later() runs on one of
// limits.workers threads; the response is written when it answers (which
// handle() does when it returns).
//
// Framing (RFC 9112, strictly: request_framing.h, docs/api.md "HTTP
// framing"): a request head or chunked body that is malformed or ambiguous is
// answered with a JSON error (400; 501 for a method or transfer coding not
// implemented; 505 for an HTTP version other than 1.0 and 1.1) and the
// connection is closed; the handler never sees it. After an HTTP/1.0 request
// or one with "Connection: close", the answer says "Connection: close" and
// the connection is closed.
//
// Limits, each answered with a JSON error and the handler never called:
//   header_bytes_max     request line + headers (raw)   -> 431, connection closed
//   body_bytes_max       by Content-Length or as read   -> 413
//   body_timeout         the body must arrive within it -> 408
//   header_timeout       the headers must arrive within it (connection closed)
//   idle_timeout         a kept-alive connection with no request is closed
//   connections_max      more open connections: 503 and close
//   queue_requests_max   requests waiting for a worker: 503 with Retry-After
//
// Shutdown: run() returns after SIGTERM or SIGINT (captured by
// capture_stop_signals() in main() before any thread starts): it stops
// accepting, lets every request in flight finish and be answered (up to
// drain_timeout), closes idle connections, and joins the workers.
//
// Failures: an exception out of screen() or handle(), or a request kj-http
// cannot read although its framing passed, is written to the error log (one
// line: what failed, the method and path) and answered 500 {"error":
// "internal"} without internals. Nothing here throws out of run(); kj's
// exceptions stay inside the server.

#include <any>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/metrics.h"
#include "domain/core/status.h"

namespace mledger::http {

struct HttpLimits {
  size_t body_bytes_max = 4 << 20;
  size_t header_bytes_max = 16 << 10;
  size_t connections_max = 1024;
  size_t queue_requests_max = 4096;
  size_t workers = 64;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds drain_timeout{30'000};
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query, not decoded
  std::string query;   // after '?', not decoded
  std::string authorization;
  std::string content_type;
  std::string body;
  std::any context;  // set by screen(), read by handle()
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. WWW-Authenticate
  std::string route;  // the metrics label: a route pattern, never a raw path
  std::string principal;  // who asked ("user:u-anna@contoso-fr"), for the access log; may be empty
  std::string error_code;  // a refusal's code ("token_bad_signature"), for the access log; set by error_response()
};

// One line of the access log: a request and its answer.
struct AccessRecord {
  std::string_view method;
  std::string_view route;  // the pattern, as in the metrics
  int status = 0;
  double seconds = 0;      // from the headers' arrival to the answer
  size_t response_bytes = 0;
  std::string_view principal;
  std::string_view request_id;  // the request's valid X-Request-Id, or one the server made
  std::string_view peer;        // "address:port" of the client
  std::string_view error_code;  // a refusal's code, else empty
};

// Where a request handled by HttpHandler::handle_later() is answered.
// Copyable; every copy names the same request. Thread-safe.
struct Reply {
  // Answers with what `make` returns, on the calling thread (any thread), the
  // first time it is called; an exception out of `make` is logged and
  // answered 500, as one out of handle().
  std::function<void(const std::function<HttpResponse()>& make)> answer;
  // answer(), but `make` runs later on the server's event-loop thread, which
  // wakes to send the answer anyway: for a thread that must stay quick (the
  // writer's, completing a durable append). `make` must not block and may
  // run after the caller returned; what it captures must live until then.
  std::function<void(std::function<HttpResponse()> make)> answer_on_loop;
  // Runs `work` on a worker thread (after the requests already waiting; not
  // refused when the queue is full: it continues an admitted request).
  std::function<void(std::function<void()> work)> defer;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Event-loop thread; must not block. nullopt: read the body and handle().
  virtual std::optional<HttpResponse> screen(HttpRequest& request) = 0;
  // A worker thread; may block. Should not throw (an exception is logged
  // and answered 500, see above; so is one out of screen()).
  virtual HttpResponse handle(HttpRequest& request) = 0;
  // A worker thread, instead of handle(): answers through `reply` exactly
  // once, now or later from any thread, so that the worker need not wait
  // (e.g. for a durable write). The default answers handle()'s response now.
  virtual void handle_later(HttpRequest& request, const Reply& reply) {
    reply.answer([&] { return handle(request); });
  }
};

// A JSON error body: {"error": code, "message": message}.
HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            std::string route = "");

// Blocks SIGTERM and SIGINT in this thread (and so in every thread started
// after it), so that run() receives them. Call first thing in main().
void capture_stop_signals();

struct ServerCounters {
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> requests_in_flight{0};
  std::atomic<uint64_t> queued{0};
  std::atomic<bool> draining{false};
};

class HttpServer {
 public:
  // `counters` is shared with the handler (readiness reads `draining`).
  // `access_log`, when set, is called on the event-loop thread for every
  // answer (it must not block for long); it never sees tokens or bodies.
  // `error_log`, called with one line per failure answered 500 (see above),
  // from the event loop or a worker thread (so it must be thread-safe); when
  // unset the line goes to standard error.
  HttpServer(HttpHandler& handler, Metrics& metrics, ServerCounters& counters, HttpLimits limits,
             std::function<void(const AccessRecord&)> access_log = {},
             std::function<void(std::string_view)> error_log = {});

  // Listens on `address` ("127.0.0.1:8080"; port 0 picks a free port), calls
  // `listening` with the bound port, and serves until SIGTERM or SIGINT, then
  // drains (see above). Fails with invalid_argument for a bad address and
  // io_error when it cannot listen.
  [[nodiscard]] Status run(const std::string& address, const std::function<void(uint16_t)>& listening);

  // Before run(): also serve `handler` on `address`, a listener of its own
  // on the same event loop, with the same limits, metrics and access log
  // (a metrics-only listener). `handler` must answer every request from
  // screen(); one it does not is answered 404. `listening` is called with the
  // bound port after the main listener's.
  void add_listener(std::string address, HttpHandler& handler, std::function<void(uint16_t)> listening);

 private:
  class Impl;
  HttpHandler& handler_;
  Metrics& metrics_;
  ServerCounters& counters_;
  const HttpLimits limits_;
  const std::function<void(const AccessRecord&)> access_log_;
  const std::function<void(std::string_view)> error_log_;
  struct ExtraListener {
    std::string address;
    HttpHandler* handler;
    std::function<void(uint16_t)> listening;
  };
  std::vector<ExtraListener> extra_listeners_;
};

}  // namespace mledger::http
