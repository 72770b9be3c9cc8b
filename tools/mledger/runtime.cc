#include "tools/mledger/runtime.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include "adapters/projections/all_stored_projections.h"
#include "adapters/system/file_writes.h"

namespace mledger::cli {

namespace {

bool ledger_exists(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec);
}

Status no_ledger(const std::string& dir) {
  return Status(StatusCode::not_found,
                "no ledger at " + dir + " (check --data; `mledger exec` or `mledger serve --init` creates one)");
}

// A writer refused because another process holds the ledger: who, and what
// to use instead.
Status held_elsewhere(const Status& refusal) {
  return Status(StatusCode::unavailable,
                refusal.message() +
                    ". One process writes a ledger at a time: send commands to the server that holds "
                    "it (POST /v1/commands; the clock: POST /v1/tick; docs/api.md) or stop it first; readers (audit, verify, "
                    "digest, query, catalogue show) run beside it");
}


}  // namespace

Status require_ledger(const std::string& dir) {
  return ledger_exists(dir) ? Status::Ok() : no_ledger(dir);
}

std::string projections_dir(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "projections").string();
}

std::string projections_spill_dir(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "projections-spill").string();
}

std::string tree_head_key_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "tree-head-key.pem").string();
}

std::string snapshots_dir(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "snapshots").string();
}

std::unique_ptr<ProjectionEngine> make_engine(ProjectionStore& store, EventLog& log,
                                              ProjectionEngineOptions options) {
  return std::make_unique<ProjectionEngine>(store, log, all_stored_projections(), std::move(options));
}

Runtime::~Runtime() {
  if (ledger) {
    ledger->flush_snapshots();
    const SnapshotStats s = ledger->snapshot_stats();
    if (s.ignored > 0) {
      std::fprintf(stderr, "mledger: %llu snapshot(s) failed their checks and were ignored (rebuilt later); last: %s\n",
                   static_cast<unsigned long long>(s.ignored), s.last_ignored.c_str());
    }
  }
  ledger.reset();
  writer.reset();  // drains and joins before the log closes
  if (tree_heads) {
    tree_heads->stop();
    auto head = tree_heads->sign_if_due(/*force=*/true);
    if (!head.ok()) std::fprintf(stderr, "mledger: no tree head signed: %s\n", head.error().to_string().c_str());
  }
  tree_heads.reset();
  if (projector) {
    if (Status s = projector->stop(); !s.ok()) {
      std::fprintf(stderr, "mledger: projections not brought up to date: %s\n", s.to_string().c_str());
    }
  }
  projector.reset();
  projection_engine.reset();
  projection_store.reset();
  log.reset();
}

StatusOr<std::unique_ptr<Runtime>> open_runtime(const std::string& dir, GroupCommitOptions writer,
                                                LedgerOptions ledger, LedgerCreation creation,
                                                ProjectionEngineOptions projections) {
  if (!ledger_exists(dir)) {
    if (creation == LedgerCreation::refuse_missing) return Err{no_ledger(dir)};
    if (Status s = make_directories("ledger", dir); !s.ok()) return Err{s};
  }
  auto rt = std::make_unique<Runtime>();
  RocksDbOptions options;
  options.path = dir;
  auto log = RocksDbEventLog::open(options);
  if (!log.ok() && log.error().code() == StatusCode::unavailable) return Err{held_elsewhere(log.error())};
  if (!log.ok()) return Err{log.error()};
  rt->log = std::move(log.value());
  auto key = Ed25519PrivateKey::load(tree_head_key_path(dir));
  if (!key.ok() && key.error().code() == StatusCode::not_found) key = Ed25519PrivateKey::create(tree_head_key_path(dir));
  if (!key.ok()) return Err{key.error()};
  auto signer = TreeHeadSigner::open(*rt->log, std::move(key.value()), rt->clock, {});
  if (!signer.ok()) return Err{signer.error()};
  rt->tree_heads = std::move(signer.value());
  rt->writer = std::make_unique<GroupCommitWriter>(*rt->log, std::move(writer));
  auto snapshots = FileSnapshotStore::open(snapshots_dir(dir));
  if (snapshots.ok()) {
    rt->snapshots = std::move(snapshots.value());
  } else {
    // Only an optimisation: commands fold from the log without them.
    std::fprintf(stderr, "mledger: warning: no snapshots: %s\n", snapshots.error().message().c_str());
  }
  rt->ledger = std::make_unique<Ledger>(*rt->log, *rt->writer, rt->clock, rt->ids, std::move(ledger),
                                        rt->snapshots.get());

  RocksDbProjectionStoreOptions store_options;
  store_options.path = projections_dir(dir);
  auto store = RocksDbProjectionStore::open(store_options);
  if (store.ok()) {
    rt->projection_store = std::move(store.value());
    if (projections.spill_directory.empty()) projections.spill_directory = projections_spill_dir(dir);
    rt->projection_engine = make_engine(*rt->projection_store, *rt->log, std::move(projections));
    rt->projector = std::make_unique<Projector>(*rt->projection_engine, *rt->log);
  } else if (store.error().code() == StatusCode::unavailable) {
    rt->projections_absent = store.error();
    std::fprintf(stderr, "mledger: %s; they catch up when next opened\n", store.error().message().c_str());
  } else if (store.error().code() == StatusCode::corruption) {
    // Commands are never refused because of the projections: derived data.
    rt->projections_absent = store.error();
    std::fprintf(stderr, "mledger: warning: %s\n", store.error().message().c_str());
  } else {
    return Err{store.error()};
  }
  return rt;
}

ReadSide::~ReadSide() {
  engine.reset();
  store.reset();
  log.reset();
  if (!secondary_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir, ec);
  }
}

StatusOr<std::unique_ptr<ReadSide>> open_read_side(const std::string& dir, StoreAccess access,
                                                   ProjectionEngineOptions engine_options) {
  if (!ledger_exists(dir)) return Err{no_ledger(dir)};
  static std::atomic<uint64_t> opened{0};
  auto side = std::make_unique<ReadSide>();
  std::error_code ec;
  side->secondary_dir = (std::filesystem::temp_directory_path(ec) /
                         ("mledger-secondary-" + std::to_string(::getpid()) + "-" +
                          std::to_string(opened.fetch_add(1))))
                            .string();
  RocksDbOptions options;
  options.path = dir;
  options.create_if_missing = false;
  options.secondary_path = side->secondary_dir;
  auto log = RocksDbEventLog::open(options);
  if (!log.ok()) return Err{log.error()};
  side->log = std::move(log.value());

  RocksDbProjectionStoreOptions store_options;
  store_options.path = projections_dir(dir);
  store_options.read_only = access == StoreAccess::read;
  auto store = RocksDbProjectionStore::open(store_options);
  if (!store.ok() && store.error().code() == StatusCode::unavailable &&
      access == StoreAccess::write_if_free) {
    store_options.read_only = true;
    store = RocksDbProjectionStore::open(store_options);
  }
  if (!store.ok()) return Err{store.error()};
  side->writable = !store_options.read_only;
  side->store = std::move(store.value());
  RocksDbEventLog* follower = side->log.get();
  engine_options.refresh_log = [follower] { return follower->catch_up(); };
  if (engine_options.spill_directory.empty()) engine_options.spill_directory = projections_spill_dir(dir);
  side->engine = make_engine(*side->store, *side->log, std::move(engine_options));
  return side;
}

StatusOr<std::unique_ptr<RocksDbEventLog>> open_log_read_only(const std::string& dir) {
  if (!ledger_exists(dir)) return Err{no_ledger(dir)};
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
