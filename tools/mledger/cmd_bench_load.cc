// mledger bench commands | bench http: the same command workload through the
// embedded ledger (what `mledger exec` does) and through `mledger serve` over
// HTTP, each from many client threads, so that their ratio is the network
// layer's cost (tools/bench-server runs both side by side).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/auth/bearer_token.h"
#include "adapters/http/http_client.h"
#include "adapters/http/process_metrics.h"
#include "adapters/json/command_json.h"
#include "tools/mledger/args.h"
#include "tools/mledger/bench_commands.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger bench commands --data DIR [load options]
       mledger bench commands --data DIR --seed-only --accounts A
       mledger bench http --url http://HOST:PORT --key-file FILE [load options]

The same workload two ways: `add_user` commands on A enrolled partner accounts
(bench-000000..), each from the account's own admin, sent by C client threads,
N requests in all, B commands per request (a batch for one account).
`commands` runs them in this process through the ledger (as `mledger exec`
does: parse, decide, durable append); `http` sends them to `mledger serve`
with each account's admin's token (signed with FILE, the server's key).
`commands` first enrolls the accounts that are missing (fixed command ids).

Load options:
  --accounts A   partner accounts (default 1000)
  --account-offset K  use accounts K..K+A-1 (so that runs side by side start
                 from accounts of the same size; `commands` enrolls 0..K+A-1)
  --clients C    client threads (default 64)
  --requests N   requests in all (default 20000)
  --batch B      commands per request (default 1: one command, not an array)
  --rate R       requests per second in all, paced (default: as fast as answered);
                 latency is measured from each request's scheduled time
  --run ID       names this run's commands (default: from the clock)
  --aggregate-cache-streams S  (`commands` only) folded states the ledger
                 keeps between commands (default 20000; 0: none, every
                 command folds its streams from the start)

Prints one JSON line: requests/s, commands/s, p50/p90/p99/max latency in
milliseconds, and the outcomes (accepted, rejected, failed).
)";

struct Load {
  uint64_t accounts = 1000, clients = 64, requests = 20000, batch = 1, rate = 0, offset = 0;
  std::string run;
};

bool parse_load(Args& args, Load* load) {
  if (!args.number("accounts", 1000, &load->accounts) || !args.number("clients", 64, &load->clients) ||
      !args.number("requests", 20000, &load->requests) || !args.number("batch", 1, &load->batch) ||
      !args.number("rate", 0, &load->rate) || !args.number("account-offset", 0, &load->offset)) {
    std::fprintf(stderr, "mledger bench: %s\n", args.error().c_str());
    return false;
  }
  if (load->accounts < 1 || load->accounts > 1'000'000 || load->clients < 1 || load->clients > 4096 ||
      load->requests < 1 || load->batch < 1 || load->batch > 10000) {
    std::fprintf(stderr, "mledger bench: out of range: --accounts 1..1000000, --clients 1..4096, "
                         "--requests from 1, --batch 1..10000\n");
    return false;
  }
  load->run = args.value_or("run", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     std::chrono::system_clock::now().time_since_epoch())
                                                     .count()));
  return true;
}

struct Outcomes {
  std::atomic<uint64_t> accepted{0}, rejected{0}, failed{0};
  std::mutex mu;
  std::vector<double> latencies;  // seconds, one per request
  std::string first_failure;
};

// Runs the load: `send(client, request_index, account, first_n)` performs one
// request and returns per-command outcomes in `o`.
template <class Send>
nlohmann::json drive(const Load& load, const char* mode, Outcomes& o, Send send) {
  std::atomic<uint64_t> next{0};
  const double cpu_before_s = http::process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const double interval_s = load.rate ? 1.0 / static_cast<double>(load.rate) : 0;
  std::vector<std::thread> threads;
  for (uint64_t c = 0; c < load.clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      for (;;) {
        const uint64_t i = next.fetch_add(1);
        if (i >= load.requests) break;
        auto scheduled = std::chrono::steady_clock::now();
        if (interval_s > 0) {
          scheduled = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(interval_s * static_cast<double>(i)));
          std::this_thread::sleep_until(scheduled);
        }
        // Request i: account i mod A (consecutive requests spread over accounts).
        const uint64_t account = load.offset + i % load.accounts;
        if (!send(c, account, i * load.batch)) break;
        mine.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - scheduled).count());
      }
      std::lock_guard lock(o.mu);
      o.latencies.insert(o.latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_s = http::process_cpu_seconds() - cpu_before_s;
  std::sort(o.latencies.begin(), o.latencies.end());
  const double done = static_cast<double>(o.latencies.size());
  nlohmann::json j = {{"mode", mode},
                      {"clients", load.clients},
                      {"batch", load.batch},
                      {"rate", load.rate},
                      {"requests", o.latencies.size()},
                      {"commands", o.accepted + o.rejected + o.failed},
                      {"accepted", o.accepted.load()},
                      {"rejected", o.rejected.load()},
                      {"failed", o.failed.load()},
                      {"seconds", seconds},
                      {"requests_per_s", done / seconds},
                      {"commands_per_s", static_cast<double>(o.accepted + o.rejected) / seconds},
                      {"p50_ms", percentile_ms(o.latencies, 0.50)},
                      {"p90_ms", percentile_ms(o.latencies, 0.90)},
                      {"p99_ms", percentile_ms(o.latencies, 0.99)},
                      {"max_ms", o.latencies.empty() ? 0.0 : o.latencies.back() * 1000},
                      {"cpu_s", cpu_s}};
  if (!o.first_failure.empty()) j["first_failure"] = o.first_failure;
  return j;
}

void note_failure(Outcomes& o, const std::string& what) {
  std::lock_guard lock(o.mu);
  if (o.first_failure.empty()) o.first_failure = what;
}

int bench_commands(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"data", "accounts", "clients", "requests", "batch", "rate", "run", "account-offset",
                         "aggregate-cache-streams"},
                  {"seed-only", "help"})) {
    std::fprintf(stderr, "mledger bench commands: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  Load load;
  if (!parse_load(args, &load)) return kExitUsage;
  LedgerOptions ledger_options;
  if (!args.number("aggregate-cache-streams", ledger_options.aggregate_cache_streams_max,
                   &ledger_options.aggregate_cache_streams_max)) {
    std::fprintf(stderr, "mledger bench commands: %s\n", args.error().c_str());
    return kExitUsage;
  }
  auto rt = open_runtime(args.value_or("data", "mledger-data"), {}, ledger_options,
                         LedgerCreation::create_if_missing);
  if (!rt.ok()) {
    std::fprintf(stderr, "mledger bench commands: %s\n", rt.error().to_string().c_str());
    return kExitFailure;
  }
  Ledger& ledger = *(*rt)->ledger;
  // Enroll the accounts (idempotent), 1000 at a time.
  for (uint64_t a = 0; a < load.offset + load.accounts;) {
    std::vector<json::ParsedCommand> parsed;
    for (; a < load.offset + load.accounts && parsed.size() < 1000; ++a) {
      auto p = json::parse_command(bench_enroll_json(a), (*rt)->clock.now());
      if (!p.ok()) {
        std::fprintf(stderr, "mledger bench commands: %s\n", p.error().to_string().c_str());
        return kExitFailure;
      }
      parsed.push_back(std::move(*p));
    }
    std::vector<BatchItem> items;
    for (const auto& p : parsed) items.push_back(BatchItem{&p.command, p.digest});
    for (const auto& r : ledger.execute_batch(items)) {
      if (!r.ok() || r->kind == CommandResult::Kind::rejected) {
        std::fprintf(stderr, "mledger bench commands: enrolling failed: %s\n",
                     r.ok() ? r->rejection->message.c_str() : r.error().to_string().c_str());
        return kExitFailure;
      }
    }
  }
  if (args.flag("seed-only")) return kExitOk;

  Outcomes o;
  const nlohmann::json result = drive(load, "embedded", o, [&](uint64_t, uint64_t account, uint64_t first) {
    std::vector<json::ParsedCommand> parsed;
    for (uint64_t k = 0; k < load.batch; ++k) {
      auto p = json::parse_command(bench_add_user_json(account, load.run, first + k), (*rt)->clock.now());
      if (!p.ok()) {
        note_failure(o, p.error().to_string());
        o.failed += 1;
        return false;
      }
      parsed.push_back(std::move(*p));
    }
    std::vector<StatusOr<CommandResult>> results;
    if (load.batch == 1) {
      results.push_back(ledger.execute(parsed[0].command, parsed[0].digest));
    } else {
      std::vector<BatchItem> items;
      for (const auto& p : parsed) items.push_back(BatchItem{&p.command, p.digest});
      results = ledger.execute_batch(items);
    }
    for (const auto& r : results) {
      if (!r.ok()) {
        note_failure(o, r.error().to_string());
        o.failed += 1;
      } else if (r->kind == CommandResult::Kind::rejected) {
        o.rejected += 1;
      } else {
        o.accepted += 1;
      }
    }
    return true;
  });
  std::printf("%s\n", result.dump().c_str());
  return o.failed ? kExitFailure : kExitOk;
}

int bench_http(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"url", "key-file", "accounts", "clients", "requests", "batch", "rate", "run", "account-offset"},
                  {"help"})) {
    std::fprintf(stderr, "mledger bench http: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  Load load;
  if (!parse_load(args, &load)) return kExitUsage;
  const std::string url = args.value_or("url", "");
  const std::string prefix = "http://";
  const size_t colon = url.rfind(':');
  if (url.compare(0, prefix.size(), prefix) != 0 || colon < prefix.size()) {
    std::fprintf(stderr, "mledger bench http: --url http://HOST:PORT is required\n");
    return kExitUsage;
  }
  const std::string host = url.substr(prefix.size(), colon - prefix.size());
  const auto port = static_cast<uint16_t>(std::atoi(url.c_str() + colon + 1));
  auto key = auth::SigningKey::load(args.value_or("key-file", ""));
  if (!key.ok()) {
    std::fprintf(stderr, "mledger bench http: %s\n", key.error().message().c_str());
    return kExitUsage;
  }
  // One token per account: its admin's.
  std::vector<std::string> auth(load.offset + load.accounts);
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  for (uint64_t a = load.offset; a < load.offset + load.accounts; ++a) {
    auth::TokenClaims c;
    c.kind = ActorKind::user;
    c.user_id = bench_admin_id(a);
    c.account_id = bench_account_id(a);
    c.issued_at_s = now_s;
    c.expires_at_s = now_s + 24 * 3600;
    c.token_id = "bench-" + std::to_string(a);
    auth[a] = "Bearer " + auth::issue_token(*key, c);
  }
  std::vector<std::unique_ptr<http::HttpClient>> clients(load.clients);
  for (auto& c : clients) {
    auto connected = http::HttpClient::connect(host, port);
    if (!connected.ok()) {
      std::fprintf(stderr, "mledger bench http: %s\n", connected.error().to_string().c_str());
      return kExitFailure;
    }
    c = std::move(connected.value());
  }
  Outcomes o;
  const nlohmann::json result = drive(load, "http", o, [&](uint64_t client, uint64_t account, uint64_t first) {
    std::string body;
    if (load.batch == 1) {
      body = bench_add_user_json(account, load.run, first);
    } else {
      body = "[";
      for (uint64_t k = 0; k < load.batch; ++k) {
        if (k) body += ',';
        body += bench_add_user_json(account, load.run, first + k);
      }
      body += ']';
    }
    auto r = clients[client]->request(
        "POST", "/v1/commands", {{"Authorization", auth[account]}, {"Content-Type", "application/json"}}, body);
    if (!r.ok()) {
      note_failure(o, r.error().to_string());
      o.failed += load.batch;
      return false;
    }
    if (r->status != 200 && r->status != 422) {
      note_failure(o, "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 300));
      o.failed += load.batch;
      return true;
    }
    if (load.batch == 1) {
      (r->status == 200 ? o.accepted : o.rejected) += 1;
      return true;
    }
    // Count per command without parsing the whole answer: each result has a status.
    uint64_t accepted = 0;
    for (size_t at = 0; (at = r->body.find("\"status\":\"accepted\"", at)) != std::string::npos; ++at) ++accepted;
    o.accepted += accepted;
    o.rejected += load.batch - accepted;
    return true;
  });
  std::printf("%s\n", result.dump().c_str());
  return o.failed ? kExitFailure : kExitOk;
}

}  // namespace

int run_bench_load(const Argv& argv) {
  const std::string what = argv.empty() ? "" : argv[0];
  const Argv rest(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
  if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
    std::fputs(subcommand_help(kHelp, "bench", what).c_str(), stdout);
    return kExitOk;
  }
  return what == "http" ? bench_http(rest) : bench_commands(rest);
}

}  // namespace mledger::cli
