#include "adapters/http/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mledger::http {

namespace {

Status io_failure(const std::string& what) {
  return Status(StatusCode::io_error, what + ": " + std::strerror(errno));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

StatusOr<std::unique_ptr<HttpClient>> HttpClient::connect(const std::string& host, uint16_t port,
                                                          std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Err{Status(StatusCode::invalid_argument,
                      "cannot resolve " + host + ": " + ::gai_strerror(rc))};
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return Err{io_failure("cannot connect to " + host + ":" + service)};
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return std::unique_ptr<HttpClient>(new HttpClient(fd, host + ":" + service));
}

HttpClient::~HttpClient() { ::close(fd_); }

Status HttpClient::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_failure("send");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status();
}

Status HttpClient::fill() {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_failure("receive");
    if (n == 0) return Status(StatusCode::unavailable, "the server closed the connection");
    buffer_.append(chunk, static_cast<size_t>(n));
    return Status();
  }
}

StatusOr<ClientResponse> HttpClient::read_response() {
  size_t end = 0;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kResponseHeaderBytesMax) {
      return Err{Status(StatusCode::limit_exceeded, "response headers over 64 KiB")};
    }
    if (Status s = fill(); !s.ok()) return Err{s};
  }
  ClientResponse r;
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
    return Err{Status(StatusCode::corruption, "not an HTTP response: " + status_line.substr(0, 80))};
  }
  r.status = std::atoi(status_line.c_str() + 9);
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    r.headers[lower(line.substr(0, colon))] = line.substr(v);
  }
  size_t length = 0;
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    length = std::strtoull(it->second.c_str(), nullptr, 10);
  }
  if (length > kResponseBodyBytesMax) {
    return Err{Status(StatusCode::limit_exceeded, "response body over 1 GiB")};
  }
  while (buffer_.size() < length) {
    if (Status s = fill(); !s.ok()) return Err{s};
  }
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return r;
}

StatusOr<ClientResponse> HttpClient::request(std::string_view method, std::string_view target,
                                             const std::vector<std::pair<std::string, std::string>>& headers,
                                             std::string_view body) {
  std::string out;
  out.reserve(256 + body.size());
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_);
  out.append("\r\nContent-Length: ").append(std::to_string(body.size())).append("\r\n");
  for (const auto& [name, value] : headers) out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n").append(body);
  if (Status s = send_raw(out); !s.ok()) return Err{s};
  return read_response();
}

bool HttpClient::closed_by_peer() {
  if (!buffer_.empty()) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return false;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

}  // namespace mledger::http
