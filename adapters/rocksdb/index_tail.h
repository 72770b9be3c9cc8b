#pragma once
// IndexTail: the index entries (`streams`, `by_account`) of the events the
// index families do not hold yet, in memory, so that a read through an index
// sees every event up to the log's head (rocksdb_event_log.h, "The index").
//
// Batches arrive in seq order (add()) and leave once the families hold them
// (drop_through()). A reader copies what it needs *before* it reads the
// families: a batch dropped after the copy is in the families by then, so
// reading copy then families misses nothing (merge_hits() keeps an entry
// found in both once).
//
// Thread safety: every member may be called from any thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mledger {

// The index entries of one batch of events: its events' streams and accounts.
struct IndexBatch {
  struct StreamEntry {
    std::string stream;
    uint64_t version = 0;
    uint64_t seq = 0;
  };
  struct AccountEntry {
    std::string account;
    uint64_t seq = 0;
  };
  uint64_t last_seq = 0;  // the batch's last event: the index mark once written
  uint64_t event_count = 0;
  std::vector<StreamEntry> streams;
  std::vector<AccountEntry> accounts;
};

// A batch as the writer hands it on: shared by the tail and the index thread.
using SharedIndexBatch = std::shared_ptr<const IndexBatch>;

// (version, seq) of a stream's events, or (seq, seq) of an account's, in order.
using IndexHits = std::vector<std::pair<uint64_t, uint64_t>>;

// The look-ups scan the batches held: a writer's tail is a batch or two while
// the index thread keeps up, at most RocksDbOptions::index_lag_events_max
// events; a reader's is the events a crash left unindexed.
class IndexTail {
 public:
  void add(SharedIndexBatch batch);
  // Forgets the batches whose last event is at or before `seq`.
  void drop_through(uint64_t seq);
  void clear();
  // Holds `batch` alone (nothing when null), in one step: a reader copies
  // the batches held before or the new one, never neither (a secondary's
  // catch_up while other threads read).
  void replace(SharedIndexBatch batch);

  // The stream's entries with version >= from_version; the account's with
  // seq >= from_seq; the names of the streams with `prefix` that sort after
  // `after` ("" from the first), in order; the stream's last version (0 when
  // none). Only entries with seq <= head_seq count.
  IndexHits stream_hits(std::string_view stream, uint64_t from_version, uint64_t head_seq) const;
  IndexHits account_hits(std::string_view account, uint64_t from_seq, uint64_t head_seq) const;
  std::vector<std::string> stream_names(std::string_view prefix, std::string_view after, uint64_t head_seq) const;
  uint64_t stream_version(std::string_view stream, uint64_t head_seq) const;

 private:
  std::vector<SharedIndexBatch> held() const;

  mutable std::mutex mu_;
  std::vector<SharedIndexBatch> batches_;  // in seq order
};

// The first max_count entries of `disk` (from the index families: the
// smallest keys there, at most max_count) and `tail` together, in key order,
// each key once, none past head_seq. A reader may find a batch's entries in
// both, or only some of them in the families while they are being written:
// the tail still holds all of them then.
IndexHits merge_hits(IndexHits disk, const IndexHits& tail, uint64_t head_seq, size_t max_count);

}  // namespace mledger
