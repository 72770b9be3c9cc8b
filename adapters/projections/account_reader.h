#pragma once
// AccountReader: the events of many accounts, each read through the log's
// account index (EventLog::read_account) in chunks, on reading threads of
// its own ahead of the one thread that folds them. For a bulk load's later
// passes, whose fold holds every account of its range until the pass ends:
// the order across accounts does not matter to it, an account's own order
// does.
//
// - next() hands over chunks of at most kAccountChunkEvents events with seq
//   <= `until`: the chunks of one account in order (the last one marked),
//   those of different accounts interleaved in any order.
// - At most `events_ahead_max` events wait in chunks read ahead, plus one
//   chunk per reading thread being read: memory bounded whatever the
//   accounts' lengths.
// - skip_from(p): accounts of partition p and above not started yet are no
//   longer read (those under way are finished).
// - The first read failure stops the reading and is returned by next()
//   once the chunks read before it are taken.
//
// Thread safety: one thread calls next(), skip_from() and held_bytes(); the
// destructor stops and joins the reading threads.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "domain/ports/event_log.h"

namespace mledger {

inline constexpr size_t kAccountChunkEvents = 4096;

class AccountReader {
 public:
  struct Chunk {
    size_t account = 0;  // index into the accounts given
    std::vector<RecordedEvent> events;
    bool last = false;   // the account's last chunk
  };

  // `accounts` must outlive the reader. threads >= 1, events_ahead_max >= 1.
  AccountReader(EventLog& log, const std::vector<const std::string*>& accounts, uint64_t until,
                size_t events_ahead_max, size_t threads);
  ~AccountReader();
  AccountReader(const AccountReader&) = delete;
  AccountReader& operator=(const AccountReader&) = delete;

  // The next chunk; nullopt once every account is read (or skipped).
  [[nodiscard]] StatusOr<std::optional<Chunk>> next();
  void skip_from(uint64_t partition);
  // The heap the chunks read ahead and the last one taken hold (as their
  // reading left allocated; 0 where the allocator does not count per thread).
  size_t held_bytes();

 private:
  void run();
  // Reads one account's chunks into the queue; false once stopped or failed.
  bool read_account(size_t index);

  EventLog& log_;
  const std::vector<const std::string*>& accounts_;
  const uint64_t until_;
  const size_t events_ahead_max_;
  std::mutex mu_;
  std::condition_variable changed_;
  struct Queued {
    Chunk chunk;
    size_t bytes = 0;  // heap its reading left allocated
  };
  std::deque<Queued> ready_;
  size_t queued_events_ = 0;
  size_t queued_bytes_ = 0;
  size_t taken_bytes_ = 0;
  size_t next_account_ = 0;       // the next account a thread starts
  uint64_t skip_from_ = UINT64_MAX;
  size_t running_ = 0;            // reading threads not yet ended
  Status failure_;
  bool stop_ = false;
  std::vector<std::thread> threads_;  // last: start once the rest is initialized
};

}  // namespace mledger
