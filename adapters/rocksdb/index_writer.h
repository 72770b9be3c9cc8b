#pragma once
// IndexWriter: the thread that writes the index entries of durable batches
// (rocksdb_event_log.h, "The index"), in order, one write per batch, so that
// the log's writer thread writes only what durability needs.
//
// enqueue() hands over a batch whose events are durable (and whose entries
// the caller has put in its IndexTail); `write` is called with it on the
// index thread, then `written` (which drops it from the tail). At most
// lag_events_max events wait: enqueue() blocks beyond that until the thread
// has written enough, so the index is never further behind the log than that.
//
// A failed write stops the thread: the batch and every later one stay
// queued, unwritten; `failed` is called once (on the index thread, after
// failure() returns the error), and enqueue() refuses more batches with that
// error. The batches are not lost: their entries stay in the log's tail
// until the log repairs the index from its mark (it writes the entries of
// every event past the mark, read from the events, and starts a new
// IndexWriter) before it appends again. The destructor writes what is queued
// (unless a write failed) and joins the thread.
//
// Thread safety: enqueue() from one thread (the log's writer); the others
// from any thread.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "adapters/rocksdb/index_tail.h"
#include "domain/core/status.h"

namespace mledger {

class IndexWriter {
 public:
  using Write = std::function<Status(const IndexBatch&)>;
  using Written = std::function<void(uint64_t last_seq)>;
  using Failed = std::function<void(const Status& why, uint64_t last_seq)>;

  IndexWriter(Write write, Written written, Failed failed, uint64_t lag_events_max);
  ~IndexWriter();
  IndexWriter(const IndexWriter&) = delete;
  IndexWriter& operator=(const IndexWriter&) = delete;

  // Queues `batch`; the failure instead once a write failed (the batch is
  // not queued).
  [[nodiscard]] Status enqueue(SharedIndexBatch batch);
  // Blocks until every batch enqueued so far is written, or a write failed;
  // the failure, or OK.
  [[nodiscard]] Status wait_idle();
  [[nodiscard]] Status failure() const;

 private:
  void run();

  Write write_;
  Written written_;
  Failed failed_;
  const uint64_t lag_events_max_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<SharedIndexBatch> queue_;
  uint64_t queued_events_ = 0;
  bool writing_ = false;
  bool stopping_ = false;
  Status failure_;
  std::thread thread_;
};

}  // namespace mledger
