#include "adapters/log/event_replay.h"

#include <cassert>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/capnp/event_codec.h"
#include "adapters/log/chain_verifier.h"
#include "domain/core/limits.h"

namespace mledger {

namespace {

// Envelopes copied out of the scan, each from a word boundary of `words_`, so
// that the decoder reads them in place.
class EnvelopeBatch {
 public:
  struct Entry {
    uint64_t seq = 0;
    size_t first_word = 0;
    size_t bytes = 0;
  };

  // Room for batch_bytes_max plus one envelope of event_bytes_max, uninitialized.
  explicit EnvelopeBatch(const ReplayLimits& limits)
      : capacity_words_((limits.batch_bytes_max + limits::event_bytes_max) / sizeof(uint64_t) + 1),
        words_(new uint64_t[capacity_words_]) {
    entries_.reserve(limits.batch_events_max);
  }

  // `envelope` must fit: full() was false, and no envelope exceeds
  // event_bytes_max (scan_envelopes() hands out what is stored; a larger one
  // is refused here as damage by the caller before add()).
  void add(uint64_t seq, std::string_view envelope) {
    const size_t words = (envelope.size() + sizeof(uint64_t) - 1) / sizeof(uint64_t);
    assert(used_words_ + words <= capacity_words_);
    std::memcpy(words_.get() + used_words_, envelope.data(), envelope.size());
    entries_.push_back(Entry{seq, used_words_, envelope.size()});
    used_words_ += words;
    bytes_ += envelope.size();
  }
  bool full(const ReplayLimits& limits) const {
    return entries_.size() >= limits.batch_events_max || bytes_ >= limits.batch_bytes_max;
  }
  bool empty() const { return entries_.empty(); }
  void clear() {
    used_words_ = 0;
    entries_.clear();
    bytes_ = 0;
    links_.clear();
  }

  // The reading thread's hash check of every envelope, in order, stopping
  // after the first that fails (the decoder stops there, or before).
  void check_links() {
    links_.reserve(entries_.size());
    for (const Entry& e : entries_) {
      links_.push_back(codec::open_link(envelope(e)));
      if (!links_.back().ok()) return;
    }
  }
  // Entry i's link as check_links() found it; null when the batch was not
  // checked on the reading thread.
  const StatusOr<codec::ChainLink>* link(size_t i) const {
    return i < links_.size() ? &links_[i] : nullptr;
  }
  const std::vector<Entry>& entries() const { return entries_; }
  std::string_view envelope(const Entry& e) const {
    return {reinterpret_cast<const char*>(words_.get() + e.first_word), e.bytes};
  }

 private:
  size_t capacity_words_;
  std::unique_ptr<uint64_t[]> words_;
  size_t used_words_ = 0;
  std::vector<Entry> entries_;
  size_t bytes_ = 0;
  std::vector<StatusOr<codec::ChainLink>> links_;
};

Status corruption_at(uint64_t seq, const std::string& problem) {
  return Status(StatusCode::corruption, "event " + std::to_string(seq) + ": " + problem);
}

// The reader thread and the queue between it and the decoder.
class ReplayPipeline {
 public:
  ReplayPipeline(EventLog& log, uint64_t from_seq, const ReplayLimits& limits)
      : log_(log), from_seq_(from_seq), limits_(limits), thread_([this] { run(); }) {}

  ~ReplayPipeline() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // The next batch in order; nullopt once the reader is done and every batch
  // was taken (reader_status() then says why it ended).
  std::optional<EnvelopeBatch> next() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return !ready_.empty() || done_; });
    if (ready_.empty()) return std::nullopt;
    EnvelopeBatch out = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return out;
  }

  // Hands a decoded batch back for the reader to fill again.
  void recycle(EnvelopeBatch&& batch) {
    batch.clear();
    std::lock_guard lock(mu_);
    if (spare_.size() < 2) spare_.push_back(std::move(batch));
  }

  Status reader_status() {
    std::lock_guard lock(mu_);
    return reader_status_;
  }

 private:
  void run() {
    Status s = read();
    std::lock_guard lock(mu_);
    reader_status_ = s;
    done_ = true;
    changed_.notify_all();
  }

  EnvelopeBatch fresh_batch() {
    std::lock_guard lock(mu_);
    if (spare_.empty()) return EnvelopeBatch(limits_);
    EnvelopeBatch b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }

  // Whether the reader hashes the batch it is about to queue: when a batch
  // already waits for the decoder (the decoder is the slower side).
  bool reader_hashes() {
    switch (limits_.hashing) {
      case ReplayLimits::Hashing::on_reader: return true;
      case ReplayLimits::Hashing::on_decoder: return false;
      case ReplayLimits::Hashing::balanced: break;
    }
    std::lock_guard lock(mu_);
    return !ready_.empty();
  }

  // Queues a batch, waiting while the queue is full; false once stopped.
  bool push(EnvelopeBatch&& batch) {
    if (reader_hashes()) batch.check_links();
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return stop_ || ready_.size() < limits_.queued_batches_max; });
    if (stop_) return false;
    ready_.push_back(std::move(batch));
    changed_.notify_all();
    return true;
  }

  // Scans and copies; every batch before a failure is queued first.
  Status read() {
    EnvelopeBatch batch = fresh_batch();
    Status oversized;
    const uint64_t scan_from = from_seq_ == 1 ? 1 : from_seq_ - 1;  // from_seq - 1: the anchor
    Status s = log_.scan_envelopes(scan_from, [&](uint64_t seq, std::string_view bytes) {
      if (bytes.size() > limits::event_bytes_max) {
        oversized = corruption_at(seq, "envelope of " + std::to_string(bytes.size()) +
                                           " bytes exceeds event_bytes_max");
        return false;
      }
      batch.add(seq, bytes);
      if (!batch.full(limits_)) return true;
      if (!push(std::move(batch))) return false;
      batch = fresh_batch();
      return true;
    });
    if (!batch.empty()) (void)push(std::move(batch));  // false only when stopped: nobody reads it
    if (!s.ok()) return s;
    return oversized;
  }

  EventLog& log_;
  const uint64_t from_seq_;
  const ReplayLimits limits_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<EnvelopeBatch> ready_;
  std::vector<EnvelopeBatch> spare_;
  Status reader_status_;
  bool stop_ = false;
  bool done_ = false;
  std::thread thread_;  // last: starts once the rest is initialized
};

// The link of event from_seq - 1, which the chain from from_seq hangs on.
StatusOr<ChainVerifier> anchored(uint64_t anchor_seq, uint64_t key_seq, std::string_view bytes) {
  if (key_seq != anchor_seq) {
    return fail(StatusCode::corruption, "event " + std::to_string(anchor_seq) +
                                            " is missing (next stored is " + std::to_string(key_seq) + ")");
  }
  auto link = codec::open_link(bytes);
  if (!link.ok()) return Err{corruption_at(key_seq, link.error().message())};
  if (link->seq != key_seq) return Err{corruption_at(key_seq, "says seq " + std::to_string(link->seq))};
  return ChainVerifier(LogDigest{key_seq, link->hash});
}

using DecideFn = std::function<bool(uint64_t, std::string_view)>;

// Checks one envelope's link: its hash over its bytes (`link` when the
// reading thread already checked it, else here) and its place in the chain.
Status linked(ChainVerifier& verifier, uint64_t seq, std::string_view bytes, const StatusOr<codec::ChainLink>* link) {
  const bool ok = link != nullptr ? verifier.feed_link(seq, *link) : verifier.feed(seq, bytes);
  if (ok) return Status::Ok();
  const ChainReport& r = verifier.report();
  return corruption_at(r.first_bad_seq.value_or(seq), r.problem);
}

// Decodes an envelope whose link was checked.
StatusOr<RecordedEvent> decoded_event(uint64_t seq, std::string_view bytes) {
  auto event = codec::decode_linked(bytes);
  if (!event.ok()) return Err{corruption_at(seq, event.error().message())};
  if (event->seq != seq) return Err{corruption_at(seq, "says seq " + std::to_string(event->seq))};
  return event;
}

}  // namespace

StatusOr<RecordedEvent> reopen_body(uint64_t seq, std::string_view body) {
  auto event = codec::decode_body_linked(body);
  if (!event.ok()) return Err{corruption_at(seq, event.error().message())};
  if (event->seq != seq) return Err{corruption_at(seq, "says seq " + std::to_string(event->seq))};
  return event;
}

Status check_envelope(uint64_t seq, std::string_view envelope, const Hash256& hash) {
  auto link = codec::open_link(envelope);
  if (!link.ok()) return corruption_at(seq, link.error().message());
  if (link->seq != seq) return corruption_at(seq, "says seq " + std::to_string(link->seq));
  if (link->hash != hash) return corruption_at(seq, "changed since it was read");
  return Status::Ok();
}

Status replay_events(EventLog& log, uint64_t from_seq, const ReplayLimits& limits,
                     const std::function<bool(RecordedEvent&&)>& fn, ReplayStats* stats) {
  return replay_events_with_envelopes(
      log, from_seq, limits, [&](RecordedEvent&& e, std::string_view) { return fn(std::move(e)); }, stats);
}

Status replay_events_with_envelopes(EventLog& log, uint64_t from_seq, const ReplayLimits& limits,
                                    const std::function<bool(RecordedEvent&&, std::string_view)>& fn,
                                    ReplayStats* stats) {
  return replay_events_deciding(log, from_seq, limits, DecideFn(), fn, stats);
}

Status replay_events_deciding(EventLog& log, uint64_t from_seq, const ReplayLimits& limits, const DecideFn& decode,
                              const std::function<bool(RecordedEvent&&, std::string_view)>& fn,
                              ReplayStats* stats) {
  assert(from_seq >= 1);
  assert(limits.batch_events_max > 0 && limits.batch_bytes_max > 0 && limits.queued_batches_max > 0);
  std::optional<ChainVerifier> verifier;
  if (from_seq == 1) verifier.emplace();
  RecordedEvent undecoded;  // handed on for each event `decode` declines
  ReplayPipeline pipeline(log, from_seq, limits);  // its destructor stops and joins the reader
  while (std::optional<EnvelopeBatch> batch = pipeline.next()) {
    const std::vector<EnvelopeBatch::Entry>& entries = batch->entries();
    for (size_t i = 0; i < entries.size(); ++i) {
      const EnvelopeBatch::Entry& entry = entries[i];
      const std::string_view bytes = batch->envelope(entry);
      if (!verifier) {
        auto anchor = anchored(from_seq - 1, entry.seq, bytes);
        if (!anchor.ok()) return anchor.error();
        verifier.emplace(std::move(anchor.value()));
        continue;
      }
      const Hash256 prev_hash = verifier->report().digest.head;
      if (Status s = linked(*verifier, entry.seq, bytes, batch->link(i)); !s.ok()) return s;
      auto hand_on = [&](RecordedEvent&& event) {
        if (stats != nullptr) {
          ++stats->events;
          stats->envelope_bytes += entry.bytes;
        }
        return fn(std::move(event), bytes);
      };
      if (decode && !decode(entry.seq, bytes)) {
        undecoded.seq = entry.seq;
        undecoded.prev_hash = prev_hash;
        undecoded.hash = verifier->report().digest.head;
        if (!hand_on(std::move(undecoded))) return Status::Ok();
        continue;
      }
      auto event = decoded_event(entry.seq, bytes);
      if (!event.ok()) return event.error();
      if (!hand_on(std::move(event.value()))) return Status::Ok();
    }
    pipeline.recycle(std::move(*batch));
  }
  return pipeline.reader_status();
}

}  // namespace mledger
