#pragma once
// Event ids: random UUIDv4 (OpenSSL's CSPRNG), or a counter for tests.

#include <atomic>
#include <string>

#include "domain/ports/id_source.h"

namespace mledger {

class RandomUuidSource final : public IdSource {
 public:
  std::string next_id() override;
};

class SequentialIdSource final : public IdSource {
 public:
  explicit SequentialIdSource(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string next_id() override { return prefix_ + std::to_string(++n_); }

 private:
  std::string prefix_;
  std::atomic<uint64_t> n_{0};
};

}  // namespace mledger
