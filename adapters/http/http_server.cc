#include "adapters/http/http_server.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <semaphore>
#include <thread>
#include <unordered_map>

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/http.h>
#include <kj/debug.h>
#include <nlohmann/json.hpp>

#include "adapters/http/framing_stream.h"
#include "adapters/http/loop_inbox.h"

namespace mledger::http {

namespace {

// A refusal's code: the "error" member of a JSON answer's body, or "".
std::string error_code_of(std::string_view body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) return "";
  return j["error"].get<std::string>();
}

// Request ids: a client's X-Request-Id when it is 1..128 characters of
// A-Z a-z 0-9 . _ : -, else one made here ("r-" + 16 hex digits: a random
// start, then counting).
class RequestIds {
 public:
  RequestIds() : next_((uint64_t{std::random_device{}()} << 32) | std::random_device{}()) {}
  std::string of(kj::Maybe<kj::StringPtr> sent) {
    KJ_IF_MAYBE(id, sent) {
      if (valid(std::string_view(id->cStr(), id->size()))) return std::string(id->cStr(), id->size());
    }
    char text[24];
    std::snprintf(text, sizeof text, "r-%016llx", static_cast<unsigned long long>(next_++));
    return text;
  }

 private:
  static bool valid(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
    });
  }
  uint64_t next_;  // event-loop thread only
};

// The operating system's words in a kj exception about a system call:
// "::bind(sockfd, ...): Address already in use; toString() = ..." gives
// "Address already in use" (no source positions or internals for users).
std::string system_problem(std::string_view description) {
  const size_t call_end = description.find("): ");
  if (call_end == std::string_view::npos) return std::string(description);
  description.remove_prefix(call_end + 3);
  return std::string(description.substr(0, description.find(';')));
}

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

// Runs f(); what it threw, if it threw.
template <class F>
std::optional<std::string> failure_of(F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("an exception that is not a std::exception");
  }
}

HttpResponse internal_error() {
  return error_response(500, "internal", "the server failed to answer this request; the failure is in its log");
}

// A worker's job: the request, and the ticket its response goes back to the loop with.
struct Job {
  HttpRequest request;
  uint64_t ticket;
};

// A fixed set of threads taking work from one bounded queue: requests to
// handle, and continuations of requests already admitted. A worker that finds
// the queue empty waits on its own semaphore; each job queued wakes the one
// that went idle last (its cache is the warmest), if any waits. (One
// condition variable shared by 64 workers made the event loop wait inside
// pthread_cond_signal.)
class WorkerPool {
 public:
  WorkerPool(HttpHandler& handler, LoopInbox& inbox, size_t workers, size_t queue_max,
             std::atomic<uint64_t>& queued, const std::function<void(std::string_view)>& error_log)
      : handler_(handler), inbox_(inbox), queue_max_(queue_max), queued_(queued), error_log_(error_log) {
    running_ = workers;
    for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
  }
  ~WorkerPool() { stop(); }

  // False (and the job untouched) when queue_max jobs already wait.
  bool try_submit(Job& job) {
    std::binary_semaphore* woken = nullptr;
    {
      std::lock_guard lock(mu_);
      if (queue_.size() >= queue_max_ || stopping_) return false;
      auto shared = std::make_shared<Job>(std::move(job));
      queue_.push_back([this, shared] { handle(*shared); });
      queued_.store(queue_.size(), std::memory_order_relaxed);
      woken = take_idle();
    }
    if (woken) woken->release();
    return true;
  }

  // Runs `work` on a worker after what waits, however many wait (it continues
  // a request admitted by try_submit()); on this thread once every worker
  // has stopped.
  void defer(std::function<void()> work) {
    std::binary_semaphore* woken = nullptr;
    bool queued = false;
    {
      std::lock_guard lock(mu_);
      if (running_ > 0) {
        queue_.push_back(std::move(work));
        queued_.store(queue_.size(), std::memory_order_relaxed);
        woken = take_idle();
        queued = true;
      }
    }
    if (queued) {
      if (woken) woken->release();
      return;
    }
    work();
  }

  // Runs what is queued, joins, then waits until every request handed to a
  // handler is answered (or its Reply dropped).
  void stop() {
    std::vector<std::binary_semaphore*> idle;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      idle.swap(idle_);
    }
    for (auto* w : idle) w->release();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    std::unique_lock lock(mu_);
    answers_gone_.wait(lock, [this] { return answers_ == 0; });
  }

 private:
  // With mu_ held: the worker to wake for a job just queued, if one waits
  // (removed from idle_; release it after unlocking).
  std::binary_semaphore* take_idle() {
    if (idle_.empty()) return nullptr;
    std::binary_semaphore* w = idle_.back();
    idle_.pop_back();
    return w;
  }

  void run() {
    std::binary_semaphore wake(0);
    for (;;) {
      std::function<void()> work;
      {
        std::unique_lock lock(mu_);
        while (!stopping_ && queue_.empty()) {
          idle_.push_back(&wake);
          lock.unlock();
          wake.acquire();  // whoever releases it took it out of idle_
          lock.lock();
        }
        if (queue_.empty()) {
          --running_;
          return;
        }
        work = std::move(queue_.front());
        queue_.pop_front();
        queued_.store(queue_.size(), std::memory_order_relaxed);
      }
      work();
    }
  }

  // One handled request's answer, shared by the copies of its Reply; the
  // pool counts those not yet gone (stop() waits for them).
  struct Answer {
    WorkerPool& pool;
    uint64_t ticket;
    std::string what;  // method and path, for the error log
    std::atomic<bool> answered{false};
    ~Answer() {
      if (!answered.load()) pool.inbox_.drop(ticket, "a request was left without an answer");
      pool.answer_gone();
    }
  };

  // handle_later(), answered through a Reply that fulfils the job's promise
  // once; an exception out of the handler or out of making the answer is
  // logged and answered 500.
  void handle(Job& job) {
    {
      std::lock_guard lock(mu_);
      ++answers_;
    }
    auto answer = std::make_shared<Answer>(*this, job.ticket, job.request.method + " " + job.request.path);
    Reply reply;
    reply.answer = [answer](const std::function<HttpResponse()>& make) {
      if (answer->answered.exchange(true)) return;
      HttpResponse response;
      if (auto failure = failure_of([&] { response = make(); })) {
        answer->pool.error_log_("internal error: handling " + answer->what + " threw: " + *failure);
        response = internal_error();
      }
      answer->pool.inbox_.post(answer->ticket, kj::heap<std::function<HttpResponse()>>(
          [response = std::move(response)]() mutable { return std::move(response); }));
    };
    reply.answer_on_loop = [answer](std::function<HttpResponse()> make) {
      if (answer->answered.exchange(true)) return;
      // Not holding `answer`: once fulfilled, the request counts as answered.
      auto& log = answer->pool.error_log_;
      answer->pool.inbox_.post(answer->ticket, kj::heap<std::function<HttpResponse()>>(
          [&log, what = answer->what, make = std::move(make)]() -> HttpResponse {
            HttpResponse response;
            if (auto failure = failure_of([&] { response = make(); })) {
              log("internal error: handling " + what + " threw: " + *failure);
              response = internal_error();
            }
            return response;
          }));
    };
    reply.defer = [this](std::function<void()> work) { defer(std::move(work)); };
    if (auto failure = failure_of([&] { handler_.handle_later(job.request, reply); })) {
      error_log_("internal error: handling " + answer->what + " threw: " + *failure);
      reply.answer([] { return internal_error(); });
    }
  }

  void answer_gone() {
    std::lock_guard lock(mu_);
    if (--answers_ == 0) answers_gone_.notify_all();
  }

  HttpHandler& handler_;
  LoopInbox& inbox_;
  const size_t queue_max_;
  std::atomic<uint64_t>& queued_;
  const std::function<void(std::string_view)>& error_log_;
  std::mutex mu_;
  std::vector<std::binary_semaphore*> idle_;  // waiting workers, the last gone idle last
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;  // workers not yet stopped
  size_t answers_ = 0;  // Answers not yet gone
  std::condition_variable answers_gone_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Reads a body into `out`, stopping (false) once it would pass `max` bytes.
struct BodyReader {
  kj::AsyncInputStream& in;
  std::string& out;
  size_t max;
  kj::byte buffer[16384];

  kj::Promise<bool> read() {
    return in.tryRead(buffer, 1, sizeof buffer).then([this](size_t n) -> kj::Promise<bool> {
      if (n == 0) return true;
      if (out.size() + n > max) return false;
      out.append(reinterpret_cast<const char*>(buffer), n);
      return read();
    });
  }
};

std::string to_string(kj::HttpMethod method) {
  auto s = kj::str(method);
  return std::string(s.cStr(), s.size());
}

// A response as bytes on the wire, closing the connection: for answers sent
// around kj-http (a framing problem, too many connections).
std::string closing_response_bytes(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status) + "\r\n" +
                    "Content-Type: " + r.content_type + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  return out + "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
}

}  // namespace

HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            std::string route) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", code}, {"message", message}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  r.route = std::move(route);
  r.error_code = code;
  return r;
}

void capture_stop_signals() {
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
}

// The kj side: the accept loop, a FramingStream and a service per connection,
// kj-http's error handling, and shutdown. (kj's interfaces are destroyed
// through their concrete types.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class HttpServer::Impl final : private kj::TaskSet::ErrorHandler,
                               private kj::HttpServerErrorHandler,
                               private kj::HttpServerCallbacks {
 public:
  Impl(HttpServer& outer, kj::AsyncIoContext& io, const kj::HttpHeaderTable& table,
       kj::HttpHeaderId authorization, kj::HttpHeaderId request_id)
      : outer_(outer),
        io_(io),
        table_(table),
        authorization_(authorization),
        request_id_(request_id),
        timer_(io.provider->getTimer()),
        error_log_(outer.error_log_ ? outer.error_log_ : [](std::string_view line) {
          std::fprintf(stderr, "mledger serve: %.*s\n", static_cast<int>(line.size()), line.data());
        }),
        server_(timer_, table, [this](kj::AsyncIoStream& s) { return service_for(s); }, settings()),
        connections_(*this),
        inbox_(*io.lowLevelProvider),
        serving_inbox_(inbox_.serve().eagerlyEvaluate(nullptr)),
        pool_(outer.handler_, inbox_, outer.limits_.workers, outer.limits_.queue_requests_max,
              outer.counters_.queued, error_log_),
        requests_(outer.metrics_.counter("mledger_http_requests_total",
                                         "HTTP requests answered, by route and status",
                                         {"route", "status"})),
        latency_(outer.metrics_.histogram("mledger_http_request_duration_seconds",
                                          "From the request's headers to its response, by route",
                                          {"route"}, latency_buckets_seconds())),
        refused_(outer.metrics_.counter("mledger_http_connections_refused_total",
                                        "Connections closed at once: connections_max reached",
                                        {})) {}

  kj::Promise<void> accept_loop(kj::ConnectionReceiver& receiver, HttpHandler& handler) {
    return receiver.accept().then([this, &receiver, &handler](kj::Own<kj::AsyncIoStream> connection) {
      auto& open = outer_.counters_.connections_open;
      if (open.load() >= outer_.limits_.connections_max) {
        refuse(kj::mv(connection));
      } else {
        open.fetch_add(1);
        auto stream = kj::heap<FramingStream>(kj::mv(connection), outer_.limits_.header_bytes_max);
        FramingStream& s = *stream;
        handler_of_[&s] = &handler;
        connections_.add(server_.listenHttpCleanDrain(s)
                             .then([](bool) {}, [](kj::Exception&&) {})
                             .then([this, &s] { return end_connection(s); })
                             .attach(kj::mv(stream), kj::defer([this, &open, &s] {
                               handler_of_.erase(&s);
                               open.fetch_sub(1);
                             })));
      }
      return accept_loop(receiver, handler);
    });
  }

  kj::Promise<void> drain() { return server_.drain(); }
  void stop_workers() { pool_.stop(); }

 private:
  // When and how a request began: for latency and the access log.
  struct Begun {
    std::chrono::steady_clock::time_point at;
    kj::HttpMethod method;
    std::string request_id;  // echoed in the answer's X-Request-Id
    std::string peer;
  };

  // kj-http's view of one connection: each request goes to request() with
  // the connection's stream.
  class ConnectionService final : public kj::HttpService {
   public:
    ConnectionService(Impl& impl, FramingStream& stream, HttpHandler& handler)
        : impl_(impl), stream_(stream), handler_(handler) {}
    kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url, const kj::HttpHeaders& headers,
                              kj::AsyncInputStream& body, Response& response) override {
      return impl_.request(stream_, handler_, method, url, headers, body, response);
    }

   private:
    Impl& impl_;
    FramingStream& stream_;
    HttpHandler& handler_;
  };

  kj::Own<kj::HttpService> service_for(kj::AsyncIoStream& connection) {
    // accept_loop() hands kj-http nothing but FramingStreams, each with its listener's handler.
    auto& stream = static_cast<FramingStream&>(connection);
    return kj::heap<ConnectionService>(*this, stream, *handler_of_.at(&stream));
  }

  kj::HttpServerSettings settings() {
    kj::HttpServerSettings s;
    s.headerTimeout = kj::MILLISECONDS * outer_.limits_.header_timeout.count();
    s.pipelineTimeout = kj::MILLISECONDS * outer_.limits_.idle_timeout.count();
    s.errorHandler = static_cast<kj::HttpServerErrorHandler&>(*this);
    s.callbacks = static_cast<kj::HttpServerCallbacks&>(*this);
    return s;
  }

  // connections_max reached: 503 at once, and closed.
  void refuse(kj::Own<kj::AsyncIoStream> connection) {
    refused_.at({}).add();
    static const std::string kFull = closing_response_bytes([] {
      HttpResponse r = error_response(503, "too_many_connections", "connections_max connections are open; try again");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }());
    auto write = connection->write(kFull.data(), kFull.size());
    connections_.add(timer_.timeoutAfter(kj::SECONDS, kj::mv(write)).attach(kj::mv(connection)));
  }

  // After kj-http: a framing problem not answered yet is answered here, and a
  // connection that ends on the server's side closes lingering.
  kj::Promise<void> end_connection(FramingStream& stream) {
    auto answer = kj::heap<std::string>();
    if (const FramingProblem* p = stream.problem(); p != nullptr && !stream.answered()) {
      const HttpResponse r = error_response(p->status, p->code, p->message);
      account(unattributed(stream.peer()), "-", r);
      *answer = closing_response_bytes(r);
    }
    if (answer->empty() && !stream.closing()) return kj::READY_NOW;
    auto finished = stream.finish(timer_, kj::StringPtr(answer->c_str(), answer->size()), 2 * kj::SECONDS);
    return finished.attach(kj::mv(answer));
  }

  kj::Promise<void> request(FramingStream& stream, HttpHandler& handler, kj::HttpMethod method,
                            kj::StringPtr url, const kj::HttpHeaders& headers, kj::AsyncInputStream& body,
                            kj::HttpService::Response& response) {
    const Begun start{std::chrono::steady_clock::now(), method, request_ids_.of(headers.get(request_id_)),
                      stream.peer()};
    // url and headers are gone after the first read of the body: copy first.
    HttpRequest req = to_request(method, url, headers);
    std::optional<HttpResponse> early;
    if (auto failure = failure_of([&] { early = handler.screen(req); })) {
      error_log_("internal error: screening " + req.method + " " + req.path + " threw: " + *failure);
      return send(stream, response, start, internal_error());
    }
    if (early) return send(stream, response, start, std::move(*early));
    if (&handler != &outer_.handler_) {
      return send(stream, response, start, error_response(404, "no_such_endpoint", "not served on this listener"));
    }
    if (outer_.counters_.draining.load()) {
      return send(stream, response, start, error_response(503, "shutting_down", "the server is shutting down"));
    }
    KJ_IF_MAYBE(length, body.tryGetLength()) {
      if (*length > outer_.limits_.body_bytes_max) return send(stream, response, start, too_large(*length));
    }
    return read_body(stream, body, response, start, std::move(req));
  }

  HttpRequest to_request(kj::HttpMethod method, kj::StringPtr url, const kj::HttpHeaders& headers) {
    HttpRequest req;
    req.method = to_string(method);
    const std::string_view target(url.cStr(), url.size());
    const size_t q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    KJ_IF_MAYBE(v, headers.get(authorization_)) { req.authorization = std::string(v->cStr(), v->size()); }
    KJ_IF_MAYBE(v, headers.get(kj::HttpHeaderId::CONTENT_TYPE)) {
      req.content_type = std::string(v->cStr(), v->size());
    }
    return req;
  }

  kj::Promise<void> read_body(FramingStream& stream, kj::AsyncInputStream& body,
                              kj::HttpService::Response& response, Begun start, HttpRequest req) {
    const HttpLimits& limits = outer_.limits_;
    auto state = kj::heap<std::pair<HttpRequest, std::string>>(std::move(req), std::string());
    auto reader = kj::heap<BodyReader>(BodyReader{body, state->second, limits.body_bytes_max, {}});
    auto reading = timer_.timeoutAfter(kj::MILLISECONDS * limits.body_timeout.count(), reader->read());
    return reading.attach(kj::mv(reader))
        .then(
            [this, &stream, &response, start, state = kj::mv(state)](bool whole) mutable -> kj::Promise<void> {
              if (!whole) return send(stream, response, start, too_large(0));
              state->first.body = std::move(state->second);
              return dispatch(stream, response, start, std::move(state->first));
            },
            [this, &stream, &response, start](kj::Exception&& e) -> kj::Promise<void> {
              return body_failed(stream, response, start, kj::mv(e));
            });
  }

  kj::Promise<void> body_failed(FramingStream& stream, kj::HttpService::Response& response, Begun start,
                                kj::Exception&& e) {
    if (const FramingProblem* p = stream.problem()) {
      return send(stream, response, start, error_response(p->status, p->code, p->message));
    }
    if (e.getType() == kj::Exception::Type::OVERLOADED) {  // timeoutAfter's
      return send(stream, response, start,
                  error_response(408, "body_timeout",
                                 "the body did not arrive within " +
                                     std::to_string(outer_.limits_.body_timeout.count()) + " ms"));
    }
    return kj::mv(e);  // the client went away: nothing to answer
  }

  HttpResponse too_large(uint64_t length) {
    return error_response(413, "body_too_large",
                          (length ? "the body is " + std::to_string(length) + " bytes"
                                  : std::string("the body passed the limit while it was read")) +
                              "; the limit is " + std::to_string(outer_.limits_.body_bytes_max) + " bytes");
  }

  kj::Promise<void> dispatch(FramingStream& stream, kj::HttpService::Response& response, Begun start,
                             HttpRequest req) {
    auto ticket = inbox_.expect();
    Job job{std::move(req), ticket.id};
    if (!pool_.try_submit(job)) {
      inbox_.drop(ticket.id, "not handled");  // never reaches the client: the promise is dropped
      HttpResponse busy = error_response(503, "overloaded",
                                         "queue_requests_max requests are waiting; try again");
      busy.headers.emplace_back("Retry-After", "1");
      return send(stream, response, start, std::move(busy));
    }
    outer_.counters_.requests_in_flight.fetch_add(1);
    return ticket.promise.then([this, &stream, &response, start](MakeResponse make) {
      outer_.counters_.requests_in_flight.fetch_sub(1);
      return send(stream, response, start, (*make)());
    });
  }

  kj::Promise<void> send(FramingStream& stream, kj::HttpService::Response& response, Begun start,
                         HttpResponse r) {
    account(start, to_string(start.method), r);
    r.headers.emplace_back("X-Request-Id", start.request_id);
    stream.mark_answered();
    if (start.method != kj::HttpMethod::HEAD && !r.body.empty()) stream.join_next_writes();
    return write_response(response, std::move(r), stream.closing());
  }

  // An answer to no request kj-http passed on (a framing problem, an error of kj's).
  Begun unattributed(std::string peer) {
    return Begun{std::chrono::steady_clock::now(), kj::HttpMethod::GET, request_ids_.of(nullptr), std::move(peer)};
  }

  // Metrics and the access log of one answer.
  void account(const Begun& start, std::string_view method, const HttpResponse& r) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start.at).count();
    const std::string route = r.route.empty() ? "other" : r.route;
    requests_.at({route, std::to_string(r.status)}).add();
    latency_.at({route}).observe(seconds);
    if (outer_.access_log_) {
      const std::string code = r.error_code.empty() && r.status >= 400 ? error_code_of(r.body) : r.error_code;
      outer_.access_log_(AccessRecord{method, route, r.status, seconds, r.body.size(), r.principal,
                                      start.request_id, start.peer, code});
    }
  }

  kj::Promise<void> write_response(kj::HttpService::Response& response, HttpResponse r, bool closing) {
    kj::HttpHeaders headers(table_);
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, kj::StringPtr(r.content_type.c_str()));
    for (const auto& [name, value] : r.headers) {
      headers.add(kj::StringPtr(name.c_str()), kj::StringPtr(value.c_str()));
    }
    auto body = kj::heap<std::string>(std::move(r.body));
    closing_now_ = closing;  // read by shouldClose() inside send()
    auto stream = response.send(static_cast<uint>(r.status), status_text(r.status), headers, body->size());
    closing_now_ = false;
    auto written = stream->write(body->data(), body->size());
    return written.attach(kj::mv(stream), kj::mv(body));
  }

  // kj::HttpServerCallbacks: "Connection: close" on this answer.
  bool shouldClose() override { return closing_now_; }

  // kj::HttpServerErrorHandler: what kj-http would answer with its internals.
  kj::Promise<void> handleClientProtocolError(kj::HttpHeaders::ProtocolError error,
                                              kj::HttpService::Response& response) override {
    error_log_("internal error: kj-http could not read a request that passed the framing check: " +
               std::string(error.description.cStr()));
    HttpResponse r = error_response(static_cast<int>(error.statusCode), "bad_request", "the request could not be read");
    account(unattributed(""), "-", r);
    return write_response(response, std::move(r), true);
  }
  kj::Promise<void> handleApplicationError(kj::Exception exception,
                                           kj::Maybe<kj::HttpService::Response&> response) override {
    if (exception.getType() == kj::Exception::Type::DISCONNECTED) return kj::READY_NOW;  // the client left
    error_log_("internal error: " + std::string(exception.getDescription().cStr()));
    KJ_IF_MAYBE(r, response) {
      HttpResponse failed = internal_error();
      account(unattributed(""), "-", failed);
      return write_response(*r, std::move(failed), true);
    }
    return kj::READY_NOW;
  }
  kj::Promise<void> handleNoResponse(kj::HttpService::Response& response) override {
    error_log_("internal error: a request was left without an answer");
    HttpResponse failed = internal_error();
    account(unattributed(""), "-", failed);
    return write_response(response, std::move(failed), true);
  }

  void taskFailed(kj::Exception&&) override {}  // a connection's end; nothing to do

  HttpServer& outer_;
  kj::AsyncIoContext& io_;
  const kj::HttpHeaderTable& table_;
  const kj::HttpHeaderId authorization_;
  const kj::HttpHeaderId request_id_;
  RequestIds request_ids_;
  kj::Timer& timer_;
  const std::function<void(std::string_view)> error_log_;
  bool closing_now_ = false;
  kj::HttpServer server_;
  std::unordered_map<const FramingStream*, HttpHandler*> handler_of_;  // open connections' listeners
  kj::TaskSet connections_;
  LoopInbox inbox_;  // outlives pool_: an Answer settles its ticket when it goes
  kj::Promise<void> serving_inbox_;
  WorkerPool pool_;
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
  Family<Counter>& refused_;
};
#pragma GCC diagnostic pop

HttpServer::HttpServer(HttpHandler& handler, Metrics& metrics, ServerCounters& counters,
                       HttpLimits limits, std::function<void(const AccessRecord&)> access_log,
                       std::function<void(std::string_view)> error_log)
    : handler_(handler),
      metrics_(metrics),
      counters_(counters),
      limits_(limits),
      access_log_(std::move(access_log)),
      error_log_(std::move(error_log)) {}

void HttpServer::add_listener(std::string address, HttpHandler& handler,
                              std::function<void(uint16_t)> listening) {
  extra_listeners_.push_back(ExtraListener{std::move(address), &handler, std::move(listening)});
}

namespace {

// Parses `address` and listens there, into `receiver`: invalid_argument for
// an address that does not parse or resolve, io_error (in the system's
// words) when it cannot listen.
Status listen_on(kj::AsyncIoContext& io, const std::string& address, kj::Own<kj::ConnectionReceiver>& receiver) {
  kj::Own<kj::NetworkAddress> addr;
  KJ_IF_MAYBE(bad, kj::runCatchingExceptions([&] {
    addr = io.provider->getNetwork().parseAddress(address).wait(io.waitScope);
  })) {
    return Status(StatusCode::invalid_argument,
                  "cannot use listen address '" + address + "': " + bad->getDescription().cStr());
  }
  KJ_IF_MAYBE(bad, kj::runCatchingExceptions([&] { receiver = addr->listen(); })) {
    const std::string problem = system_problem(bad->getDescription().cStr());
    return Status(StatusCode::io_error,
                  "cannot listen on " + address + ": " + problem +
                      (problem.find("in use") != std::string::npos
                           ? " (another process listens there: stop it or choose another address)"
                           : ""));
  }
  return Status::Ok();
}

}  // namespace

Status HttpServer::run(const std::string& address, const std::function<void(uint16_t)>& listening) {
  Status result;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
    auto io = kj::setupAsyncIo();
    kj::HttpHeaderTable::Builder builder;
    const kj::HttpHeaderId authorization = builder.add("Authorization");
    const kj::HttpHeaderId request_id = builder.add("X-Request-Id");
    auto table = builder.build();

    kj::Own<kj::ConnectionReceiver> receiver;
    std::vector<kj::Own<kj::ConnectionReceiver>> extra;
    if (Status s = listen_on(io, address, receiver); !s.ok()) {
      result = s;
      return;
    }
    for (const ExtraListener& l : extra_listeners_) {
      extra.emplace_back();
      if (Status s = listen_on(io, l.address, extra.back()); !s.ok()) {
        result = s;
        return;
      }
    }
    Impl impl(*this, io, *table, authorization, request_id);
    listening(static_cast<uint16_t>(receiver->getPort()));
    for (size_t i = 0; i < extra.size(); ++i) extra_listeners_[i].listening(static_cast<uint16_t>(extra[i]->getPort()));

    auto stop = io.unixEventPort.onSignal(SIGTERM)
                    .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
                    .ignoreResult();
    {
      auto accepting = impl.accept_loop(*receiver, handler_).eagerlyEvaluate(nullptr);
      std::vector<kj::Promise<void>> accepting_extra;
      for (size_t i = 0; i < extra.size(); ++i) {
        accepting_extra.push_back(impl.accept_loop(*extra[i], *extra_listeners_[i].handler).eagerlyEvaluate(nullptr));
      }
      stop.wait(io.waitScope);
      counters_.draining.store(true);
    }  // the accept loops are cancelled here: no new connections
    receiver = nullptr;
    extra.clear();
    auto drained = io.provider->getTimer()
                       .timeoutAfter(kj::MILLISECONDS * limits_.drain_timeout.count(), impl.drain())
                       .then([] { return true; }, [](kj::Exception&&) { return false; });
    if (!drained.wait(io.waitScope)) {
      result = Status(StatusCode::unavailable, "requests still in flight after drain_timeout");
    }
    impl.stop_workers();
  })) {
    return Status(StatusCode::io_error, std::string("http server: ") + e->getDescription().cStr());
  }
  return result;
}

}  // namespace mledger::http
