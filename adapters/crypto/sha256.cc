#include "adapters/crypto/sha256.h"

#include <openssl/evp.h>

#include <cassert>
#include <cstdlib>

namespace mledger {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()), md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  // Allocation failure of a few bytes: nothing sensible to do but stop.
  if (ctx_ == nullptr || md_ == nullptr) std::abort();
}

Sha256::~Sha256() {
  EVP_MD_free(md_);
  EVP_MD_CTX_free(ctx_);
}

// OpenSSL cannot fail in these short of a bug or an allocation failure:
// nothing sensible to do but stop.
void Sha256::begin() {
  if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1) std::abort();
}

void Sha256::update(std::string_view part) {
  if (EVP_DigestUpdate(ctx_, part.data(), part.size()) != 1) std::abort();
}

Hash256 Sha256::finish() {
  Hash256 out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) std::abort();
  return out;
}

Hash256 Sha256::digest(std::initializer_list<std::string_view> parts) {
  begin();
  for (std::string_view p : parts) update(p);
  return finish();
}

Hash256 sha256(std::initializer_list<std::string_view> parts) {
  thread_local Sha256 hasher;
  return hasher.digest(parts);
}

std::string to_hex(const Hash256& h) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < h.size(); ++i) {
    out[2 * i] = kDigits[h[i] >> 4];
    out[2 * i + 1] = kDigits[h[i] & 15];
  }
  return out;
}

bool from_hex(std::string_view hex, Hash256* out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace mledger
