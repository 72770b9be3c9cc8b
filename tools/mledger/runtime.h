#pragma once
// Wiring for subcommands that use the ledger: the RocksDB log, the single
// writer, the clock, ids and the command executor. Owned here, in tools/, so
// that no library holds a global.

#include <memory>
#include <string>

#include "adapters/ledger/ledger.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "adapters/writer/group_commit_writer.h"

namespace mledger::cli {

struct Runtime {
  std::unique_ptr<RocksDbEventLog> log;
  SystemClock clock;
  RandomUuidSource ids;
  std::unique_ptr<GroupCommitWriter> writer;
  std::unique_ptr<Ledger> ledger;

  ~Runtime() {
    ledger.reset();
    writer.reset();  // drains and joins before the log closes
    log.reset();
  }
};

// Opens the ledger in `dir` for writing (creating it if needed).
[[nodiscard]] StatusOr<std::unique_ptr<Runtime>> open_runtime(const std::string& dir);

// Opens the log in `dir` read-only (may run beside a writer process). Fails
// with not_found when there is no ledger there.
[[nodiscard]] StatusOr<std::unique_ptr<RocksDbEventLog>> open_log_read_only(const std::string& dir);

}  // namespace mledger::cli
