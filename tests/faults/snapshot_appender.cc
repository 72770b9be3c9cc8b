// Helper for the SIGKILL snapshot test: a ledger with snapshots every 5
// events (in DIR/snapshots), whose THREADS threads each enroll an account
// PREFIX-<t> and then add users to it, printing "ack <account>/<user>" only
// after the command came back durable. Snapshots are written in the
// background all the while. It runs until killed.
//
// usage: snapshot_appender DIR PREFIX THREADS

#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/sha256.h"
#include "adapters/ledger/ledger.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/snapshots/file_snapshot_store.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "tests/support/fixtures.h"

int main(int argc, char** argv) {
  using namespace mledger;
  if (argc != 4) return 2;
  RocksDbOptions options;
  options.path = argv[1];
  auto log = RocksDbEventLog::open(options);
  auto store = FileSnapshotStore::open(std::string(argv[1]) + "/snapshots");
  if (!log.ok() || !store.ok()) {
    std::fprintf(stderr, "cannot open the ledger or its snapshots\n");
    return 3;
  }
  const std::string prefix = argv[2];
  const int threads = std::stoi(argv[3]);
  SystemClock clock;
  RandomUuidSource ids;
  GroupCommitWriter writer(**log, GroupCommitOptions{});
  LedgerOptions ledger_options;
  ledger_options.aggregate_cache_streams_max = 0;  // every decision loads: snapshots in use
  ledger_options.snapshots.events_between_snapshots = 5;
  Ledger ledger(**log, writer, clock, ids, ledger_options, store->get());
  std::mutex out;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string account = prefix + "-" + std::to_string(t);
      for (int i = 0;; ++i) {
        const std::string user = "u" + std::to_string(i);
        const std::string id = "cmd-" + account + "-" + user;
        Command c{testing::user_context(account, "admin", id),
                  i == 0 ? CommandBody(testing::valid_enrollment())
                         : CommandBody(AddUser{user, user + "@contoso.de", user, false, {}})};
        auto r = ledger.execute(c, sha256({id}));
        if (!r.ok() || r->kind != CommandResult::Kind::accepted) {
          std::fprintf(stderr, "unexpected outcome for %s\n", id.c_str());
          std::_Exit(4);
        }
        std::lock_guard lock(out);
        std::printf("ack %s/%s\n", account.c_str(), user.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& w : workers) w.join();
}
