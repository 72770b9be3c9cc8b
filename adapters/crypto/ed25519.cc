#include "adapters/crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>

#include "adapters/system/secret_file.h"

namespace mledger {

namespace {

constexpr std::string_view kWhat = "tree-head signing key file";
constexpr size_t kPemBytesMax = 4096;

std::shared_ptr<evp_pkey_st> owned(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

std::unique_ptr<BIO, int (*)(BIO*)> memory_bio(std::string_view bytes) {
  return {BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), BIO_free};
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// PEM of the key's public half (SubjectPublicKeyInfo).
std::string public_pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, int (*)(BIO*)> out(BIO_new(BIO_s_mem()), BIO_free);
  if (!out || PEM_write_bio_PUBKEY(out.get(), key) != 1) std::abort();  // allocation only
  return bio_text(out.get());
}

}  // namespace

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::create(const std::string& path) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (raw == nullptr) return fail(StatusCode::io_error, "no random bytes for a new Ed25519 key");
  auto key = owned(raw);
  std::unique_ptr<BIO, int (*)(BIO*)> out(BIO_new(BIO_s_mem()), BIO_free);
  if (!out || PEM_write_bio_PrivateKey(out.get(), raw, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    std::abort();  // allocation only
  }
  std::string pem = bio_text(out.get());
  Status written = write_new_secret_file(kWhat, path, pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!written.ok()) return Err{written};
  return load(path);
}

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::load(const std::string& path) {
  auto text = read_secret_file(kWhat, path, kPemBytesMax);
  if (!text.ok()) return Err{text.error()};
  auto bio = memory_bio(*text);
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  OPENSSL_cleanse(text->data(), text->size());
  if (raw == nullptr || EVP_PKEY_get_id(raw) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(raw);
    return fail(StatusCode::invalid_argument,
                std::string(kWhat) + " " + path + " does not hold an Ed25519 private key in PEM");
  }
  return Ed25519PrivateKey(owned(raw));
}

std::string Ed25519PrivateKey::sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string sig(kEd25519SignatureBytes, '\0');
  size_t len = sig.size();
  // Ed25519 signing fails only on allocation failure or a bug: stop.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != kEd25519SignatureBytes) {
    std::abort();
  }
  return sig;
}

std::string Ed25519PrivateKey::public_pem() const { return public_pem_of(key_.get()); }

StatusOr<Ed25519PublicKey> Ed25519PublicKey::from_pem(std::string_view pem) {
  if (pem.size() > kPemBytesMax) return fail(StatusCode::invalid_argument, "the public key is too large for PEM");
  auto bio = memory_bio(pem);
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr || EVP_PKEY_get_id(raw) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(raw);
    return fail(StatusCode::invalid_argument, "not an Ed25519 public key in PEM (-----BEGIN PUBLIC KEY-----)");
  }
  return Ed25519PublicKey(owned(raw));
}

bool Ed25519PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kEd25519SignatureBytes) return false;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) std::abort();
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string Ed25519PublicKey::pem() const { return public_pem_of(key_.get()); }

}  // namespace mledger
