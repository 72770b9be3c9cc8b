// Snapshots of accounts' decision states (adapters/snapshots/): the codec, the
// store contract (memory and files), and the ledger deciding from them. A
// ledger that starts from snapshots decides exactly as one that folds every
// stream from its first event; a damaged, truncated, foreign or other-fold
// snapshot is ignored (and counted), never trusted.
// covers R-LED-01

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>

#include "adapters/crypto/sha256.h"
#include "adapters/ledger/ledger.h"
#include "adapters/ledger/log_aggregates.h"
#include "adapters/memory/memory_event_log.h"
#include "adapters/snapshots/file_snapshot_store.h"
#include "adapters/snapshots/memory_snapshot_store.h"
#include "adapters/snapshots/snapshot_codec.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "domain/account/retire.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

const std::string kStream = "account-contoso";

std::string outcome_of(const StatusOr<CommandResult>& r) {
  if (!r.ok()) return "failed: " + r.error().to_string();
  switch (r->kind) {
    case CommandResult::Kind::accepted: return "accepted " + std::to_string(r->events.size());
    case CommandResult::Kind::duplicate: return "duplicate";
    case CommandResult::Kind::rejected: return "rejected " + std::string(code_name(r->rejection->code));
  }
  return "?";
}

// A log and writer; ledgers over them are made per test step.
struct Rig {
  MemoryEventLog log;
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  GroupCommitWriter writer{log, GroupCommitOptions{}};

  std::unique_ptr<Ledger> ledger(SnapshotStore* store, uint64_t every = 25, size_t cache = 0) {
    LedgerOptions options;
    options.aggregate_cache_streams_max = cache;
    options.snapshots.events_between_snapshots = every;
    return std::make_unique<Ledger>(log, writer, clock, ids, options, store);
  }
};

// Random commands on contoso (users, roles, orders declined, placed and
// cancelled, locations), the same for the same seed. `start` numbers them.
class Driver {
 public:
  explicit Driver(uint64_t seed) : rng_(seed) {}

  std::string run(Ledger& ledger, int start, int count) {
    std::string outcomes;
    for (int i = start; i < start + count; ++i) {
      Command c{testing::user_context("contoso", "alice", "c" + std::to_string(i)), body(i)};
      c.context.now = Instant{c.context.now.micros_since_epoch + int64_t{i} * 60'000'000};
      outcomes += outcome_of(ledger.execute(c, sha256({c.context.command_id}))) + "\n";
    }
    return outcomes;
  }

 private:
  CommandBody body(int i) {
    if (i == 0) return testing::valid_enrollment();
    const std::string user = "u" + std::to_string(pick(40));
    const std::string order = "o" + std::to_string(pick(30));
    const PostalAddress billing{"Hauptstrasse 1", "", "Berlin", "BE", "10115", "DE"};
    switch (pick(8)) {
      case 0:
      case 1: return AddUser{user, user + "@contoso.de", "User " + user, false, {Role::account_admin}};
      case 2: return RemoveUser{user};
      case 3: return ChangeUserRoles{user, {Role::incentives_admin}};
      case 4: return PlaceOrder{order, "gold", PaymentMethod::wire, billing, std::nullopt};
      case 5: return RequestOrderCancellation{order};
      case 6: return ConfirmOrderCancellation{order};
      default: {
        PlaceOrder declined{order, "action_pack", PaymentMethod::card, billing,
                            CardDetails{"4242", billing}};
        declined.card->address.line1 = "Friedrichstrasse 5";
        return declined;
      }
    }
  }
  uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  std::mt19937_64 rng_;
};

AccountState full_fold(EventLog& log, const std::string& account = "contoso") {
  LogAggregates aggregates(log);  // no cache, no snapshots: from event 1
  AccountState s = aggregates.account(account);
  EXPECT_TRUE(aggregates.read_error().ok()) << aggregates.read_error().to_string();
  return s;
}

// The deciders' fold of the stream's first `version` events.
AccountState fold_to(EventLog& log, uint64_t version) {
  auto events = log.read_stream(kStream, 1, version);
  EXPECT_TRUE(events.ok() && events->size() == version);
  AccountState s;
  if (!events.ok()) return s;
  for (const auto& e : *events) decision_apply(s, e.payload, e.metadata.occurred_at);
  return s;
}

AccountSnapshot stored_snapshot(SnapshotStore& store) {
  auto bytes = store.read(kStream);
  EXPECT_TRUE(bytes.ok() && bytes->has_value());
  auto s = decode_snapshot(bytes.ok() && bytes->has_value() ? **bytes : std::string());
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return s.ok() ? *s : AccountSnapshot{};
}

// --- the codec -----------------------------------------------------------------

TEST(SnapshotCodec, round_trips_and_detects_any_damaged_or_missing_byte) {
  Rig rig;
  Driver(7).run(*rig.ledger(nullptr), 0, 120);
  AccountSnapshot s{kStream, 120, sha256({"x"}), kDecisionFoldVersion, full_fold(rig.log)};
  ASSERT_GT(s.state.users.size(), 0u);
  const std::string bytes = encode_snapshot(s);
  auto back = decode_snapshot(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->state, s.state);
  EXPECT_EQ(back->version, 120u);
  EXPECT_EQ(back->event_hash, s.event_hash);
  EXPECT_EQ(back->stream, kStream);
  for (size_t at = 0; at < bytes.size(); at += 1 + bytes.size() / 97) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
    auto d = decode_snapshot(damaged);
    ASSERT_FALSE(d.ok()) << "byte " << at << " flipped went unnoticed";
    EXPECT_EQ(d.error().code(), StatusCode::corruption);
  }
  for (size_t size = 0; size < bytes.size(); size += 1 + bytes.size() / 89) {
    EXPECT_FALSE(decode_snapshot(bytes.substr(0, size)).ok()) << "truncated to " << size;
  }
}

// --- the store contract ------------------------------------------------------------

struct StoreImpl {
  std::string name;
  std::function<std::unique_ptr<SnapshotStore>(const std::string& dir)> open;
};

class SnapshotStoreContract : public ::testing::TestWithParam<StoreImpl> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.sub("snapshots")); }
  testing::TempDir dir_;
  std::unique_ptr<SnapshotStore> store_;
};

TEST_P(SnapshotStoreContract, reads_what_was_written_last_and_forgets_what_was_erased) {
  auto none = store_->read("account-a");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->write("account-a", std::string("one\0two", 7)).ok());
  ASSERT_TRUE(store_->write("account-b", "bee").ok());
  ASSERT_TRUE(store_->write("account-a", std::string("three\0", 6)).ok());
  auto a = store_->read("account-a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ(**a, std::string("three\0", 6));
  const std::string long_name = "account-" + std::string(300, 'x');  // longer than a file name
  ASSERT_TRUE(store_->write(long_name, "long").ok());
  EXPECT_EQ(**store_->read(long_name), "long");
  ASSERT_TRUE(store_->erase("account-a").ok());
  ASSERT_TRUE(store_->erase("account-never").ok());
  EXPECT_FALSE(store_->read("account-a")->has_value());
  EXPECT_EQ(**store_->read("account-b"), "bee");
}

INSTANTIATE_TEST_SUITE_P(
    All, SnapshotStoreContract,
    ::testing::Values(StoreImpl{"memory", [](const std::string&) -> std::unique_ptr<SnapshotStore> {
                                  return std::make_unique<MemorySnapshotStore>();
                                }},
                      StoreImpl{"files", [](const std::string& dir) -> std::unique_ptr<SnapshotStore> {
                                  auto s = FileSnapshotStore::open(dir);
                                  EXPECT_TRUE(s.ok());
                                  return s.ok() ? std::move(s.value()) : nullptr;
                                }}),
    [](const ::testing::TestParamInfo<StoreImpl>& p) { return p.param.name; });

// --- deciding from snapshots ---------------------------------------------------------

// Property: over random streams, a ledger that starts every decision from the
// latest snapshot (no cache; one every 10 events) answers every command as a
// ledger that folds from event 1, and ends in the same state.
TEST(Snapshots, a_ledger_deciding_from_snapshots_decides_as_one_folding_from_the_start) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rig with, without;
    MemorySnapshotStore store;
    std::string outcomes_with, outcomes_without;
    Driver d_with(seed), d_without(seed);
    for (int part = 0; part < 4; ++part) {  // a new process each part: only snapshots carry over
      auto a = with.ledger(&store, 10);
      outcomes_with += d_with.run(*a, part * 75, 75);
      a->flush_snapshots();
      if (part > 0) {
        EXPECT_GT(a->snapshot_stats().loaded, 0u);
      }
      EXPECT_EQ(a->snapshot_stats().ignored, 0u);
      auto b = without.ledger(nullptr);
      outcomes_without += d_without.run(*b, part * 75, 75);
    }
    EXPECT_EQ(outcomes_with, outcomes_without);
    const AccountState full = full_fold(without.log);
    EXPECT_EQ(full_fold(with.log), full);
    auto fresh = with.ledger(&store, 10);
    auto state = fresh->account_state("contoso");
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(*state, full);
    EXPECT_EQ(fresh->snapshot_stats().loaded, 1u);
    // Snapshotted every 10 events at least: the last is at most 10 + a command's events behind.
    const uint64_t length = *with.log.stream_version(kStream);
    EXPECT_GT(length, 60u);
    EXPECT_GE(stored_snapshot(store).version + 20, length);
  }
}

// Every prefix of a stream: its snapshot's state, decoded, then the rest of
// the stream folded on top, is the fold of the whole stream.
TEST(Snapshots, a_snapshot_at_any_version_plus_the_rest_is_the_whole_fold) {
  Rig rig;
  Driver(3).run(*rig.ledger(nullptr), 0, 200);
  auto events = rig.log.read_stream(kStream, 1, 100000);
  ASSERT_TRUE(events.ok());
  const AccountState whole = full_fold(rig.log);
  for (size_t v = 0; v <= events->size(); v += 7) {
    AccountState at;
    for (size_t i = 0; i < v; ++i) decision_apply(at, (*events)[i].payload, (*events)[i].metadata.occurred_at);
    auto decoded = decode_snapshot(encode_snapshot(AccountSnapshot{kStream, v, {}, kDecisionFoldVersion, at}));
    ASSERT_TRUE(decoded.ok());
    AccountState rest = decoded->state;
    for (size_t i = v; i < events->size(); ++i) {
      decision_apply(rest, (*events)[i].payload, (*events)[i].metadata.occurred_at);
    }
    ASSERT_EQ(rest, whole) << "from a snapshot at version " << v;
  }
}

// A ledger whose snapshot is damaged in `how` decides right and replaces it.
void expect_ignored_and_rebuilt(const std::function<void(MemorySnapshotStore&, Rig&)>& how,
                                const std::string& reason) {
  Rig rig;
  MemorySnapshotStore store;
  Driver driver(5);
  {
    auto first = rig.ledger(&store, 20);
    driver.run(*first, 0, 150);
  }
  ASSERT_GT(stored_snapshot(store).version, 30u);
  how(store, rig);
  auto ledger = rig.ledger(&store, 20);
  auto state = ledger->account_state("contoso");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, full_fold(rig.log));
  const SnapshotStats stats = ledger->snapshot_stats();
  EXPECT_EQ(stats.ignored, 1u);
  EXPECT_EQ(stats.loaded, 0u);
  EXPECT_NE(stats.last_ignored.find(reason), std::string::npos) << stats.last_ignored;
  // Decisions are right, and the folded state is snapshotted again.
  Rig check;
  Driver twin(5);
  twin.run(*check.ledger(nullptr), 0, 150);
  EXPECT_EQ(driver.run(*ledger, 150, 30), twin.run(*check.ledger(nullptr), 150, 30));
  ledger->flush_snapshots();
  EXPECT_GT(ledger->snapshot_stats().written, 0u);
  const AccountSnapshot rebuilt = stored_snapshot(store);
  EXPECT_EQ(rebuilt.fold_version, kDecisionFoldVersion);
  EXPECT_EQ(rebuilt.state, fold_to(rig.log, rebuilt.version));
}

TEST(Snapshots, a_damaged_snapshot_is_ignored_and_rebuilt) {
  expect_ignored_and_rebuilt(
      [](MemorySnapshotStore& store, Rig&) {
        std::string& bytes = store.bytes().at(kStream);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
      },
      "checksum mismatch");
}

TEST(Snapshots, a_truncated_snapshot_is_ignored_and_rebuilt) {
  expect_ignored_and_rebuilt(
      [](MemorySnapshotStore& store, Rig&) {
        std::string& bytes = store.bytes().at(kStream);
        bytes.resize(bytes.size() / 3);
      },
      "damaged");
}

// Another ledger's snapshot of a stream of the same name (its events differ,
// so the chain hash at its version does).
TEST(Snapshots, a_snapshot_from_another_ledger_is_ignored_and_rebuilt) {
  expect_ignored_and_rebuilt(
      [](MemorySnapshotStore& store, Rig&) {
        Rig other;
        MemorySnapshotStore theirs;
        Driver(99).run(*other.ledger(&theirs, 20), 0, 150);
        store.bytes().at(kStream) = theirs.bytes().at(kStream);
      },
      "not the one the snapshot was taken at");
}

// A snapshot of the same log at a version past its end (a log restored from
// an older backup beside newer snapshots).
TEST(Snapshots, a_snapshot_past_the_end_of_the_log_is_ignored_and_rebuilt) {
  expect_ignored_and_rebuilt(
      [](MemorySnapshotStore& store, Rig& rig) {
        AccountSnapshot s = stored_snapshot(store);
        s.version = 100000;
        s.state = full_fold(rig.log);
        store.bytes().at(kStream) = encode_snapshot(s);
      },
      "not the one the snapshot was taken at");
}

// A snapshot of another fold (before or after a bump of kDecisionFoldVersion):
// its state would be wrong for this fold, here visibly so.
TEST(Snapshots, a_snapshot_of_another_fold_version_is_ignored_and_replaced) {
  for (const uint32_t other : {kDecisionFoldVersion - 1, kDecisionFoldVersion + 1}) {
    SCOPED_TRACE("fold version " + std::to_string(other));
    expect_ignored_and_rebuilt(
        [other](MemorySnapshotStore& store, Rig&) {
          AccountSnapshot s = stored_snapshot(store);
          s.fold_version = other;
          s.state.users.clear();
          store.bytes().at(kStream) = encode_snapshot(s);
        },
        "fold version");
  }
}

// No stream is too long to fold: a stream longer than a read chunk (4096)
// is folded whole, from the start and from a snapshot.
TEST(Snapshots, a_stream_longer_than_a_read_chunk_is_folded_whole) {
  Rig rig;
  MemorySnapshotStore store;
  {
    auto ledger = rig.ledger(&store, 1000, 100);
    std::vector<Command> commands;
    commands.push_back(Command{testing::user_context("contoso", "alice", "enroll"), testing::valid_enrollment()});
    for (int i = 0; i < 5000; ++i) {
      const std::string user = "user-" + std::to_string(i);
      commands.push_back(Command{testing::user_context("contoso", "alice", "add-" + user),
                                 AddUser{user, user + "@contoso.de", user, false, {}}});
    }
    std::vector<Hash256> digests;
    for (const auto& c : commands) digests.push_back(sha256({c.context.command_id}));
    std::vector<BatchItem> items;
    for (size_t i = 0; i < commands.size(); ++i) items.push_back(BatchItem{&commands[i], digests[i]});
    for (const auto& r : ledger->execute_batch(items)) ASSERT_EQ(outcome_of(r).substr(0, 8), "accepted");
  }
  const AccountState full = full_fold(rig.log);
  EXPECT_EQ(full.users.size(), 5001u);
  EXPECT_GT(stored_snapshot(store).version, 4096u);
  auto ledger = rig.ledger(&store);
  Command more{testing::user_context("contoso", "alice", "one-more"), AddUser{"late", "late@contoso.de", "Late", false, {}}};
  EXPECT_EQ(outcome_of(ledger->execute(more, sha256({"one-more"}))), "accepted 1");
  EXPECT_EQ(ledger->snapshot_stats().loaded, 1u);
}

}  // namespace
}  // namespace mledger
