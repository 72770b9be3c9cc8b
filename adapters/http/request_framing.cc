#include "adapters/http/request_framing.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <vector>

namespace mledger::http {

namespace {

constexpr size_t kChunkLineBytesMax = 4096;  // a chunk-size line with its extensions
constexpr size_t kChunkSizeDigitsMax = 15;   // below 2^60 bytes
constexpr size_t kContentLengthDigitsMax = 18;
constexpr size_t kEmptyLinesBeforeRequestMax = 4;
// RFC 9110's methods but CONNECT (whose target is no path), and PATCH: a
// route answers 405 for those it does not take.
constexpr std::array<std::string_view, 8> kMethods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"};

using Problem = Err<FramingProblem>;

Problem problem(int status, std::string code, std::string message) {
  return Problem{FramingProblem{status, std::move(code), std::move(message)}};
}

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// VCHAR, SP, HTAB and obs-text: what a field value may hold.
bool is_field_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20) && ((x >= 'A' && x <= 'Z') || (x >= 'a' && x <= 'z') || x == y);
         });
}

// The comma-separated elements of a list field, trimmed (empty ones kept).
std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t comma = value.find(',');
    out.push_back(trim_ows(value.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    value.remove_prefix(comma + 1);
  }
}

// A Host value: uri-host [":" port], loosely (no spaces, no controls).
bool is_host(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("-._~!$&'()*+,;=%:[]").find(c) != std::string_view::npos;
  });
}

// method SP request-target SP HTTP-version
Result<bool, FramingProblem> parse_request_line(std::string_view line, RequestHead& head) {
  const size_t first = line.find(' '), last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    return problem(400, "bad_request_line", "the request line is not 'METHOD TARGET HTTP/1.1'");
  }
  const std::string_view method = line.substr(0, first), target = line.substr(first + 1, last - first - 1),
                         version = line.substr(last + 1);
  const bool target_ok = !target.empty() && std::all_of(target.begin(), target.end(), [](char c) {
    return c > 0x20 && c < 0x7f;
  });
  if (!is_token(method) || !target_ok) {
    return problem(400, "bad_request_line",
                   "the request line is not 'METHOD TARGET HTTP/1.1' (one space apart, a target of visible ASCII)");
  }
  const bool version_form = version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
                            version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9';
  if (!version_form) return problem(400, "bad_request_line", "the HTTP version is not of the form HTTP/1.1");
  if (version[5] != '1' || version[7] > '1') {
    return problem(505, "http_version_not_supported",
                   "this server speaks HTTP/1.1 and HTTP/1.0, not " + std::string(version));
  }
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
    return problem(501, "method_not_implemented",
                   "the method is not one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE");
  }
  head.method = std::string(method);
  head.target = std::string(target);
  head.minor_version = version[7] - '0';
  return true;
}

// What the field lines say about framing, gathered before it is decided.
struct Fields {
  int content_lengths = 0;
  std::string_view content_length;
  bool transfer_encoding = false;
  std::vector<std::string_view> codings;
  int hosts = 0;
  std::string_view host;
  bool close = false;
};

// field-name ":" OWS field-value OWS; appended to `canonical` unless it is a
// framing field (written by decide_body()).
Result<bool, FramingProblem> parse_field_line(std::string_view line, Fields& f, std::string& canonical) {
  if (!line.empty() && is_ows(line.front())) {
    return problem(400, "bad_header", "a field line starts with whitespace (obsolete line folding)");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    return problem(400, "bad_header",
                   "a field line is not 'Name: value' (a token name, then ':' with no whitespace before it)");
  }
  const std::string_view name = line.substr(0, colon), value = trim_ows(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), is_field_char)) {
    return problem(400, "bad_header", "field " + std::string(name) + " holds a control character");
  }
  if (iequals(name, "content-length")) {
    ++f.content_lengths;
    f.content_length = value;
  } else if (iequals(name, "transfer-encoding")) {
    f.transfer_encoding = true;
    for (std::string_view c : list_elements(value)) f.codings.push_back(c);
  } else {
    if (iequals(name, "host")) {
      ++f.hosts;
      f.host = value;
    } else if (iequals(name, "connection")) {
      for (std::string_view option : list_elements(value)) f.close = f.close || iequals(option, "close");
    }
    canonical.append(name).append(": ").append(value).append("\r\n");
  }
  return true;
}

Result<bool, FramingProblem> decide_transfer_coding(const Fields& f, RequestHead& head) {
  if (head.minor_version == 0) {
    return problem(400, "bad_transfer_encoding", "an HTTP/1.0 request may not have Transfer-Encoding");
  }
  const auto chunked = std::count_if(f.codings.begin(), f.codings.end(),
                                     [](std::string_view c) { return iequals(c, "chunked"); });
  const bool malformed = std::any_of(f.codings.begin(), f.codings.end(),
                                     [](std::string_view c) { return !is_token(c); });
  if (malformed || chunked > 1 || (chunked == 1 && !iequals(f.codings.back(), "chunked"))) {
    return problem(400, "bad_transfer_encoding",
                   "Transfer-Encoding must name chunked once, last (the body's length is otherwise unknown)");
  }
  if (f.codings.size() != 1 || chunked != 1) {
    return problem(501, "transfer_coding_not_implemented",
                   "the only transfer coding this server reads is chunked");
  }
  head.body = BodyFraming::chunked;
  head.canonical.append("Transfer-Encoding: chunked\r\n");
  return true;
}

Result<bool, FramingProblem> decide_body(const Fields& f, RequestHead& head) {
  if (f.content_lengths > 1) {
    return problem(400, "bad_content_length", "Content-Length is given more than once");
  }
  if (f.content_lengths == 1 && f.transfer_encoding) {
    return problem(400, "ambiguous_framing",
                   "a request may not have both Content-Length and Transfer-Encoding");
  }
  if (f.transfer_encoding) return decide_transfer_coding(f, head);
  if (f.content_lengths == 1) {
    const std::string_view v = f.content_length;
    if (v.empty() || v.size() > kContentLengthDigitsMax ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return problem(400, "bad_content_length", "Content-Length must be decimal digits only (at most 18)");
    }
    head.body = BodyFraming::length;
    head.content_length = std::stoull(std::string(v));
    head.canonical.append("Content-Length: ").append(std::to_string(head.content_length)).append("\r\n");
  }
  return true;
}

}  // namespace

Result<RequestHead, FramingProblem> parse_request_head(std::string_view text) {
  if (text.size() < 4 || text.substr(text.size() - 4) != "\r\n\r\n") {
    return problem(400, "bad_request_line", "the request head does not end with an empty line");
  }
  RequestHead head;
  Fields fields;
  std::string fields_text;
  text.remove_suffix(2);  // each line below ends with its own "\r\n"
  for (bool first = true; !text.empty(); first = false) {
    const size_t end = text.find("\r\n");
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      return problem(400, first ? "bad_request_line" : "bad_header", "a line holds a CR or LF of its own");
    }
    auto parsed = first ? parse_request_line(line, head) : parse_field_line(line, fields, fields_text);
    if (!parsed.ok()) return Problem{std::move(parsed.error())};
  }
  const bool host_ok = head.minor_version == 0 ? fields.hosts <= 1 : fields.hosts == 1;
  if (!host_ok || !is_host(fields.host)) {
    return problem(400, "bad_host", "an HTTP/1.1 request needs one Host field (a host and an optional port)");
  }
  head.canonical = head.method + " " + head.target + " HTTP/1." + std::to_string(head.minor_version) + "\r\n";
  head.canonical += fields_text;
  if (auto body = decide_body(fields, head); !body.ok()) return Problem{std::move(body.error())};
  head.canonical += "\r\n";
  head.close = fields.close || head.minor_version == 0;
  return head;
}

// ---------------------------------------------------------------------------
// FramingFilter

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// quoted-string (RFC 9110 5.6.4) at the start of `s`; the count read, 0 if none.
size_t quoted_string(std::string_view s) {
  if (s.empty() || s[0] != '"') return 0;
  for (size_t i = 1; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (++i == s.size() || !is_field_char(s[i])) return 0;
    } else if (!is_field_char(s[i])) {
      return 0;
    }
  }
  return 0;
}

size_t token_length(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_tchar(s[n])) ++n;
  return n;
}

// *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
bool valid_chunk_extensions(std::string_view s) {
  const auto skip_ows = [&s] { while (!s.empty() && is_ows(s.front())) s.remove_prefix(1); };
  for (;;) {
    skip_ows();
    if (s.empty()) return true;
    if (s.front() != ';') return false;
    s.remove_prefix(1);
    skip_ows();
    const size_t name = token_length(s);
    if (name == 0) return false;
    s.remove_prefix(name);
    skip_ows();
    if (s.empty() || s.front() != '=') continue;
    s.remove_prefix(1);
    skip_ows();
    const size_t value = !s.empty() && s.front() == '"' ? quoted_string(s) : token_length(s);
    if (value == 0) return false;
    s.remove_prefix(value);
  }
}

// A trailer field line, checked as a header field line is.
bool valid_field_line(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return false;
  const std::string_view value = line.substr(colon + 1);
  return std::all_of(value.begin(), value.end(), is_field_char);
}

}  // namespace

size_t FramingFilter::feed(std::string_view in, std::string& out) {
  size_t used = 0;
  while (used < in.size() && state_ != State::done && state_ != State::failed) {
    const std::string_view rest = in.substr(used);
    switch (state_) {
      case State::head: used += feed_head(rest, out); break;
      case State::chunk_size:
      case State::trailers: used += feed_line(rest, out); break;
      case State::length_body:
      case State::chunk_data: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        out.append(rest.substr(0, n));
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == State::length_body ? State::done : State::chunk_cr;
        break;
      }
      case State::chunk_cr:
      case State::chunk_lf: {
        const bool cr = state_ == State::chunk_cr;
        if (rest[0] != (cr ? '\r' : '\n')) {
          fail(400, "bad_chunk", "a chunk's data does not end where its size says (no CRLF there)");
          return used + 1;
        }
        ++used;
        state_ = cr ? State::chunk_lf : State::chunk_size;
        if (!cr) out.append("\r\n");
        break;
      }
      case State::done:
      case State::failed: break;
    }
  }
  return used;
}

size_t FramingFilter::feed_head(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\n' && (buffer_.empty() || buffer_.back() != '\r')) {
      const bool first_line = buffer_.find("\r\n") == std::string::npos;
      fail(400, first_line ? "bad_request_line" : "bad_header", "a line of the request head ends in LF without CR");
      return i + 1;
    }
    buffer_ += c;
    if (buffer_ == "\r\n") {  // an empty line before the request line is ignored
      buffer_.clear();
      if (++head_skipped_ > kEmptyLinesBeforeRequestMax) {
        fail(400, "bad_request_line", "empty lines where a request line should be");
        return i + 1;
      }
      continue;
    }
    if (buffer_.size() > head_bytes_max_) {
      fail(431, "headers_too_large",
           "the request line and headers are over " + std::to_string(head_bytes_max_) + " bytes, the limit");
      return i + 1;
    }
    if (c == '\n' && buffer_.size() >= 4 && buffer_.compare(buffer_.size() - 4, 4, "\r\n\r\n") == 0) {
      auto parsed = parse_request_head(buffer_);
      buffer_.clear();
      if (!parsed.ok()) {
        problem_ = std::move(parsed.error());
        state_ = State::failed;
        return i + 1;
      }
      head_ = std::move(*parsed);
      out.append(head_.canonical);
      start_body();
      return i + 1;
    }
  }
  return in.size();
}

void FramingFilter::start_body() {
  switch (head_.body) {
    case BodyFraming::none: state_ = State::done; break;
    case BodyFraming::length:
      remaining_ = head_.content_length;
      state_ = remaining_ == 0 ? State::done : State::length_body;
      break;
    case BodyFraming::chunked: state_ = State::chunk_size; break;
  }
}

// A chunk-size line or a trailer line, up to and with its CRLF.
size_t FramingFilter::feed_line(std::string_view in, std::string& out) {
  const size_t lf = in.find('\n');
  const size_t take = lf == std::string_view::npos ? in.size() : lf + 1;
  buffer_.append(in.substr(0, take));
  if (state_ == State::chunk_size && buffer_.size() > kChunkLineBytesMax) {
    fail(400, "bad_chunk", "a chunk-size line (with its extensions) is over 4096 bytes");
    return take;
  }
  if (state_ == State::trailers && (trailer_bytes_ += take) > head_bytes_max_) {
    fail(431, "headers_too_large", "the trailer section is over " + std::to_string(head_bytes_max_) + " bytes");
    return take;
  }
  if (lf == std::string_view::npos) return take;
  if (buffer_.size() < 2 || buffer_[buffer_.size() - 2] != '\r') {
    fail(400, "bad_chunk", "a line of the chunked body ends in LF without CR");
    return take;
  }
  buffer_.resize(buffer_.size() - 2);
  if (state_ == State::chunk_size) {
    chunk_size_line(out);
  } else {
    trailer_line(out);
  }
  buffer_.clear();
  return take;
}

void FramingFilter::chunk_size_line(std::string& out) {
  const std::string_view line = buffer_;
  size_t digits = 0;
  while (digits < line.size() && is_hex(line[digits])) ++digits;
  std::string_view size = line.substr(0, digits);
  while (size.size() > 1 && size.front() == '0') size.remove_prefix(1);
  if (digits == 0 || size.size() > kChunkSizeDigitsMax) {
    fail(400, "bad_chunk", "a chunk does not start with its size in hex (at most 15 digits)");
    return;
  }
  if (!valid_chunk_extensions(line.substr(digits))) {
    fail(400, "bad_chunk", "a chunk's size is followed by something other than ';name' or ';name=value' extensions");
    return;
  }
  remaining_ = std::stoull(std::string(size), nullptr, 16);
  if (remaining_ == 0) {
    state_ = State::trailers;
    trailer_bytes_ = 0;
    return;
  }
  out.append(size).append("\r\n");
  state_ = State::chunk_data;
}

void FramingFilter::trailer_line(std::string& out) {
  if (buffer_.empty()) {  // the end of the body
    out.append("0\r\n\r\n");
    state_ = State::done;
    return;
  }
  if (is_ows(buffer_.front()) || !valid_field_line(buffer_)) {
    fail(400, "bad_chunk", "a trailer line is not 'Name: value'");
  }
}

void FramingFilter::next_message() {
  state_ = State::head;
  buffer_.clear();
  head_skipped_ = 0;
  head_ = RequestHead{};
}

void FramingFilter::fail(int status, std::string code, std::string message) {
  state_ = State::failed;
  problem_ = FramingProblem{status, std::move(code), std::move(message)};
}

}  // namespace mledger::http
