#include "tools/mledger/bench_deep_account.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/crypto/sha256.h"
#include "adapters/ledger/ledger.h"
#include "adapters/projections/projection_engine.h"
#include "adapters/projections/read_models.h"
#include "adapters/projections/rocksdb_projection_store.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/snapshots/file_snapshot_store.h"
#include "adapters/snapshots/snapshot_codec.h"
#include "adapters/system/random_ids.h"
#include "adapters/system/system_clock.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kBatchCommands = 10000;

Command command(const std::string& account, const std::string& id, CommandBody body) {
  Command c;
  c.context.command_id = id;
  c.context.actor = Actor{ActorKind::user, account, "admin", {}};
  c.context.account_id = account;
  c.context.now = Instant{1'767'600'000'000'000};
  c.body = std::move(body);
  return c;
}

EnrollPartnerAccount enrollment(const std::string& name) {
  EnrollPartnerAccount e;
  e.legal_name = name;
  e.address = PostalAddress{"Hauptstrasse 1", "", "Berlin", "BE", "10115", "DE"};
  e.phone = "0301234567";
  e.primary_contact = ContactPerson{"Alice", "Meyer", "alice.meyer@" + name + ".example"};
  return e;
}

AddUser user(const std::string& id) { return AddUser{id, id + "@deep.example", "User " + id, false, {}}; }

// Executes `commands` in batches; false (with a message) unless all accepted.
bool execute_all(Ledger& ledger, const std::vector<Command>& commands) {
  for (size_t from = 0; from < commands.size(); from += kBatchCommands) {
    const size_t to = std::min(commands.size(), from + kBatchCommands);
    std::vector<BatchItem> items;
    for (size_t i = from; i < to; ++i) {
      items.push_back(BatchItem{&commands[i], sha256({commands[i].context.command_id})});
    }
    for (const auto& r : ledger.execute_batch(items)) {
      if (!r.ok() || r->kind != CommandResult::Kind::accepted) {
        std::fprintf(stderr, "mledger bench deep-account: a command was not accepted: %s\n",
                     r.ok() ? "rejected" : r.error().to_string().c_str());
        return false;
      }
    }
  }
  return true;
}

// The deep account: enrolled, then users added and removed until its stream
// holds `events` events; and a new account beside it.
bool build(Ledger& ledger, uint64_t events) {
  std::vector<Command> commands;
  commands.push_back(command("deep", "enroll-deep", enrollment("deep")));
  commands.push_back(command("fresh", "enroll-fresh", enrollment("fresh")));
  const uint64_t churn = events > 2 ? events - 2 : 0;  // enrollment: 2 events
  for (uint64_t i = 0; i < churn; ++i) {
    const std::string id = "churn-" + std::to_string(i / 2);
    if (i % 2 == 0) {
      commands.push_back(command("deep", "add-" + id, user(id)));
    } else {
      commands.push_back(command("deep", "remove-" + id, RemoveUser{id}));
    }
    if (commands.size() >= kBatchCommands * 10) {
      if (!execute_all(ledger, commands)) return false;
      commands.clear();
    }
  }
  return execute_all(ledger, commands);
}

double millis_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

// Milliseconds of one add_user on `account` through `ledger`.
double timed_add(Ledger& ledger, const std::string& account, const std::string& id) {
  const Command c = command(account, "probe-" + account + "-" + id, user("probe-" + id));
  const auto t0 = SteadyClock::now();
  auto r = ledger.execute(c, sha256({c.context.command_id}));
  const double ms = millis_since(t0);
  if (!r.ok() || r->kind != CommandResult::Kind::accepted) {
    std::fprintf(stderr, "mledger bench deep-account: probe on %s not accepted\n", account.c_str());
    return -1;
  }
  return ms;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The size of deep's snapshot and what decoding it costs.
void report_snapshot(SnapshotStore& store) {
  auto bytes = store.read("account-deep");
  if (!bytes.ok() || !bytes->has_value()) {
    std::printf("snapshot: none\n");
    return;
  }
  constexpr int kDecodes = 100;
  const auto t0 = SteadyClock::now();
  uint64_t version = 0;
  for (int i = 0; i < kDecodes; ++i) {
    auto s = decode_snapshot(**bytes);
    if (s.ok()) version = s->version;
  }
  std::printf("snapshot of deep: at version %llu, %zu bytes, decoded and checked in %.3f ms\n",
              static_cast<unsigned long long>(version), (*bytes)->size(), millis_since(t0) / kDecodes);
}

// Milliseconds of one `audit state` fold of `account` up to `until`, starting
// from a new ReadModelSnapshots over `store` (as a new process does; null:
// without snapshots), its background writes flushed; *read gets the events
// it read from the log. Negative on failure.
double timed_audit(EventLog& log, SnapshotStore* store, const std::string& account, const AsOf& until,
                   uint64_t* read) {
  const auto t0 = SteadyClock::now();
  std::optional<ReadModelSnapshots> snapshots;
  if (store != nullptr) snapshots.emplace(log, *store, ReadModelSnapshotOptions{});
  auto folded = fold_account_as_of(log, account, until, snapshots ? &*snapshots : nullptr);
  snapshots.reset();  // flushes
  const double ms = millis_since(t0);
  if (!folded.ok() || folded->events_folded == 0) {
    std::fprintf(stderr, "mledger bench deep-account: audit state of %s: %s\n", account.c_str(),
                 folded.ok() ? "no events then" : folded.error().to_string().c_str());
    return -1;
  }
  *read = folded->events_read;
  return ms;
}

// `audit state --as-of` (recorded clock) at the middle event of 'deep', in
// process: the first fold (no read-model snapshots yet: it folds from the
// first event and leaves them), then `runs` folds each from a new
// ReadModelSnapshots on 'deep' and on 'fresh' (same instant), medians and
// their ratio against the aim (2x). Prints the instant for
// tools/bench-deep-account, which times the same in new processes.
bool report_audit_middle(EventLog& log, SnapshotStore& store, uint64_t deep_events, int runs) {
  auto middle = log.read_stream("account-deep", std::max<uint64_t>(1, deep_events / 2), 1);
  if (!middle.ok() || middle->empty()) {
    std::fprintf(stderr, "mledger bench deep-account: cannot read the middle of deep\n");
    return false;
  }
  AsOf until;
  until.as_of = (*middle)[0].metadata.recorded_at;
  until.recorded_clock = true;
  std::printf("audit middle: event %llu of deep (seq %llu): --as-of %s --clock recorded\n",
              static_cast<unsigned long long>((*middle)[0].version),
              static_cast<unsigned long long>((*middle)[0].seq), format_rfc3339(*until.as_of).c_str());
  uint64_t read = 0;
  const double first = timed_audit(log, &store, "deep", until, &read);
  if (first < 0) return false;
  std::printf("audit state, deep, first (no read-model snapshots; leaves them): %.1f ms, %llu events read\n",
              first, static_cast<unsigned long long>(read));
  std::vector<double> deep, fresh;
  uint64_t deep_read = 0, fresh_read = 0;
  for (int i = 0; i < runs; ++i) {
    deep.push_back(timed_audit(log, &store, "deep", until, &deep_read));
    fresh.push_back(timed_audit(log, &store, "fresh", until, &fresh_read));
    if (deep.back() < 0 || fresh.back() < 0) return false;
  }
  const double ratio = median(fresh) > 0 ? median(deep) / median(fresh) : 0.0;
  std::printf("audit state --as-of the middle, in process, median of %d: deep %.2f ms (%llu events read after "
              "its snapshot), fresh %.2f ms, ratio %.2f (aim <= 2: %s)\n",
              runs, median(deep), static_cast<unsigned long long>(deep_read), median(fresh), ratio,
              ratio <= 2 ? "met" : "missed");
  return true;
}

// The live projector's catch-up cost per event on each of `accounts`:
// `rounds` rounds, each appending `per_round` add_users to one account and
// then timing one catch_up() of every projection (what the projector thread
// does when the head moves), the accounts taking turns round by round so
// that both see the same machine. A catch-up has a fixed cost (its commit
// is one synced write) besides its per-event cost; `per_round` is large so
// that the fixed part is small per event. The median microseconds per event
// folded of each account, or an empty vector on failure.
std::vector<double> projector_us_per_event(Ledger& ledger, ProjectionEngine& engine,
                                           const std::vector<std::string>& accounts, uint64_t rounds,
                                           uint64_t per_round) {
  std::vector<std::vector<double>> per_event(accounts.size());
  for (uint64_t r = 0; r < rounds; ++r) {
    for (size_t a = 0; a < accounts.size(); ++a) {
      std::vector<Command> commands;
      for (uint64_t i = 0; i < per_round; ++i) {
        const std::string id = "projected-" + accounts[a] + "-" + std::to_string(r) + "-" + std::to_string(i);
        commands.push_back(command(accounts[a], id, user(id)));
      }
      if (!execute_all(ledger, commands)) return {};
      const auto t0 = SteadyClock::now();
      if (Status s = engine.catch_up({}); !s.ok()) {
        std::fprintf(stderr, "mledger bench deep-account: catch-up: %s\n", s.to_string().c_str());
        return {};
      }
      per_event[a].push_back(millis_since(t0) * 1000 / static_cast<double>(per_round));
    }
  }
  std::vector<double> out;
  for (const auto& v : per_event) out.push_back(median(v));
  return out;
}

// Builds the projections of the ledger at `dir` to its head, then measures
// the projector's catch-up per event on the deep account and on the fresh one.
bool report_projector(Ledger& ledger, EventLog& log, const std::string& dir) {
  RocksDbProjectionStoreOptions options;
  options.path = projections_dir(dir);
  auto store = RocksDbProjectionStore::open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "mledger bench deep-account: %s\n", store.error().to_string().c_str());
    return false;
  }
  auto engine = make_engine(**store, log);
  const auto t0 = SteadyClock::now();
  if (Status s = engine->catch_up({}); !s.ok()) {
    std::fprintf(stderr, "mledger bench deep-account: catch-up: %s\n", s.to_string().c_str());
    return false;
  }
  std::printf("projections built to the head in %.1f s\n", millis_since(t0) / 1000);
  constexpr uint64_t kRounds = 11, kPerRound = 1000;
  const std::vector<double> us = projector_us_per_event(ledger, *engine, {"deep", "fresh"}, kRounds, kPerRound);
  if (us.size() != 2) return false;
  const double deep = us[0], fresh = us[1];
  const double ratio = fresh > 0 ? deep / fresh : 0.0;
  std::printf("projector catch-up per event, median of %llu rounds of %llu add_users each, taking turns: deep %.1f us, "
              "fresh %.1f us, ratio %.2f (aim: does not grow with the account, <= 2: %s)\n",
              static_cast<unsigned long long>(kRounds), static_cast<unsigned long long>(kPerRound), deep, fresh,
              ratio, ratio <= 2 ? "met" : "missed");
  return true;
}

}  // namespace

int bench_deep_account(Args& args) {
  uint64_t events = 0, warm = 0;
  if (!args.number("events", 100000, &events) || !args.number("warm", 200, &warm)) {
    std::fprintf(stderr, "mledger bench deep-account: %s\n", args.error().c_str());
    return kExitUsage;
  }
  const std::string dir = args.value_or("data", "bench-data/deep");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    std::fprintf(stderr, "mledger bench deep-account: %s exists; it builds a new ledger\n", dir.c_str());
    return kExitUsage;
  }
  RocksDbOptions options;
  options.path = dir;
  auto log = RocksDbEventLog::open(options);
  auto store = FileSnapshotStore::open(snapshots_dir(dir));
  if (!log.ok() || !store.ok()) {
    std::fprintf(stderr, "mledger bench deep-account: %s\n",
                 (!log.ok() ? log.error() : store.error()).to_string().c_str());
    return kExitFailure;
  }
  SystemClock clock;
  RandomUuidSource ids;
  GroupCommitWriter writer(**log, GroupCommitOptions{});
  const auto t0 = SteadyClock::now();
  {
    Ledger builder(**log, writer, clock, ids, LedgerOptions{}, store->get());
    if (!build(builder, events)) return kExitFailure;
  }  // snapshots flushed
  std::printf("built: account 'deep' with %llu events in %.1f s (and account 'fresh')\n",
              static_cast<unsigned long long>(*(*log)->stream_version("account-deep")),
              millis_since(t0) / 1000);

  report_snapshot(**store);
  if (!report_audit_middle(**log, **store, events, 5)) return kExitFailure;
  // Cold: a new ledger (empty cache) per probe, as a new process has.
  for (const char* account : {"deep", "fresh"}) {
    Ledger cold(**log, writer, clock, ids, LedgerOptions{}, store->get());
    const double ms = timed_add(cold, account, "cold");
    std::printf("cold %-6s add_user: %.2f ms (snapshots loaded: %llu)\n", account, ms,
                static_cast<unsigned long long>(cold.snapshot_stats().loaded));
  }
  {
    Ledger cold(**log, writer, clock, ids, LedgerOptions{}, nullptr);
    std::printf("cold deep   add_user without snapshots: %.2f ms\n", timed_add(cold, "deep", "cold-nosnap"));
  }
  // Warm: one ledger, its cache holding both accounts.
  Ledger ledger(**log, writer, clock, ids, LedgerOptions{}, store->get());
  std::vector<double> deep, fresh;
  for (uint64_t i = 0; i < warm; ++i) {
    deep.push_back(timed_add(ledger, "deep", "warm-" + std::to_string(i)));
    fresh.push_back(timed_add(ledger, "fresh", "warm-" + std::to_string(i)));
  }
  std::printf("warm add_user median of %llu: deep %.3f ms, fresh %.3f ms, ratio %.2f\n",
              static_cast<unsigned long long>(warm), median(deep), median(fresh),
              median(fresh) > 0 ? median(deep) / median(fresh) : 0.0);
  return report_projector(ledger, **log, dir) ? kExitOk : kExitFailure;
}

}  // namespace mledger::cli
