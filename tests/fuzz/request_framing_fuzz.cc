// libFuzzer target: the HTTP request framing check (adapters/http/
// request_framing.h). The input is a connection's bytes, fed in pieces whose
// sizes come from the first byte. It must never crash or hang, and what it
// passes on must hold to its contract: each head it passes parses again as
// itself (canonical form is a fixed point), with a method it implements and
// HTTP/1.0 or 1.1; a problem has a 4xx or 5xx status and a code.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/http/request_framing.h"

namespace {

void check_head(const mledger::http::RequestHead& head) {
  auto again = mledger::http::parse_request_head(head.canonical);
  if (!again.ok() || again->canonical != head.canonical || again->body != head.body ||
      again->content_length != head.content_length || again->close != head.close) {
    std::abort();
  }
  if (head.minor_version != 0 && head.minor_version != 1) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  mledger::http::FramingFilter filter(1024);
  std::string out;
  bool checked = false;
  for (int messages = 0; !in.empty() && messages < 64;) {
    const size_t used = filter.feed(in.substr(0, piece), out);
    in.remove_prefix(used);
    if (filter.failed()) {
      const auto& p = filter.problem();
      if (p.status < 400 || p.status > 505 || p.code.empty() || p.message.empty()) std::abort();
      return 0;
    }
    if (filter.head_done() && !checked) {
      check_head(filter.head());
      checked = true;
    }
    if (filter.message_done()) {
      filter.next_message();
      checked = false;
      ++messages;
    }
    if (used == 0 && !filter.message_done()) std::abort();  // no progress
  }
  // The whole head in one piece reads as in many.
  auto whole = mledger::http::parse_request_head(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (whole.ok()) check_head(*whole);
  return 0;
}
