#include "adapters/snapshots/read_model_snapshots.h"

#include <algorithm>
#include <cassert>

#include "adapters/projections/binary_document.h"
#include "adapters/snapshots/snapshot_codec.h"

namespace mledger {

namespace {

constexpr std::string_view kSnapshotMagic = "MLRMSN01";
constexpr std::string_view kIndexMagic = "MLRMIX01";
// An index lists at most this many snapshots, whatever the options say, so
// that a damaged or foreign index cannot make a reader allocate without bound.
constexpr uint64_t kIndexEntriesMax = 4096;

void put_summary(std::string& out, const ReadModelSnapshotSummary& s) {
  document::put_varint(out, s.position);
  document::put_varint(out, s.seq);
  document::put_signed(out, s.occurred_at_max.micros_since_epoch);
  document::put_signed(out, s.recorded_at_max.micros_since_epoch);
}

bool get_signed(document::Reader& r, int64_t* v) {
  uint64_t z = 0;
  if (!r.varint(&z)) return false;
  *v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  return true;
}

bool get_summary(document::Reader& r, ReadModelSnapshotSummary* s) {
  return r.varint(&s->position) && r.varint(&s->seq) && get_signed(r, &s->occurred_at_max.micros_since_epoch) &&
         get_signed(r, &s->recorded_at_max.micros_since_epoch);
}

Err<Status> damaged(const std::string& why) {
  return fail(StatusCode::corruption, "read-model snapshot is damaged: " + why);
}

// Removes the kept snapshots past `kept_max` (the ones whose removal leaves
// the smallest gap; never the first or the last) from the sorted `index`,
// adding their positions to *removed.
void thin(std::vector<ReadModelSnapshotSummary>& index, size_t kept_max, std::vector<uint64_t>* removed) {
  assert(kept_max >= 2);
  while (index.size() > kept_max) {
    size_t best = 1;
    for (size_t i = 2; i + 1 < index.size(); ++i) {
      if (index[i + 1].position - index[i - 1].position < index[best + 1].position - index[best - 1].position) {
        best = i;
      }
    }
    removed->push_back(index[best].position);
    index.erase(index.begin() + static_cast<std::ptrdiff_t>(best));
  }
}

}  // namespace

std::string read_model_snapshot_name(const std::string& account, uint64_t position) {
  return "read-model/" + std::to_string(position) + "/" + account;
}
std::string read_model_index_name(const std::string& account) { return "read-model-index/" + account; }

std::string encode_read_model_snapshot(const std::string& account, const ReadModelSnapshotSummary& summary,
                                       const Hash256& event_hash, uint32_t fold_version,
                                       const projections::AccountDocs& docs) {
  assert(docs.last_seq == summary.seq);
  SnapshotFrame frame{fold_version, summary.position, event_hash, account, {}};
  put_summary(frame.body, summary);
  document::put_text(frame.body, document::encode_document(docs.accounts));
  document::put_text(frame.body, document::encode_document(docs.orders));
  document::put_text(frame.body, document::encode_document(docs.keys));
  document::put_text(frame.body, document::encode_document(docs.merges));
  return encode_frame(kSnapshotMagic, frame);
}

StatusOr<DecodedReadModelSnapshot> decode_read_model_snapshot(std::string_view bytes) {
  auto frame = decode_frame(kSnapshotMagic, bytes);
  if (!frame.ok()) return Err{frame.error()};
  DecodedReadModelSnapshot out;
  out.account = std::move(frame->stream);
  out.fold_version = frame->fold_version;
  out.event_hash = frame->event_hash;
  document::Reader r(frame->body);
  ReadModelSnapshotSummary& s = out.at.summary;
  std::string accounts, orders, keys, merges;
  if (!get_summary(r, &s) || !r.text(&accounts) || !r.text(&orders) || !r.text(&keys) || !r.text(&merges) ||
      r.left() != 0) {
    return damaged("its body does not hold a summary and four documents");
  }
  if (s.position != frame->version) return damaged("its body's position is not its header's");
  projections::AccountDocs& d = out.at.docs;
  for (Status st : {document::decode_document(accounts, d.accounts), document::decode_document(orders, d.orders),
                    document::decode_document(keys, d.keys), document::decode_document(merges, d.merges)}) {
    if (!st.ok()) return damaged(st.message());
  }
  d.last_seq = s.seq;
  return out;
}

ReadModelSnapshots::ReadModelSnapshots(EventLog& log, SnapshotStore& store, ReadModelSnapshotOptions options)
    : log_(log), store_(store), options_(options), writes_(mu_, [this](const Offer& o) { write(o); }) {
  assert(options_.events_between_snapshots >= 1 && options_.kept_per_account_max >= 2);
}

ReadModelSnapshots::~ReadModelSnapshots() = default;  // writes_ (the last member, destroyed first) writes what is queued

void ReadModelSnapshots::count_failure() {
  std::lock_guard lock(mu_);
  ++stats_.failures;
}

std::vector<ReadModelSnapshotSummary> ReadModelSnapshots::read_index(const std::string& account) {
  auto bytes = store_.read(read_model_index_name(account));
  if (!bytes.ok()) {
    count_failure();
    return {};
  }
  if (!bytes->has_value()) return {};
  std::vector<ReadModelSnapshotSummary> index;
  auto frame = decode_frame(kIndexMagic, **bytes);
  std::string why = frame.ok() ? "" : frame.error().message();
  if (frame.ok() && frame->stream != account) why = "index names " + frame->stream;
  if (why.empty()) {
    document::Reader r(frame->body);
    uint64_t n = 0;
    bool ok = r.count(&n) && n <= kIndexEntriesMax;
    for (uint64_t i = 0; ok && i < n; ++i) ok = get_summary(r, &index.emplace_back());
    const bool sorted = std::is_sorted(index.begin(), index.end(),
                                       [](const auto& a, const auto& b) { return a.position < b.position; });
    if (!ok || r.left() != 0 || !sorted) why = "index of " + account + " is damaged";
  }
  if (!why.empty()) {
    ignore(account, nullptr, why);
    return {};
  }
  return index;
}

Status ReadModelSnapshots::write_index(const std::string& account,
                                       const std::vector<ReadModelSnapshotSummary>& index) {
  SnapshotFrame frame{0, 0, {}, account, {}};
  document::put_varint(frame.body, index.size());
  for (const ReadModelSnapshotSummary& s : index) put_summary(frame.body, s);
  const std::string name = read_model_index_name(account);
  Status s = index.empty() ? store_.erase(name) : store_.write(name, encode_frame(kIndexMagic, frame));
  std::lock_guard lock(mu_);
  if (listed_account_ == account) list(account, index);
  return s;
}

void ReadModelSnapshots::ignore(const std::string& account, const ReadModelSnapshotSummary* listed,
                                const std::string& why) {
  {
    std::lock_guard lock(mu_);
    ++stats_.ignored;
    stats_.last_ignored = account + ": " + why;
  }
  // Erased so that it is rebuilt by a later offer; a failure to erase leaves
  // it to be ignored again.
  if (listed == nullptr) {
    (void)store_.erase(read_model_index_name(account));
    return;
  }
  (void)store_.erase(read_model_snapshot_name(account, listed->position));
  std::lock_guard index_lock(index_mu_);
  std::vector<ReadModelSnapshotSummary> index = read_index(account);
  std::erase_if(index, [&](const auto& e) { return e.position == listed->position; });
  (void)write_index(account, index);
}

std::optional<ReadModelSnapshotAt> ReadModelSnapshots::checked(const std::string& account,
                                                               const ReadModelSnapshotSummary& listed) {
  auto bytes = store_.read(read_model_snapshot_name(account, listed.position));
  if (!bytes.ok()) {
    count_failure();
    return std::nullopt;
  }
  if (!bytes->has_value()) {
    ignore(account, &listed, "the index lists a snapshot at " + std::to_string(listed.position) + " that is missing");
    return std::nullopt;
  }
  auto snapshot = decode_read_model_snapshot(**bytes);
  if (!snapshot.ok()) {
    ignore(account, &listed, snapshot.error().message());
    return std::nullopt;
  }
  auto at = log_.read_global(listed.seq, 1);
  if (!at.ok()) {
    count_failure();
    return std::nullopt;
  }
  const SnapshotFrame frame{snapshot->fold_version, snapshot->at.summary.position, snapshot->event_hash,
                            snapshot->account, {}};
  std::string why = snapshot_problem(frame, account, options_.fold_version, *at, listed.seq, true);
  if (why.empty() && snapshot->at.summary != listed) why = "the snapshot is not the one its index lists";
  if (!why.empty()) {
    ignore(account, &listed, why);
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  ++stats_.loaded;
  return std::move(snapshot->at);
}

std::optional<ReadModelSnapshotAt> ReadModelSnapshots::nearest(
    const std::string& account, const std::function<bool(const ReadModelSnapshotSummary&)>& usable) {
  std::vector<ReadModelSnapshotSummary> index;
  {
    std::lock_guard index_lock(index_mu_);
    index = read_index(account);
  }
  {
    std::lock_guard lock(mu_);
    list(account, index);
  }
  for (auto it = index.rbegin(); it != index.rend(); ++it) {
    if (!usable(*it)) continue;
    if (auto found = checked(account, *it)) return found;
  }
  return std::nullopt;
}

bool ReadModelSnapshots::wants(const std::string& account, uint64_t position) {
  if (position == 0 || position % options_.events_between_snapshots != 0) return false;
  std::optional<std::vector<ReadModelSnapshotSummary>> index;
  {
    std::lock_guard lock(mu_);
    if (listed_account_ != account) index.emplace();
  }
  if (index) {
    std::lock_guard index_lock(index_mu_);
    *index = read_index(account);
  }
  std::lock_guard lock(mu_);
  if (index) {
    list(account, *index);
  } else if (listed_account_ != account) {
    return false;  // another account's fold took the list meanwhile: not offered this time
  }
  if (std::find(listed_.begin(), listed_.end(), position) != listed_.end()) return false;
  if (writes_.size() >= options_.queue_max) {
    ++stats_.dropped;
    return false;
  }
  return true;
}

void ReadModelSnapshots::list(const std::string& account, const std::vector<ReadModelSnapshotSummary>& index) {
  listed_account_ = account;
  listed_.clear();
  for (const ReadModelSnapshotSummary& e : index) listed_.push_back(e.position);
}

void ReadModelSnapshots::offer(const std::string& account, const ReadModelSnapshotSummary& summary,
                               std::shared_ptr<const projections::AccountDocs> docs) {
  assert(docs && docs->last_seq == summary.seq);
  {
    std::lock_guard lock(mu_);
    if (writes_.size() >= options_.queue_max) {
      ++stats_.dropped;
      return;
    }
    if (listed_account_ == account) listed_.push_back(summary.position);  // queued: not wanted again
    writes_.push(Offer{account, summary, std::move(docs)});
  }
}

void ReadModelSnapshots::write(const Offer& offer) {
  auto at = log_.read_global(offer.summary.seq, 1);
  if (!at.ok() || at->empty() || (*at)[0].seq != offer.summary.seq) {
    count_failure();
    return;
  }
  const std::string bytes =
      encode_read_model_snapshot(offer.account, offer.summary, (*at)[0].hash, options_.fold_version, *offer.docs);
  if (Status s = store_.write(read_model_snapshot_name(offer.account, offer.summary.position), bytes); !s.ok()) {
    count_failure();
    return;
  }
  std::vector<uint64_t> removed;
  Status s;
  {
    std::lock_guard index_lock(index_mu_);
    std::vector<ReadModelSnapshotSummary> index = read_index(offer.account);
    std::erase_if(index, [&](const auto& e) { return e.position == offer.summary.position; });
    index.insert(std::upper_bound(index.begin(), index.end(), offer.summary,
                                  [](const auto& a, const auto& b) { return a.position < b.position; }),
                 offer.summary);
    thin(index, options_.kept_per_account_max, &removed);
    s = write_index(offer.account, index);
  }
  if (!s.ok()) {
    count_failure();
    return;
  }
  // After the index no longer lists them (a crash before leaves them
  // unlisted: harmless, and replaced when offered again).
  for (uint64_t position : removed) (void)store_.erase(read_model_snapshot_name(offer.account, position));
  std::lock_guard lock(mu_);
  ++stats_.written;
}

void ReadModelSnapshots::flush() { writes_.flush(); }

ReadModelSnapshotStats ReadModelSnapshots::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace mledger
