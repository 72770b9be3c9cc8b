#include "adapters/projections/memory_projection_store.h"

namespace mledger {

namespace {
Status no_such(uint64_t generation) {
  return Status(StatusCode::not_found, "no projection generation " + std::to_string(generation));
}
}  // namespace

MemoryProjectionStore::Stored* MemoryProjectionStore::find(uint64_t generation) {
  auto it = generations_.find(generation);
  return it == generations_.end() ? nullptr : &it->second;
}

StatusOr<std::vector<Generation>> MemoryProjectionStore::generations() {
  std::lock_guard lock(mu_);
  std::vector<Generation> out;
  for (const auto& [id, g] : generations_) out.push_back(g.meta);
  return out;
}

StatusOr<Generation> MemoryProjectionStore::create_generation(std::string_view projection,
                                                              uint32_t version, GenerationRole role) {
  if (role == GenerationRole::live) {
    return fail(StatusCode::invalid_argument, "a generation becomes live only by promotion");
  }
  std::lock_guard lock(mu_);
  Generation g{next_id_++, std::string(projection), version, role, {}, {}};
  generations_[g.id].meta = g;
  return g;
}

StatusOr<std::optional<std::string>> MemoryProjectionStore::get(uint64_t generation,
                                                                std::string_view key) {
  std::lock_guard lock(mu_);
  Stored* g = find(generation);
  if (g == nullptr) return Err{no_such(generation)};
  auto it = g->documents.find(key);
  if (it == g->documents.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryProjectionStore::scan(uint64_t generation, std::string_view from,
                                   const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::map<std::string, std::string, std::less<>> copy;
  {
    std::lock_guard lock(mu_);
    Stored* g = find(generation);
    if (g == nullptr) return no_such(generation);
    copy.insert(g->documents.lower_bound(from), g->documents.end());
  }
  for (const auto& [k, v] : copy) {
    if (!fn(k, v)) break;
  }
  return Status::Ok();
}

Status MemoryProjectionStore::commit(std::span<const DocumentWrite> documents,
                                     std::span<const CheckpointWrite> checkpoints) {
  std::lock_guard lock(mu_);
  for (const auto& d : documents) {
    if (find(d.generation) == nullptr) return no_such(d.generation);
  }
  for (const auto& c : checkpoints) {
    if (find(c.generation) == nullptr) return no_such(c.generation);
  }
  for (const auto& d : documents) {
    if (d.erase) {
      find(d.generation)->documents.erase(d.key);
    } else {
      find(d.generation)->documents[d.key] = d.value;
    }
  }
  for (const auto& c : checkpoints) {
    find(c.generation)->meta.checkpoint = c.checkpoint;
    find(c.generation)->meta.bulk.reset();
  }
  return Status::Ok();
}

Status MemoryProjectionStore::promote(uint64_t generation) {
  std::lock_guard lock(mu_);
  Stored* g = find(generation);
  if (g == nullptr) return no_such(generation);
  for (auto it = generations_.begin(); it != generations_.end();) {
    const bool replaced = it->first != generation && it->second.meta.role == GenerationRole::live &&
                          it->second.meta.projection == g->meta.projection;
    it = replaced ? generations_.erase(it) : std::next(it);
  }
  g->meta.role = GenerationRole::live;
  g->meta.bulk.reset();
  return Status::Ok();
}

// Holds the documents until finish(), then inserts them all at once.
class MemoryProjectionStore::MemoryBulkLoad final : public BulkLoad {
 public:
  MemoryBulkLoad(MemoryProjectionStore& store, uint64_t generation) : store_(store), generation_(generation) {}

  Status add(std::string_view key, std::string_view value) override {
    if (!documents_.empty() && key <= std::string_view(documents_.back().first)) {
      return Status(StatusCode::invalid_argument, "bulk load: keys must increase");
    }
    documents_.emplace_back(key, value);
    return Status::Ok();
  }

  Status finish(const BulkProgress& progress) override {
    std::lock_guard lock(store_.mu_);
    Stored* g = store_.find(generation_);
    if (g == nullptr) return no_such(generation_);
    for (auto& [k, v] : documents_) g->documents[k] = std::move(v);
    documents_.clear();
    g->meta.bulk = progress;
    return Status::Ok();
  }

 private:
  MemoryProjectionStore& store_;
  uint64_t generation_;
  std::vector<std::pair<std::string, std::string>> documents_;
};

StatusOr<std::unique_ptr<BulkLoad>> MemoryProjectionStore::bulk_load(uint64_t generation) {
  std::lock_guard lock(mu_);
  Stored* g = find(generation);
  if (g == nullptr) return Err{no_such(generation)};
  if (g->meta.role == GenerationRole::live) {
    return fail(StatusCode::invalid_argument, "a live generation is never bulk loaded");
  }
  return std::unique_ptr<BulkLoad>(std::make_unique<MemoryBulkLoad>(*this, generation));
}

Status MemoryProjectionStore::drop(uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generations_.erase(generation) == 0) return no_such(generation);
  return Status::Ok();
}

StatusOr<uint64_t> MemoryProjectionStore::size_bytes(uint64_t generation) {
  std::lock_guard lock(mu_);
  Stored* g = find(generation);
  if (g == nullptr) return Err{no_such(generation)};
  uint64_t n = 0;
  for (const auto& [k, v] : g->documents) n += k.size() + v.size();
  return n;
}

}  // namespace mledger
