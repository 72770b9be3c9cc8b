// An exception escaping a handler (issue 14, part 4): the HttpServer logs it
// and answers a generic JSON 500 without internals, and keeps serving. The
// server runs in a child process (a handler that throws on a worker thread
// used to end the process), with a handler that throws on purpose.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "adapters/http/http_client.h"
#include "adapters/http/http_server.h"
#include "adapters/http/metrics.h"

namespace mledger::http {
namespace {

// /screen-throws throws on the event loop, /handle-throws on a worker,
// /throws-int throws a non-exception; anything else is 200.
class ThrowingHandler final : public HttpHandler {
 public:
  std::optional<HttpResponse> screen(HttpRequest& request) override {
    if (request.path == "/screen-throws") throw std::runtime_error("secret detail from screen");
    return std::nullopt;
  }
  HttpResponse handle(HttpRequest& request) override {
    if (request.path == "/handle-throws") throw std::logic_error("secret detail from handle");
    if (request.path == "/throws-int") throw 42;
    HttpResponse r;
    r.body = "{\"ok\":true}\n";
    return r;
  }
};

class HandlerFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    log_path_ = ::testing::TempDir() + "handler-failure-" + std::to_string(::getpid()) + ".log";
    int ports[2];
    ASSERT_EQ(::pipe(ports), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ports[0]);
      FILE* log = std::fopen(log_path_.c_str(), "w");
      capture_stop_signals();
      ThrowingHandler handler;
      Metrics metrics;
      ServerCounters counters;
      HttpLimits limits;
      limits.workers = 2;
      HttpServer server(handler, metrics, counters, limits, {},
                        [log](std::string_view line) {
                          std::fprintf(log, "%.*s\n", static_cast<int>(line.size()), line.data());
                          std::fflush(log);
                        });
      const Status s = server.run("127.0.0.1:0", [&](uint16_t port) {
        (void)!::write(ports[1], &port, sizeof port);
        ::close(ports[1]);
      });
      ::_exit(s.ok() ? 0 : 3);
    }
    ::close(ports[1]);
    ASSERT_EQ(::read(ports[0], &port_, sizeof port_), static_cast<ssize_t>(sizeof port_));
    ::close(ports[0]);
  }
  void TearDown() override {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the server did not stop cleanly";
    std::remove(log_path_.c_str());
  }

  ClientResponse get(const std::string& path) {
    auto c = HttpClient::connect("127.0.0.1", port_, std::chrono::milliseconds(5000));
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    auto r = (*c)->request("GET", path);
    EXPECT_TRUE(r.ok()) << path << ": " << r.error().to_string();
    return r.ok() ? *r : ClientResponse{};
  }
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string log_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

TEST_F(HandlerFailure, an_exception_is_logged_and_answered_500_without_internals) {
  for (const char* path : {"/screen-throws", "/handle-throws", "/throws-int"}) {
    const ClientResponse r = get(path);
    EXPECT_EQ(r.status, 500) << path << ": " << r.body;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j.value("error", ""), "internal") << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("kj/"), std::string::npos) << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
  }
  // The server still serves, and said what happened where an operator looks.
  EXPECT_EQ(get("/fine").status, 200);
  const std::string logged = log();
  EXPECT_NE(logged.find("secret detail from screen"), std::string::npos) << logged;
  EXPECT_NE(logged.find("secret detail from handle"), std::string::npos) << logged;
  EXPECT_NE(logged.find("/throws-int"), std::string::npos) << logged;
}

}  // namespace
}  // namespace mledger::http
