#pragma once
// RocksDbEventLog: the EventLog port on an embedded RocksDB database.
//
// Layout (column families; keys compare bytewise; integers big-endian):
//   events      seq(8)                          -> Envelope bytes (mledger.capnp)
//   streams     stream '\0' version(8)          -> seq(8)
//   by_account  account '\0' seq(8)             -> (empty)
//   commands    '\0' scope '\0' command id       -> CommandRecord (48 bytes)
//               (format 1: also bare command ids; see check_format())
//   meta        "format"                        -> "3" (or "2", "1", older;
//                                                  see check_format())
//               "bare_command_keys"             -> "1" (format 1 upgraded)
//               "tree_layout"                   -> "2" (merkle_family.h)
//               "indexed_through"               -> seq(8): the index mark
//   merkle      level(1) index(8)               -> hash(32): every complete
//               subtree of the RFC 9162 Merkle tree from level 4 up (16
//               leaves); the lower ones are computed from the events
//               (merkle_family.h)
//   tree_heads  tree size(8)                    -> a signed tree head
//               (adapters/audit/tree_head.h, encode_tree_head())
// The tree's nodes go in the same WriteBatch as the events they cover. A
// writer that opens a ledger whose tree is behind its events (a ledger from
// before the tree) builds the rest first, in synced batches; one that opens
// a ledger of tree layout 1 (every level stored) drops the levels below 4
// first (one synced batch, with the layout marker).
// Every append_batch() is one WriteBatch of the events, their command
// records and the tree's nodes, written with sync = true, then the head
// watermark (head_watermark.h, the file ACKED-HEAD beside the database) is
// advanced and synced: when it returns OK the batch survives a crash or
// power loss, and an open that finds fewer events than the watermark refuses
// the log as damaged. The chain head is the last key of `events` (found
// again on open).
//
// The index (`streams`, `by_account`) is derived from the events and written
// after them: the batch's entries go into an in-memory tail (index_tail.h)
// before the head moves, then to the index thread (index_writer.h), which
// writes them with the index mark at the batch's last event in one
// WriteBatch (write-ahead log on, not synced; the next synced batch syncs
// it). So the families hold exactly the entries of the events up to the
// mark, and every read through an index (read_stream, read_account,
// stream_version, list_streams, and the writer's version look-ups) merges
// the families with the tail, up to the head. A writer that opens the log
// writes the entries of the events past the mark first (read from the
// events, one synced batch); a reader (read-only, secondary) reads them into
// its tail, on open and on catch_up(). Every read stops at the head: never
// an event, index entry or command record of a batch not yet whole (in a
// secondary: not yet acknowledged).
//
// Damage is never skipped: open() fails with `corruption`, naming the
// damaged file, when the write-ahead log holds a record that fails its
// checksum or when acknowledged events are missing. An incomplete last
// record (a crash in the middle of a write) is dropped only when the
// watermark shows it was never acknowledged. RocksDB's own info log goes to
// `info_sink` (errors; see info_log.h), never into the ledger's directory.
//
// After a failed write (a full disk) append_batch() fails with
// `unavailable` until RocksDB's DB::Resume() succeeds, tried at most once a
// second on the next appends: writes resume without a reopen once the disk
// has room again.
//
// Thread safety: as the port says. Open a directory from one process at a
// time (RocksDB's LOCK file enforces it); read_only opens may run beside it.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/rocksdb/storage_verifier.h"
#include "domain/core/status.h"
#include "domain/ports/event_log.h"

namespace mledger {

struct RocksDbOptions {
  std::string path;
  bool create_if_missing = true;
  bool read_only = false;
  // When set, opens a secondary instance (read-only; its own info log and
  // state in this directory) that sees the writer's later appends after
  // catch_up(). May run in another process beside the writer.
  std::string secondary_path;
  // Stream heads the writer keeps in memory; past this the cache is dropped
  // and refilled from disk.
  size_t stream_cache_entries_max = 1 << 20;
  size_t block_cache_bytes = 64 << 20;
  // Table files kept open. -1 (RocksDB's default) opens every table file of
  // every family when the database opens, loading their index and filter
  // blocks: right for a long-running process. A bound opens files on first
  // use (and at most 16 at open): right for a short-lived reader such as one
  // CLI command. Secondary instances always use -1.
  int max_open_files = -1;
  // Keep the Merkle tree with each append (and build what is missing on
  // open). Off only for `bench append --no-tree`, the baseline the tree's
  // cost is measured against; a later writer with it on builds the rest.
  bool keep_tree = true;
  // Where RocksDB's warnings and errors go, one line each (empty: stderr).
  std::function<void(std::string_view)> info_sink;
  // A writer: at most this many events whose index entries are not written
  // yet (see "The index" above); an append waits for the index thread beyond it.
  uint64_t index_lag_events_max = 65536;
  // Tests only: called on the index thread before it writes the entries of
  // the batch whose last event is `last_seq` (a crash test stops or kills the
  // process there); an error it returns is taken as the write's failure.
  // Empty otherwise.
  std::function<Status(uint64_t last_seq)> before_index_write;
};

class RocksDbEventLog final : public EventLog {
 public:
  // Opens (or creates) the log. Fails with io_error / corruption naming the path.
  [[nodiscard]] static StatusOr<std::unique_ptr<RocksDbEventLog>> open(const RocksDbOptions& options);
  ~RocksDbEventLog() override;

  StatusOr<std::vector<AppendOutcome>> append_batch(
      std::span<const AppendRequest> requests) override;
  StatusOr<std::vector<RecordedEvent>> read_stream(std::string_view stream, uint64_t from_version,
                                                   size_t max_count) override;
  StatusOr<std::vector<RecordedEvent>> read_global(uint64_t from_seq, size_t max_count) override;
  StatusOr<std::vector<RecordedEvent>> read_account(std::string_view account_id, uint64_t from_seq,
                                                    size_t max_count) override;
  StatusOr<uint64_t> stream_version(std::string_view stream) override;
  StatusOr<std::vector<std::string>> list_streams(std::string_view prefix, std::string_view after,
                                                  size_t max_count) override;
  StatusOr<std::optional<AppendOutcome>> find_command(std::string_view scope,
                                                      std::string_view command_id) override;
  StatusOr<LogDigest> digest() override;
  StatusOr<ChainReport> verify_chain(const std::function<void(uint64_t)>& progress) override;
  StatusOr<uint64_t> tree_size() override;
  // Levels 4 and up are read from the merkle family; the lower ones are
  // computed from the (at most 8) events under them (merkle_family.h).
  StatusOr<Hash256> tree_node(unsigned level, uint64_t index) override;

  // Checks every family but the chain's (storage_verifier.h): each index
  // entry against the events it names, every event's entries present, the
  // meta family, and every table file's checksums. Run after verify_chain():
  // it names the first damaged family and key. Reads the whole database.
  [[nodiscard]] StatusOr<StorageReport> verify_storage(const std::function<void(uint64_t)>& progress);

  // Signed tree heads, kept by tree size (a later head of the same size
  // replaces the earlier). store_tree_head() needs the writer's instance
  // (invalid_argument otherwise) and writes synced. tree_heads(): at most
  // `max_count` stored heads of size <= at_most_size, largest first; none in
  // a ledger no writer of this build has opened.
  [[nodiscard]] Status store_tree_head(uint64_t tree_size, std::string_view encoded);
  [[nodiscard]] StatusOr<std::vector<std::string>> tree_heads(uint64_t at_most_size, size_t max_count);
  // At most `max_count` stored heads of size in (after_size, at_most_size],
  // smallest first (the Kafka publisher's order).
  [[nodiscard]] StatusOr<std::vector<std::string>> tree_heads_after(uint64_t after_size, uint64_t at_most_size,
                                                                    size_t max_count);

  // The head watermark (head_watermark.h) as read when the log was opened
  // (a writer: as it stands now); nullopt when the ledger has none.
  [[nodiscard]] std::optional<LogDigest> acknowledged_head() const;

  // A secondary instance: makes the writer's appends so far visible
  // (digest(), reads and scans then include them). The writer's own (primary)
  // instance always sees its appends: nothing to do, OK. A read-only instance
  // sees the log as it was when opened: invalid_argument.
  [[nodiscard]] Status catch_up() override;

  // Calls `fn` with each stored envelope from `from_seq` on, in order, until
  // it returns false. For replay paths that decode on their own.
  [[nodiscard]] Status scan_envelopes(uint64_t from_seq,
                                      const std::function<bool(uint64_t, std::string_view)>& fn) override;

  // The stored envelope bytes of event `seq`, as they are on disk: not
  // opened or checked (callers open them with codec::open). not_found when
  // there is no such event or it is past the head (digest()).
  [[nodiscard]] StatusOr<std::string> read_envelope(uint64_t seq);

  // Writes a consistent backup of the whole database (every column family)
  // into `backup_dir`, which must not hold a backup yet, with RocksDB's
  // BackupEngine: memtables are flushed first, each file is copied with its
  // checksum and synced, and the new backup is verified against those
  // checksums before this returns OK. Needs a log opened for writing (the
  // copy must not race a writer's compactions); invalid_argument otherwise.
  [[nodiscard]] Status create_backup(const std::string& backup_dir);

  // Restores the newest backup in `backup_dir` into `target_dir` (absent or
  // empty) after checking every backed-up file against its checksum:
  // corruption naming the problem when one does not match, io_error when
  // the disk fails. Nothing is opened; open the restored log to check it.
  [[nodiscard]] static Status restore_backup(const std::string& backup_dir,
                                             const std::string& target_dir);

  class Impl;

 private:
  explicit RocksDbEventLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mledger
