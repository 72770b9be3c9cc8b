#pragma once
// Limits on everything the ledger accepts. Names end in _max with the unit last.

#include <cstddef>
#include <cstdint>

namespace mledger::limits {

inline constexpr size_t command_id_bytes_max = 128;
inline constexpr size_t account_id_bytes_max = 64;
inline constexpr size_t user_id_bytes_max = 128;
inline constexpr size_t stream_id_bytes_max = 256;
inline constexpr size_t legal_name_bytes_max = 256;
inline constexpr size_t address_field_bytes_max = 256;
inline constexpr size_t person_name_bytes_max = 128;
inline constexpr size_t email_bytes_max = 254;  // RFC 5321 path limit
inline constexpr size_t phone_digits_max = 10;  // R-ACC-02
inline constexpr size_t roles_per_actor_max = 16;
inline constexpr size_t events_per_command_max = 1024;
inline constexpr size_t accounts_per_event_max = 8;
inline constexpr size_t event_bytes_max = 64 * 1024;  // one encoded envelope

}  // namespace mledger::limits
