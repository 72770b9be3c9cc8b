#include "tools/mledger/bench_history.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "domain/core/streams.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr size_t kAccountsMax = 1 << 22;
constexpr size_t kReadChunk = 4096;  // as `audit history` reads
constexpr uint64_t kSeed = 20260101;

using Clock = std::chrono::steady_clock;

double micros_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// Every account with a stream (`account-<id>`), at most kAccountsMax.
StatusOr<std::vector<std::string>> list_accounts(EventLog& log) {
  std::vector<std::string> accounts;
  std::string after;
  while (accounts.size() < kAccountsMax) {
    auto streams = log.list_streams(kAccountStreamPrefix, after, 4096);
    if (!streams.ok()) return Err{streams.error()};
    if (streams->empty()) break;
    for (const auto& s : *streams) accounts.emplace_back(account_of_stream(s));
    after = streams->back();
  }
  return accounts;
}

// Reads a whole account's history in chunks; returns the events read.
StatusOr<uint64_t> read_history(EventLog& log, const std::string& account) {
  uint64_t from = 0, count = 0;
  for (;;) {
    auto events = log.read_account(account, from, kReadChunk);
    if (!events.ok()) return Err{events.error()};
    count += events->size();
    if (events->size() < kReadChunk) return count;
    from = events->back().seq + 1;
  }
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

int bench_history(Args& args) {
  uint64_t queries = 0;
  if (!args.number("queries", 1000, &queries) || queries == 0) {
    std::fprintf(stderr, "mledger bench history: %s\n",
                 args.error().empty() ? "--queries must be at least 1" : args.error().c_str());
    return kExitUsage;
  }
  auto log = open_log_read_only(args.value_or("data", "bench-data/ledger"));
  if (!log.ok()) {
    std::fprintf(stderr, "mledger bench history: %s\n", log.error().to_string().c_str());
    return kExitFailure;
  }
  auto accounts = list_accounts(**log);
  auto digest = (*log)->digest();
  if (!accounts.ok() || !digest.ok() || accounts->empty()) {
    std::fprintf(stderr, "mledger bench history: %s\n",
                 !accounts.ok() ? accounts.error().to_string().c_str()
                 : !digest.ok() ? digest.error().to_string().c_str()
                                : "the ledger has no accounts");
    return kExitFailure;
  }
  std::mt19937_64 rng(kSeed);
  std::vector<double> history_us, baseline_us;
  uint64_t events_read = 0;
  for (uint64_t q = 0; q < queries; ++q) {
    const std::string& account = (*accounts)[rng() % accounts->size()];
    auto t0 = Clock::now();
    auto n = read_history(**log, account);
    history_us.push_back(micros_since(t0));
    if (!n.ok()) {
      std::fprintf(stderr, "mledger bench history: %s\n", n.error().to_string().c_str());
      return kExitFailure;
    }
    events_read += *n;
    // Baseline: as many consecutive events from a random place in the log.
    const uint64_t count = std::min<uint64_t>(std::max<uint64_t>(*n, 1), digest->seq);
    const uint64_t start = 1 + rng() % (digest->seq - count + 1);
    t0 = Clock::now();
    auto run = (*log)->read_global(start, count);
    baseline_us.push_back(micros_since(t0));
    if (!run.ok()) {
      std::fprintf(stderr, "mledger bench history: %s\n", run.error().to_string().c_str());
      return kExitFailure;
    }
  }
  const double mean_events = static_cast<double>(events_read) / static_cast<double>(queries);
  const double h50 = percentile(history_us, 0.5), h99 = percentile(history_us, 0.99);
  const double b50 = percentile(baseline_us, 0.5), b99 = percentile(baseline_us, 0.99);
  const double hmax = *std::max_element(history_us.begin(), history_us.end());
  if (args.flag("json")) {
    std::printf("{\"bench\":\"history\",\"ledger_events\":%llu,\"accounts\":%zu,\"queries\":%llu,"
                "\"mean_events_per_account\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
                "\"baseline_p50_ms\":%.3f,\"baseline_p99_ms\":%.3f}\n",
                static_cast<unsigned long long>(digest->seq), accounts->size(),
                static_cast<unsigned long long>(queries), mean_events, h50 / 1e3, h99 / 1e3,
                hmax / 1e3, b50 / 1e3, b99 / 1e3);
  } else {
    std::printf("history: %llu queries over %zu accounts of a %llu-event ledger, %.1f events each\n"
                "  account history (by_account index + point reads): p50 %.3f ms  p99 %.3f ms  max %.3f ms\n"
                "  baseline (as many consecutive events, one scan):  p50 %.3f ms  p99 %.3f ms\n"
                "  ratio p50 %.2f\n",
                static_cast<unsigned long long>(queries), accounts->size(),
                static_cast<unsigned long long>(digest->seq), mean_events, h50 / 1e3, h99 / 1e3,
                hmax / 1e3, b50 / 1e3, b99 / 1e3, h50 / b50);
  }
  return kExitOk;
}

}  // namespace mledger::cli
