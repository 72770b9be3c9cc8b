#pragma once
// Wiring for subcommands that use the ledger: the RocksDB log, the single
// writer, the clock, ids and the command executor. Owned here, in tools/, so
// that no library holds a global.

#include <memory>
#include <string>

#include "adapters/audit/tree_head_signer.h"
#include "adapters/ledger/ledger.h"
#include "adapters/projections/projection_engine.h"
#include "adapters/projections/projector.h"
#include "adapters/projections/rocksdb_projection_store.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/snapshots/file_snapshot_store.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "adapters/writer/group_commit_writer.h"

namespace mledger::cli {

// Where a ledger directory keeps its projections (a RocksDB of its own).
std::string projections_dir(const std::string& data_dir);
// Where a bulk load of its projections sets aside what its first pass leaves
// to later passes (created and removed by each bulk load; disposable).
std::string projections_spill_dir(const std::string& data_dir);
// Where it keeps the private key that signs its tree heads (Ed25519, PEM,
// mode 0600; created by the first writer: exec, tick, serve).
std::string tree_head_key_path(const std::string& data_dir);
// Where it keeps snapshots of long accounts' decision states (files; disposable).
std::string snapshots_dir(const std::string& data_dir);

// The projection engine over a store and a log, with every projection.
std::unique_ptr<ProjectionEngine> make_engine(ProjectionStore& store, EventLog& log,
                                              ProjectionEngineOptions options = {});

struct Runtime {
  std::unique_ptr<RocksDbEventLog> log;
  SystemClock clock;
  RandomUuidSource ids;
  std::unique_ptr<GroupCommitWriter> writer;
  // Snapshots of long accounts' decision states (<dir>/snapshots; disposable).
  std::unique_ptr<FileSnapshotStore> snapshots;
  std::unique_ptr<Ledger> ledger;
  // Kept current while the command runs, brought to the head on close. Absent
  // when another process holds them (they catch up on a later open).
  std::unique_ptr<RocksDbProjectionStore> projection_store;
  std::unique_ptr<ProjectionEngine> projection_engine;
  std::unique_ptr<Projector> projector;
  // Why the projections are absent (held by another process, damaged).
  Status projections_absent;
  // Signs tree heads: the server starts its thread; on close, a head of the
  // whole tree is signed if it grew (docs/audit.md).
  std::unique_ptr<TreeHeadSigner> tree_heads;

  ~Runtime();
};

// Whether opening a ledger may create it. Only `exec` and `serve --init`
// create ledgers (and the missing parent folders of `dir`); everything else
// refuses a missing one, so that a mistyped --data is an error, not a new,
// empty ledger.
enum class LedgerCreation { refuse_missing, create_if_missing };

// Opens the ledger in `dir` for writing, and its projections if no other
// process holds them (a note on stderr otherwise). Fails with not_found when
// there is no ledger and `creation` refuses missing ones, and with
// unavailable, naming the holder and what to do instead, when another
// process (a server) holds the ledger. `projections` configures the live
// projector's engine.
[[nodiscard]] StatusOr<std::unique_ptr<Runtime>> open_runtime(
    const std::string& dir, GroupCommitOptions writer = {}, LedgerOptions ledger = {},
    LedgerCreation creation = LedgerCreation::refuse_missing, ProjectionEngineOptions projections = {});


// What readers of the projections use: the log as a secondary instance (it
// sees a writer's appends after catch_up(), so it may run beside one) and
// the projection store, for writing (catch up, rebuild, verify) or reading.
struct ReadSide {
  std::unique_ptr<RocksDbEventLog> log;
  std::unique_ptr<RocksDbProjectionStore> store;
  std::unique_ptr<ProjectionEngine> engine;
  bool writable = false;
  std::string secondary_dir;  // the secondary instance's own files; removed on close

  ~ReadSide();
};

enum class StoreAccess {
  write,          // fail (unavailable) if another process holds the projections
  write_if_free,  // else read-only
  read,
};

// Fails with not_found when there is no ledger in `dir`.
[[nodiscard]] StatusOr<std::unique_ptr<ReadSide>> open_read_side(
    const std::string& dir, StoreAccess access, ProjectionEngineOptions options = {});

// Ok when `dir` holds a ledger; not_found naming `dir` and what creates one
// otherwise.
[[nodiscard]] Status require_ledger(const std::string& dir);

// Opens the log in `dir` read-only (may run beside a writer process). Fails
// with not_found when there is no ledger there.
[[nodiscard]] StatusOr<std::unique_ptr<RocksDbEventLog>> open_log_read_only(const std::string& dir);

}  // namespace mledger::cli
