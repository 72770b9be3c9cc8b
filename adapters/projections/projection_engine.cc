#include "adapters/projections/projection_engine.h"

#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace mledger {

namespace {

const Generation* find_generation(const std::vector<Generation>& gens, std::string_view name,
                                  GenerationRole role) {
  const Generation* found = nullptr;
  for (const auto& g : gens) {
    if (g.projection == name && g.role == role && (found == nullptr || g.id > found->id)) found = &g;
  }
  return found;
}

// Reads and decodes batches of events [from, until] on its own thread, at
// most `depth` batches ahead of the fold, so decoding and folding overlap.
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

  // The next batch; empty at the end. A read failure is returned once reached.
  StatusOr<std::vector<RecordedEvent>> next() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [this] { return !ready_.empty() || done_; });
    if (ready_.empty()) {
      if (!failure_.ok()) return Err{failure_};
      return std::vector<RecordedEvent>();
    }
    std::vector<RecordedEvent> out = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return out;
  }

 private:
  void run() {
    while (next_ <= until_) {
      {
        std::unique_lock lock(mu_);
        changed_.wait(lock, [this] { return stop_ || ready_.size() < depth_; });
        if (stop_) break;
      }
      const size_t want = static_cast<size_t>(std::min<uint64_t>(batch_, until_ - next_ + 1));
      auto events = log_.read_global(next_, want);
      std::lock_guard lock(mu_);
      if (!events.ok()) {
        failure_ = events.error();
        break;
      }
      if (events->empty()) {
        failure_ = Status(StatusCode::corruption, "the log ends before event " + std::to_string(next_) +
                                                      " although its head is " + std::to_string(until_));
        break;
      }
      next_ += events->size();
      ready_.push_back(std::move(events.value()));
      changed_.notify_all();
    }
    std::lock_guard lock(mu_);
    done_ = true;
    changed_.notify_all();
  }

  EventLog& log_;
  uint64_t next_;
  const uint64_t until_;
  const size_t batch_;
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<RecordedEvent>> ready_;
  Status failure_;
  bool stop_ = false;
  bool done_ = false;
  std::thread thread_;  // last: starts once the rest is initialized
};

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
    auto same_log = on_this_log(g.checkpoint, head_seq);
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
  ProjectionProgress p{std::string(phase), 0, until - from + 1, 0};
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
    auto events = reader.next();
    if (!events.ok()) return events.error();
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
