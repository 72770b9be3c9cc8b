#include "adapters/rocksdb/rocksdb_event_log.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/backup_engine.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "adapters/capnp/event_codec.h"
#include "adapters/log/append_planner.h"
#include "adapters/log/chain_verifier.h"
#include "adapters/merkle/tree_checker.h"

#include "adapters/rocksdb/head_watermark.h"
#include "adapters/rocksdb/index_keys.h"
#include "adapters/rocksdb/index_tail.h"
#include "adapters/rocksdb/index_writer.h"
#include "adapters/rocksdb/info_log.h"
#include "adapters/rocksdb/lock_holder.h"
#include "adapters/rocksdb/manual_resume.h"
#include "adapters/rocksdb/merkle_family.h"
#include "adapters/rocksdb/rocksdb_status.h"
#include "adapters/rocksdb/table_file_check.h"
#include "adapters/system/file_writes.h"

namespace mledger {

namespace {

constexpr const char* kFamilies[] = {"default", "events", "streams", "by_account",
                                     "commands", "meta",   "merkle",  "tree_heads"};
enum Family { kDefault, kEvents, kStreams, kByAccount, kCommands, kMeta, kMerkle, kTreeHeads, kFamilyCount };
// Families a newer build added: a reader of an older ledger opens without them.
constexpr Family kAddedFamilies[] = {kMerkle, kTreeHeads};

// Events written per batch while building the tree of an older ledger.
constexpr uint64_t kTreeBuildBatchEvents = 65536;

// meta key: the last event whose index entries (`streams`, `by_account`) are
// in the index families; written in the same batch as those entries.
constexpr const char* kIndexedThroughKey = "indexed_through";
// meta "format": what a writer of this build marks a ledger (check_format()).
constexpr const char* kFormat = "3";
// Events past the mark a reader (read-only, secondary) takes into memory; a
// writer keeps the index far closer (RocksDbOptions::index_lag_events_max).
constexpr uint64_t kReaderTailEventsMax = 1 << 20;

using index_keys::command_key;
using index_keys::get_be64;
using index_keys::prefixed_key;
using index_keys::seq_key;
std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// The "<name>\0" prefix of index keys (`streams`, `by_account`): entries of one
// stream or account arrive in key order, so the memtable can insert each one
// next to the last (insert hints) instead of searching from the top.
class NamePrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "mledger.NamePrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() > 9 && key[key.size() - 9] == '\0';
  }
};

// The writer's stream heads, looked up by a string_view without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StreamHeads = std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>>;

std::string watermark_path(const std::string& dir) {
  return (std::filesystem::path(dir) / HeadWatermark::kFileName).string();
}

// The write-ahead log files in `dir` ("000012.log, 000015.log"), for messages.
std::string wal_files(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".log") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

class RocksDbEventLog::Impl {
 public:
  RocksDbOptions options;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cf;

  std::shared_ptr<InfoLog> info_log;

  // Writer-only state (append_batch has one caller at a time).
  StreamHeads stream_cache;
  std::unique_ptr<HeadWatermark> watermark;  // primary instances only
  std::optional<LogDigest> acked_head;        // the watermark as last read or advanced (head_mu)
  bool write_failed = false;
  std::string format;              // the meta format marker ("" in a new ledger)
  bool bare_command_keys = false;  // format 1 records may be keyed by the bare id (check_format)
  std::string tree_layout;         // meta "tree_layout" (merkle_family.h): "" layout 1, or "2"
  Status last_failure;
  std::string resume_failure;  // why the last DB::Resume() failed
  std::chrono::steady_clock::time_point next_resume_at{};

  // The index entries of events the index families do not hold yet (all
  // instances), and, in a writer, the thread that writes them.
  IndexTail tail;
  std::unique_ptr<IndexWriter> indexer;

  // Shared with readers.
  std::mutex head_mu;
  LogDigest head;
  merkle::Frontier tree;  // a writer's tree (head_mu); readers read the family

  ~Impl() {
    indexer.reset();  // writes what is queued first
    if (db) {
      if (!options.read_only && options.secondary_path.empty()) {
        // Every write is already durable in the WAL; flushing the memtables
        // here empties it, so that the next open (every read-only CLI command
        // opens the ledger anew) need not replay it. Measured on a 1M-event
        // ledger left by `bench append` (113 MB of WAL): `audit history` took
        // 1.25 s, nearly all of it WAL replay at open. Best effort: a failed
        // flush loses nothing (the WAL is replayed instead).
        rocksdb::FlushOptions flush;
        flush.wait = true;
        flush.allow_write_stall = true;
        std::vector<rocksdb::ColumnFamilyHandle*> present;
        for (auto* h : cf) {
          if (h) present.push_back(h);
        }
        (void)db->Flush(flush, present);  // see above: failure only costs the next open time
      }
      for (auto* h : cf) {
        if (h) (void)db->DestroyColumnFamilyHandle(h);  // only fails on the default family
      }
      cf.clear();
      (void)db->Close();  // the events were synced; index entries not yet durable are rebuilt from the mark
    }
  }

  // The chain head is the last stored event.
  StatusOr<LogDigest> find_head() {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options(), cf[kEvents]));
    it->SeekToLast();
    if (!it->status().ok()) return Err{from_rocks(it->status(), "finding the chain head")};
    LogDigest found;
    if (it->Valid()) {
      const uint64_t seq = get_be64(view(it->key()));
      auto link = codec::open_link(view(it->value()));
      if (!link.ok()) {
        return fail(StatusCode::corruption, "last event " + std::to_string(seq) + ": " + link.error().message());
      }
      found = LogDigest{seq, link->hash};
    }
    return found;
  }

  Status load_head() {
    auto found = find_head();
    if (!found.ok()) return found.error();
    std::lock_guard lock(head_mu);
    head = *found;
    return Status::Ok();
  }

  uint64_t head_seq_now() {
    std::lock_guard lock(head_mu);
    return head.seq;
  }

  // A secondary, after catching up: the new head (capped as
  // cap_to_acknowledged() says) and the index entries past the index mark
  // are found first and published together, the tail before the head, so a
  // concurrent reader never has a head whose events it cannot find through
  // the indexes.
  Status refresh_reader() {
    auto found = find_head();
    if (!found.ok()) return found.error();
    auto acked = HeadWatermark::read(watermark_path(options.path));
    if (!acked.ok()) return acked.error();
    LogDigest next = *found;
    if (*acked && (*acked)->seq < next.seq) next = **acked;
    auto batch = tail_batch(next.seq);
    if (!batch.ok()) return batch.error();
    std::lock_guard lock(head_mu);
    if (*acked) acked_head = *acked;
    tail.replace(batch->event_count > 0 ? std::make_shared<const IndexBatch>(std::move(batch.value())) : nullptr);
    head = next;
    return Status::Ok();
  }

  // A secondary instance may see the end of a batch the writer has written
  // but not yet synced (it reads the write-ahead log as it stands): its head
  // is the last event it sees or the watermark, whichever is lower, so that
  // readers beside the writer (the publisher, projections) only ever take
  // events that were durable, never one a crash could still take away.
  Status cap_to_acknowledged() {
    if (options.secondary_path.empty()) return Status::Ok();
    auto acked = HeadWatermark::read(watermark_path(options.path));
    if (!acked.ok()) return acked.error();
    std::lock_guard lock(head_mu);
    if (*acked) acked_head = *acked;
    if (*acked && (*acked)->seq < head.seq) head = **acked;
    return Status::Ok();
  }

  rocksdb::ReadOptions read_options() const {
    rocksdb::ReadOptions r;
    r.verify_checksums = true;
    return r;
  }

  StatusOr<RecordedEvent> get_event(uint64_t seq) {
    rocksdb::PinnableSlice value;
    auto s = db->Get(read_options(), cf[kEvents], seq_key(seq), &value);
    if (s.IsNotFound()) {
      return fail(StatusCode::corruption, "event " + std::to_string(seq) + " is missing");
    }
    if (!s.ok()) return Err{from_rocks(s, "reading event " + std::to_string(seq))};
    return open_checked(seq, view(value));
  }

  static StatusOr<RecordedEvent> open_checked(uint64_t seq, std::string_view bytes) {
    auto e = codec::open(bytes);
    if (!e.ok()) {
      return fail(StatusCode::corruption,
                  "event " + std::to_string(seq) + ": " + e.error().message());
    }
    if (e->seq != seq) {
      return fail(StatusCode::corruption, "event stored as " + std::to_string(seq) + " says seq " +
                                              std::to_string(e->seq));
    }
    return e;
  }

  // The stream's version at the head: its last event through the tail or
  // the stream index (entries past the head do not count).
  StatusOr<uint64_t> version_from_disk(std::string_view stream) {
    const uint64_t head_seq = head_seq_now();
    const uint64_t in_tail = tail.stream_version(stream, head_seq);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options(), cf[kStreams]));
    const std::string upper = prefixed_key(stream, UINT64_MAX);
    for (it->SeekForPrev(upper); it->Valid(); it->Prev()) {
      std::string_view key = view(it->key());
      if (key.size() != stream.size() + 9 || key.substr(0, stream.size()) != stream ||
          key[stream.size()] != '\0') {
        break;
      }
      if (it->value().size() == 8 && get_be64(view(it->value())) > head_seq) continue;
      return std::max(in_tail, get_be64(key.substr(stream.size() + 1)));
    }
    if (!it->status().ok()) return Err{from_rocks(it->status(), "reading stream head")};
    return in_tail;
  }

  StatusOr<std::optional<CommandRecord>> command_record(std::string_view key) {
    std::string value;
    auto s = db->Get(read_options(), cf[kCommands], rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<CommandRecord>();
    if (!s.ok()) return Err{from_rocks(s, "reading command record")};
    auto rec = decode_command_record(value);
    if (!rec.ok()) return Err{rec.error()};
    return std::optional<CommandRecord>(*rec);
  }

  // The record of `id` within `scope`: under its scoped key; in a ledger of
  // format 1 also under the bare id (written before scopes existed) when its
  // first event's actor is in `scope`.
  StatusOr<std::optional<CommandRecord>> command_from_disk(std::string_view scope, std::string_view id) {
    auto rec = command_record(command_key(scope, id));
    if (!rec.ok() || rec->has_value() || !bare_command_keys) return rec;
    rec = command_record(id);
    if (!rec.ok() || !rec->has_value()) return rec;
    auto first = get_event((*rec)->first_seq);
    if (!first.ok()) return Err{first.error()};
    if (command_scope(first->metadata.actor) != scope || first->metadata.command_id != id) {
      return std::optional<CommandRecord>();
    }
    return rec;
  }

  StatusOr<std::vector<EventPosition>> positions(const CommandRecord& r) {
    std::vector<EventPosition> out;
    for (uint64_t s = r.first_seq; s < r.first_seq + r.event_count; ++s) {
      auto e = get_event(s);
      if (!e.ok()) return Err{e.error()};
      out.push_back(position_of(*e));
    }
    return out;
  }

  StatusOr<std::vector<RecordedEvent>> events_at(const std::vector<uint64_t>& seqs) {
    std::vector<RecordedEvent> out;
    out.reserve(seqs.size());
    for (uint64_t s : seqs) {
      auto e = get_event(s);
      if (!e.ok()) return Err{e.error()};
      out.push_back(std::move(e.value()));
    }
    return out;
  }

  bool primary() const { return !options.read_only && options.secondary_path.empty(); }

  rocksdb::DBOptions db_options(rocksdb::WALRecoveryMode mode) const {
    rocksdb::DBOptions o;
    o.create_if_missing = options.create_if_missing;
    // A writer adds families a newer build brings (the merkle family) to an
    // older ledger; readers open the families that exist (open_as()).
    o.create_missing_column_families = primary();
    o.paranoid_checks = true;
    o.max_background_jobs = 2;
    o.max_open_files = options.secondary_path.empty() ? options.max_open_files : -1;
    o.bytes_per_sync = 1 << 20;
    // Small families would otherwise pin every WAL file until they flush.
    o.max_total_wal_size = 256 << 20;
    o.wal_recovery_mode = mode;
    // RocksDB's own LOG file stays off the ledger's disk (see info_log.h).
    o.info_log = info_log;
    o.listeners.push_back(make_manual_resume_listener());
    // No preallocation: RocksDB would reserve 1.1 write buffers (70 MiB) for
    // each new WAL and 4 MiB for each MANIFEST, space the disk may not have
    // to spare. Measured on a full 48 MiB disk: after space was freed, the
    // projection store's new WAL took it all, and the ledger's flush (what
    // DB::Resume() needs) failed again.
    o.allow_fallocate = false;
    return o;
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> families() const {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    // Filters and indexes stay resident (not in the block cache): a new
    // command id must miss cheaply. Measured at 1M events: with them in the
    // cache, evictions made the idempotency look-ups 10x slower.
    table.cache_index_and_filter_blocks = false;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_options.write_buffer_size = 64 << 20;
    // Point look-ups of absent keys (new command ids, new streams) stay cheap.
    cf_options.memtable_whole_key_filtering = true;
    cf_options.memtable_prefix_bloom_size_ratio = 0.02;
    // Index families hold small random keys: smaller memtables keep their skip
    // lists shallow and cache-resident (measured: the writer's cost per event
    // grew with memtable size). The commands family is keyed by client ids.
    rocksdb::ColumnFamilyOptions small_options = cf_options;
    small_options.write_buffer_size = 16 << 20;
    rocksdb::ColumnFamilyOptions index_options = small_options;
    index_options.memtable_insert_with_hint_prefix_extractor = std::make_shared<NamePrefix>();
    std::vector<rocksdb::ColumnFamilyDescriptor> out;
    for (int f = 0; f < kFamilyCount; ++f) {
      out.emplace_back(kFamilies[f], f == kStreams || f == kByAccount ? index_options
                                     : f == kCommands                ? small_options
                                                                     : cf_options);
    }
    return out;
  }

  rocksdb::Status open_as(rocksdb::WALRecoveryMode mode) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s;
    const rocksdb::DBOptions o = db_options(mode);
    // A ledger from before the tree, opened by a reader: no merkle or
    // tree_heads family until a writer opens it (their handles stay null).
    std::vector<bool> missing(kFamilyCount, false);
    for (Family f : kAddedFamilies) missing[f] = !primary() && !has_family(o, kFamilies[f]);
    const std::vector<rocksdb::ColumnFamilyDescriptor> all = families();
    std::vector<rocksdb::ColumnFamilyDescriptor> wanted;
    for (int f = 0; f < kFamilyCount; ++f) {
      if (!missing[f]) wanted.push_back(all[f]);
    }
    if (!options.secondary_path.empty()) {
      s = rocksdb::DB::OpenAsSecondary(o, options.path, options.secondary_path, wanted, &cf, &raw);
    } else if (options.read_only) {
      s = rocksdb::DB::OpenForReadOnly(o, options.path, wanted, &cf, &raw);
    } else {
      s = rocksdb::DB::Open(o, options.path, wanted, &cf, &raw);
    }
    if (s.ok()) {
      db.reset(raw);
      for (size_t f = 0; f < missing.size(); ++f) {
        if (missing[f]) cf.insert(cf.begin() + static_cast<std::ptrdiff_t>(f), nullptr);
      }
    } else {
      cf.clear();
    }
    return s;
  }

  bool has_family(const rocksdb::DBOptions& o, const std::string& name) const {
    std::vector<std::string> names;
    if (!rocksdb::DB::ListColumnFamilies(o, options.path, &names).ok()) return true;  // Open reports it
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  // The tree's nodes: levels below merkle_family::kLowestStoredLevel from
  // the events, the others from the merkle family.
  merkle::NodeReader node_reader(rocksdb::ReadOptions read) {
    return [this, read](unsigned level, uint64_t index) -> StatusOr<Hash256> {
      if (level < merkle_family::kLowestStoredLevel) return node_from_events(read, level, index);
      if (!cf[kMerkle]) return fail(StatusCode::not_found, "this ledger has no Merkle tree yet");
      return merkle_family::read_node(*db, cf[kMerkle], read, level, index);
    };
  }

  // Subtree (level, index) below the stored levels: the leaf hashes of its
  // 2^level events' chain hashes (at most 8), folded. not_found unless they
  // are all at or below the head.
  StatusOr<Hash256> node_from_events(const rocksdb::ReadOptions& read, unsigned level, uint64_t index) {
    assert(level < merkle_family::kLowestStoredLevel);
    const uint64_t count = uint64_t{1} << level;
    const uint64_t first = (index << level) + 1;
    const std::string what = "Merkle tree node (level " + std::to_string(level) + ", index " +
                             std::to_string(index) + ")";
    uint64_t head_seq = 0;
    {
      std::lock_guard lock(head_mu);
      head_seq = head.seq;
    }
    if (index > (UINT64_MAX >> level) - 1 || first + count - 1 > head_seq) {
      return fail(StatusCode::not_found, what + " is not complete: the log ends at seq " + std::to_string(head_seq));
    }
    std::array<Hash256, merkle_family::kLeavesPerStoredNode / 2> leaves{};
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, cf[kEvents]));
    uint64_t got = 0;
    for (it->Seek(seq_key(first)); it->Valid() && got < count; it->Next(), ++got) {
      if (view(it->key()) != seq_key(first + got)) break;
      auto link = codec::open_link(view(it->value()));
      if (!link.ok()) {
        return fail(StatusCode::corruption, what + ": event " + std::to_string(first + got) +
                                                " does not open: " + link.error().message());
      }
      leaves[got] = merkle::leaf_hash(link->hash);
    }
    if (!it->status().ok()) return Err{from_rocks(it->status(), "reading the events under " + what)};
    if (got < count) return fail(StatusCode::not_found, what + ": event " + std::to_string(first + got) + " is missing");
    for (uint64_t width = count; width > 1; width /= 2) {
      for (uint64_t i = 0; i < width / 2; ++i) leaves[i] = merkle::node_hash(leaves[2 * i], leaves[2 * i + 1]);
    }
    return leaves[0];
  }

  // The events the tree covers. Layout 2: those under the stored nodes, and
  // the events after them when too few to complete another stored node
  // (their subtrees come from the events); a ledger appended without the
  // tree since (bench append --no-tree) is covered up to its stored nodes.
  StatusOr<uint64_t> stored_tree_size() {
    if (!cf[kMerkle]) return uint64_t{0};
    if (tree_layout.empty()) return merkle_family::stored_leaf_count(*db, cf[kMerkle], read_options());
    auto complete = merkle_family::stored_complete_size(*db, cf[kMerkle], read_options());
    if (!complete.ok()) return complete;
    uint64_t head_seq = 0;
    {
      std::lock_guard lock(head_mu);
      head_seq = head.seq;
    }
    if (*complete >= head_seq || head_seq - *complete < merkle_family::kLeavesPerStoredNode) return head_seq;
    return *complete;
  }

  // A writer: a ledger of layout 1 (or with no tree yet) becomes layout 2 in
  // one synced batch: the nodes below the stored levels go, the marker is set.
  Status settle_tree_layout() {
    if (tree_layout == merkle_family::kLayout) return Status::Ok();
    rocksdb::WriteBatch wb;
    if (Status d = merkle_family::drop_unstored_levels(wb, cf[kMerkle]); !d.ok()) return d;
    rocksdb::Status w = wb.Put(cf[kMeta], merkle_family::kLayoutKey, merkle_family::kLayout);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    if (w.ok()) w = db->Write(sync, &wb);
    if (!w.ok()) return from_rocks(w, "moving the Merkle tree to layout 2");
    tree_layout = merkle_family::kLayout;
    return Status::Ok();
  }

  // A writer: loads the tree's right edge, and builds the tree of the events
  // it does not cover yet (a ledger from before the tree, or one appended
  // with keep_tree off), in synced batches of kTreeBuildBatchEvents: bounded
  // memory, and an interrupted build resumes where it stopped.
  Status build_tree() {
    auto complete = merkle_family::stored_complete_size(*db, cf[kMerkle], read_options());
    if (!complete.ok()) return complete.error();
    if (*complete > head.seq) {
      return damaged("its Merkle tree covers " + std::to_string(*complete) + " events but the log holds " +
                     std::to_string(head.seq));
    }
    auto size = stored_tree_size();
    if (!size.ok()) return size.error();
    auto loaded = merkle::Frontier::load(node_reader(read_options()), *size);
    if (!loaded.ok()) return damaged("its Merkle tree does not read whole: " + loaded.error().message());
    tree = std::move(loaded.value());
    while (tree.size() < head.seq) {
      if (Status s = build_tree_batch(); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status build_tree_batch() {
    rocksdb::WriteBatch wb;
    merkle::Frontier next = tree;
    Status failed;
    const uint64_t end = std::min(head.seq, tree.size() + kTreeBuildBatchEvents);
    Status s = scan_from(tree.size() + 1, [&](uint64_t seq, std::string_view bytes) {
      auto link = codec::open_link(bytes);
      if (!link.ok() || seq != next.size() + 1) {
        failed = damaged("event " + std::to_string(seq) + " cannot join the Merkle tree: " +
                         (link.ok() ? "a sequence gap" : link.error().message()));
        return false;
      }
      next.append(link->hash, [&](unsigned level, uint64_t index, const Hash256& h) {
        if (failed.ok() && level >= merkle_family::kLowestStoredLevel) {
          failed = merkle_family::put_node(wb, cf[kMerkle], level, index, h);
        }
      });
      return failed.ok() && seq < end;
    });
    if (!s.ok()) return s;
    if (!failed.ok()) return failed;
    if (next.size() != end) return damaged("events are missing below the head while building the Merkle tree");
    rocksdb::WriteOptions sync;
    sync.sync = true;
    if (rocksdb::Status w = db->Write(sync, &wb); !w.ok()) return from_rocks(w, "building the Merkle tree");
    std::lock_guard lock(head_mu);
    tree = std::move(next);
    return Status::Ok();
  }

  Status scan_from(uint64_t from_seq, const std::function<bool(uint64_t, std::string_view)>& fn) {
    rocksdb::ReadOptions r = read_options();
    r.fill_cache = false;
    r.readahead_size = 4 << 20;
    r.adaptive_readahead = true;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(r, cf[kEvents]));
    for (it->Seek(seq_key(std::max<uint64_t>(from_seq, 1))); it->Valid(); it->Next()) {
      if (it->key().size() != 8) {
        return Status(StatusCode::corruption, "events family holds a key that is not a sequence");
      }
      if (!fn(get_be64(view(it->key())), view(it->value()))) return Status::Ok();
    }
    return from_rocks(it->status(), "scanning events");
  }

  // Recovery never skips damage in the write-ahead log. A writer opens with
  // kAbsoluteConsistency: any damaged or incomplete record fails the open.
  // An incomplete last record is what a crash in the middle of a write
  // leaves; that write was never acknowledged unless the watermark says so.
  // So the log is then read as kTolerateCorruptedTailRecords would keep it
  // (which drops an incomplete tail, never a record that fails its checksum),
  // read-only, changing nothing; only if that keeps every acknowledged event
  // is it opened so. Readers open with kTolerateCorruptedTailRecords (a
  // writer may be in the middle of a record) and the same watermark check;
  // a secondary follows a live writer as RocksDB allows (point in time).
  Status open_db(const std::optional<LogDigest>& acked) {
    if (!options.secondary_path.empty()) {
      return wal_status(open_as(rocksdb::WALRecoveryMode::kPointInTimeRecovery));
    }
    if (options.read_only) {
      return wal_status(open_as(rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords));
    }
    rocksdb::Status s = open_as(rocksdb::WALRecoveryMode::kAbsoluteConsistency);
    if (!s.IsCorruption()) return wal_status(s);
    const std::string strict_failure = s.ToString() + (info_log->first_damage().empty() ? "" : "; " + info_log->first_damage());
    RocksDbOptions probe = options;
    probe.read_only = true;
    probe.create_if_missing = false;
    probe.info_sink = [](std::string_view) {};  // its findings are reported here
    auto probed = RocksDbEventLog::open(probe);
    if (!probed.ok()) return probed.error();
    const LogDigest kept = probed.value()->impl_->head;
    probed.value().reset();
    s = open_as(rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords);
    if (s.ok()) {
      info_log->note("recovered from a crash in the middle of a write: dropped the incomplete end of the "
                     "write-ahead log (" + strict_failure + "); it held nothing acknowledged (head seq " +
                     std::to_string(kept.seq) + ", acknowledged up to seq " +
                     std::to_string(acked ? acked->seq : 0) + ")");
    }
    return wal_status(s);
  }

  // A failed open as the ledger's Status; damage names the file that has it.
  Status wal_status(const rocksdb::Status& s) const {
    if (is_lock_refusal(s)) {
      return Status(StatusCode::unavailable,
                    "the ledger at " + options.path + " is in use by another mledger process (" +
                        lock_holder(options.path) + ")");
    }
    if (!s.IsCorruption()) return from_rocks(s, "opening ledger at " + options.path);
    const std::string where = info_log->first_damage();
    if (!where.empty()) {
      return damaged("its write-ahead log does not read whole (" + s.ToString() + "; " + where +
                     "; write-ahead log files: " + wal_files(options.path) + ")");
    }
    std::string tables;
    for (const auto& t : damaged_table_files(options.path)) tables += (tables.empty() ? "" : ", ") + t;
    if (!tables.empty()) return damaged("a table file does not read whole: " + tables);
    return damaged("a file of the database does not read whole (" + s.ToString() +
                   "; write-ahead log files: " + wal_files(options.path) + ")");
  }

  // corruption: the ledger is damaged, what was found, and what to do.
  Status damaged(const std::string& what) const {
    return Status(StatusCode::corruption,
                  "the ledger at " + options.path + " is damaged: " + what +
                      ". Nothing was changed. Keep the directory as it is, restore the ledger from a "
                      "backup (docs/operations.md, \"A damaged ledger\") and check it against a digest "
                      "you kept");
  }

  // Format marker: refuse a directory written by an unknown format.
  //   "3"  as "2", and the index families may be behind the events (the
  //        index mark, "The index" in rocksdb_event_log.h): a build that
  //        reads format 2 would check expected versions against a stale
  //        `streams` family, so it must refuse such a ledger.
  //   "2"  every command record is keyed by scope and id (command_key());
  //        with meta "bare_command_keys" = "1", records written before scopes
  //        existed are still keyed by the bare id (command_from_disk()).
  //   "1"  a ledger from before scopes: bare ids only.
  // Reads only; settle_format() writes.
  Status check_format() {
    std::string bare;
    rocksdb::Status s = db->Get(read_options(), cf[kMeta], "format", &format);
    if (!s.ok() && !s.IsNotFound()) return from_rocks(s, "reading format marker");
    rocksdb::Status b = db->Get(read_options(), cf[kMeta], "bare_command_keys", &bare);
    if (!b.ok() && !b.IsNotFound()) return from_rocks(b, "reading format marker");
    if (!format.empty() && format != "1" && format != "2" && format != kFormat) {
      return Status(StatusCode::corruption, "ledger at " + options.path + " has format " + format +
                                                "; this build reads formats 1 to 3 (a newer build wrote it?)");
    }
    bare_command_keys = format == "1" || bare == "1";
    rocksdb::Status t = db->Get(read_options(), cf[kMeta], merkle_family::kLayoutKey, &tree_layout);
    if (!t.ok() && !t.IsNotFound()) return from_rocks(t, "reading the Merkle tree's layout");
    if (!tree_layout.empty() && tree_layout != merkle_family::kLayout) {
      return Status(StatusCode::corruption, "ledger at " + options.path + " has Merkle tree layout " + tree_layout +
                                                "; this build reads layouts 1 and 2");
    }
    return Status::Ok();
  }

  // A writer, once the ledger is known whole: marks a new ledger format 3,
  // and moves one of format 1 or 2 to it (one synced batch: the format, and
  // for format 1 bare_command_keys) before it writes anything else: before
  // any scoped record (a build from before scopes would miss those) and
  // before any index entry is left behind the events (a build of format 2
  // would read a stale index). Such builds refuse the ledger from then on.
  // Nothing else is rewritten.
  Status settle_format() {
    if (format == kFormat) return Status::Ok();
    rocksdb::WriteBatch wb;
    rocksdb::Status w = wb.Put(cf[kMeta], "format", kFormat);
    if (w.ok() && format == "1") w = wb.Put(cf[kMeta], "bare_command_keys", "1");
    rocksdb::WriteOptions sync;
    sync.sync = true;
    if (w.ok()) w = db->Write(sync, &wb);
    if (!w.ok()) return from_rocks(w, "writing format marker");
    format = kFormat;
    return Status::Ok();
  }

  // Every acknowledged event is here: the head is at or past the watermark,
  // and the event at the watermark is the one that was acknowledged.
  Status check_acknowledged(const std::optional<LogDigest>& acked) {
    if (!acked || acked->seq == 0) return Status::Ok();
    const std::string mark = " (head watermark " + watermark_path(options.path) + ")";
    if (head.seq < acked->seq) {
      const std::string where = info_log->first_damage();
      return damaged("acknowledged events are missing: the log ends at seq " + std::to_string(head.seq) +
                     " but events up to seq " + std::to_string(acked->seq) + " were acknowledged" + mark +
                     (where.empty() ? "" : "; RocksDB dropped: " + where) +
                     "; write-ahead log files: " + wal_files(options.path));
    }
    auto e = get_event(acked->seq);
    if (!e.ok()) return damaged("the last acknowledged event cannot be read" + mark + ": " + e.error().message());
    if (e->hash != acked->head) {
      return damaged("event " + std::to_string(acked->seq) + " is not the event that was acknowledged: its "
                     "hash differs from the one recorded" + mark);
    }
    return Status::Ok();
  }

  // After a failed write RocksDB refuses every write until DB::Resume()
  // (which flushes the memtables into a new write-ahead log) succeeds; it is
  // tried at most once a second, so a full disk costs each caller little.
  Status resume_writes() {
    const auto now = std::chrono::steady_clock::now();
    const std::string refused = "writes are refused since a write failed (" + last_failure.message() + ")";
    if (now < next_resume_at) {
      return Status(StatusCode::unavailable, refused + "; " +
                                                 (resume_failure.empty() ? "" : resume_failure + "; ") +
                                                 "tried again within 1 s");
    }
    next_resume_at = now + std::chrono::seconds(1);
    if (rocksdb::Status s = db->Resume(); !s.ok()) {
      resume_failure = "resuming failed: " + s.ToString();
      return Status(StatusCode::unavailable, refused + "; " + resume_failure);
    }
    stream_cache.clear();
    if (Status h = load_head_after_failure(); !h.ok()) return h;
    // The failed write may have reached the disk: the tree and the indexes
    // follow the log.
    if (options.keep_tree) {
      if (Status t = build_tree(); !t.ok()) return t;
    }
    if (Status i = settle_index(); !i.ok()) return i;
    if (watermark->current().seq < head.seq) {
      if (Status mark = watermark->advance(head); !mark.ok()) {
        resume_failure = mark.message();
        return Status(StatusCode::unavailable, refused + "; " + resume_failure);
      }
      std::lock_guard lock(head_mu);
      acked_head = head;
    }
    write_failed = false;
    resume_failure.clear();
    info_log->note("writes resumed after: " + last_failure.message());
    return Status::Ok();
  }

  // resume_writes(): the head as stored now, published as append_batch()
  // publishes one: the index entries of events a failed write left on disk
  // past the published head go into the tail first, so a reader that sees
  // the new head finds them through the indexes. (RocksDB does not insert a
  // write whose log sync failed into the memtables, so this finds them only
  // where a write failed after its record was applied.)
  Status load_head_after_failure() {
    auto found = find_head();
    if (!found.ok()) return found.error();
    const uint64_t published = head_seq_now();
    SharedIndexBatch late;
    if (found->seq > published) {
      auto batch = index_from_events(published + 1, found->seq);
      if (!batch.ok()) return batch.error();
      late = std::make_shared<const IndexBatch>(std::move(batch.value()));
    }
    std::lock_guard lock(head_mu);
    if (late) tail.add(std::move(late));
    head = *found;
    return Status::Ok();
  }

  // The index mark (kIndexedThroughKey); nullopt in a ledger no writer of
  // this build has opened (an older build wrote its entries with the events).
  StatusOr<std::optional<uint64_t>> index_mark() {
    std::string value;
    rocksdb::Status s = db->Get(read_options(), cf[kMeta], kIndexedThroughKey, &value);
    if (s.IsNotFound()) return std::optional<uint64_t>();
    if (!s.ok()) return Err{from_rocks(s, "reading the index mark")};
    if (value.size() != 8) return fail(StatusCode::corruption, "the index mark (meta indexed_through) is not 8 bytes");
    return std::optional<uint64_t>(get_be64(value));
  }

  // The index entries of events from_seq..through_seq, read from the events.
  StatusOr<IndexBatch> index_from_events(uint64_t from_seq, uint64_t through_seq) {
    IndexBatch batch;
    batch.last_seq = through_seq;
    uint64_t next = from_seq;
    Status failed;
    Status s = scan_from(from_seq, [&](uint64_t seq, std::string_view bytes) {
      if (seq > through_seq) return false;
      auto e = codec::open_head(bytes);
      if (!e.ok() || e->seq != seq || seq != next) {
        failed = damaged("event " + std::to_string(seq) + " cannot be indexed: " +
                         (e.ok() ? "a sequence gap or a wrong seq" : e.error().message()));
        return false;
      }
      ++next;
      add_entries(batch, e->stream, e->version, seq, e->account_ids);
      return seq < through_seq;
    });
    if (!s.ok()) return Err{s};
    if (!failed.ok()) return Err{failed};
    if (from_seq <= through_seq && next != through_seq + 1) {
      return Err{damaged("event " + std::to_string(next) + " is missing while indexing up to seq " +
                         std::to_string(through_seq))};
    }
    batch.event_count = next - from_seq;
    return batch;
  }

  static void add_entries(IndexBatch& batch, std::string_view stream, uint64_t version, uint64_t seq,
                          const std::vector<std::string>& accounts) {
    batch.streams.push_back({std::string(stream), version, seq});
    for (const auto& a : accounts) batch.accounts.push_back({a, seq});
  }

  // A batch's entries and the mark at its last event, in one WriteBatch.
  Status write_index(const IndexBatch& batch, bool sync) {
    rocksdb::WriteBatch wb;
    rocksdb::Status s;
    for (const auto& e : batch.streams) {
      if (s.ok()) s = wb.Put(cf[kStreams], prefixed_key(e.stream, e.version), seq_key(e.seq));
    }
    for (const auto& a : batch.accounts) {
      if (s.ok()) s = wb.Put(cf[kByAccount], prefixed_key(a.account, a.seq), rocksdb::Slice());
    }
    if (s.ok()) s = wb.Put(cf[kMeta], kIndexedThroughKey, seq_key(batch.last_seq));
    rocksdb::WriteOptions w;
    w.sync = sync;
    if (s.ok()) s = db->Write(w, &wb);
    return from_rocks(s, "writing index entries");
  }

  // A writer, on open and after a failed write: the index families get the
  // entries of every event past the mark (read from the events, one synced
  // batch with the mark at the head), and a new index thread starts.
  Status settle_index() {
    indexer.reset();  // writes what it still can first
    auto mark = index_mark();
    if (!mark.ok()) return mark.error();
    const uint64_t through = mark->value_or(head.seq);
    if (through > head.seq) {
      return damaged("its index covers events up to seq " + std::to_string(through) + " but the log ends at seq " +
                     std::to_string(head.seq));
    }
    if (!mark->has_value() || through < head.seq) {
      auto batch = index_from_events(through + 1, head.seq);
      if (!batch.ok()) return batch.error();
      if (Status s = write_index(*batch, true); !s.ok()) return s;
    }
    tail.clear();  // the families hold every event's entries now
    indexer = std::make_unique<IndexWriter>(
        [this](const IndexBatch& batch) {
          Status hook = options.before_index_write ? options.before_index_write(batch.last_seq) : Status::Ok();
          return hook.ok() ? write_index(batch, false) : hook;
        },
        [this](uint64_t last_seq) { tail.drop_through(last_seq); },
        [this](const Status& why, uint64_t last_seq) {
          info_log->note("writing the index entries of the events up to seq " + std::to_string(last_seq) +
                         " failed (" + why.message() + "); appends stop until the next one writes the entries "
                         "of every event past the index mark, read from the events");
        },
        options.index_lag_events_max);
    return Status::Ok();
  }

  // A reader: the entries of the events after the mark up to `head_seq`,
  // read from the events (the index families hold the rest).
  StatusOr<IndexBatch> tail_batch(uint64_t head_seq) {
    auto mark = index_mark();
    if (!mark.ok()) return Err{mark.error()};
    const uint64_t through = mark->value_or(head_seq);
    if (through >= head_seq) return IndexBatch{};
    if (head_seq - through > kReaderTailEventsMax) {
      return fail(StatusCode::unavailable, "the index of the ledger at " + options.path + " is " +
                                               std::to_string(head_seq - through) +
                                               " events behind its log; open the ledger for writing once "
                                               "(any command that writes) to bring it up to date");
    }
    return index_from_events(through + 1, head_seq);
  }

  Status load_tail() {
    auto batch = tail_batch(head_seq_now());
    if (!batch.ok()) return batch.error();
    tail.replace(batch->event_count > 0 ? std::make_shared<const IndexBatch>(std::move(batch.value())) : nullptr);
    return Status::Ok();
  }

  // (version or seq, seq) entries from an index family whose keys are
  // `prefix '\0' be64`, from `from` on.
  StatusOr<IndexHits> index_hits(Family family, std::string_view prefix, uint64_t from, size_t max_count) {
    IndexHits hits;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options(), cf[family]));
    for (it->Seek(prefixed_key(prefix, from)); it->Valid() && hits.size() < max_count; it->Next()) {
      std::string_view key = view(it->key());
      if (key.size() != prefix.size() + 9 || key.substr(0, prefix.size()) != prefix || key[prefix.size()] != '\0') {
        break;
      }
      const uint64_t n = get_be64(key.substr(prefix.size() + 1));
      if (family == kStreams && it->value().size() != 8) {
        return fail(StatusCode::corruption, "stream index entry " + index_keys::printable_prefixed_key(key) +
                                                " does not hold a seq");
      }
      hits.emplace_back(n, family == kStreams ? get_be64(view(it->value())) : n);
    }
    if (!it->status().ok()) return Err{from_rocks(it->status(), "scanning index")};
    return hits;
  }

  // Entries through the index families and the tail, up to the head.
  StatusOr<std::vector<uint64_t>> indexed_seqs(Family family, std::string_view prefix, uint64_t from,
                                               size_t max_count) {
    const uint64_t head_seq = head_seq_now();
    const IndexHits in_tail = family == kStreams ? tail.stream_hits(prefix, from, head_seq)
                                                 : tail.account_hits(prefix, from, head_seq);
    auto on_disk = index_hits(family, prefix, from, max_count);
    if (!on_disk.ok()) return Err{on_disk.error()};
    std::vector<uint64_t> seqs;
    for (const auto& h : merge_hits(std::move(on_disk.value()), in_tail, head_seq, max_count)) seqs.push_back(h.second);
    return seqs;
  }

  Status note_failure(Status s) {
    write_failed = true;
    last_failure = s;
    stream_cache.clear();
    return s;
  }
};

RocksDbEventLog::RocksDbEventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksDbEventLog::~RocksDbEventLog() = default;

StatusOr<std::unique_ptr<RocksDbEventLog>> RocksDbEventLog::open(const RocksDbOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->info_log = InfoLog::make("ledger " + options.path, options.info_sink);
  // Read before the database opens: whatever it acknowledged by then was in
  // the write-ahead log already, so every instance must see at least this.
  auto acked = HeadWatermark::read(watermark_path(options.path));
  if (!acked.ok()) return Err{impl->damaged(acked.error().message())};
  if (Status s = impl->open_db(*acked); !s.ok()) return Err{s};
  if (Status s = impl->check_format(); !s.ok()) return Err{s};
  if (Status h = impl->load_head(); !h.ok()) return Err{h};
  if (Status s = impl->check_acknowledged(*acked); !s.ok()) return Err{s};
  impl->acked_head = *acked;
  if (Status s = impl->cap_to_acknowledged(); !s.ok()) return Err{s};
  if (!impl->primary()) {
    if (Status s = impl->load_tail(); !s.ok()) return Err{s};
  }
  if (impl->primary()) {
    // RocksDB creates a new ledger's directory without syncing the directory
    // that holds it: until that sync, a power cut may take the whole ledger.
    std::filesystem::path dir(options.path);
    if (!dir.has_filename()) dir = dir.parent_path();
    if (Status s = sync_parent_directory("ledger directory", dir.string()); !s.ok()) return Err{s};
    if (Status s = impl->settle_format(); !s.ok()) return Err{s};
    if (options.keep_tree) {
      if (Status s = impl->settle_tree_layout(); !s.ok()) return Err{s};
      if (Status s = impl->build_tree(); !s.ok()) return Err{s};
    }
    if (Status s = impl->settle_index(); !s.ok()) return Err{s};
    // A new ledger, or one from before watermarks: start at what is there.
    auto mark = HeadWatermark::open(watermark_path(options.path), impl->head);
    if (!mark.ok()) return Err{mark.error()};
    impl->watermark = std::move(mark.value());
    impl->acked_head = impl->watermark->current();
  }
  return std::unique_ptr<RocksDbEventLog>(new RocksDbEventLog(std::move(impl)));
}

Status RocksDbEventLog::catch_up() {
  if (impl_->options.secondary_path.empty()) {
    if (!impl_->options.read_only) return Status();
    return Status(StatusCode::invalid_argument, "a read-only instance cannot catch up; open a secondary");
  }
  rocksdb::Status s = impl_->db->TryCatchUpWithPrimary();
  if (!s.ok()) return from_rocks(s, "catching up with the ledger's writer");
  return impl_->refresh_reader();
}

StatusOr<std::vector<AppendOutcome>> RocksDbEventLog::append_batch(
    std::span<const AppendRequest> requests) {
  Impl& m = *impl_;
  if (m.options.read_only || !m.options.secondary_path.empty()) {
    return fail(StatusCode::invalid_argument, "ledger opened read-only");
  }
  if (!m.write_failed) {
    if (Status indexing = m.indexer->failure(); !indexing.ok()) (void)m.note_failure(indexing);  // resumed below
  }
  if (m.write_failed) {
    if (Status r = m.resume_writes(); !r.ok()) return Err{r};
  }
  LogDigest head;
  {
    std::lock_guard lock(m.head_mu);
    head = m.head;
  }
  auto version_of = [&](std::string_view stream) -> StatusOr<uint64_t> {
    if (auto it = m.stream_cache.find(stream); it != m.stream_cache.end()) {
      return it->second;
    }
    return m.version_from_disk(stream);
  };
  auto command_of = [&](std::string_view scope, std::string_view id) {
    return m.command_from_disk(scope, id);
  };
  auto planned = plan_append(requests, head, version_of, command_of);
  if (!planned.ok()) return Err{planned.error()};
  PlannedBatch& batch = planned.value();

  if (!batch.events.empty()) {
    rocksdb::WriteBatch wb(0, 0, 0, 0);
    auto entries = std::make_shared<IndexBatch>();  // written after the events, by the index thread
    entries->last_seq = batch.head.seq;
    entries->event_count = batch.events.size();
    merkle::Frontier tree = m.tree;  // becomes the writer's once the batch is durable
    Status nodes;
    for (const PlannedEvent& pe : batch.events) {
      const std::string seq = seq_key(pe.seq);
      rocksdb::Status s = wb.Put(m.cf[kEvents], seq, pe.envelope);
      if (!s.ok()) return Err{from_rocks(s, "building write batch")};
      Impl::add_entries(*entries, pe.source->stream, pe.version, pe.seq, pe.source->account_ids);
      if (!m.options.keep_tree) continue;
      assert(tree.size() + 1 == pe.seq);
      tree.append(pe.hash, [&](unsigned level, uint64_t index, const Hash256& h) {
        if (nodes.ok() && level >= merkle_family::kLowestStoredLevel) {
          nodes = merkle_family::put_node(wb, m.cf[kMerkle], level, index, h);
        }
      });
      if (!nodes.ok()) return Err{nodes};
    }
    for (const PlannedCommand& c : batch.commands) {
      rocksdb::Status s =
          wb.Put(m.cf[kCommands], command_key(c.scope, c.command_id), encode_command_record(c.record));
      if (!s.ok()) return Err{from_rocks(s, "building write batch")};
    }
    rocksdb::WriteOptions w;
    w.sync = true;  // durable before anyone is told
    rocksdb::Status s = m.db->Write(w, &wb);
    if (!s.ok()) return Err{m.note_failure(from_rocks(s, "appending batch"))};
    if (m.stream_cache.size() + batch.stream_versions.size() > m.options.stream_cache_entries_max) {
      m.stream_cache.clear();
    }
    for (const auto& [stream, version] : batch.stream_versions) m.stream_cache[stream] = version;
    {
      // The tail before the head: a reader that sees the head finds the
      // batch's events through the indexes.
      std::lock_guard lock(m.head_mu);
      m.tail.add(entries);
      m.head = batch.head;
      if (m.options.keep_tree) m.tree = std::move(tree);
    }
    // Before anyone is answered (see head_watermark.h). The batch is durable
    // even when this fails; its callers are told it failed, and a retry
    // finds it (duplicate) once the watermark has caught up. Its index
    // entries are then written when writes resume (settle_index()).
    if (Status mark = m.watermark->advance(batch.head); !mark.ok()) return Err{m.note_failure(mark)};
    {
      std::lock_guard lock(m.head_mu);
      m.acked_head = batch.head;
    }
    // Refused once an index write failed: the entries stay in the tail, and
    // the next append repairs the index first (settle_index()).
    if (Status queued = m.indexer->enqueue(std::move(entries)); !queued.ok()) (void)m.note_failure(queued);
  }
  for (auto& [index, rec] : batch.duplicates) {
    auto positions = m.positions(rec);
    if (!positions.ok()) return Err{positions.error()};
    batch.outcomes[index].events = std::move(positions.value());
  }
  return std::move(batch.outcomes);
}

StatusOr<std::vector<RecordedEvent>> RocksDbEventLog::read_stream(std::string_view stream,
                                                                  uint64_t from_version,
                                                                  size_t max_count) {
  auto seqs = impl_->indexed_seqs(kStreams, stream, from_version, max_count);
  if (!seqs.ok()) return Err{seqs.error()};
  return impl_->events_at(*seqs);
}

StatusOr<std::vector<RecordedEvent>> RocksDbEventLog::read_global(uint64_t from_seq,
                                                                  size_t max_count) {
  std::vector<RecordedEvent> out;
  Status inner;
  Status s = scan_envelopes(from_seq, [&](uint64_t seq, std::string_view bytes) {
    auto e = Impl::open_checked(seq, bytes);
    if (!e.ok()) {
      inner = e.error();
      return false;
    }
    out.push_back(std::move(e.value()));
    return out.size() < max_count;
  });
  if (!s.ok()) return Err{s};
  if (!inner.ok()) return Err{inner};
  return out;
}

StatusOr<std::vector<RecordedEvent>> RocksDbEventLog::read_account(std::string_view account_id,
                                                                   uint64_t from_seq,
                                                                   size_t max_count) {
  auto seqs = impl_->indexed_seqs(kByAccount, account_id, from_seq, max_count);
  if (!seqs.ok()) return Err{seqs.error()};
  return impl_->events_at(*seqs);
}

StatusOr<uint64_t> RocksDbEventLog::stream_version(std::string_view stream) {
  return impl_->version_from_disk(stream);
}

StatusOr<std::vector<std::string>> RocksDbEventLog::list_streams(std::string_view prefix,
                                                                std::string_view after,
                                                                size_t max_count) {
  // Index keys are "<stream>\0<be64 version>"; "<stream>\x01" sorts after
  // every key of <stream> and before the next stream's keys. A stream counts
  // when its first event (its first key's) is at or before the head.
  const uint64_t head_seq = impl_->head_seq_now();
  std::vector<std::string> in_tail = impl_->tail.stream_names(prefix, after, head_seq);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(impl_->read_options(), impl_->cf[kStreams]));
  std::string target = after.empty() || after < prefix ? std::string(prefix) : std::string(after) + '\x01';
  std::vector<std::string> out;
  for (it->Seek(target); it->Valid() && out.size() < max_count;) {
    std::string_view key = view(it->key());
    if (key.size() < 9 || key[key.size() - 9] != '\0' || it->value().size() != 8) {
      return fail(StatusCode::corruption, "stream index entry " + index_keys::printable_prefixed_key(key) +
                                              " has the wrong shape");
    }
    std::string_view stream = key.substr(0, key.size() - 9);
    if (!stream.starts_with(prefix)) break;
    if (get_be64(view(it->value())) <= head_seq) out.emplace_back(stream);
    it->Seek(std::string(stream) + '\x01');
  }
  if (!it->status().ok()) return Err{from_rocks(it->status(), "listing streams")};
  // The streams the tail holds, in order and once each, up to max_count.
  for (auto& name : in_tail) out.push_back(std::move(name));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > max_count) out.resize(max_count);
  return out;
}

StatusOr<std::optional<AppendOutcome>> RocksDbEventLog::find_command(std::string_view scope,
                                                                     std::string_view command_id) {
  const uint64_t head_seq = impl_->head_seq_now();
  auto rec = impl_->command_from_disk(scope, command_id);
  if (!rec.ok()) return Err{rec.error()};
  // A record past the head belongs to a batch a reader does not see yet.
  if (!rec->has_value() || (*rec)->first_seq > head_seq) return std::optional<AppendOutcome>();
  auto positions = impl_->positions(**rec);
  if (!positions.ok()) return Err{positions.error()};
  AppendOutcome outcome;
  outcome.status = AppendStatus::duplicate;
  outcome.events = std::move(positions.value());
  outcome.command_digest = (*rec)->digest;
  return std::optional<AppendOutcome>(std::move(outcome));
}

StatusOr<LogDigest> RocksDbEventLog::digest() {
  std::lock_guard lock(impl_->head_mu);
  return impl_->head;
}

Status RocksDbEventLog::scan_envelopes(uint64_t from_seq,
                                       const std::function<bool(uint64_t, std::string_view)>& fn) {
  // Up to the head: never an event of a batch not yet (or, in a secondary,
  // not yet acknowledged as) written whole.
  const uint64_t head_seq = impl_->head_seq_now();
  return impl_->scan_from(from_seq, [&](uint64_t seq, std::string_view bytes) {
    return seq <= head_seq && fn(seq, bytes);
  });
}

StatusOr<std::string> RocksDbEventLog::read_envelope(uint64_t seq) {
  // Up to the head, as every read (a secondary: the acknowledged head).
  if (seq > impl_->head_seq_now()) {
    return fail(StatusCode::not_found, "event " + std::to_string(seq) + " is past the log's head");
  }
  std::string value;
  rocksdb::Status s = impl_->db->Get(impl_->read_options(), impl_->cf[kEvents], seq_key(seq), &value);
  if (!s.ok()) return Err{from_rocks(s, "reading event " + std::to_string(seq))};
  return value;
}

Status RocksDbEventLog::create_backup(const std::string& backup_dir) {
  if (impl_->options.read_only || !impl_->options.secondary_path.empty()) {
    return Status(StatusCode::invalid_argument, "a backup needs the ledger opened for writing");
  }
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw);
  if (!s.ok()) return from_rocks(s, "opening backup directory " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  std::vector<rocksdb::BackupInfo> existing;
  engine->GetBackupInfo(&existing);
  if (!existing.empty()) {
    return Status(StatusCode::invalid_argument, backup_dir + " already holds a backup");
  }
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  s = engine->CreateNewBackup(create, impl_->db.get(), &id);
  if (!s.ok()) return from_rocks(s, "backing up into " + backup_dir);
  s = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
  return from_rocks(s, "verifying the backup in " + backup_dir);
}

Status RocksDbEventLog::restore_backup(const std::string& backup_dir,
                                       const std::string& target_dir) {
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::BackupEngineOptions(backup_dir), rocksdb::Env::Default(), &raw);
  if (!s.ok()) return from_rocks(s, "opening backup directory " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> backups;
  engine->GetBackupInfo(&backups);
  if (backups.empty()) return Status(StatusCode::not_found, "no backup in " + backup_dir);
  const rocksdb::BackupID id = backups.back().backup_id;
  s = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (!s.ok()) {
    // A file missing, or whose size or checksum changed, is a corrupted
    // backup, not a failing disk.
    const bool damaged = s.IsCorruption() || s.IsNotFound();
    return Status(damaged ? StatusCode::corruption : StatusCode::io_error,
                  "the backup in " + backup_dir + " does not verify: " + s.ToString());
  }
  s = engine->RestoreDBFromBackup(rocksdb::RestoreOptions(), id, target_dir, target_dir);
  return from_rocks(s, "restoring " + backup_dir + " into " + target_dir);
}

StatusOr<uint64_t> RocksDbEventLog::tree_size() {
  if (impl_->primary() && impl_->options.keep_tree) {
    std::lock_guard lock(impl_->head_mu);
    return impl_->tree.size();
  }
  return impl_->stored_tree_size();
}

StatusOr<Hash256> RocksDbEventLog::tree_node(unsigned level, uint64_t index) {
  return impl_->node_reader(impl_->read_options())(level, index);
}

Status RocksDbEventLog::store_tree_head(uint64_t tree_size, std::string_view encoded) {
  if (!impl_->primary()) return Status(StatusCode::invalid_argument, "ledger opened read-only");
  rocksdb::WriteOptions w;
  w.sync = true;
  rocksdb::Status s = impl_->db->Put(w, impl_->cf[kTreeHeads], seq_key(tree_size),
                                     rocksdb::Slice(encoded.data(), encoded.size()));
  return from_rocks(s, "storing a signed tree head");
}

StatusOr<std::vector<std::string>> RocksDbEventLog::tree_heads(uint64_t at_most_size, size_t max_count) {
  std::vector<std::string> out;
  if (!impl_->cf[kTreeHeads]) return out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(impl_->read_options(), impl_->cf[kTreeHeads]));
  for (it->SeekForPrev(seq_key(at_most_size)); it->Valid() && out.size() < max_count; it->Prev()) {
    out.emplace_back(view(it->value()));
  }
  if (!it->status().ok()) return Err{from_rocks(it->status(), "listing signed tree heads")};
  return out;
}

StatusOr<std::vector<std::string>> RocksDbEventLog::tree_heads_after(uint64_t after_size, uint64_t at_most_size,
                                                                     size_t max_count) {
  std::vector<std::string> out;
  if (!impl_->cf[kTreeHeads] || after_size >= at_most_size) return out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(impl_->read_options(), impl_->cf[kTreeHeads]));
  const std::string last = seq_key(at_most_size);
  for (it->Seek(seq_key(after_size + 1)); it->Valid() && out.size() < max_count; it->Next()) {
    if (it->key().compare(rocksdb::Slice(last)) > 0) break;
    out.emplace_back(view(it->value()));
  }
  if (!it->status().ok()) return Err{from_rocks(it->status(), "listing signed tree heads")};
  return out;
}

StatusOr<ChainReport> RocksDbEventLog::verify_chain(const std::function<void(uint64_t)>& progress) {
  ChainVerifier verifier;
  rocksdb::ReadOptions uncached = impl_->read_options();
  uncached.fill_cache = false;
  merkle::TreeChecker tree(impl_->node_reader(uncached), merkle_family::kLowestStoredLevel);
  // A reader may find the tree behind the events (a ledger from before the
  // tree that no writer has opened since): the part it covers is checked.
  auto stored = tree_size();
  if (!stored.ok()) return Err{stored.error()};
  LogDigest before_tree_damage;
  Status s = scan_envelopes(1, [&](uint64_t seq, std::string_view bytes) {
    if (!verifier.feed(seq, bytes)) return false;
    if (seq <= *stored && !tree.feed(seq, verifier.report().digest.head)) return false;
    before_tree_damage = verifier.report().digest;
    if (progress && seq % 65536 == 0) progress(seq);
    return true;
  });
  if (!s.ok() && s.code() != StatusCode::corruption) return Err{s};
  ChainReport report = verifier.report();
  if (!s.ok() && !report.first_bad_seq) {
    report.first_bad_seq = report.digest.seq + 1;
    report.problem = s.message();
  }
  if (!report.first_bad_seq && tree.first_bad_seq()) {  // the chain was good up to there
    report.first_bad_seq = tree.first_bad_seq();
    report.problem = tree.problem();
    report.digest = before_tree_damage;
    report.tree_size = *stored;
    return report;
  }
  // Nothing may stand after a good chain: the head found on open must match.
  LogDigest head;
  {
    std::lock_guard lock(impl_->head_mu);
    head = impl_->head;
  }
  if (!report.first_bad_seq && report.digest != head) {
    report.first_bad_seq = report.digest.seq + 1;
    report.problem = "the chain ends at " + std::to_string(report.digest.seq) +
                     " but the log's head is " + std::to_string(head.seq);
  }
  report.tree_size = *stored;
  if (report.first_bad_seq) return report;
  // The tree and the chain together: every stored node as the chain gives it.
  // Covering more events than the chain holds is damage; fewer, see above.
  if (!tree.finish(*stored)) {
    report.first_bad_seq = tree.first_bad_seq();
    report.problem = tree.problem();
  }
  return report;
}


std::optional<LogDigest> RocksDbEventLog::acknowledged_head() const {
  std::lock_guard lock(impl_->head_mu);
  return impl_->acked_head;
}

StatusOr<StorageReport> RocksDbEventLog::verify_storage(const std::function<void(uint64_t)>& progress) {
  Impl& m = *impl_;
  if (m.indexer) {
    if (Status s = m.indexer->wait_idle(); !s.ok()) return Err{s};
  }
  auto family = [&m](std::string_view name) {
    for (int f = 0; f < kFamilyCount; ++f) {
      if (name == kFamilies[f]) return m.cf[f];
    }
    return m.cf[kDefault];
  };
  StorageAccess access;
  access.scan = [&](std::string_view name, const StorageAccess::EntryFn& fn) {
    rocksdb::ReadOptions r = m.read_options();
    r.fill_cache = false;
    r.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(m.db->NewIterator(r, family(name)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!fn(view(it->key()), view(it->value()))) return Status::Ok();
    }
    return from_rocks(it->status(), "reading the " + std::string(name) + " family");
  };
  access.get = [&](std::string_view name, std::string_view key) -> StatusOr<std::optional<std::string>> {
    std::string value;
    rocksdb::Status s = m.db->Get(m.read_options(), family(name), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return Err{from_rocks(s, "reading the " + std::string(name) + " family")};
    return std::optional<std::string>(std::move(value));
  };
  access.verify_checksums = [&] { return from_rocks(m.db->VerifyChecksum(), "checking the table files"); };
  return mledger::verify_storage(access, progress);
}

}  // namespace mledger
