#pragma once
// Ed25519 signatures (RFC 8032, OpenSSL EVP): the keys that sign and check
// the ledger's tree heads. A private key lives in a PEM file (PKCS #8) of
// mode 0600 and is never printed; the public key is shared as PEM
// (SubjectPublicKeyInfo, "-----BEGIN PUBLIC KEY-----"). Both classes are
// immutable once made: every method is thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "domain/core/status.h"

struct evp_pkey_st;

namespace mledger {

inline constexpr size_t kEd25519SignatureBytes = 64;

class Ed25519PrivateKey {
 public:
  // Creates a new key in `path` (mode 0600, refusing an existing file:
  // invalid_argument), then loads it.
  [[nodiscard]] static StatusOr<Ed25519PrivateKey> create(const std::string& path);
  // Loads `path`: not_found when absent; invalid_argument when readable by
  // others or not an Ed25519 private key in PEM.
  [[nodiscard]] static StatusOr<Ed25519PrivateKey> load(const std::string& path);

  std::string sign(std::string_view message) const;  // 64 bytes
  std::string public_pem() const;

 private:
  explicit Ed25519PrivateKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

class Ed25519PublicKey {
 public:
  // Reads a PEM public key: invalid_argument naming the problem otherwise.
  [[nodiscard]] static StatusOr<Ed25519PublicKey> from_pem(std::string_view pem);
  bool verify(std::string_view message, std::string_view signature) const;
  std::string pem() const;

 private:
  explicit Ed25519PublicKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

}  // namespace mledger
