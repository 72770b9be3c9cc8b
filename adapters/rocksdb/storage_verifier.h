#pragma once
// StorageVerifier: what `mledger verify` checks beyond the hash chain. The
// chain covers the `events` family; this covers the rest of the event log
// (rocksdb_event_log.h), so that damage anywhere is found and named:
//   - every index entry (`streams`, `by_account`, `commands`) agrees with the
//     events it names, and every event has its entries (none missing, none
//     extra; `streams` and `by_account` up to the index mark, meta
//     "indexed_through", when there is one: rocksdb_event_log.h): compared
//     as order-independent sums of SHA-256 over the entries the events imply
//     and the entries stored, then, where the sums differ, entry by entry to
//     name the first bad one;
//   - every entry of every family reads back (block checksums), `meta` holds
//     the format marker;
//   - every table file's blocks match their checksums (RocksDB's
//     VerifyChecksum), including blocks no scan reads (filters, indexes).
// Damage is a report, not a failed Status; Status failures are for I/O.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "domain/core/status.h"

namespace mledger {

struct StorageReport {
  uint64_t entries_checked = 0;  // index and meta entries read
  std::string family;            // the first damaged family, "" when whole
  std::string key;               // its first bad key, printable; "" when unknown
  std::string problem;           // what is wrong there
  bool whole() const { return family.empty(); }
};

// What the verifier reads, given by the log. Families are named as in the
// log's layout ("events", "streams", "by_account", "commands", "meta").
struct StorageAccess {
  using EntryFn = std::function<bool(std::string_view key, std::string_view value)>;
  // Calls fn with each entry in key order until it returns false; the
  // scan's status (corruption when a block fails its checksum).
  std::function<Status(std::string_view family, const EntryFn& fn)> scan;
  // The value under `key`, nullopt when absent.
  std::function<StatusOr<std::optional<std::string>>(std::string_view family, std::string_view key)> get;
  // RocksDB's check of every table file; corruption naming the file.
  std::function<Status()> verify_checksums;
};

// Reads everything once more (O(size)); `progress` (may be empty) is called
// now and then with the entries read so far.
[[nodiscard]] StatusOr<StorageReport> verify_storage(const StorageAccess& access,
                                                     const std::function<void(uint64_t)>& progress);

}  // namespace mledger
