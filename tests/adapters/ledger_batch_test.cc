// Ledger::execute_batch on the in-memory and on-disk logs: the outcome of
// executing the commands one by one, with pipelined appends (one chain in the
// group commit writer).
// covers R-LED-02, R-ACC-01, R-KEY-01

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "adapters/crypto/sha256.h"
#include "adapters/ledger/ledger.h"
#include "adapters/memory/memory_event_log.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"
#include "tests/support/forwarding_log.h"

namespace mledger {
namespace {

enum class LogKind { memory, rocksdb };

// Delegates to another log; find_command fails for one command id.
class FailingLog final : public testing::ForwardingLog {
 public:
  explicit FailingLog(EventLog& inner) : ForwardingLog(inner) {}
  std::string fail_find_of;

  StatusOr<std::optional<AppendOutcome>> find_command(std::string_view scope,
                                                      std::string_view id) override {
    if (id == fail_find_of) return fail(StatusCode::io_error, "injected read failure");
    return inner_.find_command(scope, id);
  }
};

// A fresh ledger over a fresh log of the given kind.
struct Rig {
  explicit Rig(LogKind kind, LedgerOptions ledger_options = {}) {
    if (kind == LogKind::memory) {
      memory = std::make_unique<MemoryEventLog>();
      inner = memory.get();
    } else {
      dir = std::make_unique<testing::TempDir>();
      RocksDbOptions options;
      options.path = dir->sub("db");
      auto opened = RocksDbEventLog::open(options);
      EXPECT_TRUE(opened.ok()) << opened.error().to_string();
      rocks = std::move(opened.value());
      inner = rocks.get();
    }
    log = std::make_unique<FailingLog>(*inner);
    writer = std::make_unique<GroupCommitWriter>(*log, GroupCommitOptions{});
    ledger = std::make_unique<Ledger>(*log, *writer, clock, ids, ledger_options);
  }

  std::unique_ptr<testing::TempDir> dir;
  std::unique_ptr<MemoryEventLog> memory;
  std::unique_ptr<RocksDbEventLog> rocks;
  EventLog* inner = nullptr;
  std::unique_ptr<FailingLog> log;
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  std::unique_ptr<GroupCommitWriter> writer;
  std::unique_ptr<Ledger> ledger;

  std::vector<RecordedEvent> all_events() {
    auto events = inner->read_global(1, 1'000'000);
    EXPECT_TRUE(events.ok());
    return events.ok() ? std::move(events.value()) : std::vector<RecordedEvent>{};
  }
};

// A command and its digest; `content` stands for the command's canonical
// form, so the same id with other content has another digest.
struct Cmd {
  Command command;
  Hash256 digest{};
};

Cmd make(const std::string& account, const std::string& user, const std::string& id,
         CommandBody body, const std::string& content = "") {
  Cmd c;
  c.command.context = testing::user_context(account, user, id);
  c.command.body = std::move(body);
  c.digest = sha256({id, account, std::string(command_type_name(c.command.body)), content});
  return c;
}

AddUser add_user(const std::string& user) {
  return AddUser{user, user + "@contoso.de", "User " + user, false, {Role::mpn_partner_admin}};
}

PlaceOrder order(const std::string& order_id) {
  const PostalAddress billing = testing::valid_enrollment().address;
  return PlaceOrder{order_id, "action_pack", PaymentMethod::card, billing,
                    CardDetails{"4242", billing}};
}

std::vector<BatchItem> items_of(const std::vector<Cmd>& cmds) {
  std::vector<BatchItem> items;
  for (const Cmd& c : cmds) items.push_back(BatchItem{&c.command, c.digest});
  return items;
}

// Accepted, duplicate and rejected commands in an order where later ones
// depend on earlier ones' events.
std::vector<Cmd> mixed_sequence() {
  auto gmail = testing::valid_enrollment();
  gmail.primary_contact.email = "alice@gmail.com";
  std::vector<Cmd> s;
  s.push_back(make("acct-a", "admin", "c1", testing::valid_enrollment()));
  s.push_back(make("acct-a", "admin", "c2", add_user("bob")));
  s.push_back(make("acct-a", "admin", "c3", testing::valid_enrollment()));  // already enrolled
  s.push_back(make("acct-b", "admin", "c4", gmail));                        // personal email
  s.push_back(make("acct-b", "admin", "c5", testing::valid_enrollment()));
  s.push_back(make("acct-a", "admin", "c6", order("o1")));
  s.push_back(make("acct-a", "admin", "c7", RevealKeys{"o1", "microsoft_365_business", "en", "windows"}));
  s.push_back(make("acct-a", "admin", "c8", add_user("bob")));  // bob is already a user
  s.push_back(make("acct-a", "admin", "c2", add_user("bob")));  // same id, same content
  s.push_back(make("acct-a", "admin", "c2", add_user("carol"), "other"));  // same id, other content
  s.push_back(make("acct-b", "admin", "c9", add_user("carol")));
  s.push_back(make("acct-a", "admin", "c4", add_user("dave")));  // id of a rejected command: free
  s.push_back(make("acct-b", "admin", "c10", order("o2")));
  return s;
}

std::string describe(const StatusOr<CommandResult>& r) {
  if (!r.ok()) return "error " + r.error().to_string();
  std::string out = r->kind == CommandResult::Kind::accepted    ? "accepted"
                    : r->kind == CommandResult::Kind::duplicate ? "duplicate"
                                                                : "rejected";
  if (r->rejection) out += " " + std::to_string(static_cast<int>(r->rejection->code));
  for (const auto& e : r->events) out += " " + std::to_string(e.seq) + ":" + e.stream + "@" +
                                         std::to_string(e.version) + ":" + e.event_id + ":" + e.type;
  return out;
}

class LedgerBatch : public ::testing::TestWithParam<LogKind> {};

TEST_P(LedgerBatch, R_LED_02_gives_the_results_and_log_of_executing_one_by_one) {
  const std::vector<Cmd> cmds = mixed_sequence();
  Rig serial(GetParam());
  std::vector<std::string> expected;
  for (const Cmd& c : cmds) expected.push_back(describe(serial.ledger->execute(c.command, c.digest)));

  Rig batched(GetParam());
  auto results = batched.ledger->execute_batch(items_of(cmds));
  ASSERT_EQ(results.size(), cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    EXPECT_EQ(describe(results[i]), expected[i]) << "item " << i;
  }
  // What the sequence means, so that the comparison compares something.
  EXPECT_EQ(results[0]->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(results[1]->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(results[2]->rejection->code, RejectionCode::account_already_enrolled);
  EXPECT_EQ(results[3]->rejection->code, RejectionCode::personal_email_not_supported);
  EXPECT_EQ(results[6]->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(results[7]->kind, CommandResult::Kind::rejected);
  EXPECT_EQ(results[8]->kind, CommandResult::Kind::duplicate);
  EXPECT_EQ(results[8]->events, results[1]->events);
  EXPECT_EQ(results[9]->rejection->code, RejectionCode::command_id_reused_with_different_content);
  EXPECT_EQ(results[11]->kind, CommandResult::Kind::accepted);

  // The same log, byte for byte: events, streams, versions, ids and chain.
  auto a = serial.all_events();
  auto b = batched.all_events();
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 8u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(position_of(a[i]), position_of(b[i])) << "seq " << i + 1;
    EXPECT_EQ(a[i].metadata, b[i].metadata) << "seq " << i + 1;
  }
  EXPECT_EQ(*serial.inner->digest(), *batched.inner->digest());
  for (const char* stream : {"account-acct-a", "account-acct-b"}) {
    EXPECT_EQ(*serial.inner->stream_version(stream), *batched.inner->stream_version(stream));
  }
  auto chain = batched.inner->verify_chain({});
  ASSERT_TRUE(chain.ok());
  EXPECT_FALSE(chain->first_bad_seq.has_value());
}

TEST_P(LedgerBatch, R_LED_02_a_second_batch_of_the_same_commands_is_all_duplicates_or_rejections) {
  const std::vector<Cmd> cmds = mixed_sequence();
  Rig rig(GetParam());
  auto first = rig.ledger->execute_batch(items_of(cmds));
  const uint64_t seq = rig.inner->digest()->seq;
  auto again = rig.ledger->execute_batch(items_of(cmds));
  ASSERT_EQ(again.size(), cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    ASSERT_TRUE(again[i].ok());
    if (first[i]->kind != CommandResult::Kind::rejected) {
      EXPECT_EQ(again[i]->kind, CommandResult::Kind::duplicate) << "item " << i;
      EXPECT_EQ(again[i]->events, first[i]->events) << "item " << i;
    }
  }
  EXPECT_EQ(rig.inner->digest()->seq, seq);
}

TEST_P(LedgerBatch, R_ACC_01_rejected_items_write_nothing_and_later_items_still_run) {
  auto gmail = testing::valid_enrollment();
  gmail.primary_contact.email = "alice@gmail.com";
  std::vector<Cmd> cmds;
  cmds.push_back(make("acct-a", "admin", "r1", gmail));
  cmds.push_back(make("acct-a", "admin", "r2", add_user("bob")));  // no such account yet
  cmds.push_back(make("acct-a", "admin", "r3", testing::valid_enrollment()));
  Rig rig(GetParam());
  auto results = rig.ledger->execute_batch(items_of(cmds));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]->kind, CommandResult::Kind::rejected);
  EXPECT_EQ(results[1]->kind, CommandResult::Kind::rejected);
  EXPECT_EQ(results[2]->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(results[2]->events.front().seq, 1u);
  EXPECT_FALSE(rig.inner->find_command("account:acct-a", "r1")->has_value());
  EXPECT_FALSE(rig.inner->find_command("account:acct-a", "r2")->has_value());
  EXPECT_EQ(rig.inner->digest()->seq, results[2]->events.size());
}

TEST_P(LedgerBatch, R_LED_02_an_id_twice_in_a_batch_is_a_duplicate_or_a_reuse) {
  std::vector<Cmd> cmds;
  cmds.push_back(make("acct-a", "admin", "d1", testing::valid_enrollment()));
  cmds.push_back(make("acct-a", "admin", "d1", testing::valid_enrollment()));
  cmds.push_back(make("acct-a", "admin", "d1", add_user("bob"), "other"));
  cmds.push_back(make("acct-a", "admin", "d2", add_user("bob")));
  cmds.push_back(make("acct-a", "admin", "d2", add_user("bob")));
  Rig rig(GetParam());
  auto results = rig.ledger->execute_batch(items_of(cmds));
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0]->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(results[1]->kind, CommandResult::Kind::duplicate);
  EXPECT_EQ(results[1]->events, results[0]->events);
  EXPECT_EQ(results[2]->rejection->code, RejectionCode::command_id_reused_with_different_content);
  EXPECT_EQ(results[3]->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(results[4]->kind, CommandResult::Kind::duplicate);
  EXPECT_EQ(results[4]->events, results[3]->events);
  EXPECT_EQ(rig.inner->digest()->seq, results[0]->events.size() + results[3]->events.size());
}

TEST_P(LedgerBatch, over_batch_commands_max_every_item_fails_and_nothing_is_done) {
  LedgerOptions options;
  options.batch_commands_max = 3;
  Rig rig(GetParam(), options);
  std::vector<Cmd> cmds;
  for (int i = 0; i < 4; ++i) {
    cmds.push_back(make("acct-" + std::to_string(i), "admin", "m" + std::to_string(i),
                        testing::valid_enrollment()));
  }
  auto results = rig.ledger->execute_batch(items_of(cmds));
  ASSERT_EQ(results.size(), 4u);
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), StatusCode::limit_exceeded);
  }
  EXPECT_EQ(rig.inner->digest()->seq, 0u);
  cmds.pop_back();
  auto fits = rig.ledger->execute_batch(items_of(cmds));
  for (const auto& r : fits) EXPECT_EQ(r->kind, CommandResult::Kind::accepted);
  EXPECT_TRUE(rig.ledger->execute_batch({}).empty());
}

TEST_P(LedgerBatch, an_infrastructure_failure_stops_the_batch_at_that_item) {
  Rig rig(GetParam());
  rig.log->fail_find_of = "f3";
  std::vector<Cmd> cmds;
  cmds.push_back(make("acct-a", "admin", "f1", testing::valid_enrollment()));
  cmds.push_back(make("acct-a", "admin", "f2", add_user("bob")));
  cmds.push_back(make("acct-a", "admin", "f3", add_user("carol")));
  cmds.push_back(make("acct-a", "admin", "f4", add_user("dave")));
  auto results = rig.ledger->execute_batch(items_of(cmds));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0]->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(results[1]->kind, CommandResult::Kind::accepted);
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].error().code(), StatusCode::io_error);
  ASSERT_FALSE(results[3].ok());
  EXPECT_EQ(results[3].error().code(), StatusCode::unavailable);
  EXPECT_NE(results[3].error().message().find("not executed"), std::string::npos);
  EXPECT_FALSE(rig.inner->find_command("account:acct-a", "f4")->has_value());
  EXPECT_EQ(rig.inner->digest()->seq, results[0]->events.size() + 1);
}

// Batches and single commands from many threads on the same accounts: the
// outcome is that of some serial order. 32 clients each redeem the one key in
// a batch among other work; exactly one redemption wins.
TEST_P(LedgerBatch, R_KEY_01_concurrent_batches_and_commands_redeem_a_key_once) {
  LedgerOptions options;
  options.conflict_retries_max = 64;
  Rig rig(GetParam(), options);
  constexpr int kAccounts = 12;
  std::vector<Cmd> setup;
  for (int a = 0; a < kAccounts; ++a) {
    setup.push_back(make("acct-" + std::to_string(a), "admin", "s" + std::to_string(a),
                         testing::valid_enrollment()));
  }
  setup.push_back(make("acct-0", "admin", "s-order", order("o1")));
  setup.push_back(make("acct-0", "admin", "s-reveal",
                       RevealKeys{"o1", "microsoft_365_business", "en", "windows"}));
  for (const auto& r : rig.ledger->execute_batch(items_of(setup))) {
    ASSERT_EQ(r->kind, CommandResult::Kind::accepted);
  }
  std::string key;
  auto revealed = rig.inner->read_stream("account-acct-0", 1, 100);
  ASSERT_TRUE(revealed.ok());
  for (const auto& e : *revealed) {
    if (const auto* k = std::get_if<KeysRevealed>(&e.payload)) key = k->key_ids.at(0);
  }
  ASSERT_EQ(key.size(), 25u);

  constexpr int kClients = 32;
  std::atomic<int> redeemed{0}, already{0}, users{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      const std::string account = "acct-" + std::to_string(i % kAccounts);
      const std::string t = "t" + std::to_string(i);
      auto count = [&](const StatusOr<CommandResult>& r, bool is_redeem) {
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        if (is_redeem) {
          if (r->kind == CommandResult::Kind::accepted) ++redeemed;
          if (r->rejection && r->rejection->code == RejectionCode::key_already_redeemed) ++already;
        } else if (r->kind == CommandResult::Kind::accepted) {
          ++users;
        }
      };
      if (i % 4 == 3) {  // a quarter of the clients execute one by one
        auto u = make(account, "admin", t + "-u1", add_user("u1-" + t));
        count(rig.ledger->execute(u.command, u.digest), false);
        auto k = make(account, "admin", t + "-k", RedeemKey{key, RedemptionMode::add_seats});
        count(rig.ledger->execute(k.command, k.digest), true);
        return;
      }
      std::vector<Cmd> cmds;
      cmds.push_back(make(account, "admin", t + "-u1", add_user("u1-" + t)));
      cmds.push_back(make(account, "admin", t + "-k", RedeemKey{key, RedemptionMode::add_seats}));
      cmds.push_back(make(account, "admin", t + "-u2", add_user("u2-" + t)));
      auto results = rig.ledger->execute_batch(items_of(cmds));
      ASSERT_EQ(results.size(), 3u);
      count(results[0], false);
      count(results[1], true);
      count(results[2], false);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(redeemed.load(), 1);
  EXPECT_EQ(already.load(), kClients - 1);
  EXPECT_EQ(users.load(), kClients / 4 * 1 + kClients * 3 / 4 * 2);
  int key_redeemed = 0;
  auto key_events = rig.inner->read_stream("key-" + key, 1, 100);
  ASSERT_TRUE(key_events.ok());
  for (const auto& e : *key_events) {
    key_redeemed += std::holds_alternative<KeyRedeemed>(e.payload) ? 1 : 0;
  }
  EXPECT_EQ(key_redeemed, 1);
  // Every account's state folds, and holds its users.
  for (int a = 0; a < kAccounts; ++a) {
    auto state = rig.ledger->account_state("acct-" + std::to_string(a));
    ASSERT_TRUE(state.ok());
  }
  auto chain = rig.inner->verify_chain({});
  ASSERT_TRUE(chain.ok());
  EXPECT_FALSE(chain->first_bad_seq.has_value());
}


// A 1000-command batch takes far fewer writes (synced, on disk) than commands.
TEST_P(LedgerBatch, a_batch_of_1000_commands_takes_far_fewer_writes_than_commands) {
  Rig rig(GetParam());
  constexpr int kCommands = 1000;
  std::vector<Cmd> cmds;
  for (int i = 0; i < kCommands; ++i) {
    cmds.push_back(make("acct-" + std::to_string(i), "admin", "e" + std::to_string(i),
                        testing::valid_enrollment()));
  }
  auto results = rig.ledger->execute_batch(items_of(cmds));
  for (const auto& r : results) ASSERT_EQ(r->kind, CommandResult::Kind::accepted);
  const GroupCommitStats stats = rig.writer->stats();
  EXPECT_EQ(stats.requests, uint64_t{kCommands});
  EXPECT_LT(stats.batches, uint64_t{kCommands / 10});
  RecordProperty("writer_batches", static_cast<int>(stats.batches));
  std::printf("1000 commands, %llu writer batches\n",
              static_cast<unsigned long long>(stats.batches));
}

INSTANTIATE_TEST_SUITE_P(Logs, LedgerBatch, ::testing::Values(LogKind::memory, LogKind::rocksdb),
                         [](const ::testing::TestParamInfo<LogKind>& param) {
                           return std::string(param.param == LogKind::memory ? "memory" : "rocksdb");
                         });

// The chain is what keeps a pipelined request from being applied over
// another writer's events that stand at the versions it expected.
TEST(GroupCommitChain, a_request_after_one_not_appended_is_not_applied) {
  MemoryEventLog log;
  GroupCommitWriter writer{log, GroupCommitOptions{}};
  // Another writer puts an event at version 1 of the stream.
  ASSERT_EQ(writer.append(testing::user_added_request("other", "account-a", 0, "a"))->status,
            AppendStatus::appended);
  // A chain decided over a state without it: its first request expects version
  // 0 (conflict); the second expects version 1, which by count is there.
  auto chain = writer.open_chain();
  std::vector<AppendRequest> requests;
  requests.push_back(testing::user_added_request("x1", "account-a", 0, "a"));
  requests.push_back(testing::user_added_request("x2", "account-a", 1, "a"));
  auto futures = writer.submit_chained(std::move(requests), chain);
  ASSERT_EQ(futures.size(), 2u);
  auto a = futures[0].get();
  auto b = futures[1].get();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->status, AppendStatus::conflict);
  EXPECT_EQ(a->conflict_stream, "account-a");
  EXPECT_EQ(b->status, AppendStatus::conflict);
  EXPECT_TRUE(b->conflict_stream.empty());
  EXPECT_EQ(log.digest()->seq, 1u);
  // Later submits to a broken chain fail at once; a new chain works.
  auto one = [](AppendRequest r) {
    std::vector<AppendRequest> v;
    v.push_back(std::move(r));
    return v;
  };
  EXPECT_EQ(writer.submit_chained(one(testing::user_added_request("x3", "account-a", 1, "a")), chain)
                .at(0).get()->status,
            AppendStatus::conflict);
  auto fresh = writer.open_chain();
  EXPECT_EQ(writer.submit_chained(one(testing::user_added_request("x2", "account-a", 1, "a")), fresh)
                .at(0).get()->status,
            AppendStatus::appended);
  EXPECT_EQ(log.digest()->seq, 2u);
}

TEST(GroupCommitChain, a_refused_request_gets_its_reason_and_the_later_ones_are_not_queued) {
  MemoryEventLog log;
  GroupCommitWriter writer{log, GroupCommitOptions{}};
  std::vector<AppendRequest> requests;
  requests.push_back(testing::user_added_request("x1", "account-a", 0, "a"));
  requests.push_back(testing::user_added_request("x2", "account-a", 1, "a"));
  requests.back().events.clear();  // malformed
  requests.push_back(testing::user_added_request("x3", "account-a", 1, "a"));
  auto futures = writer.submit_chained(std::move(requests), writer.open_chain());
  ASSERT_EQ(futures.size(), 3u);
  EXPECT_EQ(futures[0].get()->status, AppendStatus::appended);
  auto refused = futures[1].get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::invalid_argument);
  EXPECT_EQ(futures[2].get()->status, AppendStatus::conflict);
  EXPECT_EQ(log.digest()->seq, 1u);
}

TEST(GroupCommitChain, within_one_planned_batch_a_broken_chain_applies_nothing_after_the_break) {
  MemoryEventLog log;
  ASSERT_TRUE(log.append_batch(std::vector{testing::user_added_request("other", "account-a", 0, "a")}).ok());
  std::vector<AppendRequest> requests;
  requests.push_back(testing::user_added_request("x1", "account-a", 0, "a"));
  requests.push_back(testing::user_added_request("x2", "account-a", 1, "a"));
  requests.push_back(testing::user_added_request("y1", "account-b", 0, "b"));  // other chain
  requests[0].chain = requests[1].chain = 7;
  requests[2].chain = 8;
  auto outcomes = log.append_batch(requests);
  ASSERT_TRUE(outcomes.ok());
  EXPECT_EQ((*outcomes)[0].status, AppendStatus::conflict);
  EXPECT_EQ((*outcomes)[1].status, AppendStatus::conflict);
  EXPECT_EQ((*outcomes)[2].status, AppendStatus::appended);
  EXPECT_EQ(log.digest()->seq, 2u);
}

}  // namespace
}  // namespace mledger
