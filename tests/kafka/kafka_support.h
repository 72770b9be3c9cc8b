#pragma once
// Helpers for the tests that run the `mledger` binary against a real Kafka
// broker: processes, the broker's address, and an exactly-once check over
// everything a read_committed consumer sees.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/capnp/event_codec.h"
#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/run_cli.h"

namespace mledger::kafka::testing {

using mledger::testing::Run;

// Runs a shell command line; stdout and stderr together.
inline Run run(const std::string& cmd) { return mledger::testing::shell(cmd + " 2>&1"); }

inline Run mledger(const std::string& args) { return run(std::string(MLEDGER_BINARY) + " " + args); }

// Starts `mledger ARGS...` in the background, stdout to `out_file`, stderr to
// `out_file`.err. Returns its pid.
inline pid_t spawn_mledger(const std::vector<std::string>& args, const std::string& out_file) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* o = freopen(out_file.c_str(), "w", stdout);
    FILE* e = freopen((out_file + ".err").c_str(), "a", stderr);
    (void)o;
    (void)e;
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(MLEDGER_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(MLEDGER_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for pid; returns the wait status.
inline int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// A spawned process that is killed (SIGKILL) and reaped if the test leaves
// before waiting for it (a failed ASSERT), so that it cannot disturb the
// tests after it.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait_for(pid_);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  // Waits for it to exit; its wait status.
  int wait() {
    const int status = wait_for(pid_);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The shared broker's address, written by the CTest fixture (tools/kafka start).
inline std::string broker_address() {
  std::string a = read_text(KAFKA_ADDRESS_FILE);
  while (!a.empty() && (a.back() == '\n' || a.back() == ' ')) a.pop_back();
  return a;
}

// A topic prefix no other test uses, so tests share one broker.
inline std::string unique_prefix(const std::string& name) {
  std::random_device rd;
  return "t" + std::to_string(rd() % 1000000) + "-" + name;
}

// Reads every event topic of `prefix` to its end with read_committed.
// Every record of `topics` up to their ends (a test failure when they cannot be read).
inline std::vector<KafkaRecord> read_topics(const std::string& brokers, std::vector<std::string> topics,
                                            bool read_committed = true) {
  KafkaReaderOptions o;
  o.brokers = brokers;
  o.topics = std::move(topics);
  o.read_committed = read_committed;
  std::vector<KafkaRecord> out;
  auto reader = KafkaReader::open(o);
  EXPECT_TRUE(reader.ok()) << (reader.ok() ? "" : reader.error().to_string());
  if (!reader.ok()) return out;
  Status s = (*reader)->read_to_end(120000, [&](KafkaRecord&& r) { out.push_back(std::move(r)); });
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

inline std::vector<KafkaRecord> read_all(const std::string& brokers, const std::string& prefix,
                                         bool read_committed = true) {
  return read_topics(brokers, event_topics(prefix), read_committed);
}

inline std::unique_ptr<RocksDbEventLog> open_ledger(const std::string& dir) {
  RocksDbOptions o;
  o.path = dir;
  o.read_only = true;
  o.create_if_missing = false;
  auto log = RocksDbEventLog::open(o);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().to_string());
  return log.ok() ? std::move(log.value()) : nullptr;
}

// Every event 1..head of the ledger is on Kafka exactly once, byte for byte,
// on the topic and key its routing says, with its headers; one account's
// events in one topic sit in one partition in sequence order.
inline void expect_exactly_once(const std::vector<KafkaRecord>& records, const std::string& ledger_dir,
                                const std::string& prefix) {
  auto log = open_ledger(ledger_dir);
  ASSERT_TRUE(log);
  auto head = log->digest();
  ASSERT_TRUE(head.ok());
  const uint64_t n = head->seq;
  ASSERT_GT(n, 0u);
  std::vector<const KafkaRecord*> by_seq(n + 1, nullptr);
  uint64_t duplicates = 0, unknown = 0;
  for (const auto& r : records) {
    const std::string s = r.header("mledger_seq");
    const uint64_t seq = s.empty() ? 0 : std::stoull(s);
    if (seq == 0 || seq > n) { ++unknown; continue; }
    if (by_seq[seq]) ++duplicates;
    by_seq[seq] = &r;
  }
  EXPECT_EQ(duplicates, 0u) << "events seen more than once";
  EXPECT_EQ(unknown, 0u) << "records without a valid mledger_seq";
  EXPECT_EQ(records.size(), n);
  uint64_t missing = 0, wrong = 0;
  Status scan = log->scan_envelopes(1, [&](uint64_t seq, std::string_view envelope) {
    const KafkaRecord* r = by_seq[seq];
    if (!r) { if (++missing < 5) ADD_FAILURE() << "event " << seq << " missing"; return true; }
    auto h = codec::open_head(envelope);
    if (!h.ok()) { ADD_FAILURE() << h.error().to_string(); return false; }
    const Route route = route_event(*h, prefix);
    const bool ok = r->value == envelope && r->topic == route.topic && r->key == route.key &&
                    r->header("ce_id") == h->event_id && r->header("ce_type") == "mledger." + h->type &&
                    r->header("mledger_stream") == h->stream &&
                    r->header("mledger_stream_version") == std::to_string(h->version) &&
                    r->header("mledger_seq") == std::to_string(seq) && r->header("ce_source").starts_with("urn:mledger:") &&
                    r->header("ce_mledgerseq") == std::to_string(seq) && r->header("ce_mledgerstream") == h->stream &&
                    r->header("ce_mledgerversion") == std::to_string(h->version) &&
                    r->header("mledger_schema_version") == std::to_string(h->schema_version) &&
                    r->header("ce_time").size() >= 20 && r->headers.size() == 14 &&
                    r->header("ce_specversion") == "1.0" && r->header("content-type") == kContentType;
    if (!ok && ++wrong < 5) ADD_FAILURE() << "event " << seq << " differs on Kafka (" << r->topic << ")";
    return true;
  });
  EXPECT_TRUE(scan.ok()) << scan.to_string();
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(wrong, 0u);
  // Order: per (topic, key), one partition, offsets follow sequence numbers.
  std::map<std::pair<std::string, std::string>, std::pair<int32_t, std::pair<int64_t, uint64_t>>> last;
  uint64_t disorder = 0;
  for (const auto& r : records) {
    const uint64_t seq = std::stoull(r.header("mledger_seq"));
    auto [it, fresh] = last.try_emplace({r.topic, r.key}, r.partition, std::make_pair(r.offset, seq));
    if (fresh) continue;
    auto& [partition, pos] = it->second;
    if (partition != r.partition) ++disorder;
    // Records arrive in offset order per partition; seq must grow with offset.
    if ((r.offset > pos.first) != (seq > pos.second)) ++disorder;
    if (r.offset > pos.first) pos = {r.offset, seq};
  }
  EXPECT_EQ(disorder, 0u) << "an account's events out of order or split over partitions";
}

}  // namespace mledger::kafka::testing
