// The ledger's cache of folded aggregate states (adapters/ledger/aggregate_cache.h):
// bounded, least recently used first, never ahead of the log; a ledger with it
// decides exactly as one without it, also when its cached states are behind the
// log (another ledger appended meanwhile).
// covers R-LED-02, R-ROLE-03

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "adapters/ledger/aggregate_cache.h"
#include "adapters/ledger/ledger.h"
#include "adapters/ledger/log_aggregates.h"
#include "adapters/memory/memory_event_log.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "domain/core/streams.h"
#include "tests/support/fixtures.h"

namespace mledger {
namespace {

CachedAggregate key_state_at(uint64_t version) {
  KeyState k;
  k.redeemed = version % 2 == 0;
  return CachedAggregate{std::make_shared<const AggregateState>(k), version};
}

TEST(AggregateCache, keeps_at_most_streams_max_and_evicts_the_least_recently_used) {
  AggregateCache cache(2);
  cache.store("key-a", key_state_at(1));
  cache.store("key-b", key_state_at(1));
  ASSERT_TRUE(cache.find("key-a").has_value());  // a is now the most recent
  cache.store("key-c", key_state_at(1));         // evicts b
  EXPECT_TRUE(cache.find("key-a").has_value());
  EXPECT_FALSE(cache.find("key-b").has_value());
  EXPECT_TRUE(cache.find("key-c").has_value());
  const AggregateCacheStats s = cache.stats();
  EXPECT_EQ(s.streams, 2u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.hits, 3u);
  EXPECT_EQ(s.misses, 1u);
}

TEST(AggregateCache, keeps_the_later_version_of_a_stream) {
  AggregateCache cache(4);
  cache.store("key-a", key_state_at(4));
  cache.store("key-a", key_state_at(3));  // a slower caller's older fold
  auto hit = cache.find("key-a");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->version, 4u);
  EXPECT_TRUE(std::get<KeyState>(*hit->state).redeemed);
  cache.store("key-a", key_state_at(5));
  EXPECT_EQ(cache.find("key-a")->version, 5u);
}

TEST(AggregateCache, of_size_zero_keeps_nothing) {
  AggregateCache cache(0);
  cache.store("key-a", key_state_at(1));
  EXPECT_FALSE(cache.find("key-a").has_value());
  EXPECT_EQ(cache.stats().streams, 0u);
}

// The demo's commands (two files, 41 commands of every kind: enrollments,
// orders, payments, keys, benefits, merges) as parsed documents; with a
// `suffix`, each under the command id + suffix (new commands, same content).
std::vector<json::ParsedCommand> demo_commands(const std::string& suffix = "") {
  std::vector<json::ParsedCommand> out;
  for (const char* file : {"/docs/demo/scenario.jsonl", "/docs/demo/company-year.jsonl"}) {
    std::ifstream in(std::string(MLEDGER_SOURCE_DIR) + file);
    EXPECT_TRUE(in.good()) << file;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto doc = nlohmann::json::parse(line);
      doc["command_id"] = doc["command_id"].get<std::string>() + suffix;
      auto p = json::parse_command(doc.dump(), Instant{1'767'600'000'000'000});
      EXPECT_TRUE(p.ok()) << p.error().to_string();
      if (p.ok()) out.push_back(std::move(p.value()));
    }
  }
  EXPECT_GE(out.size(), 40u);
  return out;
}

struct DemoRun {
  std::vector<std::string> outcomes;  // per command: kind and rejection code
  LogDigest digest;
  AggregateCacheStats cache;
};

std::string outcome_of(const StatusOr<CommandResult>& r) {
  if (!r.ok()) return "failed: " + r.error().to_string();
  switch (r->kind) {
    case CommandResult::Kind::accepted: return "accepted " + std::to_string(r->events.size());
    case CommandResult::Kind::duplicate: return "duplicate";
    case CommandResult::Kind::rejected: return "rejected " + std::string(code_name(r->rejection->code));
  }
  return "?";
}

// A fresh in-memory log, its writer, and a ledger over them (deterministic
// clock and ids, so equal command sequences give equal logs).
struct Rig {
  explicit Rig(LedgerOptions options = {}) : ledger(log, writer, clock, ids, std::move(options)) {}
  MemoryEventLog log;
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  GroupCommitWriter writer{log, GroupCommitOptions{}};
  Ledger ledger;
};

// Runs the demo three times on a fresh log with the given cache size, one by
// one or a batch per pass: as written; again (every command a duplicate); and
// under new command ids (decided over the states the first pass left: mostly
// rejections, some accepted).
DemoRun run_demo(size_t cache_streams, bool batch) {
  LedgerOptions options;
  options.aggregate_cache_streams_max = cache_streams;
  Rig rig(options);
  Ledger& ledger = rig.ledger;
  const auto demo = demo_commands();
  const auto again = demo_commands("-again");
  DemoRun run;
  for (const auto* pass : {&demo, &demo, &again}) {
    const auto& commands = *pass;
    if (batch) {
      std::vector<BatchItem> items;
      for (const auto& c : commands) items.push_back(BatchItem{&c.command, c.digest});
      for (const auto& r : ledger.execute_batch(items)) run.outcomes.push_back(outcome_of(r));
    } else {
      for (const auto& c : commands) run.outcomes.push_back(outcome_of(ledger.execute(c.command, c.digest)));
    }
  }
  auto digest = rig.log.digest();
  EXPECT_TRUE(digest.ok());
  if (digest.ok()) run.digest = *digest;
  run.cache = ledger.aggregate_cache_stats();
  return run;
}

TEST(LedgerAggregateCache, decides_the_demo_exactly_as_without_a_cache) {
  const DemoRun reference = run_demo(0, false);
  EXPECT_EQ(reference.cache.hits, 0u);
  ASSERT_GT(reference.digest.seq, 80u);
  size_t accepted = 0, rejected = 0;
  for (const auto& o : reference.outcomes) {
    accepted += o.starts_with("accepted");
    rejected += o.starts_with("rejected");
  }
  EXPECT_GT(accepted, 30u);
  EXPECT_GT(rejected, 0u);  // the demo shows rules saying no, too

  for (const size_t streams : {size_t{1}, size_t{3}, size_t{20000}}) {
    for (const bool batch : {false, true}) {
      SCOPED_TRACE("cache of " + std::to_string(streams) + (batch ? ", as one batch" : ", one by one"));
      const DemoRun cached = run_demo(streams, batch);
      EXPECT_EQ(cached.outcomes, reference.outcomes);
      EXPECT_EQ(cached.digest.seq, reference.digest.seq);
      EXPECT_EQ(cached.digest.head, reference.digest.head) << "the logs differ";
      // (A batch keeps its own states: it meets the cache only in the next
      // pass, after the small caches have turned over.)
      if (!batch || streams > 100) {
        EXPECT_GT(cached.cache.hits, 0u);
      }
      EXPECT_LE(cached.cache.streams, streams);
      if (streams == 1) {
        EXPECT_GT(cached.cache.evictions, 0u);
      }
    }
  }
}

// Two ledgers, each with its own cache, over one log and writer.
struct TwoLedgers {
  Rig rig;
  Ledger& a = rig.ledger;
  Ledger b{rig.log, rig.writer, rig.clock, rig.ids, LedgerOptions{}};
  int next_id = 0;

  StatusOr<CommandResult> run(Ledger& ledger, CommandBody body) {
    Command c{testing::user_context("contoso", "u-contoso", "c" + std::to_string(++next_id)), std::move(body)};
    return ledger.execute(c, sha256({c.context.command_id}));
  }
};

TEST(LedgerAggregateCache, a_cached_state_behind_the_log_is_caught_up_before_a_decision) {
  TwoLedgers t;
  const AddUser bob{"bob", "bob@contoso.de", "Bob", false, {}};
  ASSERT_EQ(t.run(t.a, testing::valid_enrollment())->kind, CommandResult::Kind::accepted);
  ASSERT_EQ(t.run(t.a, bob)->kind, CommandResult::Kind::accepted);
  // a's cache now holds contoso with bob; b removes him behind a's back.
  ASSERT_EQ(t.run(t.b, RemoveUser{"bob"})->kind, CommandResult::Kind::accepted);
  const uint64_t hits_before = t.a.aggregate_cache_stats().hits;

  // Decided over the cached state alone, this would be user_already_exists.
  auto again = t.run(t.a, bob);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, CommandResult::Kind::accepted)
      << (again->rejection ? std::string(code_name(again->rejection->code)) : "");
  EXPECT_GT(t.a.aggregate_cache_stats().hits, hits_before) << "the cached state was not used";
  // And the other way: b's cache (bob removed) is behind a's re-adding.
  auto twice = t.run(t.b, bob);
  ASSERT_TRUE(twice.ok());
  ASSERT_EQ(twice->kind, CommandResult::Kind::rejected);
  EXPECT_EQ(twice->rejection->code, RejectionCode::user_already_exists);
  auto state = t.a.account_state("contoso");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->users.contains("bob"));
}

// A state is shared with the cache, not copied, until a decision changes it;
// the change goes into a copy (the cached state stays the fold of the log, as
// the cache's contract needs, until the events are durable), and that copy is
// what the cache then holds: one copy per command, none to read.
TEST(LedgerAggregateCache, a_state_is_copied_once_when_changed_and_handed_to_the_cache) {
  TwoLedgers t;
  ASSERT_EQ(t.run(t.a, testing::valid_enrollment())->kind, CommandResult::Kind::accepted);
  AggregateCache cache(10);
  const std::string stream = account_stream("contoso");
  {
    LogAggregates first(t.rig.log, &cache);
    (void)first.account("contoso");  // folded from the log, stored
  }
  auto cached = cache.find(stream);
  ASSERT_TRUE(cached);
  const auto* cached_state = &std::get<AccountState>(*cached->state);

  LogAggregates aggregates(t.rig.log, &cache);
  const AccountState& read = aggregates.account("contoso");
  EXPECT_EQ(&read, cached_state) << "a read copied the cached state";
  auto request = testing::user_added_request("c-new", stream, cached->version, "contoso");
  aggregates.apply_accepted(request.events, Instant{1'767'603'600'000'000});
  const AccountState& changed = aggregates.account("contoso");
  EXPECT_NE(&changed, cached_state);
  EXPECT_TRUE(changed.users.contains("c-new-user-0"));
  EXPECT_FALSE(cached_state->users.contains("c-new-user-0")) << "the shared state was changed in place";
  EXPECT_EQ(cache.find(stream)->version, cached->version) << "stored before durable";

  aggregates.remember_durable();
  auto after = cache.find(stream);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->version, cached->version + 1);
  EXPECT_EQ(&std::get<AccountState>(*after->state), &changed) << "the changed state was copied into the cache";
  EXPECT_EQ(&aggregates.account("contoso"), &changed);
}

}  // namespace
}  // namespace mledger
