// Kill -9 while snapshots are being written (every 5 events, in the
// background, beside the appends), reopen, and check: every acknowledged
// command is there, and a ledger starting from the snapshots left behind
// (whole, torn or stale) decides exactly as one folding from the first event.
// covers R-LED-01

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "adapters/crypto/sha256.h"
#include "adapters/ledger/ledger.h"
#include "adapters/ledger/log_aggregates.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/snapshots/file_snapshot_store.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "tests/faults/appender_process.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

TEST(Faults, sigkill_while_snapshots_are_written_serves_nothing_wrong_after_reopening) {
  testing::TempDir dir;
  std::mt19937 rng(20261205);
  std::map<std::string, std::set<std::string>> acked;  // account -> users
  uint64_t loaded = 0;
  for (int round = 0; round < 4; ++round) {
    const int kill_after = std::uniform_int_distribution<int>(60, 400)(rng);
    const std::string prefix = "r" + std::to_string(round);
    for (const std::string& ack :
         testing::run_and_kill(dir.path(), prefix, kill_after, MLEDGER_SNAPSHOT_APPENDER)) {
      const size_t slash = ack.find('/');
      acked[ack.substr(0, slash)].insert(ack.substr(slash + 1));
    }
    ASSERT_TRUE(std::filesystem::exists(dir.path() + "/snapshots"));

    RocksDbOptions o;
    o.path = dir.path();
    auto log = RocksDbEventLog::open(o);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    auto store = FileSnapshotStore::open(dir.path() + "/snapshots");
    ASSERT_TRUE(store.ok());
    SystemClock clock;
    RandomUuidSource ids;
    GroupCommitWriter writer(**log, GroupCommitOptions{});
    LedgerOptions options;
    options.aggregate_cache_streams_max = 0;
    Ledger ledger(**log, writer, clock, ids, options, store->get());
    for (const auto& [account, users] : acked) {
      SCOPED_TRACE(account);
      LogAggregates from_start(**log);
      const AccountState full = from_start.account(account);
      ASSERT_TRUE(from_start.read_error().ok());
      auto state = ledger.account_state(account);
      ASSERT_TRUE(state.ok()) << state.error().to_string();
      EXPECT_EQ(*state, full);
      for (const std::string& user : users) {
        if (user == "u0") continue;  // the enrollment
        EXPECT_TRUE(state->users.contains(user)) << "acknowledged user lost: " << user;
      }
      // A decision over it: the next user is new, an acknowledged one is not.
      const std::string known = *users.rbegin();
      if (known != "u0") {
        Command again{testing::user_context(account, "admin", "again-" + account + "-" + std::to_string(round)),
                      AddUser{known, known + "@contoso.de", known, false, {}}};
        auto r = ledger.execute(again, sha256({again.context.command_id}));
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(r->kind, CommandResult::Kind::rejected);
        EXPECT_EQ(r->rejection->code, RejectionCode::user_already_exists);
      }
    }
    loaded += ledger.snapshot_stats().loaded;
  }
  EXPECT_GT(loaded, 0u) << "no snapshot was ever used";
}

}  // namespace
}  // namespace mledger
