#pragma once
// TreeHeadSigner: signs heads of a ledger's Merkle tree as it grows and keeps
// them (RocksDbEventLog::store_tree_head). A head is signed when the tree
// grew since the last one and either `interval_s` passed or `events_max`
// events joined; sign_if_due(true) signs whenever the tree grew (what a
// one-shot command does at its end). Signing reads only the tree's stored
// nodes, never blocks an append, and runs on the caller's thread or, after
// start(), on a thread of its own (the server). Thread-safe.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "adapters/audit/tree_head.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "domain/ports/clock.h"

namespace mledger {

struct TreeHeadPolicy {
  int64_t interval_s = 10;        // sign at least this often while the tree grows
  uint64_t events_max = 100000;   // or as soon as this many events joined
};

class TreeHeadSigner {
 public:
  // Reads the last stored head. `log` and `clock` must outlive the signer.
  [[nodiscard]] static StatusOr<std::unique_ptr<TreeHeadSigner>> open(RocksDbEventLog& log,
                                                                      Ed25519PrivateKey key,
                                                                      Clock& clock, TreeHeadPolicy policy);
  ~TreeHeadSigner();  // stops the thread

  // The new head when one was due (and is now stored), nullopt when none was.
  [[nodiscard]] StatusOr<std::optional<TreeHead>> sign_if_due(bool force);

  // Calls sign_if_due(false) about once a second on its own thread until
  // stop(); failures go to `on_failure` (and are tried again).
  void start(std::function<void(const Status&)> on_failure);
  void stop();

  std::optional<TreeHead> last() const;
  // The key it signs with (for statements that go with its heads, e.g. an
  // export's account signature).
  const Ed25519PrivateKey& key() const { return key_; }

 private:
  TreeHeadSigner(RocksDbEventLog& log, Ed25519PrivateKey key, Clock& clock, TreeHeadPolicy policy)
      : log_(log), key_(std::move(key)), clock_(clock), policy_(policy) {}

  RocksDbEventLog& log_;
  const Ed25519PrivateKey key_;
  Clock& clock_;
  const TreeHeadPolicy policy_;
  mutable std::mutex mu_;  // last_, signing
  std::optional<TreeHead> last_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mledger
