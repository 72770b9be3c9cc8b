// Read-model snapshots (issue 13): `audit state`'s fold started from the
// nearest usable snapshot answers byte for byte what the fold from the
// account's first event answers, for random streams and random points (by
// seq, and by both clocks on times that go back and forth), with snapshots
// at random places, across a fold-version bump, and with damaged, foreign
// and misfiled snapshots, which are ignored and erased, never used. The
// kept snapshots stay within their bound.

#include <gtest/gtest.h>

#include <random>

#include "adapters/memory/memory_event_log.h"
#include "adapters/projections/read_models.h"
#include "adapters/snapshots/memory_snapshot_store.h"
#include "adapters/snapshots/read_model_snapshots.h"
#include "tests/projections/random_ledger.h"
#include "tests/support/append_recorded.h"

namespace mledger {
namespace {

using projections::testing::RandomLedger;

const std::vector<std::string> kAccounts = {"contoso", "fabrikam", "northwind"};

void append_all(EventLog& log, const std::vector<RecordedEvent>& events, std::mt19937_64& rng) {
  testing::append_recorded(log, events, &rng);
}

// The account's events' seqs and times, to draw points from.
struct Points {
  std::vector<uint64_t> seqs;
  std::vector<Instant> occurred, recorded;
};
Points points_of(EventLog& log, const std::string& account) {
  Points p;
  auto events = log.read_account(account, 0, 1 << 20);
  EXPECT_TRUE(events.ok());
  for (const RecordedEvent& e : *events) {
    p.seqs.push_back(e.seq);
    p.occurred.push_back(e.metadata.occurred_at);
    p.recorded.push_back(e.metadata.recorded_at);
  }
  return p;
}

AsOf random_point(const Points& p, std::mt19937_64& rng) {
  const size_t i = std::uniform_int_distribution<size_t>(0, p.seqs.size() - 1)(rng);
  AsOf until;
  switch (rng() % 3) {
    case 0:
      until.at_seq = p.seqs[i] + rng() % 2;  // on an event of the account, or between two
      break;
    case 1:
      until.as_of = Instant{p.occurred[i].micros_since_epoch + static_cast<int64_t>(rng() % 2)};
      break;
    default:
      until.as_of = p.recorded[i];
      until.recorded_clock = true;
  }
  return until;
}

std::string answer(const StatusOr<AccountAsOf>& folded, const std::string& account, const AsOf& until) {
  EXPECT_TRUE(folded.ok()) << folded.error().to_string();
  return account_as_of_json(*folded, account, until).dump();
}

// Folds to `until` from the snapshots and from the first event; expects the
// same answer and the same documents. Returns where the first fold started.
uint64_t expect_same_fold(EventLog& log, ReadModelSnapshots& snapshots, const std::string& account,
                          const AsOf& until) {
  auto from_snapshot = fold_account_as_of(log, account, until, &snapshots);
  auto from_start = fold_account_as_of(log, account, until);
  EXPECT_EQ(answer(from_snapshot, account, until), answer(from_start, account, until));
  EXPECT_TRUE(from_snapshot->docs.accounts == from_start->docs.accounts && from_snapshot->docs.orders ==
              from_start->docs.orders && from_snapshot->docs.keys == from_start->docs.keys &&
              from_snapshot->docs.merges == from_start->docs.merges && from_snapshot->docs.last_seq ==
              from_start->docs.last_seq);
  EXPECT_EQ(from_snapshot->events_folded, from_start->events_folded);
  EXPECT_EQ(from_snapshot->snapshot_position + from_snapshot->events_read, from_snapshot->events_folded);
  EXPECT_EQ(from_start->snapshot_position, 0u);
  return from_snapshot->snapshot_position;
}

ReadModelSnapshotOptions options_for(uint64_t every, size_t kept) {
  ReadModelSnapshotOptions o;
  o.events_between_snapshots = every;
  o.kept_per_account_max = kept;
  o.queue_max = 1 << 20;  // nothing dropped: the test places snapshots where its folds pass
  return o;
}

TEST(ReadModelSnapshots, fold_from_the_nearest_snapshot_equals_the_fold_from_the_first_event) {
  for (uint64_t seed : {1u, 7u, 2026u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    MemoryEventLog log;
    RandomLedger ledger(seed, kAccounts);
    append_all(log, ledger.next(1500), rng);
    MemorySnapshotStore store;
    const uint64_t every = 5 + rng() % 30;
    ReadModelSnapshots snapshots(log, store, options_for(every, 3 + rng() % 6));
    uint64_t started_from_snapshot = 0;
    for (int round = 0; round < 60; ++round) {
      const std::string& account = kAccounts[rng() % kAccounts.size()];
      const Points points = points_of(log, account);
      const AsOf until = random_point(points, rng);
      if (expect_same_fold(log, snapshots, account, until) > 0) ++started_from_snapshot;
      snapshots.flush();  // what this fold offered is there for the next
      if (round % 20 == 19) append_all(log, ledger.next(200), rng);  // the log grows meanwhile
    }
    EXPECT_GT(started_from_snapshot, 10u);
    EXPECT_GT(snapshots.stats().loaded, 10u);
    EXPECT_EQ(snapshots.stats().ignored, 0u) << snapshots.stats().last_ignored;
  }
}

// Every snapshot the store holds for `account`, by name.
std::vector<std::string> snapshot_names(MemorySnapshotStore& store, const std::string& account) {
  std::vector<std::string> out;
  for (const auto& [name, bytes] : store.bytes()) {
    if (name.starts_with("read-model/") && name.ends_with("/" + account)) out.push_back(name);
  }
  return out;
}

// A ledger, a store with snapshots of `account` every 10 events up to its
// head, and the account's points.
struct Rig {
  std::mt19937_64 rng;
  MemoryEventLog log;
  MemorySnapshotStore store;
  std::string account = "contoso";
  explicit Rig(uint64_t seed = 99) : rng(seed) {
    RandomLedger ledger(seed, kAccounts);
    append_all(log, ledger.next(900), rng);
    ReadModelSnapshots writer(log, store, options_for(10, 1000));
    EXPECT_TRUE(fold_account_as_of(log, account, AsOf{}, &writer).ok());
    EXPECT_TRUE(fold_account_as_of(log, "fabrikam", AsOf{}, &writer).ok());
  }
  // Folds at 40 random points with `options`: every answer equals the full
  // fold's; returns the stats.
  ReadModelSnapshotStats check(ReadModelSnapshotOptions options) {
    ReadModelSnapshots reader(log, store, options);
    const Points points = points_of(log, account);
    for (int i = 0; i < 40; ++i) expect_same_fold(log, reader, account, random_point(points, rng));
    reader.flush();
    return reader.stats();
  }
};

TEST(ReadModelSnapshots, a_damaged_snapshot_is_ignored_erased_and_rebuilt) {
  Rig rig;
  std::vector<std::string> names = snapshot_names(rig.store, rig.account);
  ASSERT_GE(names.size(), 5u);
  for (size_t i = 0; i < names.size(); i += 2) rig.store.bytes()[names[i]][40] ^= 0x20;  // a flipped bit
  rig.store.bytes()[names[1]].resize(30);                                                // torn
  const ReadModelSnapshotStats stats = rig.check(options_for(10, 1000));
  EXPECT_GT(stats.ignored, 0u);
  EXPECT_NE(stats.last_ignored.find("damaged"), std::string::npos) << stats.last_ignored;
  EXPECT_GT(stats.loaded, 0u);
  EXPECT_GT(stats.written, 0u) << "the erased ones were not rebuilt";
}

TEST(ReadModelSnapshots, a_snapshot_of_another_ledger_is_ignored) {
  Rig rig;
  Rig other(100);  // the same accounts and positions, another log: other chain hashes
  for (const std::string& name : snapshot_names(other.store, other.account)) rig.store.bytes()[name] = other.store.bytes()[name];
  rig.store.bytes()[read_model_index_name(rig.account)] = other.store.bytes()[read_model_index_name(other.account)];
  const ReadModelSnapshotStats stats = rig.check(options_for(10, 1000));
  EXPECT_GT(stats.ignored, 0u);
  EXPECT_NE(stats.last_ignored.find("another ledger"), std::string::npos) << stats.last_ignored;
}

TEST(ReadModelSnapshots, a_snapshot_filed_under_another_position_is_ignored) {
  Rig rig;
  std::vector<std::string> names = snapshot_names(rig.store, rig.account);
  ASSERT_GE(names.size(), 3u);
  for (size_t i = 0; i + 1 < names.size(); ++i) rig.store.bytes()[names[i]] = rig.store.bytes()[names[i + 1]];
  const ReadModelSnapshotStats stats = rig.check(options_for(10, 1000));
  EXPECT_GT(stats.ignored, 0u) << "a misfiled snapshot was used";
}

TEST(ReadModelSnapshots, a_snapshot_of_another_account_is_ignored) {
  Rig rig;
  size_t copied = 0;
  for (const std::string& name : snapshot_names(rig.store, "fabrikam")) {
    const std::string ours = name.substr(0, name.size() - std::string("fabrikam").size()) + rig.account;
    if (!rig.store.bytes().contains(ours)) continue;
    rig.store.bytes()[name] = rig.store.bytes()[ours];
    ++copied;
  }
  ASSERT_GT(copied, 2u);
  rig.account = "fabrikam";
  const ReadModelSnapshotStats stats = rig.check(options_for(10, 1000));
  EXPECT_GT(stats.ignored, 0u);
  EXPECT_NE(stats.last_ignored.find("snapshot names contoso"), std::string::npos) << stats.last_ignored;
}

TEST(ReadModelSnapshots, a_snapshot_of_another_fold_version_is_stale_and_rebuilt) {
  Rig rig;
  const size_t stale = snapshot_names(rig.store, rig.account).size();
  ASSERT_GE(stale, 5u);
  ReadModelSnapshotOptions bumped = options_for(10, 1000);
  bumped.fold_version = kReadModelFoldVersion + 1;
  {
    // To the head: every snapshot is usable by its point, each is tried and
    // found stale, and the fold starts from the first event.
    ReadModelSnapshots reader(rig.log, rig.store, bumped);
    EXPECT_EQ(expect_same_fold(rig.log, reader, rig.account, AsOf{}), 0u);
    reader.flush();
    EXPECT_EQ(reader.stats().ignored, stale);
    EXPECT_EQ(reader.stats().loaded, 0u);
    EXPECT_NE(reader.stats().last_ignored.find("fold version"), std::string::npos) << reader.stats().last_ignored;
  }
  const ReadModelSnapshotStats stats = rig.check(bumped);
  EXPECT_GT(stats.loaded, 0u) << "the stale ones were not rebuilt at the new version";
  EXPECT_EQ(stats.ignored, 0u) << stats.last_ignored;
  // And the old build, reading them, finds them stale in turn.
  const ReadModelSnapshotStats again = rig.check(options_for(10, 1000));
  EXPECT_GT(again.ignored, 0u);
  EXPECT_NE(again.last_ignored.find("fold version"), std::string::npos) << again.last_ignored;
}

TEST(ReadModelSnapshots, a_damaged_index_is_ignored_and_the_fold_still_answers) {
  Rig rig;
  rig.store.bytes()[read_model_index_name(rig.account)] = "MLRMIX01 and then nonsense";
  const ReadModelSnapshotStats stats = rig.check(options_for(10, 1000));
  EXPECT_GT(stats.ignored, 0u);
  EXPECT_GT(stats.written, 0u);
}

TEST(ReadModelSnapshots, keeps_at_most_the_bound_per_account_spread_over_its_history) {
  std::mt19937_64 rng(3);
  MemoryEventLog log;
  RandomLedger ledger(3, {"contoso"});
  append_all(log, ledger.next(2000), rng);
  MemorySnapshotStore store;
  {
    ReadModelSnapshots snapshots(log, store, options_for(10, 6));
    auto folded = fold_account_as_of(log, "contoso", AsOf{}, &snapshots);
    ASSERT_TRUE(folded.ok());
    EXPECT_EQ(folded->events_folded, 2000u);
    snapshots.flush();
    EXPECT_EQ(snapshots.stats().written, 200u);
  }
  const std::vector<std::string> names = snapshot_names(store, "contoso");
  ASSERT_EQ(names.size(), 6u);
  std::vector<uint64_t> positions;
  for (const std::string& n : names) positions.push_back(std::stoull(n.substr(std::string("read-model/").size())));
  std::sort(positions.begin(), positions.end());
  EXPECT_EQ(positions.front(), 10u);
  EXPECT_EQ(positions.back(), 2000u);
  for (size_t i = 1; i < positions.size(); ++i) {
    EXPECT_LE(positions[i] - positions[i - 1], 2 * 2000u / 5) << "a gap wider than twice the even spread";
  }
}

TEST(ReadModelSnapshots, a_full_queue_drops_offers_and_the_answer_stays_the_same) {
  std::mt19937_64 rng(4);
  MemoryEventLog log;
  RandomLedger ledger(4, {"contoso"});
  append_all(log, ledger.next(1000), rng);
  MemorySnapshotStore store;
  ReadModelSnapshotOptions o = options_for(1, 100);
  o.queue_max = 1;
  ReadModelSnapshots snapshots(log, store, o);
  auto folded = fold_account_as_of(log, "contoso", AsOf{}, &snapshots);
  auto full = fold_account_as_of(log, "contoso", AsOf{});
  EXPECT_EQ(answer(folded, "contoso", AsOf{}), answer(full, "contoso", AsOf{}));
  snapshots.flush();
  EXPECT_GT(snapshots.stats().dropped, 0u);
  EXPECT_EQ(snapshots.stats().written + snapshots.stats().dropped, 1000u);
}

}  // namespace
}  // namespace mledger
