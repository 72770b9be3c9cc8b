// One contract, every EventLog implementation: RocksDB on disk and memory.
// covers R-LED-01, R-LED-02

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "adapters/capnp/event_codec.h"
#include "adapters/log/append_planner.h"
#include "adapters/merkle/merkle.h"
#include "adapters/memory/memory_event_log.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/fixtures.h"
#include "tests/support/reference_merkle.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

using testing::user_added_request;

struct Impl {
  std::string name;
  std::function<std::unique_ptr<EventLog>(const std::string& dir)> open;
};

class EventLogContract : public ::testing::TestWithParam<Impl> {
 protected:
  void SetUp() override { log_ = GetParam().open(dir_.sub("ledger")); }
  StatusOr<AppendOutcome> append_one(AppendRequest r) {
    std::vector<AppendRequest> batch;
    batch.push_back(std::move(r));
    auto out = log_->append_batch(batch);
    if (!out.ok()) return Err{out.error()};
    return std::move(out.value()[0]);
  }
  testing::TempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_P(EventLogContract, empty_log_has_zero_digest_and_intact_chain) {
  auto d = log_->digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->seq, 0u);
  EXPECT_EQ(d->head, Hash256{});
  auto report = log_->verify_chain({});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->first_bad_seq);
  EXPECT_EQ(report->events_checked, 0u);
}

TEST_P(EventLogContract, scan_envelopes_gives_the_stored_events_in_order_from_a_seq) {
  ASSERT_TRUE(append_one(user_added_request("c1", "account-a", 0, "a", 3)).ok());
  ASSERT_TRUE(append_one(user_added_request("c2", "account-b", 0, "b", 2)).ok());
  ASSERT_TRUE(log_->catch_up().ok());  // the writer sees its own appends: nothing to do
  auto all = log_->read_global(1, 100);
  ASSERT_TRUE(all.ok());
  std::vector<uint64_t> seqs;
  Status s = log_->scan_envelopes(2, [&](uint64_t seq, std::string_view envelope) {
    auto e = codec::open(envelope);
    EXPECT_TRUE(e.ok());
    if (e.ok()) {
      EXPECT_EQ(e->seq, seq);
      EXPECT_EQ(e->hash, (*all)[seq - 1].hash);
    }
    seqs.push_back(seq);
    return seq < 4;  // false stops the scan
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(seqs, (std::vector<uint64_t>{2, 3, 4}));
  seqs.clear();
  ASSERT_TRUE(log_->scan_envelopes(6, [&](uint64_t seq, std::string_view) { seqs.push_back(seq); return true; }).ok());
  EXPECT_TRUE(seqs.empty());
}

TEST_P(EventLogContract, R_LED_01_allows_appends_with_gap_free_sequences_and_versions) {
  auto a = append_one(user_added_request("c1", "account-a", 0, "a", 2));
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  ASSERT_EQ(a->status, AppendStatus::appended);
  ASSERT_EQ(a->events.size(), 2u);
  EXPECT_EQ(a->events[0].seq, 1u);
  EXPECT_EQ(a->events[1].seq, 2u);
  EXPECT_EQ(a->events[1].version, 2u);
  auto b = append_one(user_added_request("c2", "account-b", 0, "b"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->events[0].seq, 3u);
  EXPECT_EQ(b->events[0].version, 1u);
  auto c = append_one(user_added_request("c3", "account-a", 2, "a"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->events[0].seq, 4u);
  EXPECT_EQ(c->events[0].version, 3u);

  auto all = log_->read_global(1, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  Hash256 prev{};
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].seq, i + 1);
    EXPECT_EQ((*all)[i].prev_hash, prev);  // the chain links each event to the one before
    prev = (*all)[i].hash;
  }
  auto d = log_->digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->seq, 4u);
  EXPECT_EQ(d->head, prev);
  EXPECT_EQ(*log_->stream_version("account-a"), 3u);
  EXPECT_EQ(*log_->stream_version("account-b"), 1u);
  EXPECT_EQ(*log_->stream_version("account-c"), 0u);
}

TEST_P(EventLogContract, lists_streams_by_prefix_in_pages) {
  for (const char* stream : {"account-a", "account-a-2", "account-b", "key-x", "account-c"}) {
    ASSERT_TRUE(append_one(user_added_request(std::string("c-") + stream, stream, 0, "a", 2)).ok());
  }
  auto all = log_->list_streams("account-", "", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"account-a", "account-a-2", "account-b", "account-c"}));
  auto page1 = log_->list_streams("account-", "", 2);
  ASSERT_TRUE(page1.ok());
  EXPECT_EQ(*page1, (std::vector<std::string>{"account-a", "account-a-2"}));
  auto page2 = log_->list_streams("account-", page1->back(), 2);
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(*page2, (std::vector<std::string>{"account-b", "account-c"}));
  EXPECT_TRUE(log_->list_streams("account-", "account-c", 2)->empty());
  EXPECT_EQ(*log_->list_streams("key-", "", 10), (std::vector<std::string>{"key-x"}));
  EXPECT_TRUE(log_->list_streams("merge-", "", 10)->empty());
}

TEST_P(EventLogContract, reads_by_stream_by_range_and_by_account) {
  ASSERT_TRUE(append_one(user_added_request("c1", "account-a", 0, "a", 3)).ok());
  ASSERT_TRUE(append_one(user_added_request("c2", "account-b", 0, "b", 2)).ok());
  auto merge = user_added_request("c3", "merge-a-b", 0, "a");
  merge.events[0].account_ids = {"a", "b"};  // concerns both accounts
  ASSERT_TRUE(append_one(merge).ok());

  auto s = log_->read_stream("account-a", 2, 10);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].version, 2u);
  EXPECT_EQ((*s)[1].version, 3u);
  EXPECT_EQ(log_->read_stream("account-a", 1, 2)->size(), 2u);
  EXPECT_TRUE(log_->read_stream("account", 1, 10)->empty());  // no prefix matches

  auto g = log_->read_global(3, 2);
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[0].seq, 3u);

  auto b = log_->read_account("b", 1, 100);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 3u);
  EXPECT_EQ((*b)[0].seq, 4u);
  EXPECT_EQ((*b)[2].seq, 6u);
  EXPECT_EQ((*b)[2].stream, "merge-a-b");
  EXPECT_EQ(log_->read_account("b", 6, 100)->size(), 1u);
  EXPECT_EQ(log_->read_account("a", 1, 100)->size(), 4u);
}

TEST_P(EventLogContract, recorded_events_keep_everything_that_was_appended) {
  auto req = user_added_request("c1", "account-a", 0, "a");
  req.metadata.correlation_id = "corr-9";
  req.metadata.causation_id = "cause-8";
  ASSERT_TRUE(append_one(req).ok());
  auto e = log_->read_stream("account-a", 1, 1);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 1u);
  const RecordedEvent& r = (*e)[0];
  EXPECT_EQ(r.event_id, "c1-e0");
  EXPECT_EQ(r.metadata, req.metadata);
  EXPECT_EQ(r.account_ids, std::vector<std::string>{"a"});
  EXPECT_EQ(std::get<UserAdded>(r.payload), std::get<UserAdded>(req.events[0].payload));
  EXPECT_EQ(r.schema_version, kEventSchemaVersion);
}

TEST_P(EventLogContract, R_LED_01_rejects_rewriting_a_stream_version_and_writes_nothing) {
  ASSERT_TRUE(append_one(user_added_request("c1", "account-a", 0, "a")).ok());
  auto c = append_one(user_added_request("c2", "account-a", 0, "a"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, AppendStatus::conflict);
  EXPECT_EQ(c->conflict_stream, "account-a");
  EXPECT_EQ(c->expected_version, 0u);
  EXPECT_EQ(c->actual_version, 1u);
  EXPECT_EQ(log_->digest()->seq, 1u);
  EXPECT_FALSE(log_->find_command("account:a", "c2")->has_value());
  // A stream only read (listed, not written) is checked too.
  auto r = user_added_request("c3", "account-b", 0, "b");
  r.expectations.push_back({"account-a", 0});
  EXPECT_EQ(append_one(r)->status, AppendStatus::conflict);
  EXPECT_EQ(log_->digest()->seq, 1u);
}

TEST_P(EventLogContract, R_LED_02_retried_command_returns_first_outcome_and_writes_nothing) {
  auto first = append_one(user_added_request("c1", "account-a", 0, "a", 2));
  ASSERT_TRUE(first.ok());
  const LogDigest before = *log_->digest();
  auto again = append_one(user_added_request("c1", "account-a", 0, "a", 2));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, AppendStatus::duplicate);
  EXPECT_EQ(again->events, first->events);
  EXPECT_EQ(*log_->digest(), before);
  auto found = log_->find_command("account:a", "c1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->events, first->events);
  EXPECT_EQ((*found)->command_digest, user_added_request("c1", "x", 0, "a").command_digest);
}

TEST_P(EventLogContract, R_LED_02_reused_command_id_with_other_content_is_refused) {
  ASSERT_TRUE(append_one(user_added_request("c1", "account-a", 0, "a")).ok());
  auto other = user_added_request("c1", "account-a", 1, "a");
  other.command_digest[5] = 0xff;
  auto r = append_one(other);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, AppendStatus::command_id_reused);
  EXPECT_EQ(log_->digest()->seq, 1u);
}

// A command id is unique within its actor's scope (command_scope()): another
// account's command with the same id is another command, neither sees nor
// takes the first one's id, and each finds only its own.
TEST_P(EventLogContract, R_LED_02_command_ids_are_scoped_to_the_acting_account) {
  auto a = append_one(user_added_request("c1", "account-a", 0, "a"));
  ASSERT_TRUE(a.ok());
  auto other = user_added_request("c1", "account-b", 0, "b");
  other.command_digest[5] = 0xff;
  auto b = append_one(other);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(b->status, AppendStatus::appended);
  EXPECT_EQ(b->events[0].seq, 2u);
  auto found_a = log_->find_command("account:a", "c1");
  auto found_b = log_->find_command("account:b", "c1");
  ASSERT_TRUE(found_a.ok() && found_a->has_value());
  ASSERT_TRUE(found_b.ok() && found_b->has_value());
  EXPECT_EQ((*found_a)->events, a->events);
  EXPECT_EQ((*found_b)->events, b->events);
  EXPECT_FALSE(log_->find_command("account:c", "c1")->has_value());
  EXPECT_FALSE(log_->find_command("system", "c1")->has_value());
  // Re-sent in its own scope, each is still a duplicate.
  EXPECT_EQ(append_one(user_added_request("c1", "account-a", 0, "a"))->status, AppendStatus::duplicate);
  EXPECT_EQ(append_one(other)->status, AppendStatus::duplicate);
  // In one batch too.
  std::vector<AppendRequest> batch;
  batch.push_back(user_added_request("c2", "account-a", 1, "a"));
  batch.push_back(user_added_request("c2", "account-b", 1, "b"));
  auto out = log_->append_batch(batch);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].status, AppendStatus::appended);
  EXPECT_EQ((*out)[1].status, AppendStatus::appended);
  EXPECT_EQ(log_->digest()->seq, 4u);
}

// Operators and services (the clock's deadline runner) share one scope.
TEST_P(EventLogContract, R_LED_02_system_actors_share_one_scope) {
  auto op = user_added_request("s1", "account-a", 0, "a");
  op.metadata.actor = Actor{ActorKind::operator_, "", "op-1", {}};
  ASSERT_EQ(append_one(op)->status, AppendStatus::appended);
  auto svc = user_added_request("s1", "account-b", 0, "b");
  svc.metadata.actor = Actor{ActorKind::service, "", "clock", {}};
  svc.command_digest[5] = 0xff;
  EXPECT_EQ(append_one(svc)->status, AppendStatus::command_id_reused);
  EXPECT_TRUE(log_->find_command("system", "s1")->has_value());
  EXPECT_FALSE(log_->find_command("account:a", "s1")->has_value());
  EXPECT_EQ(command_scope(svc.metadata.actor), "system");
  EXPECT_EQ(command_scope(Actor{ActorKind::auditor, "a", "aud", {}}), "account:a");
}

TEST_P(EventLogContract, batch_requests_see_each_other_in_order) {
  std::vector<AppendRequest> batch;
  batch.push_back(user_added_request("c1", "account-a", 0, "a"));
  batch.push_back(user_added_request("c2", "account-a", 1, "a"));  // sees c1
  batch.push_back(user_added_request("c3", "account-a", 1, "a"));  // conflicts with c2
  batch.push_back(user_added_request("c1", "account-a", 0, "a"));  // duplicate of c1
  batch.push_back(user_added_request("c4", "account-b", 0, "b"));
  auto out = log_->append_batch(batch);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 5u);
  EXPECT_EQ((*out)[0].status, AppendStatus::appended);
  EXPECT_EQ((*out)[1].status, AppendStatus::appended);
  EXPECT_EQ((*out)[1].events[0].version, 2u);
  EXPECT_EQ((*out)[2].status, AppendStatus::conflict);
  EXPECT_EQ((*out)[3].status, AppendStatus::duplicate);
  EXPECT_EQ((*out)[3].events, (*out)[0].events);
  EXPECT_EQ((*out)[4].status, AppendStatus::appended);
  EXPECT_EQ((*out)[4].events[0].seq, 3u);
  EXPECT_EQ(log_->digest()->seq, 3u);
  auto report = log_->verify_chain({});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->first_bad_seq);
  EXPECT_EQ(report->events_checked, 3u);
  EXPECT_EQ(report->digest, *log_->digest());
}

TEST_P(EventLogContract, encoded_bodies_give_the_same_events) {
  auto plain = user_added_request("c1", "account-a", 0, "a", 2);
  auto prepared = plain;
  prepared.command_id = prepared.metadata.command_id = "c2";
  prepared.expectations[0].expected_version = 2;
  for (auto& e : prepared.events) e.event_id += "x";
  ASSERT_TRUE(append_one(plain).ok());
  // encode_bodies comes from the planner; the writer calls it on submit.
  ASSERT_TRUE(encode_bodies(prepared).ok());
  ASSERT_TRUE(append_one(prepared).ok());
  auto all = log_->read_global(1, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[2].version, 3u);
  EXPECT_EQ(std::get<UserAdded>((*all)[2].payload), std::get<UserAdded>((*all)[0].payload));
  EXPECT_FALSE(log_->verify_chain({})->first_bad_seq);
}

// The leaf hashes of every event, from the chain.
testing::Leaves leaves_of(EventLog& log) {
  testing::Leaves out;
  auto all = log.read_global(1, 1000);
  EXPECT_TRUE(all.ok());
  for (const auto& e : *all) out.push_back(testing::ref_leaf(e.hash));
  return out;
}

TEST_P(EventLogContract, the_merkle_tree_follows_every_append_as_rfc_9162_computes_it) {
  ASSERT_EQ(log_->tree_size().value(), 0u);
  int command = 0;
  for (int batch = 0; batch < 9; ++batch) {
    std::vector<AppendRequest> requests;
    for (int r = 0; r <= batch % 3; ++r) {
      const std::string account = "acct-" + std::to_string(command);
      requests.push_back(user_added_request("c" + std::to_string(command++), account, 0, account, 1 + batch % 4));
    }
    ASSERT_TRUE(log_->append_batch(requests).ok());
  }
  const uint64_t n = log_->digest()->seq;
  ASSERT_EQ(log_->tree_size().value(), n);
  const testing::Leaves leaves = leaves_of(*log_);
  auto nodes = [&](unsigned l, uint64_t i) { return log_->tree_node(l, i); };
  for (uint64_t size = 1; size <= n; ++size) {
    const testing::Leaves d = testing::slice(leaves, 0, size);
    ASSERT_EQ(merkle::root(nodes, size).value(), testing::ref_mth(d)) << size;
    for (uint64_t m = 0; m < size; ++m) {
      ASSERT_EQ(merkle::inclusion_proof(nodes, m, size).value(), testing::ref_path(m, d)) << m << "/" << size;
    }
    for (uint64_t m = 1; m <= size; ++m) {
      ASSERT_EQ(merkle::consistency_proof(nodes, m, size).value(), testing::ref_proof(m, d)) << m << "/" << size;
    }
  }
  // Nothing past the tree: a subtree that is not complete is not stored.
  EXPECT_EQ(log_->tree_node(0, n).error().code(), StatusCode::not_found);
  auto report = log_->verify_chain({});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->first_bad_seq) << report->problem;
  EXPECT_EQ(report->tree_size, n);
}

TEST_P(EventLogContract, a_conflicting_request_adds_nothing_to_the_tree) {
  ASSERT_TRUE(append_one(user_added_request("c1", "account-a", 0, "a", 3)).ok());
  auto conflict = append_one(user_added_request("c2", "account-a", 0, "a"));
  ASSERT_TRUE(conflict.ok());
  ASSERT_EQ(conflict->status, AppendStatus::conflict);
  EXPECT_EQ(log_->tree_size().value(), 3u);
  ASSERT_TRUE(append_one(user_added_request("c3", "account-a", 3, "a")).ok());
  EXPECT_EQ(merkle::root([&](unsigned l, uint64_t i) { return log_->tree_node(l, i); }, 4).value(),
            testing::ref_mth(leaves_of(*log_)));
}

// A read sees whole batches: while one thread appends commands of two
// events each, every read through an index (stream, account) and of the
// whole log finds every event up to the digest it read first, and no command
// half.
TEST_P(EventLogContract, R_LED_01_reads_during_appends_see_whole_commands_up_to_the_digest) {
  constexpr int kCommands = 400;
  constexpr int kStreams = 5;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::vector<uint64_t> versions(kStreams, 0);
    for (int i = 0; i < kCommands; ++i) {
      const int k = i % kStreams;
      auto out = append_one(user_added_request("c" + std::to_string(i), "account-s" + std::to_string(k),
                                               versions[k], "s" + std::to_string(k), 2));
      EXPECT_TRUE(out.ok() && out->status == AppendStatus::appended);
      versions[k] += 2;
    }
    done = true;
  });
  auto check_round = [&] {
    const uint64_t seen = log_->digest()->seq;
    auto all = log_->read_global(1, 2 * kCommands);
    ASSERT_TRUE(all.ok());
    ASSERT_GE(all->size(), seen);
    ASSERT_EQ(all->size() % 2, 0u) << "a command is half there";
    std::vector<uint64_t> up_to_seen(kStreams, 0);
    for (const auto& e : *all) {
      if (e.seq <= seen) ++up_to_seen[e.stream.back() - '0'];
    }
    for (int k = 0; k < kStreams; ++k) {
      const std::string name = std::to_string(k);
      auto stream = log_->read_stream("account-s" + name, 1, 2 * kCommands);
      ASSERT_TRUE(stream.ok());
      ASSERT_GE(stream->size(), up_to_seen[k]) << "the stream index misses events up to the digest";
      ASSERT_EQ(stream->size() % 2, 0u) << "a command is half there";
      for (size_t v = 0; v < stream->size(); ++v) ASSERT_EQ((*stream)[v].version, v + 1);
      auto account = log_->read_account("s" + name, 1, 2 * kCommands);
      ASSERT_TRUE(account.ok());
      ASSERT_GE(account->size(), up_to_seen[k]) << "the account index misses events up to the digest";
      ASSERT_EQ(account->size() % 2, 0u) << "a command is half there";
      ASSERT_GE(*log_->stream_version("account-s" + name), up_to_seen[k]);
    }
  };
  for (int rounds = 0; (!done || rounds == 0) && !HasFatalFailure(); ++rounds) check_round();
  writer.join();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(log_->digest()->seq, 2u * kCommands);
  EXPECT_EQ(log_->list_streams("account-s", "", 10)->size(), static_cast<size_t>(kStreams));
}

std::unique_ptr<EventLog> open_rocksdb(const std::string& dir) {
  RocksDbOptions o;
  o.path = dir;
  auto log = RocksDbEventLog::open(o);
  EXPECT_TRUE(log.ok()) << log.error().to_string();
  return std::move(log.value());
}

INSTANTIATE_TEST_SUITE_P(
    All, EventLogContract,
    ::testing::Values(Impl{"memory", [](const std::string&) -> std::unique_ptr<EventLog> {
                             return std::make_unique<MemoryEventLog>();
                           }},
                      Impl{"rocksdb", open_rocksdb}),
    [](const ::testing::TestParamInfo<Impl>& p) { return p.param.name; });

}  // namespace
}  // namespace mledger
