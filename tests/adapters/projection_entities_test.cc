// Read models at the grain of the entity (issue 13): the per-event "touched"
// functions find every change a full comparison finds; the engine's entity
// documents, put back together, equal the whole-account fold (the old stored
// form) for random ledgers, and so do the paged read models; retired entities
// keep their last document in the archive range while deleted ones go; pages
// neither repeat nor skip an entity while events are appended between them.

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "adapters/json/command_json.h"
#include "adapters/ledger/ledger.h"
#include "adapters/memory/memory_event_log.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "adapters/projections/all_stored_projections.h"
#include "adapters/projections/memory_projection_store.h"
#include "adapters/projections/projection_engine.h"
#include "adapters/projections/read_models.h"
#include "tests/projections/random_ledger.h"
#include "tests/support/append_recorded.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

using projections::AccountsProjection;
using projections::AllProjections;
using projections::testing::RandomLedger;

const std::vector<std::string> kAccounts = {"contoso", "fabrikam", "northwind"};

// Every entity of the Doc, encoded, by (kind, id).
template <class P>
std::map<std::pair<std::string, std::string>, std::string> all_entities(const typename P::Doc& doc) {
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (std::string_view kind : entity::kinds_of<P>()) {
    entity::with_kind(doc, kind, [&](const auto& c) {
      entity::for_each_entity(c, [&](const std::string& id, std::string bytes) {
        out[{std::string(kind), id}] = std::move(bytes);
      });
    });
  }
  return out;
}

template <class P>
void expect_touched_finds_every_change(uint64_t seed) {
  RandomLedger ledger(seed, kAccounts);
  std::map<std::string, typename P::Doc> docs;
  std::vector<std::string> ids;
  for (const RecordedEvent& e : ledger.next(1500)) {
    ids.clear();
    P::documents_of(e, ids);
    for (const std::string& a : ids) {
      typename P::Doc& doc = docs[a];
      projections::Touched t;
      P::touched(doc, a, e, t);
      const auto before = all_entities<P>(doc);
      P::apply(doc, a, e);
      const auto after = all_entities<P>(doc);
      std::set<std::pair<std::string, std::string>> full, targeted;
      for (const auto& [key, bytes] : before) {
        auto it = after.find(key);
        if (it == after.end() || it->second != bytes) full.insert(key);
      }
      for (const auto& [key, bytes] : after) {
        if (!before.contains(key)) full.insert(key);
      }
      for (const auto& key : full) {
        const bool named = t.everything ||
                           std::find(t.kinds.begin(), t.kinds.end(), key.first) != t.kinds.end() ||
                           std::find(t.entities.begin(), t.entities.end(),
                                     projections::EntityRef{key.first, key.second}) != t.entities.end();
        if (named) targeted.insert(key);
      }
      ASSERT_EQ(targeted, full) << P::kName << " seed " << seed << " event " << e.seq << " "
                                << event_type_name(e.payload) << " of " << a;
    }
  }
}

TEST(EntityDocuments, the_touched_entities_of_each_event_hold_every_change_a_full_diff_finds) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    std::apply([&](auto... p) { (expect_touched_finds_every_change<decltype(p)>(seed), ...); },
               AllProjections{});
  }
}

void append_all(EventLog& log, const std::vector<RecordedEvent>& events) { testing::append_recorded(log, events); }

// Every page of a collection read model, concatenated; the whole answer of another.
nlohmann::json all_pages(EventLog& log, ProjectionStore& store, ProjectionEngine& engine,
                         const ReadModel& model, const std::string& account, uint64_t limit) {
  PageRequest page;
  if (!model.kind.empty()) page.limit = limit;
  nlohmann::json items = nlohmann::json::array();
  for (int pages = 0; pages < 10000; ++pages) {
    auto answer = query_read_model(log, store, engine, model, account, page);
    EXPECT_TRUE(answer.ok()) << answer.error().to_string();
    if (!answer.ok() || !answer->has_value()) return nullptr;
    const nlohmann::json& a = **answer;
    if (model.kind.empty()) return a["data"];
    EXPECT_LE(a["data"].size(), limit);
    for (const auto& item : a["data"]) items.push_back(item);
    if (a["next"].is_null()) return items;
    page.after = a["next"].get<std::string>();
  }
  ADD_FAILURE() << "paging did not end";
  return items;
}

// The old whole-account view's entities, as the paged model lists them.
nlohmann::json whole_items(const ReadModel& model, const nlohmann::json& whole) {
  const std::string n(model.name);
  if (n == "benefits") return whole["benefits"];
  if (n == "assignments") return whole["users"];
  nlohmann::json out = nlohmann::json::array();
  if (n == "orders") {
    for (const auto& [id, o] : whole["orders"].items()) out.push_back(o);
  } else if (n == "keys") {
    for (const auto& [id, k] : whole["issued"].items()) out.push_back(k);
  } else {
    return whole;  // users, redeemed_keys and the whole models are already so
  }
  return out;
}

// Each account's entity documents in every projection, and each read model's
// pages joined, equal its whole-account fold (fold_account_as_of, what
// `mledger audit state` folds) and the read model made from it.
void expect_entities_equal_the_whole_fold(MemoryEventLog& log, ProjectionStore& store, ProjectionEngine& engine,
                                          const std::vector<std::string>& accounts, const std::string& label) {
  for (const std::string& account : accounts) {
    auto folded = fold_account_as_of(log, account, AsOf{});
    ASSERT_TRUE(folded.ok());
    const projections::AccountDocs& old = folded->docs;
    auto state = entity::load_account<AccountsProjection>(store, engine.live("accounts")->id, account);
    ASSERT_TRUE(state.ok() && state->has_value()) << account;
    EXPECT_TRUE(**state == old.accounts) << label << " " << account;
    auto orders = entity::load_account<projections::OrdersProjection>(store, engine.live("orders")->id, account);
    ASSERT_TRUE(orders.ok());
    EXPECT_TRUE(orders->value_or(projections::AccountOrders{}) == old.orders) << label << " " << account;
    auto keys = entity::load_account<projections::KeysProjection>(store, engine.live("keys")->id, account);
    ASSERT_TRUE(keys.ok());
    EXPECT_TRUE(keys->value_or(projections::AccountKeys{}) == old.keys) << label << " " << account;
    auto merges = entity::load_account<projections::MergesProjection>(store, engine.live("merges")->id, account);
    ASSERT_TRUE(merges.ok());
    EXPECT_TRUE(merges->value_or(projections::AccountMerges{}) == old.merges) << label << " " << account;
    for (const ReadModel& m : read_models()) {
      if (m.projection.empty()) continue;
      const nlohmann::json want = whole_items(m, read_model_json(m, old, account));
      EXPECT_EQ(all_pages(log, store, engine, m, account, 3), want) << label << " " << account << " " << m.name;
    }
  }
}

TEST(EntityDocuments, equal_the_whole_account_fold_and_its_views_for_random_ledgers) {
  for (uint64_t seed : {3u, 17u, 2026u}) {
    MemoryEventLog log;
    RandomLedger ledger(seed, kAccounts);
    MemoryProjectionStore store;
    ProjectionEngineOptions o;
    o.read_batch_events = 7;
    o.commit_every_events = 40;
    o.memory_bytes_max = 4 * 4 * kDecodedBytesPerStoredByte * 3000 / 3;  // 3000 stored bytes cached per projection:
                                                                     // accounts are evicted and loaded back
    o.kept_bytes_max = kDecodedBytesPerStoredByte * 2000;
    ProjectionEngine engine(store, log, all_stored_projections(), o);
    for (int round = 0; round < 3; ++round) {
      append_all(log, ledger.next(400));
      ASSERT_TRUE(engine.catch_up({}).ok());
    }
    expect_entities_equal_the_whole_fold(log, store, engine, kAccounts, "seed " + std::to_string(seed));
    auto differences = engine.verify({}, {});
    ASSERT_TRUE(differences.ok());
    for (const auto& d : *differences) EXPECT_EQ(d.differing, 0u) << d.name;
  }
}

// The demo (docs/demo: scenario.jsonl and company-year.jsonl, a company's
// year of every kind of command) decided by the ledger: every account's
// entity documents, caught up and rebuilt, equal its whole-account fold.
TEST(EntityDocuments, equal_the_whole_account_fold_and_its_views_for_the_demo_year) {
  MemoryEventLog log;
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  GroupCommitWriter writer{log, GroupCommitOptions{}};
  Ledger ledger(log, writer, clock, ids, LedgerOptions{});
  size_t accepted = 0;
  for (const char* file : {"/docs/demo/scenario.jsonl", "/docs/demo/company-year.jsonl"}) {
    std::ifstream in(std::string(MLEDGER_SOURCE_DIR) + file);
    ASSERT_TRUE(in.good()) << file;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto parsed = json::parse_command(line, Instant{1'767'600'000'000'000});
      ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
      auto r = ledger.execute(parsed->command, parsed->digest);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      accepted += r->kind == CommandResult::Kind::accepted ? 1 : 0;
    }
  }
  EXPECT_GE(accepted, 30u);
  auto events = log.read_global(1, 100000);
  ASSERT_TRUE(events.ok());
  std::set<std::string> named;
  for (const RecordedEvent& e : *events) named.insert(e.account_ids.begin(), e.account_ids.end());
  const std::vector<std::string> accounts(named.begin(), named.end());
  ASSERT_GE(accounts.size(), 2u);
  MemoryProjectionStore store;
  ProjectionEngineOptions by_commits;
  by_commits.bulk_load = false;
  by_commits.commit_every_events = 25;
  ProjectionEngine engine(store, log, all_stored_projections(), by_commits);
  ASSERT_TRUE(engine.catch_up({}).ok());
  expect_entities_equal_the_whole_fold(log, store, engine, accounts, "caught up");
  ProjectionEngine bulk(store, log, all_stored_projections());
  ASSERT_TRUE(bulk.rebuild({}, {}).ok());
  expect_entities_equal_the_whole_fold(log, store, bulk, accounts, "rebuilt");
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

// Appends 3,000 random events of `accounts` to `log` and folds them by
// commits (every 500 events, no bulk load): the documents a bulk load must equal.
std::map<std::string, std::string> random_ledger_folded_by_commits(MemoryEventLog& log, uint64_t seed,
                                                                   const std::vector<std::string>& accounts) {
  RandomLedger ledger(seed, accounts);
  append_all(log, ledger.next(3000));
  MemoryProjectionStore by_commits;
  ProjectionEngineOptions commits;
  commits.bulk_load = false;
  commits.commit_every_events = 500;
  EXPECT_TRUE(ProjectionEngine(by_commits, log, all_stored_projections(), commits).catch_up({}).ok());
  return live_documents(by_commits);
}

// A rebuild bulk loads its generations (accounts folded whole in memory, a
// range of partitions per pass, written sorted at the end of each pass; the
// passes after the first read their accounts' events by the account index):
// in one pass, or in the most passes a tiny bound gives, its documents equal
// those the fold by commits writes event by event.
TEST(EntityDocuments, a_bulk_load_in_one_pass_or_in_many_equals_the_fold_by_commits_for_random_ledgers) {
  std::vector<std::string> accounts;
  for (int i = 0; i < 40; ++i) accounts.push_back("acct-" + std::to_string(i));
  for (uint64_t seed : {5u, 29u}) {
    MemoryEventLog log;
    const auto expected = random_ledger_folded_by_commits(log, seed, accounts);
    ASSERT_GT(expected.size(), 400u);
    for (size_t bound : {size_t{1} << 30, size_t{1}}) {
      MemoryProjectionStore bulk;
      ProjectionEngineOptions o;
      o.memory_bytes_max = bound;
      ProjectionEngine engine(bulk, log, all_stored_projections(), o);
      uint64_t read = 0;
      ASSERT_TRUE(engine.rebuild({}, [&](const ProjectionProgress& p) { read = p.done; }).ok());
      EXPECT_EQ(live_documents(bulk), expected) << "seed " << seed << " bound " << bound;
      // One pass under a large bound. Under a tiny one, the narrowest
      // ranges: the log once (the first range), then each account of the
      // others by its own events.
      uint64_t by_account = 0;
      for (const auto& a : accounts) {
        if (account_partition(a) < kAccountPartitions / kBulkPassesMax) continue;
        auto events = log.read_account(a, 1, 10000);
        ASSERT_TRUE(events.ok());
        by_account += events->size();
      }
      EXPECT_EQ(read, bound == 1 ? 3000 + by_account : 3000u) << "seed " << seed;
      auto status = engine.status();
      ASSERT_TRUE(status.ok());
      for (const auto& p : *status) EXPECT_EQ(p.state, "current") << p.name;
    }
  }
}

// Documents written by a BulkFolder, in the order added.
class CollectedLoad final : public BulkLoad {
 public:
  Status add(std::string_view key, std::string_view value) override {
    documents.emplace_back(key, value);
    return Status::Ok();
  }
  Status finish(const BulkProgress&) override { return Status::Ok(); }
  AccountDocuments documents;
};

// An account spilled after event k (its documents as folded so far) and
// restored "through k" folds on from there: the events up to k are not
// folded again, so folding the whole log into the restored accounts gives
// the documents of one fold from event 1, in every projection; what the
// folder held of an account before it is restored is replaced.
TEST(EntityDocuments, documents_restored_through_an_event_fold_on_from_it_as_one_fold_from_event_1) {
  std::vector<std::string> accounts;
  for (int i = 0; i < 12; ++i) accounts.push_back("acct-" + std::to_string(i));
  RandomLedger ledger(17, accounts);
  const std::vector<RecordedEvent> events = ledger.next(2000);
  for (const auto& projection : all_stored_projections()) {
    for (size_t k : {size_t{1}, size_t{700}, size_t{1999}}) {
      auto whole = projection->bulk_folder();
      auto first = projection->bulk_folder();
      for (const RecordedEvent& e : events) {
        ASSERT_TRUE(whole->apply(e, 0, kAccountPartitions).ok());
        if (e.seq <= events[k - 1].seq) {
          ASSERT_TRUE(first->apply(e, 0, kAccountPartitions).ok());
        }
      }
      std::vector<std::pair<std::string, AccountDocuments>> spilled;
      ASSERT_TRUE(first->spill_from(0, [&](const std::string& account, const AccountDocuments& documents) {
                         spilled.emplace_back(account, documents);
                         return Status::Ok();
                       }).ok());
      EXPECT_EQ(first->accounts_held(), 0u);  // spilled accounts are forgotten
      // What a later spilled event folded into an account before its
      // documents were read back is replaced by them.
      auto restored = projection->bulk_folder();
      for (size_t i = 0; i < std::min<size_t>(k, 50); ++i) ASSERT_TRUE(restored->apply(events[i], 0, kAccountPartitions).ok());
      for (const auto& [account, documents] : spilled) {
        ASSERT_TRUE(restored->restore(account, events[k - 1].seq, documents).ok()) << account;
      }
      for (const RecordedEvent& e : events) ASSERT_TRUE(restored->apply(e, 0, kAccountPartitions).ok());
      CollectedLoad expected, got;
      ASSERT_TRUE(whole->write(expected).ok());
      ASSERT_TRUE(restored->write(got).ok());
      EXPECT_EQ(got.documents, expected.documents) << projection->name() << " through " << k;
      EXPECT_FALSE(expected.documents.empty()) << projection->name();
    }
  }
}

// Documents that do not decode are refused, naming the account.
TEST(EntityDocuments, restoring_documents_that_do_not_decode_is_corruption) {
  auto folder = all_stored_projections().front()->bulk_folder();
  Status s = folder->restore("acct-1", 5, {{std::string("acct-1\0", 7), "\xff\xff"}});
  EXPECT_EQ(s.code(), StatusCode::corruption);
  EXPECT_NE(s.message().find("acct-1"), std::string::npos) << s.message();
  s = folder->restore("acct-1", 5, {{std::string("acct-1\0nokind\0x", 15), "\x01"}});
  EXPECT_EQ(s.code(), StatusCode::corruption);
  EXPECT_NE(s.message().find("nokind"), std::string::npos) << s.message();
}

// With a spill, the passes after the first read what the first pass set
// aside (the documents of the accounts it left, as folded when it narrowed
// its range, and their events from then on, routed by the reader without
// decoding those that name no account the pass folds) instead of the account index:
// the same documents, whether the spill's buckets are read whole or cut by
// the narrowest ranges, and the spill is gone afterwards. A spill bound too
// small for what is left of the log keeps the account index.
TEST(EntityDocuments, a_bulk_load_through_its_spill_equals_the_fold_by_commits_for_random_ledgers) {
  std::vector<std::string> accounts;
  for (int i = 0; i < 40; ++i) accounts.push_back("acct-" + std::to_string(i));
  for (uint64_t seed : {7u, 31u}) {
    MemoryEventLog log;
    const auto expected = random_ledger_folded_by_commits(log, seed, accounts);
    ASSERT_GT(expected.size(), 400u);
    for (auto [spill_max, batch] : {std::pair{uint64_t{1} << 30, size_t{300}}, std::pair{uint64_t{1} << 30, size_t{20}},
                                    std::pair{uint64_t{1000}, size_t{300}}}) {
      testing::TempDir tmp;
      MemoryProjectionStore bulk;
      ProjectionEngineOptions o;
      o.memory_bytes_max = 1;       // the first pass narrows at its first batch, later ones too
      o.read_batch_events = batch;  // 300: the spill holds documents folded from 300 events;
                                    // 20: most batches are read once the reader routes them
      o.spill_directory = tmp.sub("spill");
      o.spill_bytes_max = spill_max;
      ProjectionEngine engine(bulk, log, all_stored_projections(), o);
      uint64_t passes = 0, spilled = 0, by_index = 0, spill_bytes = 0;
      ASSERT_TRUE(engine.rebuild({}, [&](const ProjectionProgress& p) {
                          if (!p.pass_done) return;
                          ++passes;
                          spilled += p.pass_done->reads_spill ? 1 : 0;
                          by_index += !p.pass_done->reads_log && !p.pass_done->reads_spill ? 1 : 0;
                          spill_bytes = std::max(spill_bytes, p.pass_done->spill_bytes);
                        }).ok());
      EXPECT_EQ(live_documents(bulk), expected) << "seed " << seed << " spill bound " << spill_max << " batch " << batch;
      EXPECT_GT(passes, kSpillBuckets);  // the narrowest ranges cut buckets
      if (spill_max > 1000) {
        EXPECT_EQ(spilled, passes - 1);
        EXPECT_GT(spill_bytes, 3000u * 100);
      } else {
        EXPECT_EQ(by_index, passes - 1);
        EXPECT_EQ(spill_bytes, 0u);
      }
      EXPECT_FALSE(std::filesystem::exists(o.spill_directory));
    }
  }
}

// The accounts projection with a retirement rule, as the domain's
// retire_closed will give one: cancelled orders leave the state.
struct RetiringAccounts : AccountsProjection {
  static void retired(Doc& doc, const RecordedEvent&, std::vector<projections::EntityRef>& out) {
    for (auto it = doc.orders.begin(); it != doc.orders.end();) {
      if (it->second.status != OrderStatus::cancelled) {
        ++it;
        continue;
      }
      out.push_back({"orders", it->first});
      it = doc.orders.erase(it);
    }
  }
};

TEST(EntityDocuments, a_retired_entity_keeps_its_last_document_in_the_archive_and_a_removed_one_goes) {
  using projections::testing::on_account;
  const Instant t = projections::testing::day(2026, 3, 2, 9);
  PartnerAccountEnrolled enrolled;
  enrolled.account_id = "contoso";
  OrderPlaced first, second;
  first.order_id = "o-1";
  second.order_id = "o-2";
  const std::vector<RecordedEvent> events = {
      on_account(1, "contoso", enrolled, t),
      on_account(2, "contoso", UserAdded{"contoso", "u-1", "a@c", "A", false, {Role::global_admin}}, t),
      on_account(3, "contoso", UserAdded{"contoso", "u-2", "b@c", "B", false, {}}, t),
      on_account(4, "contoso", first, t),
      on_account(5, "contoso", second, t),
      on_account(6, "contoso", OrderCancelled{"o-1"}, t),
      on_account(7, "contoso", UserRemoved{"u-2"}, t),
  };
  MemoryProjectionStore store;
  auto g = store.create_generation("accounts", 1, GenerationRole::building);
  ASSERT_TRUE(g.ok());
  for (bool commit_each : {true, false}) {
    auto gen = commit_each ? *g : *store.create_generation("accounts", 1, GenerationRole::building);
    TypedFolder<RetiringAccounts> folder(store, gen.id);
    std::vector<DocumentWrite> writes;
    for (const RecordedEvent& e : events) {
      ASSERT_TRUE(folder.apply(e).ok());
      if (commit_each) {
        folder.take_writes(writes);
        ASSERT_TRUE(store.commit(writes, {}).ok());
        writes.clear();
      }
    }
    folder.take_writes(writes);
    ASSERT_TRUE(store.commit(writes, {}).ok());
    auto live_order = store.get(gen.id, entity::entity_key("contoso", "orders", "o-1"));
    EXPECT_FALSE(live_order->has_value()) << "retired from the present";
    auto archived = store.get(gen.id, entity::archive_key("contoso", "orders", "o-1"));
    ASSERT_TRUE(archived->has_value());
    Order last;
    ASSERT_TRUE(document::decode_document(**archived, last).ok());
    EXPECT_EQ(last.status, OrderStatus::cancelled);  // its last state, cancelled
    EXPECT_TRUE(store.get(gen.id, entity::entity_key("contoso", "orders", "o-2"))->has_value());
    EXPECT_FALSE(store.get(gen.id, entity::entity_key("contoso", "users", "u-2"))->has_value()) << "removed";
    EXPECT_FALSE(store.get(gen.id, entity::archive_key("contoso", "users", "u-2"))->has_value());
    auto loaded = entity::load_account<AccountsProjection>(store, gen.id, "contoso");
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ((*loaded)->orders.size(), 1u) << "the archive is not loaded into the present";
    EXPECT_EQ((*loaded)->users.size(), 1u);
  }
  // A bulk load writes the same documents, the archive included.
  std::map<std::string, std::string> folded;
  ASSERT_TRUE(store.scan(g->id, "", [&](std::string_view k, std::string_view v) {
                     folded.emplace(k, v);
                     return true;
                   }).ok());
  auto bulk_gen = store.create_generation("accounts", 1, GenerationRole::building);
  TypedBulkFolder<RetiringAccounts> bulk;
  for (const RecordedEvent& e : events) ASSERT_TRUE(bulk.apply(e, 0, kAccountPartitions).ok());
  auto load = store.bulk_load(bulk_gen->id);
  ASSERT_TRUE(load.ok());
  ASSERT_TRUE(bulk.write(**load).ok());
  ASSERT_TRUE((*load)->finish(BulkProgress{{7, {}}, kAccountPartitions}).ok());
  std::map<std::string, std::string> loaded_docs;
  ASSERT_TRUE(store.scan(bulk_gen->id, "", [&](std::string_view k, std::string_view v) {
                     loaded_docs.emplace(k, v);
                     return true;
                   }).ok());
  EXPECT_EQ(loaded_docs, folded);
}

TEST(EntityDocuments, pages_neither_repeat_nor_skip_an_entity_while_events_are_appended_between_them) {
  MemoryEventLog log;
  auto add_users = [&](const std::string& tag, int n) {
    auto version = log.stream_version("account-contoso");
    ASSERT_TRUE(version.ok());
    auto out = log.append_batch(std::vector<AppendRequest>{
        testing::user_added_request(tag, "account-contoso", *version, "contoso", n)});
    ASSERT_TRUE(out.ok());
    ASSERT_EQ((*out)[0].status, AppendStatus::appended);
  };
  add_users("m", 40);  // users m-user-0 .. m-user-39
  MemoryProjectionStore store;
  ProjectionEngine engine(store, log, all_stored_projections());
  ASSERT_TRUE(engine.catch_up({}).ok());
  std::set<std::string> at_start;
  for (int i = 0; i < 40; ++i) at_start.insert("m-user-" + std::to_string(i));

  for (const char* name : {"users", "assignments"}) {
    const ReadModel& model = *find_read_model(name);
    std::vector<std::string> seen;
    PageRequest page;
    page.limit = 6;
    for (int p = 0;; ++p) {
      auto answer = query_read_model(log, store, engine, model, "contoso", page);
      ASSERT_TRUE(answer.ok() && answer->has_value());
      for (const auto& u : (**answer)["data"]) seen.push_back(u["user_id"]);
      // Users that sort before, among and after the ones listed so far.
      add_users(std::string(name) + "-a" + std::to_string(p), 2);
      add_users(std::string(name) + "-z" + std::to_string(p), 2);
      add_users("m-user-1" + std::to_string(p) + name, 1);
      ASSERT_TRUE(engine.catch_up({}).ok());
      if ((**answer)["next"].is_null()) break;
      page.after = (**answer)["next"].get<std::string>();
      ASSERT_LT(p, 100);
    }
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << name << ": a user was listed twice";
    for (const auto& u : at_start) EXPECT_TRUE(unique.contains(u)) << name << ": " << u << " skipped";
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << name;
  }
}

TEST(EntityDocuments, paging_parameters_out_of_range_are_named) {
  const ReadModel& users = *find_read_model("users");
  const ReadModel& profile = *find_read_model("profile");
  const ReadModel& timeline = *find_read_model("timeline");
  EXPECT_EQ(page_problem(users, PageRequest{}), "");
  EXPECT_EQ(page_problem(users, PageRequest{std::nullopt, 0, std::nullopt}), "limit must be from 1 to 1000");
  EXPECT_EQ(page_problem(users, PageRequest{std::nullopt, 1001, std::nullopt}), "limit must be from 1 to 1000");
  EXPECT_EQ(page_problem(users, PageRequest{5, std::nullopt, std::nullopt}), "from_seq is for the timeline only");
  EXPECT_NE(page_problem(users, PageRequest{std::nullopt, 5, std::string(1025, 'a')}), "");
  EXPECT_EQ(page_problem(profile, PageRequest{std::nullopt, 5, std::nullopt}),
            "read model profile answers whole: it takes no limit or after");
  EXPECT_EQ(page_problem(timeline, PageRequest{std::nullopt, 10000, std::nullopt}), "");
  EXPECT_NE(page_problem(timeline, PageRequest{std::nullopt, 5, std::string("x")}), "");
}

}  // namespace
}  // namespace mledger
