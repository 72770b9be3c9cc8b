// HTTP/1.1 framing over real sockets against a real `mledger serve` (issue
// 14, part 4): malformed or ambiguous framing is refused with a JSON error
// naming the problem (400, 501 for an unknown transfer coding, 505 for an
// unknown version), never a 500 and never the server's internals, and the
// connection is closed; chunk extensions and trailers are accepted;
// `Connection: close` and HTTP/1.0 close the connection after the answer.

#include <gtest/gtest.h>

#include "tests/http/server_process.h"

namespace mledger::testing {
namespace {

class Framing : public ServerSuite<Framing> {
 public:
  static constexpr const char* kName = "mledger-http-framing";
  static std::vector<std::string> server_args() {
    return {"--body-timeout-ms", "1500", "--header-timeout-ms", "1500", "--header-bytes-max", "4096"};
  }

 protected:
  static std::unique_ptr<http::HttpClient> connect() {
    auto c = http::HttpClient::connect("127.0.0.1", server_->port, std::chrono::milliseconds(5000));
    EXPECT_TRUE(c.ok());
    return c.ok() ? std::move(c.value()) : nullptr;
  }
  static std::string user_token() { return ledger_->token(ActorKind::user, "u-anna", "contoso-fr"); }
  static std::string add_user(const std::string& id) {
    return nlohmann::json{{"command_id", id},
                          {"type", "add_user"},
                          {"account_id", "contoso-fr"},
                          {"actor", {{"kind", "user"}, {"account_id", "contoso-fr"}, {"user_id", "u-anna"}}},
                          {"data", {{"user_id", "u-" + id}, {"email", id + "@contoso.fr"}, {"display_name", id}}}}
        .dump();
  }
  // A POST of a command with the given framing headers and raw body bytes.
  static std::string command_post(const std::string& framing, const std::string& raw_body) {
    return "POST /v1/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user_token() +
           "\r\nContent-Type: application/json\r\n" + framing + "\r\n" + raw_body;
  }
  // `request` refused with `status` and `code`, a JSON body without internals,
  // and the connection closed after it.
  static void expect_refused(const std::string& request, int status, const std::string& code) {
    SCOPED_TRACE(request.substr(0, 200));
    auto c = connect();
    ASSERT_TRUE(c->send_raw(request).ok());
    auto r = c->read_response();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, status) << r->body;
    const auto j = body_json(*r);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_EQ(j.value("error", ""), code) << r->body;
    EXPECT_FALSE(j.value("message", "").empty()) << r->body;
    for (const char* internal : {"kj/", ".c++", "stack", "exception", "0x7f"}) {
      EXPECT_EQ(r->body.find(internal), std::string::npos) << r->body;
    }
    EXPECT_EQ(r->headers["connection"], "close");
    EXPECT_TRUE(c->closed_by_peer()) << "the connection stays open after a framing error";
  }
};

const std::string kGet = "GET /healthz HTTP/1.1\r\nHost: x\r\n";

TEST_F(Framing, a_bad_content_length_is_400) {
  for (const std::string cl : {"abc", "1 0", "+2", "-1", "0x10", "2,2", "5, 6", "", "99999999999999999999999"}) {
    expect_refused(kGet + "Content-Length: " + cl + "\r\n\r\nab", 400, "bad_content_length");
  }
  // Repeated, whether the values differ or not.
  expect_refused(kGet + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 400, "bad_content_length");
  expect_refused(kGet + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nab", 400, "bad_content_length");
}

TEST_F(Framing, content_length_with_transfer_encoding_is_refused) {
  expect_refused(kGet + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
                 "ambiguous_framing");
  expect_refused(kGet + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n", 400,
                 "ambiguous_framing");
}

TEST_F(Framing, transfer_codings_other_than_one_chunked_are_refused) {
  expect_refused(kGet + "Transfer-Encoding: gzip\r\n\r\n", 501, "transfer_coding_not_implemented");
  expect_refused(kGet + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
                 "transfer_coding_not_implemented");
  expect_refused(kGet + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400, "bad_transfer_encoding");
  expect_refused(kGet + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
                 "bad_transfer_encoding");
  expect_refused(kGet + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400, "bad_transfer_encoding");
  expect_refused("GET /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
                 "bad_transfer_encoding");
}

TEST_F(Framing, bad_chunks_are_400) {
  const std::string te = "Transfer-Encoding: chunked\r\n";
  expect_refused(command_post(te, "zz\r\nhello\r\n0\r\n\r\n"), 400, "bad_chunk");
  // The size says 3, the data runs on: no CRLF where the chunk should end.
  expect_refused(command_post(te, "3\r\nabcdef\r\n0\r\n\r\n"), 400, "bad_chunk");
  // A bad chunk after a good one, while the body is being read.
  expect_refused(command_post(te, "1\r\n{\r\n-5\r\n"), 400, "bad_chunk");
  expect_refused(command_post(te, "fffffffffffffffffffff\r\n"), 400, "bad_chunk");
  expect_refused(command_post(te, "5;=x\r\nhello\r\n0\r\n\r\n"), 400, "bad_chunk");
  expect_refused(command_post(te, "5 x\r\nhello\r\n0\r\n\r\n"), 400, "bad_chunk");
  expect_refused(command_post(te, "5\nhello\r\n0\r\n\r\n"), 400, "bad_chunk");
  // A trailer that is not a field line.
  expect_refused(command_post(te, "0\r\nnot a field\r\n\r\n"), 400, "bad_chunk");
}

TEST_F(Framing, unknown_http_versions_are_505_and_malformed_ones_400) {
  for (const char* v : {"HTTP/1.9", "HTTP/3.0", "HTTP/2.0", "HTTP/0.9"}) {
    expect_refused("GET /healthz " + std::string(v) + "\r\nHost: x\r\n\r\n", 505, "http_version_not_supported");
  }
  for (const char* v : {"HTTP/1.1x", "http/1.1", "HTTP/1", "HTTP/1.10", "HTTP/1.1 "}) {
    expect_refused("GET /healthz " + std::string(v) + "\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  }
  expect_refused("GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  expect_refused("GET /healthz\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  expect_refused("GET /hea lthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  expect_refused("G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request_line");
  expect_refused("BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented");
  expect_refused("CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n", 501, "method_not_implemented");
}

// A method of RFC 9110 the server reads but no route takes (schemathesis
// sent TRACE, which was a 501): a 405 naming the route's method, and the
// connection stays open.
TEST_F(Framing, trace_is_a_method_no_route_takes) {
  auto c = connect();
  ASSERT_TRUE(c->send_raw("TRACE /healthz HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  auto r = c->read_response();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 405) << r->body;
  EXPECT_EQ(r->headers["allow"], "GET");
  EXPECT_EQ(body_json(*r).value("error", ""), "method_not_allowed");
  auto again = c->request("GET", "/healthz");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->status, 200);
}

TEST_F(Framing, malformed_header_lines_are_400) {
  expect_refused(kGet + "X-A: 1\r\n continued\r\n\r\n", 400, "bad_header");  // obs-fold
  expect_refused(kGet + "X-A : 1\r\n\r\n", 400, "bad_header");
  expect_refused(kGet + "X-A 1\r\n\r\n", 400, "bad_header");
  expect_refused(kGet + "X-A: 1\nX-B: 2\r\n\r\n", 400, "bad_header");  // bare LF
  expect_refused(kGet + "X-A: a\rb\r\n\r\n", 400, "bad_header");
  expect_refused(kGet + std::string("X-A: a\0b\r\n\r\n", 12), 400, "bad_header");
  expect_refused(kGet + "X-A: a\x01" "b\r\n\r\n", 400, "bad_header");
  expect_refused(kGet + "X(A): 1\r\n\r\n", 400, "bad_header");
}

TEST_F(Framing, host_is_required_once_in_http_1_1) {
  expect_refused("GET /healthz HTTP/1.1\r\n\r\n", 400, "bad_host");
  expect_refused(kGet + "Host: y\r\n\r\n", 400, "bad_host");
  expect_refused("GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "bad_host");
}

TEST_F(Framing, headers_over_the_limit_are_431_and_close) {
  expect_refused(kGet + "X-Padding: " + std::string(5000, 'a') + "\r\n\r\n", 431, "headers_too_large");
}

TEST_F(Framing, chunk_extensions_and_trailers_are_accepted) {
  const std::string body = add_user("framing-ext");
  const std::string a = body.substr(0, 10), b = body.substr(10);
  char size_a[16], size_b[16];
  std::snprintf(size_a, sizeof size_a, "%zx", a.size());
  std::snprintf(size_b, sizeof size_b, "%zX", b.size());
  const std::string chunks = std::string(size_a) + ";name=value;flag\r\n" + a + "\r\n" + size_b +
                             " ; q=\"quoted \\\" string\"\r\n" + b + "\r\n0;last\r\nX-Trailer: t\r\n\r\n";
  auto c = connect();
  ASSERT_TRUE(c->send_raw(command_post("Transfer-Encoding: chunked\r\n", chunks)).ok());
  auto r = c->read_response();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(body_json(*r).value("status", ""), "accepted") << r->body;
  // The connection is still usable.
  auto again = c->request("GET", "/healthz");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->status, 200);
}

TEST_F(Framing, pipelined_requests_are_answered_in_order) {
  auto c = connect();
  const std::string body = add_user("framing-pipe");
  ASSERT_TRUE(c->send_raw(kGet + "\r\n" +
                          command_post("Content-Length: " + std::to_string(body.size()) + "\r\n", body) +
                          command_post("Transfer-Encoding: chunked\r\n", "0\r\n\r\n") + kGet + "\r\n")
                  .ok());
  for (int expected : {200, 200, 400, 200}) {
    auto r = c->read_response();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, expected) << r->body;
  }
}

TEST_F(Framing, connection_close_closes_after_the_answer) {
  for (const char* value : {"close", "Close", "keep-alive, close"}) {
    auto c = connect();
    ASSERT_TRUE(c->send_raw(kGet + "Connection: " + value + "\r\n\r\n").ok());
    auto r = c->read_response();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->headers["connection"], "close");
    EXPECT_TRUE(c->closed_by_peer()) << value;
  }
}

TEST_F(Framing, http_1_0_is_answered_and_closed) {
  auto c = connect();
  // Host is optional in HTTP/1.0; anything after the request is not read.
  ASSERT_TRUE(c->send_raw("GET /healthz HTTP/1.0\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n").ok());
  auto r = c->read_response();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(c->closed_by_peer());
}

TEST_F(Framing, keep_alive_stays_open_by_default) {
  auto c = connect();
  for (int i = 0; i < 3; ++i) {
    auto r = c->request("GET", "/healthz");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->headers.contains("connection"));
  }
}

// The JSON strictness of docs/commands.md over HTTP: the 400 malformed_command
// form, for a single command and inside a batch (the batch is parsed whole
// before its items are).
TEST_F(Framing, duplicate_keys_nul_bytes_and_far_times_are_malformed_commands) {
  const auto post = [](const std::string& body) {
    auto c = connect();
    auto r = c->request("POST", "/v1/commands",
                        {{"Authorization", "Bearer " + user_token()}, {"Content-Type", "application/json"}}, body);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : http::ClientResponse{};
  };
  const auto expect_problem = [](const http::ClientResponse& r, const std::string& problem) {
    EXPECT_EQ(r.status, 400) << r.body;
    const auto j = body_json(r);
    EXPECT_EQ(j.value("error", ""), "malformed_command") << r.body;
    ASSERT_TRUE(j.contains("problems") && j["problems"].is_array() && !j["problems"].empty()) << r.body;
    EXPECT_NE(j["problems"][0].get<std::string>().find(problem), std::string::npos) << r.body;
  };
  std::string dup = add_user("framing-dup");
  dup.insert(dup.find("\"display_name\""), "\"display_name\":\"first\",");
  expect_problem(post(dup), "field 'data.display_name' is given twice");
  expect_problem(post("[" + add_user("framing-dup-0") + "," + dup + "]"),
                 "commands[1]: field 'data.display_name' is given twice");
  expect_problem(post(add_user("framing-nul") + std::string(1, '\0')), "NUL byte");
  std::string nul = add_user("framing-nul-2");
  nul.replace(nul.find("framing-nul-2@"), 7, "fram\\u0000");
  expect_problem(post(nul), "field 'data.email' holds a NUL character");
  expect_problem(post("[" + nul + "]"), "commands[0]: field 'data.email' holds a NUL character");
  auto far = nlohmann::json::parse(add_user("framing-far"));
  far["now"] = "1677-09-21T00:12:43Z";
  expect_problem(post(far.dump()), "field 'now' must be from 1970-01-01T00:00:00Z");
  // The clock's commands keep to the same range.
  const std::string service = ledger_->token(ActorKind::service, "svc-clock");
  const auto tick = server_->call("POST", "/v1/tick?now=1677-09-21T00:12:43Z", service);
  EXPECT_EQ(tick.status, 400) << tick.body;
  EXPECT_EQ(body_json(tick).value("error", ""), "bad_query") << tick.body;
}

}  // namespace
}  // namespace mledger::testing
