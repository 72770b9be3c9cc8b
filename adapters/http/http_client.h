#pragma once
// HttpClient: a small blocking HTTP/1.1 client over one kept-alive TCP
// connection, for the load generator (`mledger bench http`) and the tests.
// It reads responses framed by Content-Length (the server's only framing).
// Not thread-safe: one client per thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/core/status.h"

namespace mledger::http {

inline constexpr size_t kResponseHeaderBytesMax = 64 << 10;
inline constexpr size_t kResponseBodyBytesMax = 1ull << 30;

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class HttpClient {
 public:
  // Connects to host:port (IPv4 literal or name). Every read and write then
  // waits at most `timeout`.
  [[nodiscard]] static StatusOr<std::unique_ptr<HttpClient>> connect(
      const std::string& host, uint16_t port,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (Host and Content-Length added) and reads its response.
  [[nodiscard]] StatusOr<ClientResponse> request(
      std::string_view method, std::string_view target,
      const std::vector<std::pair<std::string, std::string>>& headers = {},
      std::string_view body = {});

  // For tests of hostile clients: raw bytes out, one response in.
  [[nodiscard]] Status send_raw(std::string_view bytes);
  [[nodiscard]] StatusOr<ClientResponse> read_response();
  // True once the server closed the connection (a read returns end of file).
  bool closed_by_peer();

 private:
  explicit HttpClient(int fd, std::string host) : fd_(fd), host_(std::move(host)) {}
  [[nodiscard]] Status fill();  // reads more into buffer_

  int fd_;
  std::string host_;
  std::string buffer_;
};

}  // namespace mledger::http
