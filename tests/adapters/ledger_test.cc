// Command execution end to end on the in-memory and on-disk logs: decide,
// append with optimistic concurrency, idempotency by command id.
// covers R-LED-02, R-ACC-01

#include <gtest/gtest.h>

#include <future>
#include <mutex>
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

struct Rig {
  MemoryEventLog log;
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  GroupCommitWriter writer{log, GroupCommitOptions{}};
  Ledger ledger{log, writer, clock, ids, LedgerOptions{}};

  StatusOr<CommandResult> enroll(const std::string& account, const std::string& command_id,
                                 EnrollPartnerAccount body = testing::valid_enrollment()) {
    Command c{testing::user_context(account, "u-" + account, command_id), std::move(body)};
    return ledger.execute(c, sha256({command_id, account, c.body.index() == 0 ? "enroll" : "?",
                                     std::get<EnrollPartnerAccount>(c.body).phone}));
  }
};

TEST(Ledger, R_ACC_01_accepted_command_writes_its_events_to_the_account_stream) {
  Rig rig;
  auto r = rig.enroll("contoso", "c1");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kind, CommandResult::Kind::accepted);
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->events[0].type, "PartnerAccountEnrolled");
  EXPECT_EQ(r->events[1].type, "UserAdded");
  auto events = rig.log.read_stream("account-contoso", 1, 10);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].metadata.recorded_at, rig.clock.now());
  EXPECT_EQ((*events)[0].metadata.actor.user_id, "u-contoso");
  EXPECT_EQ((*events)[0].event_id, "evt-1");
}

TEST(Ledger, R_ACC_01_rejection_writes_nothing) {
  Rig rig;
  auto body = testing::valid_enrollment();
  body.primary_contact.email = "alice@gmail.com";
  auto r = rig.enroll("contoso", "c1", body);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kind, CommandResult::Kind::rejected);
  EXPECT_EQ(r->rejection->code, RejectionCode::personal_email_not_supported);
  EXPECT_EQ(rig.log.digest()->seq, 0u);
  EXPECT_FALSE(rig.log.find_command("account:contoso", "c1")->has_value());
}

TEST(Ledger, R_LED_02_allows_a_retry_and_returns_the_first_outcome) {
  Rig rig;
  auto first = rig.enroll("contoso", "c1");
  ASSERT_EQ(first->kind, CommandResult::Kind::accepted);
  auto retry = rig.enroll("contoso", "c1");  // would be account_already_enrolled if decided again
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->kind, CommandResult::Kind::duplicate);
  EXPECT_EQ(retry->events, first->events);
  EXPECT_EQ(rig.log.digest()->seq, 2u);
  auto other_id = rig.enroll("contoso", "c2");
  EXPECT_EQ(other_id->rejection->code, RejectionCode::account_already_enrolled);
}

TEST(Ledger, R_LED_02_rejects_the_same_id_for_another_command) {
  Rig rig;
  ASSERT_EQ(rig.enroll("contoso", "c1")->kind, CommandResult::Kind::accepted);
  auto body = testing::valid_enrollment();
  body.phone = "0409999999";
  auto r = rig.enroll("contoso", "c1", body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejection->code, RejectionCode::command_id_reused_with_different_content);
  EXPECT_EQ(rig.log.digest()->seq, 2u);
}

// A log whose first find_command() answers only after the log has grown: the
// look-up of a command id saw nothing, then another execution of the same
// command was appended before this one decided (a client retrying on a
// timeout while its first request is still running).
class LateLookupLog final : public testing::ForwardingLog {
 public:
  LateLookupLog() : ForwardingLog(memory) {}
  StatusOr<std::optional<AppendOutcome>> find_command(std::string_view scope,
                                                      std::string_view id) override {
    auto found = memory.find_command(scope, id);
    if (!late.exchange(true)) {
      while (memory.digest()->seq == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return found;
  }

  MemoryEventLog memory;
  std::atomic<bool> late{false};
};

TEST(Ledger, R_LED_02_the_same_command_twice_at_once_is_accepted_once_and_then_duplicate) {
  LateLookupLog log;
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  GroupCommitWriter writer{log, GroupCommitOptions{}};
  Ledger ledger{log, writer, clock, ids, LedgerOptions{}};
  const Command c{testing::user_context("contoso", "u-contoso", "same-id"), testing::valid_enrollment()};
  const Hash256 digest = sha256({"same-id"});
  StatusOr<CommandResult> late = Err{Status(StatusCode::unavailable, "not run")};
  std::thread slow([&] { late = ledger.execute(c, digest); });  // its look-up waits
  while (!log.late.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto first = ledger.execute(c, digest);
  slow.join();
  ASSERT_TRUE(first.ok() && late.ok());
  EXPECT_EQ(first->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(late->kind, CommandResult::Kind::duplicate)
      << (late->rejection ? late->rejection->message : "");
  EXPECT_EQ(late->events, first->events);
  EXPECT_EQ(log.digest()->seq, 2u);
}

TEST(Ledger, R_ACC_01_concurrent_enrollments_of_one_account_exactly_one_wins) {
  Rig rig;
  constexpr int kClients = 16;
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0}, already{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto r = rig.enroll("contoso", "c" + std::to_string(i));
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      if (r->kind == CommandResult::Kind::accepted) ++accepted;
      if (r->rejection && r->rejection->code == RejectionCode::account_already_enrolled) ++already;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(already.load(), kClients - 1);
  EXPECT_EQ(rig.log.digest()->seq, 2u);
}

// A log whose first append waits until the test opens the gate.
class GateOnceLog final : public testing::ForwardingLog {
 public:
  GateOnceLog() : ForwardingLog(memory) {}
  StatusOr<std::vector<AppendOutcome>> append_batch(std::span<const AppendRequest> r) override {
    if (!entered.exchange(true)) gate.wait();
    return inner_.append_batch(r);
  }
  MemoryEventLog memory;
  std::atomic<bool> entered{false};
  std::promise<void> opener;
  std::shared_future<void> gate = opener.get_future().share();
};

// execute_then() answers as execute() does, without the caller waiting: 16
// enrollments of one account, all decided before any is durable, are answered
// one accepted and 15 rejected after losing the race and being decided again
// through `defer` (never on the writer's thread).
TEST(Ledger, R_ACC_01_execute_then_decides_again_through_defer_after_a_lost_race) {
  GateOnceLog log;
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  GroupCommitWriter writer{log, GroupCommitOptions{}};
  Ledger ledger{log, writer, clock, ids, LedgerOptions{}};
  std::mutex mu;
  std::vector<std::thread> deferred;
  std::atomic<int> defers{0};
  Ledger::Defer defer = [&](std::function<void()> work) {
    ++defers;
    std::lock_guard lock(mu);
    deferred.emplace_back(std::move(work));
  };
  constexpr int kClients = 16;
  std::vector<std::promise<StatusOr<CommandResult>>> answers(kClients + 1);
  auto run = [&](int i, const std::string& account) {
    const std::string id = "c" + std::to_string(i);
    auto c = std::make_shared<const Command>(Command{testing::user_context(account, "u-" + account, id),
                                                     testing::valid_enrollment()});
    ledger.execute_then(c, sha256({id}), defer,
                        [&answers, i](StatusOr<CommandResult> r) { answers[i].set_value(std::move(r)); });
  };
  run(kClients, "fabrikam");  // the writer holds it at the gate
  while (!log.entered.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int i = 0; i < kClients; ++i) run(i, "contoso");  // each decided over "not enrolled"
  log.opener.set_value();
  int accepted = 0, already = 0;
  for (int i = 0; i < kClients; ++i) {
    auto r = answers[i].get_future().get();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    if (r->kind == CommandResult::Kind::accepted) ++accepted;
    if (r->rejection && r->rejection->code == RejectionCode::account_already_enrolled) ++already;
  }
  EXPECT_EQ(answers[kClients].get_future().get()->kind, CommandResult::Kind::accepted);
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(already, kClients - 1);
  EXPECT_EQ(defers.load(), kClients - 1);  // each loser decided again once
  EXPECT_EQ(log.memory.digest()->seq, 4u);  // two enrollments of two events
  for (auto& t : deferred) t.join();
}

// R-KEY-01 under concurrency, on RocksDB: 32 clients on 12 accounts redeem the
// same key at once; the key's own stream lets exactly one win.
TEST(Ledger, R_KEY_01_rejects_all_but_one_of_32_concurrent_redemptions_of_one_key) {
  testing::TempDir dir;
  RocksDbOptions options;
  options.path = dir.sub("db");
  auto log = RocksDbEventLog::open(options);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  FixedClock clock{Instant{1'767'603'600'000'000}};
  SequentialIdSource ids{"evt-"};
  GroupCommitWriter writer{**log, GroupCommitOptions{}};
  LedgerOptions ledger_options;
  ledger_options.conflict_retries_max = 64;
  Ledger ledger{**log, writer, clock, ids, ledger_options};
  std::atomic<int> command_ids{0};
  auto run = [&](const std::string& account, const std::string& user, CommandBody body) {
    Command c;
    c.context = testing::user_context(account, user, "k" + std::to_string(++command_ids));
    c.body = std::move(body);
    return ledger.execute(c, sha256({c.context.command_id}));
  };
  constexpr int kAccounts = 12;
  for (int a = 0; a < kAccounts; ++a) {
    const std::string account = "acct-" + std::to_string(a);
    ASSERT_EQ(run(account, "admin", testing::valid_enrollment())->kind, CommandResult::Kind::accepted);
  }
  const PostalAddress billing = testing::valid_enrollment().address;
  ASSERT_EQ(run("acct-0", "admin", PlaceOrder{"o1", "action_pack", PaymentMethod::card, billing,
                                               CardDetails{"4242", billing}})->kind,
            CommandResult::Kind::accepted);
  ASSERT_EQ(run("acct-0", "admin", RevealKeys{"o1", "microsoft_365_business", "en", "windows"})->kind,
            CommandResult::Kind::accepted);
  auto revealed = (*log)->read_stream("account-acct-0", 1, 100);
  ASSERT_TRUE(revealed.ok());
  std::string key;
  for (const auto& e : *revealed) {
    if (const auto* k = std::get_if<KeysRevealed>(&e.payload)) key = k->key_ids.at(0);
  }
  ASSERT_EQ(key.size(), 25u);

  constexpr int kClients = 32;
  std::atomic<int> accepted{0}, already{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto r = run("acct-" + std::to_string(i % kAccounts), "admin", RedeemKey{key, RedemptionMode::add_seats});
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      if (r->kind == CommandResult::Kind::accepted) ++accepted;
      if (r->rejection && r->rejection->code == RejectionCode::key_already_redeemed) ++already;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(already.load(), kClients - 1);
  auto key_events = (*log)->read_stream("key-" + key, 1, 100);
  ASSERT_TRUE(key_events.ok());
  int redeemed = 0;
  for (const auto& e : *key_events) redeemed += std::holds_alternative<KeyRedeemed>(e.payload) ? 1 : 0;
  EXPECT_EQ(redeemed, 1);
}

}  // namespace
}  // namespace mledger
