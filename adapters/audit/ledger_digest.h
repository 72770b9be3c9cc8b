#pragma once
// A digest of the log for an auditor to keep: (seq, hash of event seq), the
// head's by default. Later, the same call against the same seq must give the
// same hash, or the history up to it changed (docs/audit.md).

#include <cstdint>
#include <optional>

#include "adapters/rocksdb/rocksdb_event_log.h"

namespace mledger {

// `seq` absent: the head. not_found when the log has no event `seq` (the
// message names its last); corruption when that event does not open or says
// it is another seq (run mledger verify).
[[nodiscard]] StatusOr<LogDigest> digest_at(RocksDbEventLog& log, std::optional<uint64_t> seq);

}  // namespace mledger
