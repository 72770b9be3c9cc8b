// The framing check on its own (adapters/http/request_framing.h): what it
// hands kj-http for what it is fed, whole or a byte at a time.

#include <gtest/gtest.h>

#include "adapters/http/request_framing.h"

namespace mledger::http {
namespace {

// Feeds `in` in pieces of `piece` bytes; the output up to the first
// message's end (or problem), and how much of `in` was read.
std::pair<std::string, size_t> first_message(FramingFilter& f, std::string_view in, size_t piece) {
  std::string out;
  size_t read = 0;
  while (read < in.size() && !f.message_done() && !f.failed()) {
    read += f.feed(in.substr(read, piece), out);
  }
  return {out, read};
}

TEST(RequestFraming, a_head_is_handed_on_in_canonical_form) {
  auto head = parse_request_head(
      "POST /v1/commands?x=1 HTTP/1.1\r\nhost: a:80\r\nX-A:\tvalue with  spaces \t\r\n"
      "content-length: 007\r\nConnection: keep-alive, Close\r\n\r\n");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->method, "POST");
  EXPECT_EQ(head->target, "/v1/commands?x=1");
  EXPECT_EQ(head->body, BodyFraming::length);
  EXPECT_EQ(head->content_length, 7u);
  EXPECT_TRUE(head->close);
  EXPECT_EQ(head->canonical,
            "POST /v1/commands?x=1 HTTP/1.1\r\nhost: a:80\r\nX-A: value with  spaces\r\n"
            "Connection: keep-alive, Close\r\nContent-Length: 7\r\n\r\n");
}

TEST(RequestFraming, a_chunked_body_is_rechunked_without_extensions_or_trailers) {
  const std::string in =
      "\r\nPOST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "0003;a=b ; c=\"d\\\"e\"\r\nabc\r\nA\r\n0123456789\r\n0;end\r\nX-T: 1\r\nY: 2\r\n\r\n"
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string expected =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n";
  for (size_t piece : {in.size(), size_t{1}, size_t{7}}) {
    FramingFilter f(4096);
    auto [out, read] = first_message(f, in, piece);
    ASSERT_FALSE(f.failed()) << f.problem().message;
    EXPECT_TRUE(f.message_done());
    EXPECT_EQ(out, expected) << piece;
    // It stops at the end of the request; the next one waits for next_message().
    EXPECT_EQ(in.substr(read), "GET / HTTP/1.1\r\nHost: a\r\n\r\n") << piece;
    f.next_message();
    std::string next;
    EXPECT_EQ(f.feed(in.substr(read), next), in.size() - read);
    EXPECT_TRUE(f.message_done());
    EXPECT_EQ(next, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  }
}

TEST(RequestFraming, the_end_of_a_chunked_body_waits_for_its_trailers) {
  FramingFilter f(4096);
  std::string out;
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(f.feed(head + "1\r\nx\r\n0\r\nBad trailer\r\n", out), head.size() + 22);
  EXPECT_TRUE(f.failed());
  EXPECT_EQ(f.problem().code, "bad_chunk");
  // What was handed on holds no end of body: kj-http never saw a whole body.
  EXPECT_EQ(out.find("0\r\n\r\n"), std::string::npos) << out;
}

TEST(RequestFraming, problems_carry_their_status) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"TRACK / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n", 501},
      {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, br\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400},
  };
  for (const auto& [text, status] : cases) {
    auto head = parse_request_head(text);
    ASSERT_FALSE(head.ok()) << text;
    EXPECT_EQ(head.error().status, status) << text;
  }
  FramingFilter f(64);
  std::string out;
  (void)f.feed("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(100, 'a'), out);
  EXPECT_EQ(f.problem().status, 431);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace mledger::http
