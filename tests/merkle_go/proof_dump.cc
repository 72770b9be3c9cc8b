// proof_dump DIR EVENTS (all | random:COUNT): appends EVENTS events to a new
// ledger in DIR (RocksDB, batches as the group-commit writer makes them), then
// writes what tests/merkle_go/checker/main.go checks: every event's chain hash, and
// mledger's root and proof for every (seq, size) and (from, to) pair ("all")
// or for COUNT random pairs of each kind ("random:COUNT", a fixed seed).
// Exit 0 after writing; 1 naming what failed.

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/crypto/sha256.h"
#include "adapters/merkle/merkle.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/fixtures.h"

namespace mledger {
namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "proof_dump: %s\n", what.c_str());
  std::exit(1);
}

nlohmann::json hexes(const std::vector<Hash256>& hashes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hashes) out.push_back(to_hex(h));
  return out;
}

void fill(RocksDbEventLog& log, uint64_t events) {
  uint64_t command = 0;
  while (true) {
    const uint64_t have = log.digest()->seq;
    if (have >= events) return;
    std::vector<AppendRequest> batch;
    for (uint64_t n = 0; n < 500 && have + n < events; ++n, ++command) {
      const std::string account = "acct-" + std::to_string(command);
      batch.push_back(testing::user_added_request("c" + std::to_string(command), account, 0, account));
    }
    auto out = log.append_batch(batch);
    if (!out.ok()) die(out.error().to_string());
  }
}

struct Dumper {
  EventLog& log;
  merkle::NodeReader nodes = [this](unsigned l, uint64_t i) { return log.tree_node(l, i); };

  std::string root(uint64_t size) {
    auto r = merkle::root(nodes, size);
    if (!r.ok()) die(r.error().to_string());
    return to_hex(*r);
  }
  void inclusion(uint64_t seq, uint64_t size) {
    auto path = merkle::inclusion_proof(nodes, seq - 1, size);
    if (!path.ok()) die(path.error().to_string());
    nlohmann::json j = {{"seq", seq}, {"size", size}, {"root", root(size)}, {"path", hexes(*path)}};
    std::printf("%s\n", nlohmann::json{{"inclusion", j}}.dump().c_str());
  }
  void consistency(uint64_t from, uint64_t to) {
    auto path = merkle::consistency_proof(nodes, from, to);
    if (!path.ok()) die(path.error().to_string());
    nlohmann::json j = {{"from", from}, {"to", to}, {"from_root", root(from)}, {"to_root", root(to)},
                        {"path", hexes(*path)}};
    std::printf("%s\n", nlohmann::json{{"consistency", j}}.dump().c_str());
  }
};

void chain_hashes(RocksDbEventLog& log) {
  nlohmann::json hashes = nlohmann::json::array();
  for (uint64_t from = 1;;) {
    auto events = log.read_global(from, 4096);
    if (!events.ok()) die(events.error().to_string());
    if (events->empty()) break;
    for (const auto& e : *events) hashes.push_back(to_hex(e.hash));
    from = events->back().seq + 1;
  }
  std::printf("%s\n", nlohmann::json{{"chain_hashes", hashes}}.dump().c_str());
}

int run(const std::string& dir, uint64_t events, const std::string& mode) {
  RocksDbOptions o;
  o.path = dir;
  auto log = RocksDbEventLog::open(o);
  if (!log.ok()) die(log.error().to_string());
  fill(**log, events);
  const uint64_t n = (*log)->digest()->seq;
  if ((*log)->tree_size().value() != n) die("the tree does not cover the log");
  chain_hashes(**log);
  Dumper d{**log};
  if (mode == "all") {
    for (uint64_t size = 1; size <= n; ++size) {
      for (uint64_t seq = 1; seq <= size; ++seq) d.inclusion(seq, size);
      for (uint64_t from = 1; from <= size; ++from) d.consistency(from, size);
    }
    return 0;
  }
  if (mode.rfind("random:", 0) != 0) die("mode must be all or random:COUNT");
  const uint64_t count = std::strtoull(mode.c_str() + 7, nullptr, 10);
  std::mt19937_64 random(18);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t size = 1 + random() % n;
    d.inclusion(1 + random() % size, size);
    d.consistency(1 + random() % size, size);
  }
  return 0;
}

}  // namespace
}  // namespace mledger

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: proof_dump DIR EVENTS (all | random:COUNT)\n");
    return 2;
  }
  return mledger::run(argv[1], std::strtoull(argv[2], nullptr, 10), argv[3]);
}
