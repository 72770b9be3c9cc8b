#include "tools/mledger/bench_proofs.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

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

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

struct Timings {
  std::vector<double> inclusion_us, consistency_us;
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
    auto t0 = Clock::now();
    auto path = merkle::inclusion_proof(nodes, seq - 1, size);
    out->inclusion_us.push_back(micros_since(t0));
    auto event = log.read_global(seq, 1);
    if (!path.ok() || !event.ok()) return (path.ok() ? event.error() : path.error()).to_string();
    if (event->empty()) return "event " + std::to_string(seq) + " is not in the log";
    const Hash256 leaf = merkle::leaf_hash(event->front().hash);
    if (std::string why = merkle::verify_inclusion(leaf, seq - 1, size, *path, *root); !why.empty()) {
      return "the inclusion proof of event " + std::to_string(seq) + " does not hold: " + why;
    }
    const uint64_t from = 1 + rng() % size;
    t0 = Clock::now();
    auto proof = merkle::consistency_proof(nodes, from, size);
    out->consistency_us.push_back(micros_since(t0));
    auto from_root = merkle::root(nodes, from);
    if (!proof.ok() || !from_root.ok()) return (proof.ok() ? from_root.error() : proof.error()).to_string();
    if (std::string why = merkle::verify_consistency(from, size, *from_root, *root, *proof); !why.empty()) {
      return "the consistency proof from size " + std::to_string(from) + " does not hold: " + why;
    }
  }
  return "";
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
  const double i50 = percentile(t.inclusion_us, 0.5), i99 = percentile(t.inclusion_us, 0.99);
  const double c50 = percentile(t.consistency_us, 0.5), c99 = percentile(t.consistency_us, 0.99);
  const double imax = *std::max_element(t.inclusion_us.begin(), t.inclusion_us.end());
  const double cmax = *std::max_element(t.consistency_us.begin(), t.consistency_us.end());
  if (args.flag("json")) {
    std::printf("{\"bench\":\"proofs\",\"tree_size\":%llu,\"queries\":%llu,\"inclusion_p50_ms\":%.4f,"
                "\"inclusion_p99_ms\":%.4f,\"inclusion_max_ms\":%.4f,\"consistency_p50_ms\":%.4f,"
                "\"consistency_p99_ms\":%.4f,\"consistency_max_ms\":%.4f}\n",
                static_cast<unsigned long long>(*size), static_cast<unsigned long long>(queries), i50 / 1e3,
                i99 / 1e3, imax / 1e3, c50 / 1e3, c99 / 1e3, cmax / 1e3);
  } else {
    std::printf("proofs: %llu of each kind in a tree of %llu events, each checked against its root\n"
                "  inclusion:   p50 %.3f ms  p99 %.3f ms  max %.3f ms\n"
                "  consistency: p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                static_cast<unsigned long long>(queries), static_cast<unsigned long long>(*size), i50 / 1e3,
                i99 / 1e3, imax / 1e3, c50 / 1e3, c99 / 1e3, cmax / 1e3);
  }
  return kExitOk;
}

}  // namespace mledger::cli
