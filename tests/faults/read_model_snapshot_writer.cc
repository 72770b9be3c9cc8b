// Helper for the SIGKILL read-model snapshot test: folds ACCOUNT of the
// ledger in DIR (opened read-only, as `mledger audit state` does) up to
// random points, again and again, with read-model snapshots every 7 account
// events kept 5 at most (in DIR/snapshots), so that snapshots are written,
// thinned and erased in the background all the while; prints "folded <seq>"
// after each fold. It runs until killed.
//
// usage: read_model_snapshot_writer DIR ACCOUNT SEED

#include <cstdio>
#include <random>
#include <string>

#include "adapters/projections/read_models.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/snapshots/file_snapshot_store.h"

int main(int argc, char** argv) {
  using namespace mledger;
  if (argc != 4) return 2;
  RocksDbOptions options;
  options.path = argv[1];
  options.read_only = true;
  options.create_if_missing = false;
  auto log = RocksDbEventLog::open(options);
  auto store = FileSnapshotStore::open(std::string(argv[1]) + "/snapshots");
  if (!log.ok() || !store.ok()) {
    std::fprintf(stderr, "cannot open the ledger or its snapshots\n");
    return 3;
  }
  auto head = (*log)->digest();
  if (!head.ok() || head->seq == 0) return 3;
  ReadModelSnapshotOptions o;
  o.events_between_snapshots = 7;
  o.kept_per_account_max = 5;
  o.queue_max = 64;
  ReadModelSnapshots snapshots(**log, **store, o);
  std::mt19937_64 rng(std::stoull(argv[3]));
  for (;;) {
    AsOf until;
    until.at_seq = 1 + rng() % head->seq;
    auto folded = fold_account_as_of(**log, argv[2], until, &snapshots);
    if (!folded.ok()) {
      std::fprintf(stderr, "fold: %s\n", folded.error().to_string().c_str());
      return 4;
    }
    std::printf("folded %llu\n", static_cast<unsigned long long>(*until.at_seq));
    std::fflush(stdout);
  }
}
