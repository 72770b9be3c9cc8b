#pragma once
// Reading fields of JSON documents that came from outside without throwing:
// each getter is false when the field is absent or has another type.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/crypto/sha256.h"

namespace mledger::json {

// The member `key` of `j`, or null when `j` is not an object or lacks it.
inline const nlohmann::json* field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline bool get_uint(const nlohmann::json& j, const char* key, uint64_t* out) {
  const nlohmann::json* v = field(j, key);
  if (!v || !v->is_number_unsigned()) return false;
  *out = v->get<uint64_t>();
  return true;
}

inline bool get_string(const nlohmann::json& j, const char* key, std::string* out) {
  const nlohmann::json* v = field(j, key);
  if (!v || !v->is_string()) return false;
  *out = v->get<std::string>();
  return true;
}

// A hash as 64 hex digits.
inline bool get_hash(const nlohmann::json& j, const char* key, Hash256* out) {
  std::string hex;
  return get_string(j, key, &hex) && from_hex(hex, out);
}

}  // namespace mledger::json
