// The projection engine over a real log: catch-up, rebuilds that resume,
// verification, stale versions and checkpoints from another log.

#include <gtest/gtest.h>

#include "adapters/memory/memory_event_log.h"
#include "adapters/projections/account_reader.h"
#include "adapters/projections/all_stored_projections.h"
#include "adapters/projections/memory_projection_store.h"
#include "adapters/projections/projection_engine.h"
#include "adapters/projections/projector.h"
#include "adapters/projections/rocksdb_projection_store.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/system/heap_in_use.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

using testing::user_added_request;

// Appends `commands` commands of two UserAdded events each, spread over
// `accounts` account streams.
void fill(EventLog& log, int commands, int accounts, const std::string& tag = "c") {
  for (int i = 0; i < commands; ++i) {
    const std::string account = "acct-" + std::to_string(i % accounts);
    const std::string stream = "account-" + account;
    auto version = log.stream_version(stream);
    ASSERT_TRUE(version.ok());
    std::vector<AppendRequest> batch{user_added_request(tag + std::to_string(i), stream, *version, account, 2)};
    auto out = log.append_batch(batch);
    ASSERT_TRUE(out.ok()) << out.error().to_string();
    ASSERT_EQ((*out)[0].status, AppendStatus::appended);
  }
}

// Every document of every live generation, by projection and key.
std::map<std::string, std::string> live_documents(ProjectionStore& store) {
  std::map<std::string, std::string> out;
  auto gens = store.generations();
  EXPECT_TRUE(gens.ok());
  for (const auto& g : *gens) {
    if (g.role != GenerationRole::live) continue;
    EXPECT_TRUE(store.scan(g.id, "", [&](std::string_view k, std::string_view v) {
                       out[g.projection + "/" + std::string(k)] = std::string(v);
                       return true;
                     }).ok());
  }
  return out;
}

std::map<std::string, ProjectionStatus> status_by_name(ProjectionEngine& engine) {
  std::map<std::string, ProjectionStatus> out;
  auto s = engine.status();
  EXPECT_TRUE(s.ok());
  for (auto& p : *s) out[p.name] = p;
  return out;
}

class FailingLoad final : public BulkLoad {
 public:
  FailingLoad(std::unique_ptr<BulkLoad> inner, int& left) : inner_(std::move(inner)), left_(left) {}
  Status add(std::string_view k, std::string_view v) override { return inner_->add(k, v); }
  Status finish(const BulkProgress& p) override {
    if (left_-- <= 0) return Status(StatusCode::io_error, "disk full (injected)");
    return inner_->finish(p);
  }

 private:
  std::unique_ptr<BulkLoad> inner_;
  int& left_;
};

// A store that fails every commit after the first `commits_allowed` (more
// may be allowed later), and counts the documents read.
class FailingStore final : public ProjectionStore {
 public:
  FailingStore(ProjectionStore& inner, int commits_allowed) : inner_(inner), left_(commits_allowed) {}
  StatusOr<std::vector<Generation>> generations() override { return inner_.generations(); }
  StatusOr<Generation> create_generation(std::string_view p, uint32_t v, GenerationRole r) override {
    return inner_.create_generation(p, v, r);
  }
  StatusOr<std::optional<std::string>> get(uint64_t g, std::string_view k) override {
    ++gets_;
    return inner_.get(g, k);
  }
  Status scan(uint64_t g, std::string_view from,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return inner_.scan(g, from, fn);
  }
  Status commit(std::span<const DocumentWrite> d, std::span<const CheckpointWrite> c) override {
    if (left_-- <= 0) return Status(StatusCode::io_error, "disk full (injected)");
    return inner_.commit(d, c);
  }
  Status promote(uint64_t g) override { return inner_.promote(g); }
  // A bulk load's finish() counts as a commit.
  StatusOr<std::unique_ptr<BulkLoad>> bulk_load(uint64_t g) override {
    auto inner = inner_.bulk_load(g);
    if (!inner.ok()) return inner;
    return std::unique_ptr<BulkLoad>(std::make_unique<FailingLoad>(std::move(*inner), left_));
  }
  Status drop(uint64_t g) override { return inner_.drop(g); }
  StatusOr<uint64_t> size_bytes(uint64_t g) override { return inner_.size_bytes(g); }
  void allow(int commits) { left_ = commits; }
  int gets() const { return gets_; }

 private:
  ProjectionStore& inner_;
  int left_;
  int gets_ = 0;
};

// A tiny memory bound (a few documents cached, commits whenever it is
// reached) by default; a large one for commits only every 50 events. Built
// by commits, not bulk loaded.
ProjectionEngineOptions small_batches(size_t memory_bytes_max = 32000) {
  ProjectionEngineOptions o;
  o.bulk_load = false;
  o.read_batch_events = 10;  // commits land on multiples of 10 (of 50 with a large memory bound)
  o.commit_every_events = 50;
  o.memory_bytes_max = memory_bytes_max;
  return o;
}

TEST(ProjectionEngine, catch_up_builds_what_is_missing_then_follows_the_log) {
  MemoryEventLog log;
  fill(log, 100, 10);
  MemoryProjectionStore store;
  ProjectionEngine engine(store, log, all_stored_projections());
  auto before = status_by_name(engine);
  ASSERT_EQ(before.size(), 4u);
  EXPECT_EQ(before["accounts"].state, "missing");
  EXPECT_EQ(before["accounts"].lag, 200u);

  ASSERT_TRUE(engine.catch_up({}).ok());
  auto after = status_by_name(engine);
  for (auto& [name, s] : after) {
    EXPECT_EQ(s.state, "current") << name;
    EXPECT_EQ(s.lag, 0u) << name;
    ASSERT_TRUE(s.live) << name;
    EXPECT_EQ(s.live->checkpoint.seq, 200u) << name;
  }
  // A header per account and a document per user (20 each), all in accounts:
  // UserAdded concerns no order, key or merge.
  const auto documents = live_documents(store);
  EXPECT_EQ(documents.size(), 210u);
  EXPECT_EQ(std::count_if(documents.begin(), documents.end(),
                          [](const auto& d) { return d.first.starts_with("accounts/") && d.first.ends_with('\0'); }),
            10);

  fill(log, 30, 10, "more");
  EXPECT_EQ(status_by_name(engine)["accounts"].state, "behind");
  EXPECT_EQ(status_by_name(engine)["accounts"].lag, 60u);
  const uint64_t live_id = status_by_name(engine)["accounts"].live->id;
  ASSERT_TRUE(engine.catch_up({}).ok());
  EXPECT_EQ(status_by_name(engine)["accounts"].live->id, live_id);  // folded on, not rebuilt
  EXPECT_EQ(status_by_name(engine)["accounts"].lag, 0u);
}

TEST(ProjectionEngine, small_batches_and_a_tiny_cache_give_the_same_documents_as_one_fold) {
  MemoryEventLog log;
  fill(log, 120, 9);
  MemoryProjectionStore whole, pieces;
  ProjectionEngine a(whole, log, all_stored_projections());
  ProjectionEngine b(pieces, log, all_stored_projections(), small_batches());
  ASSERT_TRUE(a.catch_up({}).ok());
  // b catches up in several runs, between appends.
  for (int round = 0; round < 3; ++round) ASSERT_TRUE(b.catch_up({}).ok());
  EXPECT_EQ(live_documents(whole), live_documents(pieces));
  auto diffs = b.verify({}, {});
  ASSERT_TRUE(diffs.ok());
  for (const auto& d : *diffs) EXPECT_EQ(d.differing, 0u) << d.name;
}

TEST(ProjectionEngine, live_documents_are_kept_decoded_from_one_catch_up_to_the_next) {
  MemoryEventLog log;
  fill(log, 100, 10);
  MemoryProjectionStore kept_store, plain_store;
  FailingStore kept_spy(kept_store, 1000), plain_spy(plain_store, 1000);
  // Built by commits (a bulk-loaded generation starts with nothing cached).
  ProjectionEngineOptions by_commits, none;
  by_commits.bulk_load = none.bulk_load = false;
  none.kept_bytes_max = 0;
  ProjectionEngine kept(kept_spy, log, all_stored_projections(), by_commits);
  ProjectionEngine plain(plain_spy, log, all_stored_projections(), none);
  for (int round = 0; round < 4; ++round) {
    ASSERT_TRUE(kept.catch_up({}).ok());
    ASSERT_TRUE(plain.catch_up({}).ok());
    const int kept_reads = kept_spy.gets(), plain_reads = plain_spy.gets();
    fill(log, 30, 10, "r" + std::to_string(round) + "-");  // the same ten accounts again
    ASSERT_TRUE(kept.catch_up({}).ok());
    ASSERT_TRUE(plain.catch_up({}).ok());
    EXPECT_EQ(kept_spy.gets(), kept_reads) << "kept documents were read again";
    EXPECT_GT(plain_spy.gets(), plain_reads);
    EXPECT_EQ(live_documents(kept_store), live_documents(plain_store));
  }
  auto diffs = kept.verify({}, {});
  ASSERT_TRUE(diffs.ok());
  for (const auto& d : *diffs) EXPECT_EQ(d.differing, 0u) << d.name;
}

TEST(ProjectionEngine, a_catch_up_that_fails_drops_its_kept_documents) {
  MemoryEventLog log;
  fill(log, 60, 6);
  MemoryProjectionStore store, reference_store;
  FailingStore spy(store, 1);
  ProjectionEngineOptions by_commits;  // one commit builds all four projections
  by_commits.bulk_load = false;
  ProjectionEngine engine(spy, log, all_stored_projections(), by_commits);
  ASSERT_TRUE(engine.catch_up({}).ok());
  fill(log, 20, 6, "more-");
  // The fold changes the kept documents, then its commit fails: they hold
  // events the store does not. Folded again on top, they would hold them twice.
  ASSERT_FALSE(engine.catch_up({}).ok());
  spy.allow(1000);
  const int reads = spy.gets();
  ASSERT_TRUE(engine.catch_up({}).ok());
  EXPECT_GT(spy.gets(), reads) << "the documents were not read again from the store";
  ProjectionEngine reference(reference_store, log, all_stored_projections());
  ASSERT_TRUE(reference.catch_up({}).ok());
  EXPECT_EQ(live_documents(store), live_documents(reference_store));
}

TEST(ProjectionEngine, an_interrupted_rebuild_resumes_from_its_checkpoint_and_leaves_live_untouched) {
  MemoryEventLog log;
  fill(log, 200, 13);
  MemoryProjectionStore store;
  ProjectionEngine first(store, log, all_stored_projections());
  ASSERT_TRUE(first.catch_up({}).ok());
  const auto live_before = live_documents(store);
  const uint64_t live_id = status_by_name(first)["accounts"].live->id;

  FailingStore failing(store, 3);
  ProjectionEngine broken(failing, log, all_stored_projections(), small_batches(256 << 20));
  Status s = broken.rebuild({"accounts"}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("injected"), std::string::npos);
  auto mid = status_by_name(first)["accounts"];
  ASSERT_TRUE(mid.building);
  EXPECT_EQ(mid.building->checkpoint.seq, 150u);  // three commits of 50 events
  EXPECT_EQ(mid.live->id, live_id);
  EXPECT_EQ(live_documents(store), live_before);  // readers saw nothing of it

  std::vector<ProjectionProgress> seen;
  ASSERT_TRUE(first.rebuild({"accounts"}, [&](const ProjectionProgress& p) { seen.push_back(p); }).ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().total, 250u);  // events 151..400 only: resumed, not restarted
  EXPECT_EQ(seen.back().done, 250u);
  auto done = status_by_name(first)["accounts"];
  EXPECT_EQ(done.live->id, mid.building->id);  // the resumed generation went live
  EXPECT_FALSE(done.building);
  EXPECT_EQ(live_documents(store), live_before);
}

// A bulk load stopped after some passes (a failed ingest, as a kill would
// stop it) resumes from the partitions it loaded, reading the log once more
// and then only the events of the accounts left; the live generation is
// untouched meanwhile.
TEST(ProjectionEngine, an_interrupted_bulk_load_resumes_from_the_partitions_it_loaded) {
  MemoryEventLog log;
  fill(log, 200, 13);
  MemoryProjectionStore store;
  ProjectionEngine first(store, log, all_stored_projections());
  ASSERT_TRUE(first.catch_up({}).ok());
  const auto live_before = live_documents(store);
  ProjectionEngineOptions tiny;
  tiny.memory_bytes_max = 1;  // the narrowest ranges: kBulkPassesMax passes
  FailingStore failing(store, 100);
  ProjectionEngine broken(failing, log, all_stored_projections(), tiny);
  Status s = broken.rebuild({"accounts"}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("injected"), std::string::npos);
  auto mid = status_by_name(first)["accounts"];
  ASSERT_TRUE(mid.building && mid.building->bulk);
  EXPECT_EQ(mid.building->bulk->below, 100 * (kAccountPartitions / kBulkPassesMax));
  EXPECT_EQ(mid.building->bulk->until.seq, 400u);
  EXPECT_EQ(mid.building->checkpoint.seq, 0u);
  EXPECT_EQ(live_documents(store), live_before);  // readers saw nothing of it

  uint64_t read = 0;
  ProjectionEngine resumed(store, log, all_stored_projections(), tiny);
  ASSERT_TRUE(resumed.rebuild({"accounts"}, [&](const ProjectionProgress& p) { read = p.done; }).ok());
  // The log once (the first pass: partitions [100w, 101w)), then each
  // account of the partitions above, by its own events.
  uint64_t left = 0;
  for (int a = 0; a < 13; ++a) {
    const std::string account = "acct-" + std::to_string(a);
    if (account_partition(account) < 101 * (kAccountPartitions / kBulkPassesMax)) continue;
    auto events = log.read_account(account, 1, 1000);
    ASSERT_TRUE(events.ok());
    left += events->size();
  }
  EXPECT_EQ(read, 400 + left);
  auto done = status_by_name(first)["accounts"];
  EXPECT_EQ(done.live->id, mid.building->id);
  EXPECT_FALSE(done.building);
  EXPECT_EQ(live_documents(store), live_before);
}

// Each pass of a bulk load is reported as it ends: numbered from 1, the
// first reading the log in order and the later ones by the account index,
// their shares of the accounts and their events adding up to the whole.
TEST(ProjectionEngine, a_bulk_load_reports_each_pass_and_the_passes_add_up_to_the_log) {
  MemoryEventLog log;
  fill(log, 600, 40);
  MemoryProjectionStore store;
  ProjectionEngineOptions tiny;
  tiny.memory_bytes_max = 1;  // the narrowest ranges: kBulkPassesMax passes
  ProjectionEngine engine(store, log, all_stored_projections(), tiny);
  std::vector<BulkPassReport> passes;
  uint64_t read = 0;
  ASSERT_TRUE(engine.rebuild({"accounts"}, [&](const ProjectionProgress& p) {
                      read = p.done;
                      if (p.pass_done) passes.push_back(*p.pass_done);
                    }).ok());
  ASSERT_EQ(passes.size(), kBulkPassesMax);
  double share = 0;
  uint64_t events = 0, accounts = 0;
  for (size_t i = 0; i < passes.size(); ++i) {
    EXPECT_EQ(passes[i].number, i + 1);
    EXPECT_EQ(passes[i].reads_log, i == 0);
    share += passes[i].accounts_share;
    events += passes[i].events_read;
    accounts += passes[i].accounts_loaded;
    EXPECT_GT(passes[i].resident_bytes, 0u);
    EXPECT_GE(passes[i].peak_resident_bytes, passes[i].resident_bytes);
  }
  EXPECT_DOUBLE_EQ(share, 1.0);
  EXPECT_EQ(passes.front().events_read, 1200u);  // the whole log
  EXPECT_EQ(events, read);
  EXPECT_EQ(accounts, 40u);  // each account loaded once
  EXPECT_EQ(passes.back().accounts_left, 0u);
  EXPECT_EQ(passes.front().accounts_left, 40u - passes.front().accounts_loaded);
}

// A bulk load's bound counts the process's resident set above the base it
// is given: a bound below what this process already holds narrows the first
// pass to the narrowest range; the same bound above a base of what it holds
// leaves one pass. The documents are the same either way.
TEST(ProjectionEngine, a_bulk_load_counts_the_resident_set_above_its_base_against_its_bound) {
  MemoryEventLog log;
  fill(log, 600, 40);
  auto rebuild = [&](size_t base_bytes, std::map<std::string, std::string>& documents) {
    MemoryProjectionStore store;
    ProjectionEngineOptions o;
    o.memory_bytes_max = size_t{8} << 20;
    o.resident_base_bytes = base_bytes;
    ProjectionEngine engine(store, log, all_stored_projections(), o);
    uint64_t passes = 0;
    EXPECT_TRUE(engine.rebuild({}, [&](const ProjectionProgress& p) { passes += p.pass_done ? 1 : 0; }).ok());
    documents = live_documents(store);
    return passes;
  };
  const size_t resident = resident_set_bytes();
  ASSERT_GT(resident, size_t{8} << 20) << "this test needs a process holding more than its bound";
  std::map<std::string, std::string> whole, narrowest;
  EXPECT_EQ(rebuild(resident, whole), 1u);
  EXPECT_GT(rebuild(0, narrowest), 1u);
  EXPECT_EQ(narrowest, whole);
  EXPECT_GT(whole.size(), 40u);
}

// An account longer than the chunks its events are read in (AccountReader)
// is folded whole by an account pass, its chunks in order.
TEST(ProjectionEngine, an_account_pass_folds_accounts_longer_than_a_read_chunk_whole) {
  MemoryEventLog log;
  fill(log, 3 * static_cast<int>(kAccountChunkEvents) + 300, 3);  // 2 events a command: > 2 chunks an account
  MemoryProjectionStore by_commits, bulk;
  ProjectionEngineOptions commits;
  commits.bulk_load = false;
  ASSERT_TRUE(ProjectionEngine(by_commits, log, all_stored_projections(), commits).catch_up({}).ok());
  ProjectionEngineOptions tiny;
  tiny.memory_bytes_max = 1;
  ProjectionEngine engine(bulk, log, all_stored_projections(), tiny);
  uint64_t by_index = 0;
  ASSERT_TRUE(engine.rebuild({}, [&](const ProjectionProgress& p) {
                      if (p.pass_done && !p.pass_done->reads_log) by_index += p.pass_done->events_read;
                    }).ok());
  EXPECT_EQ(live_documents(bulk), live_documents(by_commits));
  uint64_t left = 0;  // the events of the accounts the first pass left
  for (int a = 0; a < 3; ++a) {
    const std::string account = "acct-" + std::to_string(a);
    if (account_partition(account) < kAccountPartitions / kBulkPassesMax) continue;
    auto events = log.read_account(account, 1, 100000);
    ASSERT_TRUE(events.ok());
    ASSERT_GT(events->size(), 2 * kAccountChunkEvents);
    left += events->size();
  }
  EXPECT_EQ(by_index, left);
}

TEST(ProjectionEngine, verify_names_a_changed_document) {
  MemoryEventLog log;
  fill(log, 40, 4);
  MemoryProjectionStore store;
  ProjectionEngine engine(store, log, all_stored_projections());
  ASSERT_TRUE(engine.catch_up({}).ok());
  const Generation live = *engine.live("accounts");
  std::vector<DocumentWrite> tampered{{live.id, entity::entity_key("acct-2", "users", "c2-user-1"), "\x01" "changed"}};
  ASSERT_TRUE(store.commit(tampered, {}).ok());
  auto diffs = engine.verify({"accounts"}, {});
  ASSERT_TRUE(diffs.ok()) << diffs.error().to_string();
  ASSERT_EQ(diffs->size(), 1u);
  EXPECT_EQ((*diffs)[0].at_seq, 80u);
  EXPECT_EQ((*diffs)[0].compared, 84u);  // 4 headers, 80 users
  EXPECT_EQ((*diffs)[0].differing, 1u);
  EXPECT_EQ((*diffs)[0].first_differing,
            std::vector<std::string>{entity::entity_key("acct-2", "users", "c2-user-1")});
  // The scratch generation is gone; a rebuild repairs the live one.
  auto gens = store.generations();
  for (const auto& g : *gens) EXPECT_NE(g.role, GenerationRole::scratch);
  ASSERT_TRUE(engine.rebuild({"accounts"}, {}).ok());
  EXPECT_EQ((*engine.verify({"accounts"}, {}))[0].differing, 0u);
}

TEST(ProjectionEngine, unknown_names_are_refused_before_anything_is_built) {
  MemoryEventLog log;
  fill(log, 5, 2);
  MemoryProjectionStore store;
  ProjectionEngine engine(store, log, all_stored_projections());
  Status s = engine.rebuild({"accounts", "acounts"}, {});
  ASSERT_EQ(s.code(), StatusCode::invalid_argument);
  EXPECT_NE(s.message().find("'acounts'"), std::string::npos);
  EXPECT_TRUE(store.generations()->empty());
  EXPECT_EQ(engine.verify({}, {}).error().code(), StatusCode::not_found);  // never built
}

TEST(ProjectionEngine, projections_built_from_another_log_are_rebuilt_on_catch_up) {
  MemoryEventLog log, other;
  fill(log, 30, 3, "mine");
  fill(other, 40, 3, "theirs");
  MemoryProjectionStore store;
  {
    ProjectionEngine on_other(store, other, all_stored_projections());
    ASSERT_TRUE(on_other.catch_up({}).ok());
  }
  ProjectionEngine engine(store, log, all_stored_projections());
  const uint64_t foreign = engine.live("accounts")->id;
  ASSERT_TRUE(engine.catch_up({}).ok());
  const Generation now = *engine.live("accounts");
  EXPECT_NE(now.id, foreign);
  EXPECT_EQ(now.checkpoint.seq, 60u);
  EXPECT_EQ((*engine.verify({"accounts"}, {}))[0].differing, 0u);
  MemoryProjectionStore fresh;
  ProjectionEngine clean(fresh, log, all_stored_projections());
  ASSERT_TRUE(clean.catch_up({}).ok());
  EXPECT_EQ(live_documents(store), live_documents(fresh));
}

// A fold whose version the test chooses, to show what a changed fold does.
struct CountDoc {
  uint32_t events = 0;
  MLEDGER_FIELDS(events)
  friend bool operator==(const CountDoc&, const CountDoc&) = default;
};
template <uint32_t V>
struct Counting {
  using Doc = CountDoc;
  static constexpr std::string_view kName = "counts";
  static constexpr uint32_t kVersion = V;
  static void documents_of(const RecordedEvent& e, std::vector<std::string>& ids) {
    ids.insert(ids.end(), e.account_ids.begin(), e.account_ids.end());
  }
  static void apply(Doc& d, const std::string&, const RecordedEvent&) { d.events += V; }
};

std::vector<std::unique_ptr<StoredProjection>> counting(uint32_t version) {
  std::vector<std::unique_ptr<StoredProjection>> out;
  if (version == 1) out.push_back(std::make_unique<TypedProjection<Counting<1>>>());
  if (version == 2) out.push_back(std::make_unique<TypedProjection<Counting<2>>>());
  return out;
}

TEST(ProjectionEngine, a_changed_fold_version_is_stale_until_caught_up_into_a_new_generation) {
  MemoryEventLog log;
  fill(log, 10, 1);
  MemoryProjectionStore store;
  {
    ProjectionEngine v1(store, log, counting(1));
    ASSERT_TRUE(v1.catch_up({}).ok());
    EXPECT_EQ(**store.get(v1.live("counts")->id, entity::header_key("acct-0")), "\x01\x14");  // format 1, 20
  }
  ProjectionEngine v2(store, log, counting(2));
  EXPECT_EQ(status_by_name(v2)["counts"].state, "stale");
  ASSERT_TRUE(v2.catch_up({}).ok());
  const Generation g = *v2.live("counts");
  EXPECT_EQ(g.version, 2u);
  EXPECT_EQ(**store.get(g.id, entity::header_key("acct-0")), "\x01\x28");  // 40
  EXPECT_EQ(status_by_name(v2)["counts"].state, "current");
  EXPECT_EQ(store.generations()->size(), 1u);  // the version-1 generation was dropped
}

TEST(ProjectionEngine, a_document_that_does_not_decode_stops_the_fold_with_a_named_error) {
  MemoryEventLog log;
  fill(log, 4, 2);
  MemoryProjectionStore store;
  ProjectionEngine engine(store, log, all_stored_projections());
  ASSERT_TRUE(engine.catch_up({}).ok());
  std::vector<DocumentWrite> bad{{engine.live("accounts")->id, entity::header_key("acct-1"), "not binary"}};
  ASSERT_TRUE(store.commit(bad, {}).ok());
  fill(log, 2, 2, "later");
  // A new engine (the next process: the one that wrote keeps its documents
  // decoded, as only it writes them) meets the damage when it reads.
  ProjectionEngine reopened(store, log, all_stored_projections());
  Status s = reopened.catch_up({});
  ASSERT_EQ(s.code(), StatusCode::corruption);
  EXPECT_NE(s.message().find("accounts document of acct-1"), std::string::npos) << s.message();
}

TEST(Projector, keeps_projections_current_while_a_writer_appends_and_catches_up_on_stop) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.sub("ledger");
  auto log = RocksDbEventLog::open(options);
  ASSERT_TRUE(log.ok());
  RocksDbProjectionStoreOptions store_options;
  store_options.path = dir.sub("projections");
  auto store = RocksDbProjectionStore::open(store_options);
  ASSERT_TRUE(store.ok());
  ProjectionEngine engine(**store, **log, all_stored_projections());
  Projector projector(engine, **log, std::chrono::milliseconds(5));
  for (int round = 0; round < 5; ++round) {
    fill(**log, 20, 5, "r" + std::to_string(round) + "-");
    projector.notify();
  }
  ASSERT_TRUE(projector.stop().ok());
  EXPECT_EQ(projector.caught_up_to(), 200u);
  for (auto& [name, s] : status_by_name(engine)) EXPECT_EQ(s.lag, 0u) << name;
  auto diffs = engine.verify({}, {});
  ASSERT_TRUE(diffs.ok());
  for (const auto& d : *diffs) EXPECT_EQ(d.differing, 0u) << d.name;
}

}  // namespace
}  // namespace mledger
