// Helper for the SIGKILL test: executes enrollments through the real path
// (Ledger -> group-commit writer -> RocksDB) from several threads and prints
// "ack <command id>" only after the command's outcome came back durable. It
// runs until killed.
//
// usage: fault_appender DIR PREFIX THREADS [pause-index-at|kill-index-at N]
//
// With pause-index-at N, the log's index thread stops for good before it
// writes the index entries of the N-th batch (it prints "index-paused SEQ",
// SEQ that batch's last event, first); the appends go on. With
// kill-index-at N, the process kills itself with SIGKILL there. Either way the
// events of that batch (and later ones) are durable and acknowledged while
// their index entries are not written (tests/faults/index_crash_test.cc).

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/sha256.h"
#include "adapters/ledger/ledger.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "tests/support/fixtures.h"

int main(int argc, char** argv) {
  using namespace mledger;
  if (argc != 4 && argc != 6) return 2;
  std::mutex out;
  RocksDbOptions options;
  options.path = argv[1];
  if (argc == 6) {
    const bool pause = std::strcmp(argv[4], "pause-index-at") == 0;
    if (!pause && std::strcmp(argv[4], "kill-index-at") != 0) return 2;
    const long at = std::stol(argv[5]);
    options.before_index_write = [pause, at, &out, calls = 0L](uint64_t last_seq) mutable {
      if (++calls < at) return Status::Ok();
      if (!pause) std::raise(SIGKILL);
      {
        std::lock_guard lock(out);
        std::printf("index-paused %llu\n", static_cast<unsigned long long>(last_seq));
        std::fflush(stdout);
      }
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    };
  }
  auto log = RocksDbEventLog::open(options);
  if (!log.ok()) {
    std::fprintf(stderr, "%s\n", log.error().to_string().c_str());
    return 3;
  }
  const std::string prefix = argv[2];
  const int threads = std::stoi(argv[3]);
  SystemClock clock;
  RandomUuidSource ids;
  GroupCommitWriter writer(**log, GroupCommitOptions{});
  Ledger ledger(**log, writer, clock, ids, LedgerOptions{});
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        const std::string account = prefix + "-" + std::to_string(t) + "-" + std::to_string(i);
        const std::string id = "cmd-" + account;
        Command c{testing::user_context(account, "u-" + account, id), testing::valid_enrollment()};
        auto r = ledger.execute(c, sha256({id}));
        if (!r.ok() || r->kind != CommandResult::Kind::accepted) {
          std::fprintf(stderr, "unexpected outcome for %s\n", id.c_str());
          std::_Exit(4);
        }
        std::lock_guard lock(out);
        std::printf("ack %s\n", id.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& w : workers) w.join();
}
