#include "tools/mledger/bench_proofs.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/merkle/merkle.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr uint64_t kQueriesMax = 10'000'000;
constexpr uint64_t kSeed = 20261205;

using Clock = std::chrono::steady_clock;

double micros_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

// This thread's CPU time, in microseconds: what a proof costs without the
// time the scheduler gave other processes (a shared machine) or I/O waits.
double thread_cpu_micros() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// One timed call: wall and CPU microseconds.
struct Sample {
  double wall_us = 0, cpu_us = 0;
};
template <class Fn>
auto timed(std::vector<Sample>* samples, Fn&& fn) {
  const double cpu0 = thread_cpu_micros();
  const auto t0 = Clock::now();
  auto out = fn();
  samples->push_back(Sample{micros_since(t0), thread_cpu_micros() - cpu0});
  return out;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

struct Timings {
  std::vector<Sample> inclusion, consistency;
};

// Times `queries` proofs of each kind against the tree of `size`, checking
// each; "" or what went wrong.
std::string time_proofs(EventLog& log, uint64_t size, uint64_t queries, Timings* out) {
  const merkle::NodeReader nodes = [&log](unsigned l, uint64_t i) { return log.tree_node(l, i); };
  auto root = merkle::root(nodes, size);
  if (!root.ok()) return root.error().to_string();
  std::mt19937_64 rng(kSeed);
  for (uint64_t q = 0; q < queries; ++q) {
    const uint64_t seq = 1 + rng() % size;
    auto path = timed(&out->inclusion, [&] { return merkle::inclusion_proof(nodes, seq - 1, size); });
    auto event = log.read_global(seq, 1);
    if (!path.ok() || !event.ok()) return (path.ok() ? event.error() : path.error()).to_string();
    if (event->empty()) return "event " + std::to_string(seq) + " is not in the log";
    const Hash256 leaf = merkle::leaf_hash(event->front().hash);
    if (std::string why = merkle::verify_inclusion(leaf, seq - 1, size, *path, *root); !why.empty()) {
      return "the inclusion proof of event " + std::to_string(seq) + " does not hold: " + why;
    }
    const uint64_t from = 1 + rng() % size;
    auto proof = timed(&out->consistency, [&] { return merkle::consistency_proof(nodes, from, size); });
    auto from_root = merkle::root(nodes, from);
    if (!proof.ok() || !from_root.ok()) return (proof.ok() ? from_root.error() : proof.error()).to_string();
    if (std::string why = merkle::verify_consistency(from, size, *from_root, *root, *proof); !why.empty()) {
      return "the consistency proof from size " + std::to_string(from) + " does not hold: " + why;
    }
  }
  return "";
}

// p50, p99 and max of one kind's wall and CPU times, in milliseconds.
nlohmann::json summary(const std::vector<Sample>& samples) {
  std::vector<double> wall, cpu;
  for (const Sample& s : samples) {
    wall.push_back(s.wall_us / 1e3);
    cpu.push_back(s.cpu_us / 1e3);
  }
  return {{"p50_ms", percentile(wall, 0.5)}, {"p99_ms", percentile(wall, 0.99)},
          {"max_ms", *std::max_element(wall.begin(), wall.end())}, {"cpu_p50_ms", percentile(cpu, 0.5)},
          {"cpu_p99_ms", percentile(cpu, 0.99)}, {"cpu_max_ms", *std::max_element(cpu.begin(), cpu.end())}};
}

void print_timings(uint64_t size, uint64_t queries, const Timings& t, bool as_json) {
  const nlohmann::json inclusion = summary(t.inclusion), consistency = summary(t.consistency);
  if (as_json) {
    std::printf("%s\n", nlohmann::json{{"bench", "proofs"}, {"tree_size", size}, {"queries", queries},
                                       {"inclusion", inclusion}, {"consistency", consistency}}
                            .dump()
                            .c_str());
    return;
  }
  std::printf("proofs: %llu of each kind in a tree of %llu events, each checked against its root\n",
              static_cast<unsigned long long>(queries), static_cast<unsigned long long>(size));
  for (const auto& [name, j] : {std::pair{"inclusion:  ", &inclusion}, std::pair{"consistency:", &consistency}}) {
    std::printf("  %s wall p50 %.3f ms  p99 %.3f ms  max %.3f ms;  CPU p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                name, (*j)["p50_ms"].get<double>(), (*j)["p99_ms"].get<double>(), (*j)["max_ms"].get<double>(),
                (*j)["cpu_p50_ms"].get<double>(), (*j)["cpu_p99_ms"].get<double>(),
                (*j)["cpu_max_ms"].get<double>());
  }
}

}  // namespace

int bench_proofs(Args& args) {
  uint64_t queries = 0;
  if (!args.number("queries", 10'000, &queries) || queries == 0 || queries > kQueriesMax) {
    std::fprintf(stderr, "mledger bench proofs: %s\n",
                 args.error().empty() ? "--queries must be 1..10000000" : args.error().c_str());
    return kExitUsage;
  }
  auto log = open_log_read_only(args.value_or("data", "bench-data/ledger"));
  if (!log.ok()) {
    std::fprintf(stderr, "mledger bench proofs: %s\n", log.error().to_string().c_str());
    return kExitFailure;
  }
  auto size = (*log)->tree_size();
  if (!size.ok() || *size == 0) {
    std::fprintf(stderr, "mledger bench proofs: %s\n",
                 size.ok() ? "the ledger's tree is empty" : size.error().to_string().c_str());
    return kExitFailure;
  }
  Timings t;
  if (std::string why = time_proofs(**log, *size, queries, &t); !why.empty()) {
    std::fprintf(stderr, "mledger bench proofs: %s\n", why.c_str());
    return kExitFailure;
  }
  print_timings(*size, queries, t, args.flag("json"));
  return kExitOk;
}

}  // namespace mledger::cli
