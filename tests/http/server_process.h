#pragma once
// A real `mledger serve` for tests: a fresh ledger directory seeded with the
// demo (docs/demo/*.jsonl through `mledger exec`), a signing key, and the
// server started on a free loopback port. Requests go over real HTTP
// (adapters/http/http_client.h); tokens are signed with the same key.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/auth/bearer_token.h"
#include "adapters/http/http_client.h"
#include "tests/support/run_cli.h"

namespace mledger::testing {

// A temporary directory holding a ledger (seeded with the demo) and a key.
struct LedgerDir {
  std::string dir;
  std::string data;
  std::string key_file;

  explicit LedgerDir(const std::string& name, bool seed = true) {
    dir = (std::filesystem::temp_directory_path() /
           (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand())))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    data = dir + "/data";
    key_file = dir + "/key";
    const Run k = run("token keygen --key-file " + key_file);
    EXPECT_EQ(k.exit_code, 0) << k.out;
    if (seed) {
      for (const char* f : {"scenario.jsonl", "company-year.jsonl"}) {
        const Run r = run("exec --data " + data + " " + std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/" + f);
        EXPECT_EQ(r.exit_code, 0) << r.out;
      }
    }
  }
  ~LedgerDir() { std::filesystem::remove_all(dir); }

  std::string token(ActorKind kind, const std::string& user, const std::string& account = "",
                    int64_t ttl_s = 3600) const {
    auto key = auth::SigningKey::load(key_file);
    EXPECT_TRUE(key.ok());
    auth::TokenClaims c;
    c.kind = kind;
    c.user_id = user;
    c.account_id = account;
    c.expires_at_s = std::time(nullptr) + ttl_s;  // a negative ttl: expired that long ago
    c.issued_at_s = std::min<int64_t>(std::time(nullptr) - 10, c.expires_at_s - 60);
    c.token_id = "test-" + user;
    return auth::issue_token(*key, c);
  }
};

class ServerProcess {
 public:
  // Starts `mledger serve --init` (an unseeded LedgerDir has no ledger yet)
  // on 127.0.0.1:0 and waits for its "listening on" line.
  // `stderr_path`: where the server's standard error goes (inherited when empty).
  // `file_bytes_max` > 0: no file the server writes may grow past it
  // (RLIMIT_FSIZE, SIGXFSZ ignored): the write that would is an EFBIG, as
  // on a full disk.
  static std::unique_ptr<ServerProcess> start(const LedgerDir& ledger,
                                              const std::vector<std::string>& extra = {},
                                              const std::string& stderr_path = "",
                                              uint64_t file_bytes_max = 0) {
    int out[2];
    if (::pipe(out) != 0) return nullptr;
    // A read's wait for the projections is long: under a loaded CI machine a
    // synced projection commit may stall for seconds (the 503 is the server's
    // answer to that, not what these tests are about).
    std::vector<std::string> args = {MLEDGER_BINARY, "serve", "--listen", "127.0.0.1:0",
                                     "--data", ledger.data, "--key-file", ledger.key_file,
                                     "--read-wait-ms", "60000", "--init"};
    args.insert(args.end(), extra.begin(), extra.end());
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      if (!stderr_path.empty()) {
        const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err >= 0) ::dup2(err, STDERR_FILENO);
      }
      ::close(out[0]);
      ::close(out[1]);
      if (file_bytes_max > 0) {
        ::signal(SIGXFSZ, SIG_IGN);  // kept across execv
        const rlimit limit{file_bytes_max, file_bytes_max};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    auto server = std::unique_ptr<ServerProcess>(new ServerProcess(pid, out[0]));
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    const std::string prefix = "listening on http://127.0.0.1:";
    const size_t at = line.find(prefix);
    if (at == std::string::npos) {
      ADD_FAILURE() << "mledger serve did not start: '" << line << "'";
      return nullptr;
    }
    server->port = static_cast<uint16_t>(std::atoi(line.c_str() + at + prefix.size()));
    server->pending_ = line.substr(line.find('\n') + 1);
    return server;
  }

  // The next line the server prints on stdout (after "listening on ..."),
  // without its newline; "" when none comes within `timeout`.
  std::string stdout_line(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pending_.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(stdout_, buf, sizeof buf);
      if (n <= 0) break;
      pending_.append(buf, static_cast<size_t>(n));
    }
    const size_t end = pending_.find('\n');
    if (end == std::string::npos) return "";
    std::string out = pending_.substr(0, end);
    pending_.erase(0, end + 1);
    return out;
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(stdout_);
  }

  // SIGTERM, then waits (up to `wait`) for the exit code; -1 if it did not exit.
  int terminate(std::chrono::seconds wait = std::chrono::seconds(60)) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  std::unique_ptr<http::HttpClient> client() const {
    auto c = http::HttpClient::connect("127.0.0.1", port);
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return c.ok() ? std::move(c.value()) : nullptr;
  }

  // One request on a new connection.
  http::ClientResponse call(const std::string& method, const std::string& target,
                            const std::string& token, const std::string& body = "") const {
    auto c = client();
    std::vector<std::pair<std::string, std::string>> headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (method == "POST") headers.emplace_back("Content-Type", "application/json");
    auto r = c->request(method, target, headers, body);
    EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.error().to_string();
    return r.ok() ? *r : http::ClientResponse{};
  }

  uint16_t port = 0;

 private:
  ServerProcess(pid_t pid, int out) : pid_(pid), stdout_(out) {}
  pid_t pid_;
  std::string pending_;  // stdout read but not yet returned
  int stdout_;
};

// A test suite sharing one server: `Suite::kName` names its directory and
// `Suite::server_args()` adds flags to `mledger serve`.
template <class Suite>
class ServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ledger_ = new LedgerDir(Suite::kName);
    server_ = ServerProcess::start(*ledger_, Suite::server_args()).release();
    ASSERT_NE(server_, nullptr);
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->terminate(), 0) << "a clean shutdown";
    }
    delete server_;
    delete ledger_;
  }
  static std::vector<std::string> server_args() { return {}; }

  static inline LedgerDir* ledger_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

inline nlohmann::json body_json(const http::ClientResponse& r) {
  return nlohmann::json::parse(r.body, nullptr, false);
}

}  // namespace mledger::testing
