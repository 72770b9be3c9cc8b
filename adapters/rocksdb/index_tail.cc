#include "adapters/rocksdb/index_tail.h"

#include <algorithm>
#include <cassert>

namespace mledger {

void IndexTail::add(SharedIndexBatch batch) {
  std::lock_guard lock(mu_);
  assert(batches_.empty() || batches_.back()->last_seq < batch->last_seq);
  batches_.push_back(std::move(batch));
}

void IndexTail::drop_through(uint64_t seq) {
  std::lock_guard lock(mu_);
  auto kept = std::find_if(batches_.begin(), batches_.end(), [&](const auto& b) { return b->last_seq > seq; });
  batches_.erase(batches_.begin(), kept);
}

void IndexTail::clear() {
  std::lock_guard lock(mu_);
  batches_.clear();
}

void IndexTail::replace(SharedIndexBatch batch) {
  std::lock_guard lock(mu_);
  batches_.clear();
  if (batch) batches_.push_back(std::move(batch));
}

std::vector<SharedIndexBatch> IndexTail::held() const {
  std::lock_guard lock(mu_);
  return batches_;
}

IndexHits IndexTail::stream_hits(std::string_view stream, uint64_t from_version, uint64_t head_seq) const {
  IndexHits out;
  for (const auto& b : held()) {
    for (const auto& e : b->streams) {
      if (e.seq <= head_seq && e.version >= from_version && e.stream == stream) out.emplace_back(e.version, e.seq);
    }
  }
  return out;
}

IndexHits IndexTail::account_hits(std::string_view account, uint64_t from_seq, uint64_t head_seq) const {
  IndexHits out;
  for (const auto& b : held()) {
    for (const auto& a : b->accounts) {
      // An event that names an account twice has one entry.
      if (a.seq <= head_seq && a.seq >= from_seq && a.account == account && (out.empty() || out.back().first != a.seq)) {
        out.emplace_back(a.seq, a.seq);
      }
    }
  }
  return out;
}

std::vector<std::string> IndexTail::stream_names(std::string_view prefix, std::string_view after,
                                                 uint64_t head_seq) const {
  std::vector<std::string> out;
  for (const auto& b : held()) {
    for (const auto& e : b->streams) {
      if (e.seq <= head_seq && e.stream.starts_with(prefix) && (after.empty() || e.stream > after)) {
        out.push_back(e.stream);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

uint64_t IndexTail::stream_version(std::string_view stream, uint64_t head_seq) const {
  const IndexHits hits = stream_hits(stream, 0, head_seq);
  return hits.empty() ? 0 : hits.back().first;
}

IndexHits merge_hits(IndexHits disk, const IndexHits& tail, uint64_t head_seq, size_t max_count) {
  std::erase_if(disk, [&](const auto& h) { return h.second > head_seq; });
  disk.insert(disk.end(), tail.begin(), tail.end());
  std::sort(disk.begin(), disk.end());
  disk.erase(std::unique(disk.begin(), disk.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
             disk.end());
  if (disk.size() > max_count) disk.resize(max_count);
  return disk;
}

}  // namespace mledger
