#include "adapters/projections/projection_engine.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <span>
#include <thread>
#include <variant>

#include "adapters/capnp/event_codec.h"
#include "adapters/log/event_replay.h"
#include "adapters/projections/account_reader.h"
#include "adapters/projections/bulk_spill.h"
#include "adapters/system/heap_in_use.h"

namespace mledger {

// A batch of events read in order. Once the reader routes (BatchReader::
// route()), each event's body as stored (codec::body_linked) and the
// partitions of the accounts it names are kept too, and only the events that
// name an account being folded are decoded.
struct EventBatch {
  std::vector<RecordedEvent> events;  // the events decoded, in order
  struct Read {
    uint64_t seq = 0;
    Hash256 hash{};
    bool decoded = true;
    size_t partitions_end = 0;  // in `partitions`, from the end of the one before
  };
  std::vector<Read> read;  // every event read, in order (`events` holds those decoded)
  // Routed: each event's partitions and body, one after another.
  std::vector<uint64_t> partitions;
  std::string bodies;
  std::vector<size_t> body_ends;  // where event i's ends; empty: not routed

  bool routed() const { return !body_ends.empty(); }
  size_t size() const { return read.size(); }
  ProjectionCheckpoint last() const { return {read.back().seq, read.back().hash}; }
  std::span<const uint64_t> partitions_of(size_t i) const {
    const size_t begin = i == 0 ? 0 : read[i - 1].partitions_end;
    return std::span<const uint64_t>(partitions).subspan(begin, read[i].partitions_end - begin);
  }
  std::string_view body(size_t i) const {
    const size_t begin = i == 0 ? 0 : body_ends[i - 1];
    return std::string_view(bodies).substr(begin, body_ends[i] - begin);
  }
  // Adds the partitions of the accounts the envelope's event names (its
  // stream's and its account ids: what every projection's documents_of()
  // draws from), ending where `partitions_end` says. The envelope's hash
  // was checked.
  Status add_partitions(std::string_view envelope, size_t& partitions_end) {
    auto named = codec::accounts_named_linked(
        envelope, [&](std::string_view account) { partitions.push_back(account_partition(account)); });
    partitions_end = partitions.size();
    return named.ok() ? Status::Ok() : named.error();
  }
  // Adds the next event's body, from its envelope (its hash checked).
  Status add_body(std::string_view envelope, std::string& scratch) {
    auto b = codec::body_linked(envelope, scratch);
    if (!b.ok()) return b.error();
    bodies.append(*b);
    body_ends.push_back(bodies.size());
    return Status::Ok();
  }
};

namespace {

const Generation* find_generation(const std::vector<Generation>& gens, std::string_view name,
                                  GenerationRole role) {
  const Generation* found = nullptr;
  for (const auto& g : gens) {
    if (g.projection == name && g.role == role && (found == nullptr || g.id > found->id)) found = &g;
  }
  return found;
}

// Reads, hash-checks and decodes events [from, until] in one continuous scan
// of the log (replay_events: the envelopes read and hashed on its reading
// thread, decoded on this reader's own thread), handing them to the fold in
// batches of `batch` events, at most `depth` batches ahead, so reading,
// decoding and folding overlap.
class BatchReader {
 public:
  BatchReader(EventLog& log, uint64_t from, uint64_t until, size_t batch, size_t depth)
      : log_(log), next_(from), until_(until), batch_(batch), depth_(depth), thread_([this] { run(); }) {}
  ~BatchReader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // The next batch; no events at the end. A read failure is returned once reached.
  StatusOr<EventBatch> next() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return !ready_.empty() || done_; });
    if (ready_.empty()) {
      if (!failure_.ok()) return Err{failure_};
      return EventBatch();
    }
    EventBatch out = std::move(ready_.front().events);
    taken_bytes_ = ready_.front().bytes;
    queued_bytes_ -= ready_.front().bytes;
    ready_.pop_front();
    changed_.notify_all();
    return out;
  }

  // The heap the batches read ahead and the last one taken hold (as their
  // decoding left allocated; 0 where the allocator does not count per thread).
  size_t held_bytes() {
    std::lock_guard lock(mu_);
    return queued_bytes_ + taken_bytes_;
  }

  // From the next batch on, batches keep their events' bodies and are
  // routed: each event's partitions noted, and an event that names no
  // account of partitions [from, below) not decoded. Called again as the
  // fold narrows its range: `from` the same, `below` never higher.
  void route(uint64_t from, uint64_t below) {
    route_from_ = from;
    route_below_ = below;
    routing_ = true;
  }
  // The stored bytes of the events read so far, and their number.
  std::pair<uint64_t, uint64_t> envelope_bytes_read() {
    std::lock_guard lock(mu_);
    return {stats_.envelope_bytes, stats_.events};
  }

 private:
  void run() {
    EventBatch batch;
    int64_t heap_before = thread_heap_net_bytes();
    ReplayStats read;  // as of the last batch handed on
    uint64_t bytes_read = 0;
    // Hands the batch to the fold once there is room; false when stopped.
    auto hand_on = [&] {
      const size_t bytes = static_cast<size_t>(std::max<int64_t>(0, thread_heap_net_bytes() - heap_before));
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] { return stop_ || ready_.size() < depth_; });
      if (stop_) return false;
      read.events += batch.size();
      read.envelope_bytes = bytes_read;
      stats_ = read;
      ready_.push_back(Batch{std::move(batch), bytes});
      queued_bytes_ += bytes;
      changed_.notify_all();
      batch = {};
      batch.events.reserve(batch_);
      heap_before = thread_heap_net_bytes();
      return true;
    };
    batch.events.reserve(batch_);
    bool stopped = false;
    bool routed = false;  // whether this batch is
    auto decide = [&](uint64_t, std::string_view envelope) {
      if (batch.size() == 0) routed = routing_;
      return !routed || route_event(envelope, batch);
    };
    Status bad;
    std::string scratch;
    auto add = [&](RecordedEvent&& e, std::string_view envelope) {
      next_ = e.seq + 1;
      bytes_read += envelope.size();
      if (routed) {
        if (batch.bodies.empty()) {  // room for a batch of them at the mean envelope size so far
          const uint64_t mean = read.events == 0 ? envelope.size() : bytes_read / std::max<uint64_t>(read.events, 1);
          batch.bodies.reserve(batch_ * mean);
        }
        if (bad = batch.add_body(envelope, scratch); !bad.ok()) return false;
        batch.read.back().seq = e.seq;
        batch.read.back().hash = e.hash;
      }
      if (!routed) batch.read.push_back(EventBatch::Read{.seq = e.seq, .hash = e.hash});
      if (batch.read.back().decoded) batch.events.push_back(std::move(e));
      if (batch.size() < batch_ && next_ <= until_) return true;
      stopped = !hand_on();
      return !stopped && next_ <= until_;
    };
    Status s = next_ > until_ ? Status::Ok() : replay_events_deciding(log_, next_, ReplayLimits{}, decide, add);
    std::lock_guard lock(mu_);
    if (!bad.ok()) {
      failure_ = bad;
    } else if (!s.ok()) {
      failure_ = s;
    } else if (!stopped && next_ <= until_) {
      failure_ = Status(StatusCode::corruption, "the log ends before event " + std::to_string(next_) +
                                                    " although its head is " + std::to_string(until_));
    }
    done_ = true;
    changed_.notify_all();
  }

  // Notes in `batch` the partitions of the accounts the envelope's event
  // names; whether one of them is in the routed range (the event is decoded).
  bool route_event(std::string_view envelope, EventBatch& batch) {
    const size_t begin = batch.partitions.size();
    EventBatch::Read& read = batch.read.emplace_back();
    const bool named = batch.add_partitions(envelope, read.partitions_end).ok();
    const uint64_t from = route_from_, below = route_below_;
    read.decoded = !named ||  // decoded: the decoder names what is wrong
                   std::any_of(batch.partitions.begin() + static_cast<ptrdiff_t>(begin), batch.partitions.end(),
                               [&](uint64_t p) { return p >= from && p < below; });
    return read.decoded;
  }

  EventLog& log_;
  uint64_t next_;
  const uint64_t until_;
  const size_t batch_;
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable changed_;
  struct Batch {
    EventBatch events;
    size_t bytes = 0;  // heap its reading left allocated
  };
  std::deque<Batch> ready_;
  ReplayStats stats_;  // of the batches handed on
  std::atomic<bool> routing_{false};
  std::atomic<uint64_t> route_from_{0};
  std::atomic<uint64_t> route_below_{kAccountPartitions};
  size_t queued_bytes_ = 0;
  size_t taken_bytes_ = 0;
  Status failure_;
  bool stop_ = false;
  bool done_ = false;
  std::thread thread_;  // last: starts once the rest is initialized
};

// Reads buckets [first, end) of a spill in order on a thread of its own
// (events decoded and their seq checked, reopen_body; documents parsed;
// each record's checksum checked by BulkSpill::read), handing
// them to the fold in chunks of at most kSpillChunkItems, at most `depth`
// chunks ahead. skip_from(p): buckets that begin at p or above are not
// read (the one under way is finished). One thread calls next(),
// skip_from() and held_bytes(); the destructor stops and joins the reader.
class SpillReader {
 public:
  static constexpr size_t kSpillChunkItems = 2048;
  struct Item {
    template <class Record>
    Item(uint64_t b, Record&& r) : bucket(b), record(std::in_place_type<std::decay_t<Record>>, std::forward<Record>(r)) {}
    uint64_t bucket = 0;
    std::variant<RecordedEvent, SpilledDocuments> record;
  };

  SpillReader(const BulkSpill& spill, uint64_t first, uint64_t end, size_t depth)
      : spill_(spill), next_bucket_(first), end_(end), depth_(depth), thread_([this] { run(); }) {}
  ~SpillReader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // The next chunk; empty once every bucket is read. A read failure is
  // returned once the chunks before it are taken.
  StatusOr<std::vector<Item>> next() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return !ready_.empty() || done_; });
    if (ready_.empty()) {
      if (!failure_.ok()) return Err{failure_};
      return std::vector<Item>();
    }
    std::vector<Item> out = std::move(ready_.front().items);
    taken_bytes_ = ready_.front().bytes;
    queued_bytes_ -= ready_.front().bytes;
    ready_.pop_front();
    changed_.notify_all();
    return out;
  }
  void skip_from(uint64_t partition) {
    std::lock_guard lock(mu_);
    skip_from_ = std::min(skip_from_, partition);
  }
  size_t held_bytes() {
    std::lock_guard lock(mu_);
    return queued_bytes_ + taken_bytes_;
  }

 private:
  void run() {
    std::vector<Item> chunk;
    int64_t heap_before = thread_heap_net_bytes();
    Status failure;
    uint64_t bucket = 0;
    auto hand_on = [&] {  // false when stopped
      const size_t bytes = static_cast<size_t>(std::max<int64_t>(0, thread_heap_net_bytes() - heap_before));
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] { return stop_ || ready_.size() < depth_; });
      if (stop_) return false;
      ready_.push_back(Chunk{std::move(chunk), bytes});
      queued_bytes_ += bytes;
      changed_.notify_all();
      chunk = {};
      heap_before = thread_heap_net_bytes();
      chunk.reserve(kSpillChunkItems);
      return true;
    };
    chunk.reserve(kSpillChunkItems);
    // Moves the record into the chunk once (an event is large to move).
    auto add = [&]<class Record>(Record&& record) {
      chunk.emplace_back(bucket, std::forward<Record>(record));
      return chunk.size() < kSpillChunkItems || hand_on();
    };
    bool stopped = false;
    for (; next_bucket_ < end_ && failure.ok() && !stopped; ++next_bucket_) {
      {
        std::lock_guard lock(mu_);
        if (stop_ || spill_bucket_begin(next_bucket_) >= skip_from_) break;
      }
      bucket = next_bucket_;
      Status bad;
      Status read = spill_.read(
          bucket,
          [&](uint64_t seq, std::string_view body) {
            auto e = reopen_body(seq, body);
            if (!e.ok()) bad = e.error();
            return e.ok() && !(stopped = !add(std::move(e.value())));
          },
          [&](SpilledDocuments&& d) { return !(stopped = !add(std::move(d))); });
      failure = bad.ok() ? read : bad;
    }
    if (!stopped && failure.ok() && !chunk.empty()) stopped = !hand_on();
    std::lock_guard lock(mu_);
    failure_ = failure;
    done_ = true;
    changed_.notify_all();
  }

  const BulkSpill& spill_;
  uint64_t next_bucket_;
  const uint64_t end_;
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable changed_;
  struct Chunk {
    std::vector<Item> items;
    size_t bytes = 0;  // heap its reading left allocated
  };
  std::deque<Chunk> ready_;
  size_t queued_bytes_ = 0;
  size_t taken_bytes_ = 0;
  uint64_t skip_from_ = UINT64_MAX;
  Status failure_;
  bool stop_ = false;
  bool done_ = false;
  std::thread thread_;  // last: starts once the rest is initialized
};

// About how many events the spill holds from `partition`'s bucket on.
uint64_t spilled_events_from(const BulkSpill& spill, uint64_t partition) {
  const double event_bytes = spill.mean_event_bytes();
  if (event_bytes <= 0) return 0;
  return static_cast<uint64_t>(static_cast<double>(spill.bytes_in(spill_bucket(partition), kSpillBuckets)) /
                               event_bytes);
}

// The spill's bytes for partitions [from, below): its buckets', the partial
// ones in proportion.
double spilled_bytes(const BulkSpill& spill, uint64_t from, uint64_t below) {
  double bytes = 0;
  for (uint64_t b = spill_bucket(from); b < kSpillBuckets && spill_bucket_begin(b) < below; ++b) {
    const uint64_t lo = std::max(from, spill_bucket_begin(b)), hi = std::min(below, spill_bucket_begin(b + 1));
    const double share = static_cast<double>(hi - lo) / static_cast<double>(spill_bucket_begin(1));
    bytes += share * static_cast<double>(spill.bytes_in(b, b + 1));
  }
  return bytes;
}

// A bulk pass's narrowest range of partitions, and the share of the memory
// bound a range is sized to fill (growth is projected from what was folded).
constexpr uint64_t kWidthMin = kAccountPartitions / kBulkPassesMax;
// What an id in the set of accounts left for later passes takes (a tree
// node and a string whose id fits in it), not counted as the folders' heap.
constexpr size_t kRestEntryBytes = 96;
constexpr double kBulkFill = 0.8;
// An account pass's reading threads (the fold is a third; two cores keep
// both busy: reading an event by the account index costs more than folding
// it), and the events they may hold read ahead of the fold.
constexpr size_t kAccountReadingThreads = 2;
constexpr size_t kAccountsAheadEvents = 4 * kAccountChunkEvents;

}  // namespace

ProjectionEngine::ProjectionEngine(ProjectionStore& store, EventLog& log,
                                   std::vector<std::unique_ptr<StoredProjection>> projections,
                                   ProjectionEngineOptions options)
    : store_(store), log_(log), projections_(std::move(projections)), options_(std::move(options)) {
  assert(options_.read_batch_events > 0 && options_.commit_every_events > 0 && options_.memory_bytes_max > 0);
}

const StoredProjection* ProjectionEngine::find(std::string_view name) const {
  for (const auto& p : projections_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

StatusOr<std::vector<const StoredProjection*>> ProjectionEngine::select(
    const std::vector<std::string>& names) const {
  std::vector<const StoredProjection*> out;
  if (names.empty()) {
    for (const auto& p : projections_) out.push_back(p.get());
    return out;
  }
  for (const auto& n : names) {
    const StoredProjection* p = find(n);
    if (p == nullptr) {
      std::string known;
      for (const auto& q : projections_) known += (known.empty() ? "" : ", ") + std::string(q->name());
      return fail(StatusCode::invalid_argument, "no projection named '" + n + "' (known: " + known + ")");
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

StatusOr<uint64_t> ProjectionEngine::head() {
  if (options_.refresh_log) {
    if (Status s = options_.refresh_log(); !s.ok()) return Err{s};
  }
  auto d = log_.digest();
  if (!d.ok()) return Err{d.error()};
  return d->seq;
}

StatusOr<bool> ProjectionEngine::on_this_log(const ProjectionCheckpoint& c, uint64_t head_seq) {
  if (c.seq == 0) return true;
  if (c.seq > head_seq) return false;
  auto events = log_.read_global(c.seq, 1);
  if (!events.ok()) return Err{events.error()};
  return events->size() == 1 && (*events)[0].seq == c.seq && (*events)[0].hash == c.hash;
}

StatusOr<Generation> ProjectionEngine::building_generation(const StoredProjection& p,
                                                           const std::vector<Generation>& gens,
                                                           uint64_t head_seq) {
  for (const auto& g : gens) {
    if (g.projection != p.name() || g.role != GenerationRole::building) continue;
    auto same_log = on_this_log(g.bulk ? g.bulk->until : g.checkpoint, head_seq);
    if (!same_log.ok()) return Err{same_log.error()};
    if (g.version == p.version() && *same_log) return g;  // resume
    if (Status s = store_.drop(g.id); !s.ok()) return Err{s};
  }
  return store_.create_generation(p.name(), p.version(), GenerationRole::building);
}

ProjectionEngine::Target ProjectionEngine::target(const StoredProjection* p, const Generation& g,
                                                  uint64_t until) {
  Target t;
  t.projection = p;
  t.generation = g;
  t.until = until;
  t.folder = p->folder(store_, g.id);
  t.pending = g.checkpoint;
  return t;
}

Status ProjectionEngine::bulk_fold(std::vector<Target>& targets, std::string_view phase,
                                   const ProgressFn& progress) {
  // Targets with nothing folded yet, grouped by the event their bulk load
  // folds up to (a resumed one keeps its own; a new one folds to its end).
  std::map<uint64_t, std::vector<BulkTarget>> groups;
  for (auto& t : targets) {
    if (!options_.bulk_load) break;
    if (t.generation.checkpoint.seq != 0 || t.generation.role == GenerationRole::live) continue;
    const uint64_t until = t.generation.bulk ? t.generation.bulk->until.seq : t.until;
    if (until == 0) continue;
    groups[until].push_back(BulkTarget{&t, t.generation.bulk ? t.generation.bulk->below : 0,
                                       t.generation.bulk ? t.generation.bulk->until : ProjectionCheckpoint{}});
  }
  for (auto& [until, group] : groups) {
    if (Status s = bulk_fold_group(group, until, phase, progress); !s.ok()) return s;
    std::vector<CheckpointWrite> checkpoints;
    for (const auto& b : group) checkpoints.push_back({b.target->generation.id, b.until});
    if (Status s = store_.commit({}, checkpoints); !s.ok()) return s;
    for (auto& b : group) {
      b.target->generation.checkpoint = b.until;
      b.target->generation.bulk.reset();
      b.target->pending = b.until;
    }
  }
  return Status::Ok();
}

Status ProjectionEngine::bulk_fold_group(std::vector<BulkTarget>& group, uint64_t until,
                                         std::string_view phase, const ProgressFn& progress) {
  BulkPass pass{.phase = phase, .progress = progress, .start = std::chrono::steady_clock::now()};
  Status s = bulk_passes(group, until, pass);
  if (!pass.spill_overflowed) return s;
  // The spill passed its bound: the first pass again, the later ones by the
  // account index (nothing was loaded: only the first pass spills).
  BulkPass again{.phase = phase, .progress = progress, .start = pass.start, .may_spill = false};
  return bulk_passes(group, until, again);
}

Status ProjectionEngine::bulk_passes(std::vector<BulkTarget>& group, uint64_t until, BulkPass& pass) {
  uint64_t from = kAccountPartitions;
  for (const auto& b : group) from = std::min(from, b.below);
  uint64_t width = kAccountPartitions - from;  // the first pass tries every account left
  std::set<std::string> rest;  // the accounts of partitions the passes so far left
  while (from < kAccountPartitions) {
    uint64_t below = std::min(kAccountPartitions, from + width);
    if (pass.spill) below = spilled_pass_below(pass, from, below);
    Status s = pass.passes == 0 ? bulk_pass(group, until, from, below, pass, rest)
               : pass.spill     ? bulk_spill_pass(group, until, from, below, pass)
                                : bulk_account_pass(group, until, from, below, pass, rest);
    if (!s.ok()) {
      pass.spill_overflowed = pass.spill && s.code() == StatusCode::limit_exceeded && pass.passes == 0;
      return s;
    }
    // The next pass: as many partitions as fit what the rest of the process
    // left of the bound, at this pass's memory per partition (at most four
    // times as many).
    const size_t room = options_.memory_bytes_max > pass.other_bytes ? options_.memory_bytes_max - pass.other_bytes : 0;
    const double fit = kBulkFill * static_cast<double>(room) / static_cast<double>(std::max<size_t>(pass.held_bytes, 1));
    width = std::max(kWidthMin, static_cast<uint64_t>(static_cast<double>(below - from) * std::min(fit, 4.0)));
    if (pass.spill && pass.passes > 0) {  // a spilled pass: its memory per byte of the spill it read
      const double read = spilled_bytes(*pass.spill, from, below);
      pass.held_per_spilled_byte = read > 0 ? static_cast<double>(pass.held_bytes) / read : 0;
      pass.room_bytes = room;
    }
    from = below;
    ++pass.passes;
  }
  return Status::Ok();
}

uint64_t ProjectionEngine::spilled_pass_below(const BulkPass& pass, uint64_t from, uint64_t below) {
  const uint64_t first = spill_bucket(from);
  if (pass.held_per_spilled_byte <= 0) {
    // Sized by partitions: ends at a bucket's end where it can (it reads whole buckets).
    const uint64_t end = spill_bucket_begin(spill_bucket(below));
    return end >= from + kWidthMin ? end : below;
  }
  // Whole buckets, as many as fit at the last spilled pass's memory per byte
  // of the spill (buckets differ in size; at least one).
  const double budget = kBulkFill * static_cast<double>(pass.room_bytes);
  double needed = 0;
  uint64_t end = first;
  while (end < kSpillBuckets) {
    const double more = pass.held_per_spilled_byte * spilled_bytes(*pass.spill, spill_bucket_begin(end), spill_bucket_begin(end + 1));
    if (spill_bucket_begin(end) >= from + kWidthMin && needed + more > budget) break;
    needed += more;
    ++end;
  }
  return spill_bucket_begin(end);
}

Status ProjectionEngine::bulk_pass(std::vector<BulkTarget>& group, uint64_t until, uint64_t from,
                                   uint64_t& below, BulkPass& pass, std::set<std::string>& rest) {
  std::vector<std::unique_ptr<BulkFolder>> folders;  // each also names the accounts left for later passes
  for (auto& b : group) folders.push_back(b.target->projection->bulk_folder());
  const size_t heap_before = heap_in_use_bytes();
  ProjectionProgress p{std::string(pass.phase), 0, 0, 0, {}};
  const auto started = std::chrono::steady_clock::now();
  auto last_report = started;
  BulkPassReport report{.number = pass.passes + 1, .reads_log = true, .events_read = until};
  ProjectionCheckpoint last;
  BatchReader reader(log_, 1, until, options_.read_batch_events, 4);
  // The heap the folders hold: grown since the pass began, less the events
  // read ahead and the ids of the accounts left for later passes.
  auto held_bytes = [&] {
    const size_t now = heap_in_use_bytes(),
                 base = heap_before + reader.held_bytes() + rest.size() * kRestEntryBytes;
    return now > base ? now - base : 0;
  };
  for (uint64_t seq = 1; seq <= until;) {
    const auto wait_start = std::chrono::steady_clock::now();
    auto batch = reader.next();
    report.read_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_start).count();
    if (!batch.ok()) return batch.error();
    if (batch->size() == 0) {
      return Status(StatusCode::corruption, "the log ends before event " + std::to_string(seq) +
                                                " although its head is " + std::to_string(until));
    }
    if (pass.spill && !batch->routed()) {  // read before the spill began
      if (Status s = route_again(*batch); !s.ok()) return s;
    }
    if (Status s = fold_in_order(group, folders, *batch, from, below, seq, pass, rest); !s.ok()) return s;
    last = batch->last();
    // Over the bound: keep the partitions that, growing as they did so far,
    // fit it at the end of the log. Once a batch: the pages freed are given
    // back before the next look.
    if (const size_t counted = below - from > kWidthMin ? counted_bytes() : 0; counted > options_.memory_bytes_max) {
      below = fitting_below(counted, held_bytes(), static_cast<double>(seq - 1) / static_cast<double>(until), from,
                            below);
      // The documents to spill: the folders' heap, decoded, at about ten times their stored size.
      const size_t documents_bytes = held_bytes() / kDecodedBytesPerStoredByte;
      auto spilling = leave_from(folders, below, last, until, reader.envelope_bytes_read(), documents_bytes, pass, rest);
      if (!spilling.ok()) return spilling.error();
      if (*spilling) reader.route(from, below);
      release_free_heap();
    }
    const auto now = std::chrono::steady_clock::now();
    if (pass.progress && std::chrono::duration<double>(now - last_report).count() >= 0.5) {
      last_report = now;
      report_bulk(pass, p, seq - 1, until, from, below);
    }
  }
  pass.held_bytes = held_bytes();
  const size_t counted = counted_bytes();
  pass.other_bytes = counted - std::min(counted, pass.held_bytes);
  if (pass.spill) {
    if (Status s = pass.spill->flush(); !s.ok()) return s;
    report.spill_bytes = pass.spill->bytes();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (Status s = end_pass(group, folders, last, from, below, report, rest.size()); !s.ok()) return s;
  p.pass_done = report;
  report_bulk(pass, p, until, until, from, below);
  pass.events_read += until;
  return Status::Ok();
}

StatusOr<bool> ProjectionEngine::leave_from(std::vector<std::unique_ptr<BulkFolder>>& folders, uint64_t below,
                                            const ProjectionCheckpoint& last, uint64_t until,
                                            std::pair<uint64_t, uint64_t> read, size_t documents_bytes,
                                            BulkPass& pass, std::set<std::string>& rest) {
  if (!pass.spill_decided) {
    pass.spill_decided = true;
    pass.envelope_bytes = read.second == 0 ? 0 : static_cast<double>(read.first) / static_cast<double>(read.second);
    auto spill = pass.may_spill ? open_spill(pass.envelope_bytes, until - last.seq, documents_bytes)
                                : StatusOr<std::unique_ptr<BulkSpill>>(std::unique_ptr<BulkSpill>());
    if (!spill.ok()) return Err{spill.error()};
    pass.spill = std::move(spill.value());
  }
  for (uint32_t i = 0; i < folders.size(); ++i) {
    if (!pass.spill) {
      folders[i]->held_from(below, rest);
      folders[i]->forget_from(below);
      continue;
    }
    Status s = folders[i]->spill_from(below, [&](const std::string& account, const AccountDocuments& documents) {
      return pass.spill->add_documents(spill_bucket(account_partition(account)), i, account, last.seq, documents);
    });
    if (!s.ok()) return Err{s};
  }
  return pass.spill != nullptr;
}

StatusOr<std::unique_ptr<BulkSpill>> ProjectionEngine::open_spill(double envelope_bytes, uint64_t events_left,
                                                                  size_t documents_bytes) {
  if (options_.spill_directory.empty() || options_.spill_bytes_max == 0 || envelope_bytes <= 0) {
    return std::unique_ptr<BulkSpill>();
  }
  // Each event once with its framing, a quarter more for the events of
  // accounts in two buckets, and the documents of the accounts left.
  constexpr double kFramingBytes = 21;
  const double needed = 1.25 * (envelope_bytes + kFramingBytes) * static_cast<double>(events_left) +
                        2.0 * static_cast<double>(documents_bytes);
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(options_.spill_directory).parent_path();
  const std::filesystem::space_info space = std::filesystem::space(parent.empty() ? "." : parent, ec);
  if (ec || needed > static_cast<double>(options_.spill_bytes_max) || needed > static_cast<double>(space.available) / 2) {
    return std::unique_ptr<BulkSpill>();
  }
  return BulkSpill::create(options_.spill_directory, options_.spill_bytes_max);
}

Status ProjectionEngine::route_again(EventBatch& batch) {
  assert(!batch.routed() && batch.partitions.empty());
  std::string scratch;
  const std::vector<RecordedEvent>& events = batch.events;
  Status bad;
  Status s = log_.scan_envelopes(events.front().seq, [&](uint64_t seq, std::string_view envelope) {
    const size_t i = batch.body_ends.size();
    const RecordedEvent& e = events[i];
    bad = seq == e.seq ? check_envelope(seq, envelope, e.hash)
                       : Status(StatusCode::corruption, "expected event " + std::to_string(e.seq) + ", read " +
                                                            std::to_string(seq));
    if (bad.ok()) bad = batch.add_partitions(envelope, batch.read[i].partitions_end);
    if (bad.ok()) bad = batch.add_body(envelope, scratch);
    return bad.ok() && batch.body_ends.size() < events.size();
  });
  if (!bad.ok()) return bad;
  if (!s.ok()) return s;
  if (batch.body_ends.size() != events.size()) {
    return Status(StatusCode::corruption, "the log ends before event " + std::to_string(events.back().seq));
  }
  return Status::Ok();
}

Status ProjectionEngine::fold_in_order(std::vector<BulkTarget>& group,
                                       std::vector<std::unique_ptr<BulkFolder>>& folders, const EventBatch& batch,
                                       uint64_t from, uint64_t below, uint64_t& seq, BulkPass& pass,
                                       std::set<std::string>& rest) {
  std::vector<uint64_t> buckets;
  size_t decoded = 0;  // the events of the batch decoded so far
  for (size_t k = 0; k < batch.size(); ++k) {
    if (batch.read[k].seq != seq) {
      return Status(StatusCode::corruption,
                    "expected event " + std::to_string(seq) + ", read " + std::to_string(batch.read[k].seq));
    }
    const RecordedEvent* e = batch.read[k].decoded ? &batch.events[decoded++] : nullptr;
    assert(e == nullptr || e->seq == seq);
    if (e != nullptr) {
      for (size_t i = 0; i < group.size(); ++i) {
        if (group[i].below >= below) continue;
        if (Status s = folders[i]->apply(*e, std::max(from, group[i].below), below); !s.ok()) return s;
      }
    } else {  // the reader found no account of [from, below) in it as it routed it
      for (uint64_t p : batch.partitions_of(k)) assert(p < from || p >= below);
    }
    ++seq;
    if (below == kAccountPartitions) continue;
    if (!pass.spill) {
      assert(e != nullptr);
      for (size_t i = 0; i < group.size(); ++i) folders[i]->accounts_from(*e, std::max(below, group[i].below), rest);
      continue;
    }
    if (Status s = spill_event(batch, k, below, *pass.spill, buckets); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ProjectionEngine::spill_event(const EventBatch& batch, size_t k, uint64_t below, BulkSpill& spill,
                                     std::vector<uint64_t>& buckets) {
  const std::span<const uint64_t> named = batch.partitions_of(k);
  buckets.assign(named.begin(), named.end());
  std::erase_if(buckets, [&](uint64_t p) { return p < below; });
  for (uint64_t& b : buckets) b = spill_bucket(b);  // partitions, until here
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  for (uint64_t b : buckets) {
    if (Status s = spill.add_event(b, batch.read[k].seq, batch.body(k)); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ProjectionEngine::bulk_account_pass(std::vector<BulkTarget>& group, uint64_t until, uint64_t from,
                                           uint64_t& below, BulkPass& pass, std::set<std::string>& rest) {
  std::vector<std::unique_ptr<BulkFolder>> folders;
  for (auto& b : group) folders.push_back(b.target->projection->bulk_folder());
  auto last = checkpoint_at(until);  // the checkpoint the pass's documents record
  if (!last.ok()) return last.error();
  std::vector<const std::string*> accounts;  // of rest, in [from, below)
  for (const std::string& id : rest) {
    if (account_partition(id) >= from && account_partition(id) < below) accounts.push_back(&id);
  }
  const auto started = std::chrono::steady_clock::now();
  BulkPassReport report{.number = pass.passes + 1, .reads_log = false};
  pass.accounts_left = rest.size();
  auto visited = fold_accounts(group, folders, accounts, until, from, below, pass, report);
  if (!visited.ok()) return visited.error();
  std::erase_if(rest, [&](const std::string& id) { return account_partition(id) < below; });
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (Status s = end_pass(group, folders, *last, from, below, report, rest.size()); !s.ok()) return s;
  pass.events_read += report.events_read;
  pass.account_events_read += report.events_read;
  pass.accounts_read += *visited;
  ProjectionProgress p{std::string(pass.phase), 0, 0, 0, {}};
  p.pass_done = report;
  report_accounts(pass, p, 0, 0, rest.size());
  return Status::Ok();
}

StatusOr<ProjectionCheckpoint> ProjectionEngine::checkpoint_at(uint64_t seq) {
  auto at = log_.read_global(seq, 1);
  if (!at.ok()) return Err{at.error()};
  if (at->size() != 1 || (*at)[0].seq != seq) {
    return fail(StatusCode::corruption, "the log has no event " + std::to_string(seq) + " to load up to");
  }
  return ProjectionCheckpoint{seq, (*at)[0].hash};
}

Status ProjectionEngine::bulk_spill_pass(std::vector<BulkTarget>& group, uint64_t until, uint64_t from,
                                         uint64_t& below, BulkPass& pass) {
  std::vector<std::unique_ptr<BulkFolder>> folders;
  for (auto& b : group) folders.push_back(b.target->projection->bulk_folder());
  auto last = checkpoint_at(until);  // the checkpoint the pass's documents record
  if (!last.ok()) return last.error();
  const auto started = std::chrono::steady_clock::now();
  BulkPassReport report{.number = pass.passes + 1, .reads_log = false, .reads_spill = true};
  if (Status s = fold_spill(group, folders, from, below, pass, report); !s.ok()) return s;
  report.spill_bytes = pass.spill->bytes();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (Status s = end_pass(group, folders, *last, from, below, report, 0); !s.ok()) return s;
  pass.events_read += report.events_read;
  ProjectionProgress p{std::string(pass.phase), pass.events_read, 0, 0, report};
  if (pass.progress) {
    p.total = p.done + spilled_events_from(*pass.spill, below);
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pass.start).count();
    pass.progress(p);
  }
  return Status::Ok();
}

Status ProjectionEngine::fold_spill(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                                    uint64_t from, uint64_t& below, BulkPass& pass, BulkPassReport& report) {
  const size_t heap_before = heap_in_use_bytes();
  const uint64_t first = spill_bucket(from), end = spill_bucket(below - 1) + 1;
  const double bytes_total = static_cast<double>(std::max<uint64_t>(1, pass.spill->bytes_in(first, end)));
  SpillReader reader(*pass.spill, first, end, 4);
  auto held_bytes = [&] {
    const size_t now = heap_in_use_bytes(), base = heap_before + reader.held_bytes();
    return now > base ? now - base : size_t{0};
  };
  ProjectionProgress p{std::string(pass.phase), 0, 0, 0, {}};
  auto last_report = std::chrono::steady_clock::now();
  uint64_t read = 0, looked_at = 0;
  for (;;) {
    const auto wait_start = std::chrono::steady_clock::now();
    auto chunk = reader.next();
    report.read_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_start).count();
    if (!chunk.ok()) return chunk.error();
    if (chunk->empty()) break;
    for (SpillReader::Item& item : *chunk) {
      if (Status s = fold_spilled(group, folders, from, below, item.bucket, item.record); !s.ok()) return s;
      read += std::holds_alternative<RecordedEvent>(item.record) ? 1 : 0;
    }
    // Over the bound: keep the partitions that fit, as the first pass does
    // (those left are read again, from their buckets, by the next pass).
    if (read - looked_at >= options_.read_batch_events) {
      looked_at = read;
      const double done = std::min(1.0, static_cast<double>(read) * pass.spill->mean_event_bytes() / bytes_total);
      if (narrowed_within(folders, from, below, done, held_bytes)) reader.skip_from(below);
    }
    const auto now = std::chrono::steady_clock::now();
    if (pass.progress && std::chrono::duration<double>(now - last_report).count() >= 0.5) {
      last_report = now;
      p.done = pass.events_read + read;
      const uint64_t left = spilled_events_from(*pass.spill, from);
      p.total = p.done + left - std::min(left, read);
      p.seconds = std::chrono::duration<double>(now - pass.start).count();
      pass.progress(p);
    }
  }
  pass.held_bytes = held_bytes();
  const size_t counted = counted_bytes();
  pass.other_bytes = counted - std::min(counted, pass.held_bytes);
  report.events_read = read;
  return Status::Ok();
}

Status ProjectionEngine::fold_spilled(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                                      uint64_t from, uint64_t below, uint64_t bucket,
                                      std::variant<RecordedEvent, SpilledDocuments>& record) {
  const uint64_t lo = std::max(from, spill_bucket_begin(bucket)), hi = std::min(below, spill_bucket_begin(bucket + 1));
  if (lo >= hi) return Status::Ok();
  if (auto* d = std::get_if<SpilledDocuments>(&record)) {
    if (d->projection >= group.size()) {
      return Status(StatusCode::corruption, "the bulk load's spill names projection " + std::to_string(d->projection) +
                                                " of " + std::to_string(group.size()));
    }
    const uint64_t partition = account_partition(d->account);
    if (partition < std::max(lo, group[d->projection].below) || partition >= hi) return Status::Ok();
    return folders[d->projection]->restore(d->account, d->through_seq, d->documents);
  }
  const RecordedEvent& e = std::get<RecordedEvent>(record);
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i].below >= hi) continue;  // loaded by an earlier run
    if (Status s = folders[i]->apply(e, std::max(lo, group[i].below), hi); !s.ok()) return s;
  }
  return Status::Ok();
}

StatusOr<uint64_t> ProjectionEngine::fold_accounts(std::vector<BulkTarget>& group,
                                                   std::vector<std::unique_ptr<BulkFolder>>& folders,
                                                   const std::vector<const std::string*>& accounts, uint64_t until,
                                                   uint64_t from, uint64_t& below, BulkPass& pass,
                                                   BulkPassReport& report) {
  const size_t heap_before = heap_in_use_bytes();
  AccountReader reader(log_, accounts, until, kAccountsAheadEvents, kAccountReadingThreads);
  // The heap the folders hold: grown since the pass began, less the events read ahead.
  auto held_bytes = [&] {
    const size_t now = heap_in_use_bytes(), base = heap_before + reader.held_bytes();
    return now > base ? now - base : size_t{0};
  };
  ProjectionProgress p{std::string(pass.phase), 0, 0, 0, {}};
  auto last_report = std::chrono::steady_clock::now();
  uint64_t read = 0, visited = 0, looked_at = 0;
  for (;;) {
    const auto wait_start = std::chrono::steady_clock::now();
    auto chunk = reader.next();
    report.read_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_start).count();
    if (!chunk.ok()) return Err{chunk.error()};
    if (!chunk->has_value()) break;
    const std::string& account = *accounts[(*chunk)->account];
    const uint64_t partition = account_partition(account);
    if (partition >= below) continue;  // narrowed away after its reading began
    for (const RecordedEvent& e : (*chunk)->events) {
      for (size_t i = 0; i < group.size(); ++i) {
        if (partition < group[i].below) continue;  // loaded by an earlier run
        if (Status s = folders[i]->apply_to(e, account); !s.ok()) return Err{s};
      }
    }
    read += (*chunk)->events.size();
    visited += (*chunk)->last ? 1 : 0;
    // Over the bound: keep the partitions that fit, as the first pass does
    // (those left are read again by the next pass). Once a batch of events.
    if (read - looked_at >= options_.read_batch_events) {
      looked_at = read;
      const double done = static_cast<double>(visited) / static_cast<double>(accounts.size());
      if (narrowed_within(folders, from, below, done, held_bytes)) reader.skip_from(below);
    }
    const auto now = std::chrono::steady_clock::now();
    if (pass.progress && std::chrono::duration<double>(now - last_report).count() >= 0.5) {
      last_report = now;
      report_accounts(pass, p, read, visited, pass.accounts_left);
    }
  }
  pass.held_bytes = held_bytes();
  const size_t counted = counted_bytes();
  pass.other_bytes = counted - std::min(counted, pass.held_bytes);
  report.events_read = read;
  return visited;
}

Status ProjectionEngine::end_pass(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                                  const ProjectionCheckpoint& last, uint64_t from, uint64_t below,
                                  BulkPassReport& report, size_t accounts_left) {
  report.accounts_share = static_cast<double>(below - from) / static_cast<double>(kAccountPartitions);
  for (const auto& f : folders) report.accounts_loaded = std::max<uint64_t>(report.accounts_loaded, f->accounts_held());
  report.accounts_left = accounts_left;
  report.resident_bytes = resident_set_bytes();
  report.heap_bytes = heap_in_use_bytes();
  const auto write_start = std::chrono::steady_clock::now();
  if (Status s = bulk_write(group, folders, last, below); !s.ok()) return s;
  report.write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  report.seconds += report.write_seconds;
  // At least the resident set read before writing: that came from statm,
  // the mark from getrusage(), which the kernel updates lazily, so the mark
  // read later can be a few pages below it (seen in tests under load).
  report.peak_resident_bytes = std::max<uint64_t>(peak_resident_set_bytes(), report.resident_bytes);
  release_free_heap();  // the documents written are forgotten
  return Status::Ok();
}

bool ProjectionEngine::narrowed_within(std::vector<std::unique_ptr<BulkFolder>>& folders, uint64_t from,
                                       uint64_t& below, double done, const std::function<size_t()>& held) {
  const size_t counted = below - from > kWidthMin ? counted_bytes() : 0;
  if (counted <= options_.memory_bytes_max) return false;
  below = fitting_below(counted, held(), done, from, below);
  for (auto& f : folders) f->forget_from(below);
  release_free_heap();
  return true;
}

size_t ProjectionEngine::counted_bytes() const {
  size_t resident = resident_set_bytes();
  if (resident == 0) resident = heap_in_use_bytes();  // no /proc: the allocator's count
  return resident > options_.resident_base_bytes ? resident - options_.resident_base_bytes : 0;
}

uint64_t ProjectionEngine::fitting_below(size_t counted, size_t held, double done_share, uint64_t from,
                                         uint64_t below) const {
  const size_t other = counted > held ? counted - held : 0;
  const size_t room = options_.memory_bytes_max > other ? options_.memory_bytes_max - other : 0;
  const double projected = std::max(1.0, static_cast<double>(held) / std::max(done_share, 1e-9));
  const auto fitting = static_cast<uint64_t>(static_cast<double>(below - from) * kBulkFill *
                                             static_cast<double>(room) / projected);
  return from + std::clamp(fitting, kWidthMin, std::max(kWidthMin, (below - from) / 2));
}

// Progress of the account passes: the events read so far, and as many again
// per account left as the accounts read so far took on average.
void ProjectionEngine::report_accounts(const BulkPass& pass, ProjectionProgress& p, uint64_t read,
                                       uint64_t visited, size_t accounts_left) {
  if (!pass.progress) return;
  const uint64_t accounts = pass.accounts_read + visited;
  const double per_account =
      accounts == 0 ? 0 : static_cast<double>(pass.account_events_read + read) / static_cast<double>(accounts);
  p.done = pass.events_read + read;
  p.total = p.done + static_cast<uint64_t>(per_account * static_cast<double>(accounts_left - visited));
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pass.start).count();
  pass.progress(p);
}

Status ProjectionEngine::bulk_write(std::vector<BulkTarget>& group, std::vector<std::unique_ptr<BulkFolder>>& folders,
                                    const ProjectionCheckpoint& last, uint64_t below) {
  std::vector<size_t> writing;  // the targets with documents in this range
  for (size_t i = 0; i < group.size(); ++i) {
    BulkTarget& b = group[i];
    if (b.below >= below) continue;  // nothing of its left in this range
    if (b.until.seq != 0 && b.until != last) {
      return Status(StatusCode::corruption, "the log's event " + std::to_string(last.seq) +
                                                " changed under a bulk load; rebuild again");
    }
    b.until = last;
    writing.push_back(i);
  }
  auto write = [&](size_t i) -> Status {
    auto load = store_.bulk_load(group[i].target->generation.id);
    if (!load.ok()) return load.error();
    auto bytes = folders[i]->write(**load);
    if (!bytes.ok()) return bytes.error();
    return (*load)->finish(BulkProgress{last, below});
  };
  // The first target (in the engine's order, the accounts projection when
  // all are built: it holds the most) on a thread of its own, the others on
  // this one: generations are written apart.
  std::vector<Status> written(writing.size());
  std::thread first;
  if (writing.size() > 1) first = std::thread([&] { written[0] = write(writing[0]); });
  for (size_t k = writing.size() > 1 ? 1 : 0; k < writing.size(); ++k) {
    written[k] = write(writing[k]);
    if (!written[k].ok()) break;
  }
  if (first.joinable()) first.join();
  for (size_t k = 0; k < writing.size(); ++k) {
    if (!written[k].ok()) return written[k];
    group[writing[k]].below = below;
  }
  return Status::Ok();
}

// Progress of the first pass: the events read so far, of the log and of the
// accounts left after it (about as many events again as their share).
void ProjectionEngine::report_bulk(const BulkPass& pass, ProjectionProgress& p, uint64_t read, uint64_t until,
                                   uint64_t from, uint64_t below) {
  if (!pass.progress) return;
  const double share_left = static_cast<double>(kAccountPartitions - below) /
                            static_cast<double>(kAccountPartitions - from);
  p.done = pass.events_read + read;
  p.total = pass.events_read + until + static_cast<uint64_t>(share_left * static_cast<double>(until));
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pass.start).count();
  pass.progress(p);
}

Status ProjectionEngine::commit(std::vector<Target>& targets) {
  std::vector<DocumentWrite> documents;
  std::vector<CheckpointWrite> checkpoints;
  for (auto& t : targets) {
    if (t.pending == t.generation.checkpoint) continue;
    t.folder->take_writes(documents);
    checkpoints.push_back({t.generation.id, t.pending});
  }
  if (checkpoints.empty()) return Status::Ok();
  if (Status s = store_.commit(documents, checkpoints); !s.ok()) return s;
  const size_t cached_max = options_.memory_bytes_max / 4 * 3 / kDecodedBytesPerStoredByte / targets.size();
  for (auto& t : targets) {
    t.generation.checkpoint = t.pending;
    t.folder->trim(cached_max);
  }
  return Status::Ok();
}

size_t ProjectionEngine::held_bytes(const std::vector<Target>& targets) {
  size_t bytes = 0;
  for (const auto& t : targets) {
    bytes += t.folder->cached_bytes() * kDecodedBytesPerStoredByte + t.folder->dirty_bytes() * 2;
  }
  return bytes;
}

Status ProjectionEngine::fold(std::vector<Target>& targets, std::string_view phase,
                              const ProgressFn& progress) {
  uint64_t from = UINT64_MAX, until = 0;
  for (const auto& t : targets) {
    if (t.generation.checkpoint.seq < t.until) from = std::min(from, t.generation.checkpoint.seq + 1);
    until = std::max(until, t.until);
  }
  if (from == UINT64_MAX) return Status::Ok();
  const auto t0 = std::chrono::steady_clock::now();
  ProjectionProgress p{std::string(phase), 0, until - from + 1, 0, {}};
  auto report = [&] {
    if (!progress) return;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress(p);
  };
  uint64_t since_commit = 0;
  auto last_commit = t0;
  auto last_report = t0;
  BatchReader reader(log_, from, until, options_.read_batch_events, 4);
  while (from <= until) {
    auto batch = reader.next();
    if (!batch.ok()) return batch.error();
    const std::vector<RecordedEvent>* events = &batch->events;
    if (events->empty()) {
      return Status(StatusCode::corruption, "the log ends before event " + std::to_string(from) +
                                                " although its head is " + std::to_string(until));
    }
    for (const RecordedEvent& e : *events) {
      if (e.seq != from) {
        return Status(StatusCode::corruption, "expected event " + std::to_string(from) + ", read " +
                                                  std::to_string(e.seq));
      }
      for (auto& t : targets) {
        if (e.seq <= t.pending.seq || e.seq > t.until) continue;
        if (Status s = t.folder->apply(e); !s.ok()) return s;
        t.pending = ProjectionCheckpoint{e.seq, e.hash};
      }
      ++from;
    }
    p.done += events->size();
    since_commit += events->size();
    const auto now = std::chrono::steady_clock::now();
    if (since_commit >= options_.commit_every_events || held_bytes(targets) >= options_.memory_bytes_max ||
        std::chrono::duration<double>(now - last_commit).count() >= options_.commit_every_seconds) {
      if (Status s = commit(targets); !s.ok()) return s;
      since_commit = 0;
      last_commit = now;
    }
    if (std::chrono::duration<double>(now - last_report).count() >= 0.5) {
      last_report = now;
      report();
    }
  }
  if (Status s = commit(targets); !s.ok()) return s;
  report();
  return Status::Ok();
}

Status ProjectionEngine::catch_up(const ProgressFn& progress) {
  std::lock_guard lock(folding_);
  auto head_seq = head();
  if (!head_seq.ok()) return head_seq.error();
  auto gens = store_.generations();
  if (!gens.ok()) return gens.error();
  std::vector<Target> targets;
  std::vector<uint64_t> to_promote;
  std::map<uint64_t, std::unique_ptr<Folder>> kept = std::move(kept_);
  kept_.clear();  // given back below only if this catch-up succeeds
  for (const auto& p : projections_) {
    const Generation* live = find_generation(*gens, p->name(), GenerationRole::live);
    bool usable = live != nullptr && live->version == p->version();
    if (usable) {
      auto same_log = on_this_log(live->checkpoint, *head_seq);
      if (!same_log.ok()) return same_log.error();
      usable = *same_log;
    }
    if (usable) {
      targets.push_back(target(p.get(), *live, *head_seq));
      if (auto k = kept.find(live->id); k != kept.end()) targets.back().folder = std::move(k->second);
      continue;
    }
    auto building = building_generation(*p, *gens, *head_seq);
    if (!building.ok()) return building.error();
    targets.push_back(target(p.get(), *building, *head_seq));
    to_promote.push_back(building->id);
  }
  if (Status s = bulk_fold(targets, "catch-up", progress); !s.ok()) return s;
  if (Status s = fold(targets, "catch-up", progress); !s.ok()) return s;
  for (uint64_t id : to_promote) {
    if (Status s = store_.promote(id); !s.ok()) return s;
  }
  if (options_.kept_bytes_max > 0) {
    for (auto& t : targets) {  // all live now (a promoted generation keeps its id)
      t.folder->trim(options_.kept_bytes_max / kDecodedBytesPerStoredByte);
      kept_.emplace(t.generation.id, std::move(t.folder));
    }
  }
  return Status::Ok();
}

Status ProjectionEngine::rebuild(const std::vector<std::string>& names, const ProgressFn& progress) {
  std::lock_guard lock(folding_);
  auto selected = select(names);
  if (!selected.ok()) return selected.error();
  auto head_seq = head();
  if (!head_seq.ok()) return head_seq.error();
  auto gens = store_.generations();
  if (!gens.ok()) return gens.error();
  std::vector<Target> targets;
  for (const StoredProjection* p : *selected) {
    auto building = building_generation(*p, *gens, *head_seq);
    if (!building.ok()) return building.error();
    targets.push_back(target(p, *building, *head_seq));
  }
  // Follow the log until a fold ends at its head, for a few passes at most:
  // under a writer that never pauses, what the last pass leaves is folded by
  // the next catch-up (status shows it as lag).
  constexpr int kFollowPassesMax = 3;
  if (Status s = bulk_fold(targets, "rebuild", progress); !s.ok()) return s;
  for (int pass = 0;; ++pass) {
    if (Status s = fold(targets, "rebuild", progress); !s.ok()) return s;
    if (pass == kFollowPassesMax) break;
    auto now = head();
    if (!now.ok()) return now.error();
    if (*now == targets.front().until) break;
    for (auto& t : targets) t.until = *now;
  }
  for (const auto& t : targets) {
    if (Status s = store_.promote(t.generation.id); !s.ok()) return s;
  }
  return Status::Ok();
}

StatusOr<std::vector<ProjectionDifferences>> ProjectionEngine::verify(
    const std::vector<std::string>& names, const ProgressFn& progress) {
  std::lock_guard lock(folding_);
  auto selected = select(names);
  if (!selected.ok()) return Err{selected.error()};
  auto gens = store_.generations();
  if (!gens.ok()) return Err{gens.error()};
  std::vector<Target> targets;
  std::vector<uint64_t> live_ids;
  Status status;
  for (const StoredProjection* p : *selected) {
    const Generation* live = find_generation(*gens, p->name(), GenerationRole::live);
    if (live == nullptr) {
      status = Status(StatusCode::not_found, "projection " + std::string(p->name()) +
                                                 " was never built (run `mledger projections rebuild`)");
      break;
    }
    auto scratch = store_.create_generation(p->name(), live->version, GenerationRole::scratch);
    if (!scratch.ok()) {
      status = scratch.error();
      break;
    }
    targets.push_back(target(p, *scratch, live->checkpoint.seq));
    live_ids.push_back(live->id);
  }
  if (status.ok()) status = bulk_fold(targets, "verify", progress);
  if (status.ok()) status = fold(targets, "verify", progress);
  std::vector<ProjectionDifferences> out;
  for (size_t i = 0; i < targets.size() && status.ok(); ++i) {
    ProjectionDifferences d;
    d.name = std::string(targets[i].projection->name());
    d.at_seq = targets[i].until;
    status = compare(live_ids[i], targets[i].generation.id, d);
    out.push_back(std::move(d));
  }
  for (const auto& t : targets) {
    if (Status s = store_.drop(t.generation.id); !s.ok() && status.ok()) status = s;
  }
  if (!status.ok()) return Err{status};
  return out;
}

Status ProjectionEngine::compare(uint64_t live_id, uint64_t scratch_id, ProjectionDifferences& d) {
  auto note = [&](std::string_view key) {
    ++d.differing;
    if (d.first_differing.size() < 10) d.first_differing.emplace_back(key);
  };
  uint64_t matched = 0;
  Status inner;
  Status s = store_.scan(live_id, "", [&](std::string_view key, std::string_view value) {
    ++d.compared;
    auto other = store_.get(scratch_id, key);
    if (!other.ok()) {
      inner = other.error();
      return false;
    }
    if (!other->has_value()) {
      note(key);
    } else {
      ++matched;
      if (**other != value) note(key);
    }
    return true;
  });
  if (!s.ok()) return s;
  if (!inner.ok()) return inner;
  // Documents only the scratch build has.
  return store_.scan(scratch_id, "", [&](std::string_view key, std::string_view) {
    auto in_live = store_.get(live_id, key);
    if (!in_live.ok()) {
      inner = in_live.error();
      return false;
    }
    if (!in_live->has_value()) {
      ++d.compared;
      note(key);
    }
    return true;
  });
}

StatusOr<std::vector<ProjectionStatus>> ProjectionEngine::status() {
  auto d = log_.digest();
  if (!d.ok()) return Err{d.error()};
  auto gens = store_.generations();
  if (!gens.ok()) return Err{gens.error()};
  std::vector<ProjectionStatus> out;
  for (const auto& p : projections_) {
    ProjectionStatus s;
    s.name = std::string(p->name());
    s.version = p->version();
    s.head_seq = d->seq;
    if (const Generation* g = find_generation(*gens, p->name(), GenerationRole::live)) s.live = *g;
    if (const Generation* g = find_generation(*gens, p->name(), GenerationRole::building)) s.building = *g;
    if (!s.live) {
      s.state = "missing";
      s.lag = d->seq;
    } else {
      const uint64_t at = s.live->checkpoint.seq;
      s.lag = d->seq > at ? d->seq - at : 0;
      auto size = store_.size_bytes(s.live->id);
      if (!size.ok()) return Err{size.error()};
      s.size_bytes = *size;
      s.state = s.live->version != p->version() ? "stale" : s.lag > 0 ? "behind" : "current";
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<Generation> ProjectionEngine::live(std::string_view name) {
  auto gens = store_.generations();
  if (!gens.ok()) return Err{gens.error()};
  if (const Generation* g = find_generation(*gens, name, GenerationRole::live)) return *g;
  return fail(StatusCode::not_found, "projection " + std::string(name) + " was never built");
}

}  // namespace mledger
