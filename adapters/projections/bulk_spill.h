#pragma once
// BulkSpill: what a bulk load's first pass sets aside on disk for the
// accounts it leaves to later passes, so that those passes read their
// accounts' events in order from files instead of each event through the
// log's account index (docs/operations.md, `mledger projections rebuild`).
//
// The partitions are split into kSpillBuckets equal ranges; each bucket is
// one file of records, read back in the order they were added:
//   - documents: one account's documents in one projection (keys and values
//     as a generation stores them) as folded up to `through_seq`, added when
//     the first pass narrowed its range and forgot the account;
//   - event: an event's body as stored (codec::body_linked: the canonical
//     bytes its hash covers, without the hashes), added once to each bucket
//     holding an account the event names past the first pass's range.
// Each record carries a checksum of its bytes, checked when it is read (not
// the events' hashes: those were checked as the first pass read the log).
//
// Files live in one directory of their own, created empty (what a killed
// run left there is removed) and removed with the BulkSpill. Nothing is
// synced: a crash loses the spill, and the bulk load resumes from its last
// finished pass, which never reads one.
//
// Bounded: at most `bytes_max` bytes are added in all (add_*() fail with
// limit_exceeded past it); each bucket buffers at most kSpillBufferBytes
// before it writes. Not thread-safe, except read(): any number of threads
// may read buckets (each its own) once flush() has returned.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/projections/projection_store.h"
#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger {

inline constexpr unsigned kSpillBucketBits = 6;
inline constexpr uint64_t kSpillBuckets = uint64_t{1} << kSpillBucketBits;
inline constexpr size_t kSpillBufferBytes = size_t{128} << 10;

// The bucket of a partition, and the first partition of a bucket
// (spill_bucket_begin(kSpillBuckets) is kAccountPartitions).
inline uint64_t spill_bucket(uint64_t partition) { return partition >> (32 - kSpillBucketBits); }
inline uint64_t spill_bucket_begin(uint64_t bucket) { return bucket << (32 - kSpillBucketBits); }

struct SpilledDocuments {
  uint32_t projection = 0;  // the caller's index of the projection
  std::string account;
  uint64_t through_seq = 0;  // the last event folded into them
  AccountDocuments documents;
};

class BulkSpill {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<BulkSpill>> create(std::string directory, uint64_t bytes_max);
  ~BulkSpill();  // closes the files and removes the directory
  BulkSpill(const BulkSpill&) = delete;
  BulkSpill& operator=(const BulkSpill&) = delete;

  [[nodiscard]] Status add_event(uint64_t bucket, uint64_t seq, std::string_view body);
  [[nodiscard]] Status add_documents(uint64_t bucket, uint32_t projection, std::string_view account,
                                     uint64_t through_seq, const AccountDocuments& documents);
  // Writes what the buckets buffer.
  [[nodiscard]] Status flush();
  // Bytes added so far; to buckets [first, end).
  uint64_t bytes() const { return bytes_; }
  uint64_t bytes_in(uint64_t first, uint64_t end) const;
  // The mean bytes of an event's record so far (0 before the first).
  double mean_event_bytes() const {
    return events_ == 0 ? 0 : static_cast<double>(event_bytes_) / static_cast<double>(events_);
  }
  const std::string& directory() const { return directory_; }

  // Calls on_event(seq, body) or on_documents(record) for each record of
  // `bucket` in the order added, until one returns false. corruption for a
  // record whose framing or checksum is wrong.
  [[nodiscard]] Status read(uint64_t bucket, const std::function<bool(uint64_t, std::string_view)>& on_event,
                            const std::function<bool(SpilledDocuments&&)>& on_documents) const;

 private:
  struct Bucket {
    int fd = -1;
    std::string buffer;
    uint64_t bytes = 0;  // added
  };
  BulkSpill(std::string directory, uint64_t bytes_max);
  std::string path(uint64_t bucket) const;
  // Counts `bytes` more against bytes_max_ for `bucket`.
  Status reserve(uint64_t bucket, size_t bytes);
  Status write_out(uint64_t bucket);
  StatusOr<bool> refill(int fd, const std::string& path, std::string& buffer, size_t& at, size_t wanted) const;
  // Hands one record's body to its callback; whether to go on.
  static StatusOr<bool> deliver(uint8_t kind, std::string_view body,
                                const std::function<bool(uint64_t, std::string_view)>& on_event,
                                const std::function<bool(SpilledDocuments&&)>& on_documents);

  const std::string directory_;
  const uint64_t bytes_max_;
  uint64_t bytes_ = 0;
  uint64_t events_ = 0;       // event records added
  uint64_t event_bytes_ = 0;  // their bytes
  std::vector<Bucket> buckets_;
};

}  // namespace mledger
