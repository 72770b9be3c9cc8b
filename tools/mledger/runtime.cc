#include "tools/mledger/runtime.h"

#include <filesystem>

namespace mledger::cli {

StatusOr<std::unique_ptr<Runtime>> open_runtime(const std::string& dir) {
  auto rt = std::make_unique<Runtime>();
  RocksDbOptions options;
  options.path = dir;
  auto log = RocksDbEventLog::open(options);
  if (!log.ok()) return Err{log.error()};
  rt->log = std::move(log.value());
  rt->writer = std::make_unique<GroupCommitWriter>(*rt->log, GroupCommitOptions{});
  rt->ledger = std::make_unique<Ledger>(*rt->log, *rt->writer, rt->clock, rt->ids, LedgerOptions{});
  return rt;
}

StatusOr<std::unique_ptr<RocksDbEventLog>> open_log_read_only(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) {
    return fail(StatusCode::not_found, "no ledger at " + dir + " (run `mledger exec` first)");
  }
  RocksDbOptions options;
  options.path = dir;
  options.read_only = true;
  options.create_if_missing = false;
  // One command, then exit: open table files as they are needed (measured in
  // docs/benchmarks.md, "Audit history").
  options.max_open_files = 4096;
  return RocksDbEventLog::open(options);
}

}  // namespace mledger::cli
