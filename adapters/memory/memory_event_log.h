#pragma once
// MemoryEventLog: the EventLog port held in memory, for tests and tools that
// need a throwaway ledger. Same contract as the RocksDB log (the same contract
// tests run against both), same sealed bytes; nothing survives the process.
// Thread-safe.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "adapters/log/append_planner.h"
#include "adapters/merkle/merkle.h"
#include "domain/ports/event_log.h"

namespace mledger {

class MemoryEventLog final : public EventLog {
 public:
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
  // `fn` runs without the lock held (on a copy of each envelope): appends go
  // on meanwhile.
  Status scan_envelopes(uint64_t from_seq, const std::function<bool(uint64_t, std::string_view)>& fn) override;
  Status catch_up() override { return Status::Ok(); }  // always the writer
  StatusOr<uint64_t> tree_size() override;
  StatusOr<Hash256> tree_node(unsigned level, uint64_t index) override;

  // Test hook: overwrite one stored Merkle tree node, as a disk fault would.
  void corrupt_tree_for_test(unsigned level, uint64_t index, const Hash256& hash);

  // Test hook: overwrite the stored bytes of one event, as a disk fault would.
  void corrupt_for_test(uint64_t seq, std::string envelope);

 private:
  StatusOr<RecordedEvent> open_locked(uint64_t seq) const;
  StatusOr<std::vector<EventPosition>> positions_locked(const CommandRecord& r) const;

  mutable std::mutex mu_;
  std::vector<std::string> envelopes_;  // index seq-1
  std::map<std::string, std::vector<uint64_t>, std::less<>> streams_;  // stream -> seqs
  std::map<std::string, std::vector<uint64_t>, std::less<>> accounts_;  // account -> seqs
  std::map<std::string, CommandRecord, std::less<>> commands_;  // scope '\0' command id
  LogDigest head_;
  merkle::Frontier tree_;
  std::vector<std::vector<Hash256>> tree_levels_;  // [level][index]: complete subtrees
};

}  // namespace mledger
