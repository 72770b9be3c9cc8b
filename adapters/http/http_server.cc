#include "adapters/http/http_server.h"

#include <signal.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/http.h>
#include <kj/debug.h>
#include <nlohmann/json.hpp>

namespace mledger::http {

namespace {

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
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
  }
}

// A worker's job: the request, and where its response goes back to the loop.
struct Job {
  HttpRequest request;
  kj::Own<kj::CrossThreadPromiseFulfiller<HttpResponse>> done;
};

// A fixed set of threads taking jobs from one bounded queue.
class WorkerPool {
 public:
  WorkerPool(HttpHandler& handler, size_t workers, size_t queue_max, std::atomic<uint64_t>& queued)
      : handler_(handler), queue_max_(queue_max), queued_(queued) {
    for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
  }
  ~WorkerPool() { stop(); }

  // False (and the job untouched) when queue_max jobs already wait.
  bool try_submit(Job& job) {
    {
      std::lock_guard lock(mu_);
      if (queue_.size() >= queue_max_ || stopping_) return false;
      queue_.push_back(std::move(job));
      queued_.store(queue_.size(), std::memory_order_relaxed);
    }
    wake_.notify_one();
    return true;
  }

  // Runs what is queued, then joins.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        queued_.store(queue_.size(), std::memory_order_relaxed);
      }
      HttpResponse response = handler_.handle(job.request);
      job.done->fulfill(std::move(response));
    }
  }

  HttpHandler& handler_;
  const size_t queue_max_;
  std::atomic<uint64_t>& queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
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

}  // namespace

HttpResponse error_response(int status, std::string_view code, std::string_view message,
                            std::string route) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", code}, {"message", message}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  r.route = std::move(route);
  return r;
}

void capture_stop_signals() {
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
}

// The kj side: an HttpService over the handler, the accept loop and shutdown.
// (kj's interfaces are destroyed through their concrete types.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class HttpServer::Impl final : public kj::HttpService, private kj::TaskSet::ErrorHandler {
 public:
  Impl(HttpServer& outer, kj::AsyncIoContext& io, const kj::HttpHeaderTable& table,
       kj::HttpHeaderId authorization)
      : outer_(outer),
        io_(io),
        table_(table),
        authorization_(authorization),
        timer_(io.provider->getTimer()),
        server_(timer_, table, *this, settings(outer.limits_)),
        connections_(*this),
        pool_(outer.handler_, outer.limits_.workers, outer.limits_.queue_requests_max,
              outer.counters_.queued),
        requests_(outer.metrics_.counter("mledger_http_requests_total",
                                         "HTTP requests answered, by route and status",
                                         {"route", "status"})),
        latency_(outer.metrics_.histogram("mledger_http_request_duration_seconds",
                                          "From the request's headers to its response, by route",
                                          {"route"}, latency_buckets_seconds())),
        refused_(outer.metrics_.counter("mledger_http_connections_refused_total",
                                        "Connections closed at once: connections_max reached",
                                        {})) {}

  kj::Promise<void> accept_loop(kj::ConnectionReceiver& receiver) {
    return receiver.accept().then([this, &receiver](kj::Own<kj::AsyncIoStream> connection) {
      auto& open = outer_.counters_.connections_open;
      if (open.load() >= outer_.limits_.connections_max) {
        refused_.at({}).add();
        static const std::string kFull = [] {
          const std::string body =
              "{\"error\":\"too_many_connections\",\"message\":\"connections_max connections are "
              "open; try again\"}\n";
          return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                 "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body;
        }();
        auto write = connection->write(kFull.data(), kFull.size());
        connections_.add(timer_.timeoutAfter(kj::SECONDS, kj::mv(write)).attach(kj::mv(connection)));
      } else {
        open.fetch_add(1);
        connections_.add(server_.listenHttp(kj::mv(connection)).attach(kj::defer([&open] {
          open.fetch_sub(1);
        })));
      }
      return accept_loop(receiver);
    });
  }

  kj::Promise<void> drain() { return server_.drain(); }
  void stop_workers() { pool_.stop(); }

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url, const kj::HttpHeaders& headers,
                            kj::AsyncInputStream& body, Response& response) override {
    const Begun start{std::chrono::steady_clock::now(), method};
    const HttpLimits& limits = outer_.limits_;
    // url and headers are gone after the first read of the body: copy first.
    size_t header_bytes = url.size() + 16;
    headers.forEach([&](kj::StringPtr name, kj::StringPtr value) {
      header_bytes += name.size() + value.size() + 4;
    });
    if (header_bytes > limits.header_bytes_max) {
      return send(response, start,
                  error_response(431, "headers_too_large",
                                 "the request line and headers are " + std::to_string(header_bytes) +
                                     " bytes; the limit is " + std::to_string(limits.header_bytes_max)));
    }
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
    if (std::optional<HttpResponse> early = outer_.handler_.screen(req)) {
      return send(response, start, std::move(*early));
    }
    if (outer_.counters_.draining.load()) {
      return send(response, start, error_response(503, "shutting_down", "the server is shutting down"));
    }
    KJ_IF_MAYBE(length, body.tryGetLength()) {
      if (*length > limits.body_bytes_max) {
        return send(response, start, too_large(*length));
      }
    }
    auto state = kj::heap<std::pair<HttpRequest, std::string>>(std::move(req), std::string());
    auto reader = kj::heap<BodyReader>(BodyReader{body, state->second, limits.body_bytes_max, {}});
    auto reading = timer_.timeoutAfter(kj::MILLISECONDS * limits.body_timeout.count(), reader->read());
    return reading.attach(kj::mv(reader))
        .then(
            [this, &response, start, state = kj::mv(state)](bool whole) mutable -> kj::Promise<void> {
              if (!whole) return send(response, start, too_large(0));
              state->first.body = std::move(state->second);
              return dispatch(response, start, std::move(state->first));
            },
            [this, &response, start](kj::Exception&& e) -> kj::Promise<void> {
              if (e.getType() == kj::Exception::Type::OVERLOADED) {  // timeoutAfter's
                return send(response, start,
                            error_response(408, "body_timeout",
                                           "the body did not arrive within " +
                                               std::to_string(outer_.limits_.body_timeout.count()) + " ms"));
              }
              return kj::mv(e);  // the client went away: nothing to answer
            });
  }

 private:
  // When and how a request began: for latency and the access log.
  struct Begun {
    std::chrono::steady_clock::time_point at;
    kj::HttpMethod method;
  };

  static kj::HttpServerSettings settings(const HttpLimits& limits) {
    kj::HttpServerSettings s;
    s.headerTimeout = kj::MILLISECONDS * limits.header_timeout.count();
    s.pipelineTimeout = kj::MILLISECONDS * limits.idle_timeout.count();
    return s;
  }

  HttpResponse too_large(uint64_t length) {
    return error_response(413, "body_too_large",
                          (length ? "the body is " + std::to_string(length) + " bytes"
                                  : std::string("the body passed the limit while it was read")) +
                              "; the limit is " + std::to_string(outer_.limits_.body_bytes_max) + " bytes");
  }

  kj::Promise<void> dispatch(Response& response, Begun start,
                             HttpRequest req) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<HttpResponse>();
    Job job{std::move(req), kj::mv(paf.fulfiller)};
    if (!pool_.try_submit(job)) {
      HttpResponse busy = error_response(503, "overloaded",
                                         "queue_requests_max requests are waiting; try again");
      busy.headers.emplace_back("Retry-After", "1");
      return send(response, start, std::move(busy));
    }
    outer_.counters_.requests_in_flight.fetch_add(1);
    return paf.promise.then([this, &response, start](HttpResponse r) {
      outer_.counters_.requests_in_flight.fetch_sub(1);
      return send(response, start, std::move(r));
    });
  }

  kj::Promise<void> send(Response& response, Begun start, HttpResponse r) {
    const std::string route = r.route.empty() ? "other" : r.route;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start.at).count();
    requests_.at({route, std::to_string(r.status)}).add();
    latency_.at({route}).observe(seconds);
    if (outer_.access_log_) {
      const std::string method = to_string(start.method);
      outer_.access_log_(AccessRecord{method, route, r.status, seconds, r.body.size(), r.principal});
    }
    kj::HttpHeaders headers(table_);
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, kj::StringPtr(r.content_type.c_str()));
    for (const auto& [name, value] : r.headers) {
      headers.add(kj::StringPtr(name.c_str()), kj::StringPtr(value.c_str()));
    }
    auto body = kj::heap<std::string>(std::move(r.body));
    auto stream = response.send(static_cast<uint>(r.status), status_text(r.status), headers, body->size());
    auto written = stream->write(body->data(), body->size());
    return written.attach(kj::mv(stream), kj::mv(body));
  }

  void taskFailed(kj::Exception&&) override {}  // a connection's end; nothing to do

  HttpServer& outer_;
  kj::AsyncIoContext& io_;
  const kj::HttpHeaderTable& table_;
  const kj::HttpHeaderId authorization_;
  kj::Timer& timer_;
  kj::HttpServer server_;
  kj::TaskSet connections_;
  WorkerPool pool_;
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
  Family<Counter>& refused_;
};
#pragma GCC diagnostic pop

HttpServer::HttpServer(HttpHandler& handler, Metrics& metrics, ServerCounters& counters,
                       HttpLimits limits, std::function<void(const AccessRecord&)> access_log)
    : handler_(handler),
      metrics_(metrics),
      counters_(counters),
      limits_(limits),
      access_log_(std::move(access_log)) {}

Status HttpServer::run(const std::string& address, const std::function<void(uint16_t)>& listening) {
  Status result;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] {
    auto io = kj::setupAsyncIo();
    kj::HttpHeaderTable::Builder builder;
    const kj::HttpHeaderId authorization = builder.add("Authorization");
    auto table = builder.build();

    kj::Own<kj::NetworkAddress> addr;
    KJ_IF_MAYBE(bad, kj::runCatchingExceptions([&] {
      addr = io.provider->getNetwork().parseAddress(address).wait(io.waitScope);
    })) {
      result = Status(StatusCode::invalid_argument,
                    "cannot use listen address '" + address + "': " + bad->getDescription().cStr());
      return;
    }
    kj::Own<kj::ConnectionReceiver> receiver;
    KJ_IF_MAYBE(bad, kj::runCatchingExceptions([&] { receiver = addr->listen(); })) {
      result = Status(StatusCode::io_error,
                    "cannot listen on " + address + ": " + bad->getDescription().cStr());
      return;
    }
    Impl impl(*this, io, *table, authorization);
    listening(static_cast<uint16_t>(receiver->getPort()));

    auto stop = io.unixEventPort.onSignal(SIGTERM)
                    .exclusiveJoin(io.unixEventPort.onSignal(SIGINT))
                    .ignoreResult();
    {
      auto accepting = impl.accept_loop(*receiver).eagerlyEvaluate(nullptr);
      stop.wait(io.waitScope);
      counters_.draining.store(true);
    }  // the accept loop is cancelled here: no new connections
    receiver = nullptr;
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
