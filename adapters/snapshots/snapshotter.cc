#include "adapters/snapshots/snapshotter.h"

#include "adapters/snapshots/snapshot_codec.h"
#include "domain/account/retire.h"

namespace mledger {

Snapshotter::Snapshotter(EventLog& log, SnapshotStore& store, SnapshotOptions options)
    : log_(log), store_(store), options_(options), writes_(mu_, [this](const Offer& o) { write(o); }) {}

Snapshotter::~Snapshotter() = default;  // writes_ (the last member, destroyed first) writes what is queued

void Snapshotter::ignore(const std::string& stream, const std::string& why) {
  {
    std::lock_guard lock(mu_);
    ++stats_.ignored;
    stats_.last_ignored = stream + ": " + why;
    snapshotted_.erase(stream);
  }
  (void)store_.erase(stream);  // rebuilt by a later offer; a failure leaves it to be ignored again
}

std::optional<SnapshotAt> Snapshotter::latest(const std::string& stream) {
  auto bytes = store_.read(stream);
  if (!bytes.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.failures;
    return std::nullopt;
  }
  if (!bytes->has_value()) return std::nullopt;
  auto snapshot = decode_snapshot(**bytes);
  if (!snapshot.ok()) {
    ignore(stream, snapshot.error().message());
    return std::nullopt;
  }
  auto at = log_.read_stream(stream, snapshot->version, 1);
  if (!at.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.failures;
    return std::nullopt;
  }
  const SnapshotFrame frame{snapshot->fold_version, snapshot->version, snapshot->event_hash, snapshot->stream, {}};
  if (std::string why = snapshot_problem(frame, stream, kDecisionFoldVersion, *at, snapshot->version, false);
      !why.empty()) {
    ignore(stream, why);
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  ++stats_.loaded;
  remember(stream, snapshot->version);
  return SnapshotAt{std::move(snapshot->state), snapshot->version};
}

void Snapshotter::remember(const std::string& stream, uint64_t version) {
  if (snapshotted_.size() >= options_.streams_remembered_max && !snapshotted_.contains(stream)) {
    snapshotted_.clear();
  }
  uint64_t& known = snapshotted_[stream];
  if (version > known) known = version;
}

void Snapshotter::offer(const std::string& stream, std::shared_ptr<const AccountState> state,
                        uint64_t version) {
  {
    std::lock_guard lock(mu_);
    auto it = snapshotted_.find(stream);
    const uint64_t since = it == snapshotted_.end() ? 0 : it->second;
    if (version < since + options_.events_between_snapshots) return;
    if (writes_.size() >= options_.queue_max) {
      ++stats_.dropped;
      return;
    }
    remember(stream, version);  // queued: later offers count from here
    writes_.push(Offer{stream, std::move(state), version});
  }
}

void Snapshotter::write(const Offer& offer) {
  auto at = log_.read_stream(offer.stream, offer.version, 1);
  if (!at.ok() || at->empty() || (*at)[0].version != offer.version) {
    std::lock_guard lock(mu_);
    ++stats_.failures;
    snapshotted_.erase(offer.stream);
    return;
  }
  const std::string bytes = encode_snapshot(
      AccountSnapshot{offer.stream, offer.version, (*at)[0].hash, kDecisionFoldVersion, *offer.state});
  const Status s = store_.write(offer.stream, bytes);
  std::lock_guard lock(mu_);
  if (s.ok()) {
    ++stats_.written;
  } else {
    ++stats_.failures;
    snapshotted_.erase(offer.stream);
  }
}

void Snapshotter::flush() { writes_.flush(); }

SnapshotStats Snapshotter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace mledger
