#pragma once
// SHA-256 (OpenSSL). Thread-compatible: one Sha256 per thread; the free
// function is thread-safe.

#include <span>
#include <string>
#include <string_view>

#include "domain/events/event.h"

struct evp_md_ctx_st;
struct evp_md_st;

namespace mledger {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Hash of the concatenation of the parts.
  Hash256 digest(std::initializer_list<std::string_view> parts);

  // The same in steps, for input that arrives piece by piece: begin(), then
  // update() any number of times, then finish(). A digest() in between
  // starts over.
  void begin();
  void update(std::string_view part);
  Hash256 finish();

 private:
  evp_md_ctx_st* ctx_;
  evp_md_st* md_;
};

Hash256 sha256(std::initializer_list<std::string_view> parts);

std::string to_hex(const Hash256& h);
// Parses 64 hex digits; false on anything else.
bool from_hex(std::string_view hex, Hash256* out);

inline std::string_view as_bytes(const Hash256& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace mledger
