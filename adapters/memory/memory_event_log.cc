#include "adapters/memory/memory_event_log.h"

#include <algorithm>
#include <cassert>

#include "adapters/capnp/event_codec.h"
#include "adapters/log/chain_verifier.h"
#include "adapters/merkle/tree_checker.h"

namespace mledger {

namespace {

// A command's key: its id within its scope (neither holds a NUL byte).
std::string scoped_key(std::string_view scope, std::string_view command_id) {
  std::string key(scope);
  key.push_back('\0');
  key.append(command_id);
  return key;
}

}  // namespace

StatusOr<std::vector<AppendOutcome>> MemoryEventLog::append_batch(
    std::span<const AppendRequest> requests) {
  std::lock_guard lock(mu_);
  auto version_of = [&](std::string_view stream) -> StatusOr<uint64_t> {
    auto it = streams_.find(stream);
    return it == streams_.end() ? uint64_t{0} : uint64_t{it->second.size()};
  };
  auto command_of = [&](std::string_view scope,
                        std::string_view id) -> StatusOr<std::optional<CommandRecord>> {
    auto it = commands_.find(scoped_key(scope, id));
    if (it == commands_.end()) return std::optional<CommandRecord>();
    return std::optional<CommandRecord>(it->second);
  };
  auto planned = plan_append(requests, head_, version_of, command_of);
  if (!planned.ok()) return Err{planned.error()};
  PlannedBatch& batch = planned.value();
  for (PlannedEvent& pe : batch.events) {
    assert(pe.seq == envelopes_.size() + 1);
    envelopes_.push_back(std::move(pe.envelope));
    tree_.append(pe.hash, [&](unsigned level, uint64_t index, const Hash256& h) {
      if (tree_levels_.size() <= level) tree_levels_.resize(level + 1);
      assert(tree_levels_[level].size() == index);
      tree_levels_[level].push_back(h);
    });
    streams_[pe.source->stream].push_back(pe.seq);
    for (const auto& a : pe.source->account_ids) {
      auto& seqs = accounts_[a];
      if (seqs.empty() || seqs.back() != pe.seq) seqs.push_back(pe.seq);
    }
  }
  for (const auto& c : batch.commands) commands_[scoped_key(c.scope, c.command_id)] = c.record;
  head_ = batch.head;
  for (auto& [index, rec] : batch.duplicates) {
    auto positions = positions_locked(rec);
    if (!positions.ok()) return Err{positions.error()};
    batch.outcomes[index].events = std::move(positions.value());
  }
  return std::move(batch.outcomes);
}

StatusOr<RecordedEvent> MemoryEventLog::open_locked(uint64_t seq) const {
  assert(seq >= 1 && seq <= envelopes_.size());
  auto e = codec::open(envelopes_[seq - 1]);
  if (e.ok() && e->seq != seq) {
    return fail(StatusCode::corruption, "event stored as " + std::to_string(seq) + " says seq " +
                                            std::to_string(e->seq));
  }
  return e;
}

Status MemoryEventLog::scan_envelopes(uint64_t from_seq,
                                      const std::function<bool(uint64_t, std::string_view)>& fn) {
  for (uint64_t seq = std::max<uint64_t>(from_seq, 1);; ++seq) {
    std::string envelope;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (seq > envelopes_.size()) return Status::Ok();
      envelope = envelopes_[seq - 1];
    }
    if (!fn(seq, envelope)) return Status::Ok();
  }
}

StatusOr<std::vector<EventPosition>> MemoryEventLog::positions_locked(const CommandRecord& r) const {
  std::vector<EventPosition> out;
  for (uint64_t s = r.first_seq; s < r.first_seq + r.event_count; ++s) {
    auto e = open_locked(s);
    if (!e.ok()) return Err{e.error()};
    out.push_back(position_of(*e));
  }
  return out;
}

namespace {
template <class Seqs, class Open>
StatusOr<std::vector<RecordedEvent>> collect(const Seqs& seqs, size_t begin, size_t max_count,
                                             Open open) {
  std::vector<RecordedEvent> out;
  for (size_t i = begin; i < seqs.size() && out.size() < max_count; ++i) {
    auto e = open(seqs[i]);
    if (!e.ok()) return Err{e.error()};
    out.push_back(std::move(e.value()));
  }
  return out;
}
}  // namespace

StatusOr<std::vector<RecordedEvent>> MemoryEventLog::read_stream(std::string_view stream,
                                                                 uint64_t from_version,
                                                                 size_t max_count) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return std::vector<RecordedEvent>{};
  const size_t begin = from_version == 0 ? 0 : from_version - 1;
  return collect(it->second, begin, max_count, [&](uint64_t s) { return open_locked(s); });
}

StatusOr<std::vector<RecordedEvent>> MemoryEventLog::read_global(uint64_t from_seq,
                                                                 size_t max_count) {
  std::lock_guard lock(mu_);
  std::vector<RecordedEvent> out;
  for (uint64_t s = std::max<uint64_t>(from_seq, 1); s <= envelopes_.size() && out.size() < max_count;
       ++s) {
    auto e = open_locked(s);
    if (!e.ok()) return Err{e.error()};
    out.push_back(std::move(e.value()));
  }
  return out;
}

StatusOr<std::vector<RecordedEvent>> MemoryEventLog::read_account(std::string_view account_id,
                                                                  uint64_t from_seq,
                                                                  size_t max_count) {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(account_id);
  if (it == accounts_.end()) return std::vector<RecordedEvent>{};
  const auto& seqs = it->second;
  const size_t begin =
      static_cast<size_t>(std::lower_bound(seqs.begin(), seqs.end(), from_seq) - seqs.begin());
  return collect(seqs, begin, max_count, [&](uint64_t s) { return open_locked(s); });
}

StatusOr<uint64_t> MemoryEventLog::stream_version(std::string_view stream) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  return it == streams_.end() ? uint64_t{0} : uint64_t{it->second.size()};
}

StatusOr<std::vector<std::string>> MemoryEventLog::list_streams(std::string_view prefix,
                                                               std::string_view after,
                                                               size_t max_count) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  auto it = after.empty() ? streams_.lower_bound(prefix) : streams_.upper_bound(after);
  if (!after.empty() && after < prefix) it = streams_.lower_bound(prefix);
  for (; it != streams_.end() && out.size() < max_count && it->first.starts_with(prefix); ++it) {
    out.push_back(it->first);
  }
  return out;
}

StatusOr<std::optional<AppendOutcome>> MemoryEventLog::find_command(std::string_view scope,
                                                                    std::string_view command_id) {
  std::lock_guard lock(mu_);
  auto it = commands_.find(scoped_key(scope, command_id));
  if (it == commands_.end()) return std::optional<AppendOutcome>();
  auto positions = positions_locked(it->second);
  if (!positions.ok()) return Err{positions.error()};
  AppendOutcome outcome;
  outcome.status = AppendStatus::duplicate;
  outcome.events = std::move(positions.value());
  outcome.command_digest = it->second.digest;
  return std::optional<AppendOutcome>(std::move(outcome));
}

StatusOr<LogDigest> MemoryEventLog::digest() {
  std::lock_guard lock(mu_);
  return head_;
}

StatusOr<ChainReport> MemoryEventLog::verify_chain(const std::function<void(uint64_t)>& progress) {
  std::lock_guard lock(mu_);
  ChainVerifier verifier;
  merkle::TreeChecker tree(merkle::read_levels(tree_levels_));
  LogDigest before_tree_damage;
  for (uint64_t s = 1; s <= envelopes_.size(); ++s) {
    if (!verifier.feed(s, envelopes_[s - 1])) break;
    if (!tree.feed(s, verifier.report().digest.head)) break;
    before_tree_damage = verifier.report().digest;
    if (progress && s % 65536 == 0) progress(s);
  }
  ChainReport report = verifier.report();
  report.tree_size = tree_.size();
  if (report.first_bad_seq) return report;
  if (!tree.first_bad_seq()) (void)tree.finish(tree_.size());  // its finding is read below
  if (tree.first_bad_seq()) {
    report.first_bad_seq = tree.first_bad_seq();
    report.problem = tree.problem();
    report.digest = before_tree_damage;
  }
  return report;
}

StatusOr<uint64_t> MemoryEventLog::tree_size() {
  std::lock_guard lock(mu_);
  return tree_.size();
}

StatusOr<Hash256> MemoryEventLog::tree_node(unsigned level, uint64_t index) {
  std::lock_guard lock(mu_);
  return merkle::read_levels(tree_levels_)(level, index);
}

void MemoryEventLog::corrupt_tree_for_test(unsigned level, uint64_t index, const Hash256& hash) {
  std::lock_guard lock(mu_);
  tree_levels_.at(level).at(index) = hash;
}

void MemoryEventLog::corrupt_for_test(uint64_t seq, std::string envelope) {
  std::lock_guard lock(mu_);
  envelopes_.at(seq - 1) = std::move(envelope);
}

}  // namespace mledger
