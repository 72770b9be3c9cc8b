// mledger bench append|replay: the ledger's own throughput, to be read beside
// RocksDB's db_bench on the same machine (tools/bench-log runs both).

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <string>

#include "adapters/capnp/event_codec.h"
#include "adapters/crypto/sha256.h"
#include "adapters/log/event_replay.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/system/heap_in_use.h"
#include "adapters/writer/group_commit_writer.h"
#include "tools/mledger/args.h"
#include "tools/mledger/bench_mix.h"
#include "tools/mledger/bench_deep_account.h"
#include "tools/mledger/bench_history.h"
#include "tools/mledger/bench_proofs.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/progress.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger bench append [--data DIR] [--events N] [--accounts N]
                            [--window N] [--payload-bytes N] [--mix users|realistic]
                            [--no-tree] [--json]
       mledger bench replay [--data DIR] [--json]
       mledger bench rebuild [--data DIR] [--memory-mib M] [--json]
       mledger bench history [--data DIR] [--queries N] [--json]
       mledger bench proofs [--data DIR] [--queries N] [--json]
       mledger bench deep-account [--data DIR] [--events N] [--warm N]

append: appends N synthetic UserAdded events (one per command, spread over
  --accounts account streams, each stream's versions checked) through the
  group-commit writer into a NEW ledger at DIR, every write synced. --window
  commands are in flight at once, as from that many concurrent clients.
  --mix realistic: instead, each account lives through 25-event years
  (enrollment, users, an order paid by card, membership, benefits, keys
  revealed, issued and redeemed, benefits assigned and used, roles, a merge
  invitation sent and declined), on the streams the deciders use.
  --no-tree: without the Merkle tree (RocksDbOptions::keep_tree off): the
  baseline that tools/bench-log measures the tree's cost against.
replay: reads every event of the ledger at DIR back in order, decodes it,
  recomputes its hash and checks the chain: reading and hashing on one
  thread, decoding on another.
rebuild: builds every projection of the ledger at DIR from event 1 into a
  new, empty projection store beside it (removed afterwards) and reports
  events/s and the process's peak resident memory (a bulk load: passes over
  the log, each a range of accounts folded in memory and ingested as SST
  files). --memory-mib: the rebuild's memory bound, as `mledger projections
  rebuild --memory-mib` (default 448). Each pass is printed as it ends (in
  --json: "passes"), with its events, accounts, seconds and resident memory.
history: reads the whole history of --queries random accounts (default 1000;
  as `mledger audit history` does) and as many consecutive events of the log
  for each, and prints the latency percentiles of both.
proofs: computes --queries (default 10000) inclusion proofs of random
  events in the whole Merkle tree of the ledger at DIR and as many
  consistency proofs from random smaller sizes to it, in process, checks
  each against the tree's root (untimed), and prints the latency
  percentiles of both kinds, wall time and the thread's CPU time.
deep-account: builds a NEW ledger at DIR with an account 'deep' whose stream
  holds N events (users added and removed, in batches through the ledger) and
  a new account 'fresh', then times one add_user on each with a new ledger
  (an empty cache, as a new process has; with and without snapshots) and
  --warm N add_users on each through one ledger (default 200), with ratios;
  times `audit state --as-of` the middle event of deep (recorded clock) in
  process: the first (which leaves read-model snapshots), then 5 each on
  deep and fresh, with the ratio; then builds the projections
  (DIR/projections) and times the live projector's catch-up per event over
  rounds of 1000 add_users on each in turn, with the ratio.
  tools/bench-deep-account also times `mledger exec` of one line and
  `mledger audit state`, a new process each.
Defaults: --data bench-data/ledger --events 1000000 --accounts 10000
  --window 8192 --payload-bytes 256.
)";

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

UserAdded synthetic_user(uint64_t account, uint64_t n, size_t payload_bytes) {
  UserAdded u;
  u.account_id = "acct-" + std::to_string(account);
  u.user_id = "user-" + std::to_string(n);
  u.email = "person" + std::to_string(n) + "@company" + std::to_string(account) + ".example";
  u.roles = {Role::mpn_partner_admin, Role::incentives_admin};
  u.guest = n % 7 == 0;
  const size_t used = u.account_id.size() + u.user_id.size() + u.email.size() + 2 * 2 + 1;
  u.display_name = "Member " + std::to_string(n) + " of " + u.account_id;
  if (u.display_name.size() + used < payload_bytes) {
    u.display_name.append(payload_bytes - used - u.display_name.size(), '.');
  }
  return u;
}

int bench_append(Args& args) {
  uint64_t events = 0, accounts = 0, window = 0, payload = 0;
  const std::string mix_name = args.value_or("mix", "users");
  if (mix_name != "users" && mix_name != "realistic") {
    std::fprintf(stderr, "mledger bench append: --mix must be users or realistic\n");
    return kExitUsage;
  }
  if (!args.number("events", 1'000'000, &events) || !args.number("accounts", 10'000, &accounts) ||
      !args.number("window", 8192, &window) || !args.number("payload-bytes", 256, &payload) ||
      accounts == 0 || window == 0 || window > 65536) {
    std::fprintf(stderr, "mledger bench: %s\n",
                 args.error().empty() ? "--accounts and --window must be 1..65536" : args.error().c_str());
    return kExitUsage;
  }
  const std::string dir = args.value_or("data", "bench-data/ledger");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    std::fprintf(stderr, "mledger bench append: %s is not empty; give a new directory\n", dir.c_str());
    return kExitUsage;
  }
  std::filesystem::create_directories(dir, ec);
  RocksDbOptions options;
  options.path = dir;
  options.keep_tree = !args.flag("no-tree");
  auto log = RocksDbEventLog::open(options);
  if (!log.ok()) {
    std::fprintf(stderr, "mledger bench append: %s\n", log.error().to_string().c_str());
    return kExitFailure;
  }
  GroupCommitWriter writer(**log, GroupCommitOptions{});

  // Envelope size of a typical event, for the baseline's --value_size.
  RecordedEvent sample;
  sample.seq = 1;
  sample.version = 1;
  sample.stream = "account-acct-0";
  sample.event_id = "00000000-0000-4000-8000-000000000000";
  sample.account_ids = {"acct-0"};
  sample.metadata.command_id = "bench-0";
  sample.metadata.actor = Actor{ActorKind::user, "acct-0", "user-admin", {Role::global_admin}};
  sample.payload = synthetic_user(0, 0, payload);
  const size_t envelope_bytes = codec::seal(sample)->size();

  std::vector<uint64_t> versions(accounts, 0);
  std::deque<std::future<StatusOr<AppendOutcome>>> in_flight;
  uint64_t appended = 0;
  auto settle_one = [&]() -> bool {
    auto outcome = in_flight.front().get();
    in_flight.pop_front();
    if (!outcome.ok() || outcome->status != AppendStatus::appended) {
      std::fprintf(stderr, "mledger bench append: append failed: %s\n",
                   outcome.ok() ? "not appended" : outcome.error().to_string().c_str());
      return false;
    }
    ++appended;
    return true;
  };
  RealisticMix mix(accounts);
  const auto t0 = Clock::now();
  for (uint64_t n = 0; n < events; ++n) {
    if (mix_name == "realistic") {
      in_flight.push_back(writer.submit(mix.next(n)));
      if (in_flight.size() >= window && !settle_one()) return kExitFailure;
      continue;
    }
    const uint64_t account = n % accounts;
    AppendRequest req;
    req.command_id = "bench-" + std::to_string(n);
    req.command_digest = sha256({req.command_id});
    req.metadata.command_id = req.command_id;
    req.metadata.correlation_id = req.command_id;
    req.metadata.actor = Actor{ActorKind::user, "acct-" + std::to_string(account), "user-admin",
                               {Role::global_admin}};
    req.metadata.recorded_at = Instant{1'790'000'000'000'000 + static_cast<int64_t>(n)};
    const std::string stream = "account-acct-" + std::to_string(account);
    req.expectations.push_back({stream, versions[account]++});
    req.events.push_back(NewEvent{stream, "evt-" + std::to_string(n),
                                  {"acct-" + std::to_string(account)},
                                  synthetic_user(account, n, payload)});
    in_flight.push_back(writer.submit(std::move(req)));
    if (in_flight.size() >= window && !settle_one()) return kExitFailure;
  }
  while (!in_flight.empty()) {
    if (!settle_one()) return kExitFailure;
  }
  const double secs = seconds_since(t0);
  const GroupCommitStats stats = writer.stats();
  writer.stop();
  const double rate = static_cast<double>(appended) / secs;
  const double mean_batch = stats.batches ? static_cast<double>(stats.requests) / static_cast<double>(stats.batches) : 0;
  if (args.flag("json")) {
    std::printf(
        "{\"bench\":\"append\",\"events\":%llu,\"seconds\":%.3f,\"events_per_s\":%.0f,"
        "\"batches\":%llu,\"mean_batch\":%.1f,\"envelope_bytes\":%zu,\"payload_bytes\":%llu}\n",
        static_cast<unsigned long long>(appended), secs, rate,
        static_cast<unsigned long long>(stats.batches), mean_batch, envelope_bytes,
        static_cast<unsigned long long>(payload));
  } else {
    std::printf("append: %llu events in %.2f s = %.0f events/s; %llu synced batches, mean %.1f "
                "commands; envelope %zu bytes; writer busy %.2f s\n",
                static_cast<unsigned long long>(appended), secs, rate,
                static_cast<unsigned long long>(stats.batches), mean_batch, envelope_bytes,
                static_cast<double>(stats.append_micros) / 1e6);
  }
  return kExitOk;
}

int bench_replay(Args& args) {
  const std::string dir = args.value_or("data", "bench-data/ledger");
  RocksDbOptions options;
  options.path = dir;
  options.read_only = true;
  options.create_if_missing = false;
  if (Status s = require_ledger(dir); !s.ok()) {
    std::fprintf(stderr, "mledger bench replay: %s\n", s.to_string().c_str());
    return kExitFailure;
  }
  auto log = RocksDbEventLog::open(options);
  if (!log.ok()) {
    std::fprintf(stderr, "mledger bench replay: %s\n", log.error().to_string().c_str());
    return kExitFailure;
  }
  ReplayStats stats;
  const auto t0 = Clock::now();
  // Read and chain-check on one thread, decode on this one (adapters/log/event_replay.h).
  Status s = replay_events(**log, 1, ReplayLimits{}, [](RecordedEvent&&) { return true; }, &stats);
  const double secs = seconds_since(t0);
  if (!s.ok()) {
    std::fprintf(stderr, "mledger bench replay: %s\n", s.to_string().c_str());
    return kExitFailure;
  }
  const uint64_t count = stats.events, bytes = stats.envelope_bytes;
  const double rate = static_cast<double>(count) / secs;
  if (args.flag("json")) {
    std::printf("{\"bench\":\"replay\",\"events\":%llu,\"seconds\":%.3f,\"events_per_s\":%.0f,"
                "\"bytes\":%llu}\n",
                static_cast<unsigned long long>(count), secs, rate,
                static_cast<unsigned long long>(bytes));
  } else {
    std::printf("replay: %llu events (%.1f MB) decoded and chain-checked in %.2f s = %.0f events/s\n",
                static_cast<unsigned long long>(count), static_cast<double>(bytes) / 1e6, secs, rate);
  }
  return kExitOk;
}

int bench_rebuild(Args& args) {
  const std::string dir = args.value_or("data", "bench-data/ledger");
  const size_t base_resident = resident_set_bytes();  // as `projections rebuild` counts it
  auto log = open_log_read_only(dir);
  if (!log.ok()) {
    std::fprintf(stderr, "mledger bench rebuild: %s\n", log.error().to_string().c_str());
    return kExitFailure;
  }
  const std::string scratch = dir + "-bench-projections";
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  RocksDbProjectionStoreOptions store_options;
  store_options.path = scratch;
  auto store = RocksDbProjectionStore::open(store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "mledger bench rebuild: %s\n", store.error().to_string().c_str());
    return kExitFailure;
  }
  ProjectionEngineOptions engine_options;
  uint64_t memory_mib = 0;
  if (!args.number("memory-mib", engine_options.memory_bytes_max >> 20, &memory_mib) || memory_mib == 0 ||
      memory_mib > 65536) {
    std::fprintf(stderr, "mledger bench rebuild: --memory-mib must be a number of MiB from 1 to 65536\n");
    return kExitUsage;
  }
  engine_options.memory_bytes_max = static_cast<size_t>(memory_mib) << 20;
  engine_options.resident_base_bytes = base_resident;
  engine_options.spill_directory = scratch + "-spill";
  auto engine = make_engine(**store, **log, engine_options);
  const size_t opened_resident = resident_set_bytes(), opened_heap = heap_in_use_bytes();
  nlohmann::json passes = nlohmann::json::array();
  const bool as_json = args.flag("json");
  const auto t0 = Clock::now();
  Status s = engine->rebuild({}, [&](const ProjectionProgress& p) {
    if (!p.pass_done) return;
    passes.push_back(pass_json(*p.pass_done));
    if (!as_json) std::printf("rebuild: %s\n", describe_pass(*p.pass_done).c_str());
  });
  const double secs = seconds_since(t0);
  if (!s.ok()) {
    std::fprintf(stderr, "mledger bench rebuild: %s\n", s.to_string().c_str());
    return kExitFailure;
  }
  const uint64_t events = (*log)->digest()->seq;
  uint64_t bytes = 0;
  auto status = engine->status();
  if (status.ok()) {
    for (const auto& p : *status) bytes += p.size_bytes;
  }
  engine.reset();
  store.value().reset();
  std::filesystem::remove_all(scratch, ec);
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double rate = static_cast<double>(events) / secs;
  const long peak_kib = usage.ru_maxrss;
  if (as_json) {
    const nlohmann::json out = {{"bench", "rebuild"},
                                {"events", events},
                                {"seconds", secs},
                                {"events_per_s", std::round(rate)},
                                {"peak_rss_kib", peak_kib},
                                {"projection_bytes", bytes},
                                {"memory_mib", memory_mib},
                                {"base_resident_bytes", base_resident},
                                {"opened_resident_bytes", opened_resident},
                                {"opened_heap_bytes", opened_heap},
                                {"passes", passes}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("rebuild: %llu events into every projection in %.2f s = %.0f events/s; peak RSS "
                "%.1f MiB; projections %.1f MB\n",
                static_cast<unsigned long long>(events), secs, rate, static_cast<double>(peak_kib) / 1024,
                static_cast<double>(bytes) / 1e6);
  }
  return kExitOk;
}

}  // namespace

int run_bench(const Argv& argv) {
  if (!argv.empty() && (argv[0] == "commands" || argv[0] == "http")) return run_bench_load(argv);
  Args args;
  if (!args.parse(argv, {"data", "events", "accounts", "window", "payload-bytes", "mix", "queries", "warm", "memory-mib"}, {"json", "help", "no-tree"})) {
    std::fprintf(stderr, "mledger bench: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    const std::string what = args.positionals().empty() ? "" : args.positionals().front();
    std::fputs(subcommand_help(kHelp, "bench", what).c_str(), stdout);
    return kExitOk;
  }
  if (args.positionals().size() != 1) {
    std::fprintf(stderr, "mledger bench: say append, replay, rebuild, history, proofs or deep-account\n\n%s", kHelp);
    return kExitUsage;
  }
  const std::string& what = args.positionals()[0];
  if (what == "append") return bench_append(args);
  if (what == "replay") return bench_replay(args);
  if (what == "rebuild") return bench_rebuild(args);
  if (what == "history") return bench_history(args);
  if (what == "proofs") return bench_proofs(args);
  if (what == "deep-account") return bench_deep_account(args);
  std::fprintf(stderr, "mledger bench: unknown benchmark '%s'\n\n%s", what.c_str(), kHelp);
  return kExitUsage;
}

}  // namespace mledger::cli
