#pragma once
// The key encodings of the event log's families (rocksdb_event_log.h):
// integers big-endian, so that keys sort as numbers; index keys are
// `name '\0' number(8)`.

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>

namespace mledger::index_keys {

inline void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline uint64_t get_be64(std::string_view s) {
  assert(s.size() >= 8);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

inline std::string seq_key(uint64_t seq) {
  std::string k;
  put_be64(k, seq);
  return k;
}

inline std::string prefixed_key(std::string_view prefix, uint64_t n) {
  std::string k;
  k.reserve(prefix.size() + 9);
  k.append(prefix);
  k.push_back('\0');
  put_be64(k, n);
  return k;
}

// Whether `key` has the shape `name '\0' number(8)` with a non-empty name.
inline bool is_prefixed_key(std::string_view key) { return key.size() > 9 && key[key.size() - 9] == '\0'; }

// "name@number" for messages.
inline std::string printable_prefixed_key(std::string_view key) {
  if (!is_prefixed_key(key)) return std::string(key);
  return std::string(key.substr(0, key.size() - 9)) + "@" + std::to_string(get_be64(key.substr(key.size() - 8)));
}

// The `commands` family's key of a command id within its scope
// (command_scope()): '\0' scope '\0' command id. Ledgers of format 1 also
// hold keys from before scopes existed: the bare command id.
inline std::string command_key(std::string_view scope, std::string_view command_id) {
  std::string k;
  k.reserve(scope.size() + command_id.size() + 2);
  k.push_back('\0');
  k.append(scope);
  k.push_back('\0');
  k.append(command_id);
  return k;
}

// The scope and command id of a scoped `commands` key; false when `key` is
// not one (a bare command id of format 1).
inline bool split_command_key(std::string_view key, std::string_view* scope, std::string_view* command_id) {
  if (key.size() < 3 || key[0] != '\0') return false;
  const size_t end = key.find('\0', 1);
  if (end == std::string_view::npos || end + 1 >= key.size()) return false;
  *scope = key.substr(1, end - 1);
  *command_id = key.substr(end + 1);
  return command_id->find('\0') == std::string_view::npos;
}

}  // namespace mledger::index_keys
