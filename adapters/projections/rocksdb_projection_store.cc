#include "adapters/projections/rocksdb_projection_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "adapters/rocksdb/info_log.h"
#include "adapters/rocksdb/lock_holder.h"
#include "adapters/rocksdb/manual_resume.h"
#include "adapters/rocksdb/rocksdb_status.h"

namespace mledger {

namespace {

void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_be64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}
std::string id_key(std::string_view prefix, uint64_t id) {
  std::string k(prefix);
  put_be64(k, id);
  return k;
}
std::string family_name(uint64_t id) { return "g" + std::to_string(id); }
std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

std::string encode_meta(const Generation& g) {
  std::string v = g.projection;
  v.push_back('\0');
  for (int i = 3; i >= 0; --i) v.push_back(static_cast<char>((g.version >> (8 * i)) & 0xff));
  v.push_back(static_cast<char>(g.role));
  return v;
}
bool decode_meta(uint64_t id, std::string_view v, Generation* g) {
  const size_t nul = v.find('\0');
  if (nul == std::string_view::npos || v.size() != nul + 6) return false;
  g->id = id;
  g->projection = std::string(v.substr(0, nul));
  g->version = 0;
  for (size_t i = 0; i < 4; ++i) g->version = (g->version << 8) | static_cast<uint8_t>(v[nul + 1 + i]);
  const auto role = static_cast<uint8_t>(v[nul + 5]);
  if (role > static_cast<uint8_t>(GenerationRole::scratch)) return false;
  g->role = static_cast<GenerationRole>(role);
  return true;
}
std::string encode_checkpoint(const ProjectionCheckpoint& c) {
  std::string v;
  put_be64(v, c.seq);
  v.append(reinterpret_cast<const char*>(c.hash.data()), c.hash.size());
  return v;
}
bool decode_checkpoint(std::string_view v, ProjectionCheckpoint* c) {
  if (v.size() != 40) return false;
  c->seq = get_be64(v);
  std::memcpy(c->hash.data(), v.data() + 8, 32);
  return true;
}
std::string encode_bulk(const BulkProgress& b) {
  std::string v = encode_checkpoint(b.until);
  put_be64(v, b.below);
  return v;
}
bool decode_bulk(std::string_view v, BulkProgress* b) {
  if (v.size() != 48 || !decode_checkpoint(v.substr(0, 40), &b->until)) return false;
  b->below = get_be64(v.substr(40));
  return b->below <= kAccountPartitions;
}

// Where bulk loads write their SST files before ingesting them: inside the
// store's directory (so ingestion links them rather than copying), emptied
// on every open for writing (files a crash left behind).
std::filesystem::path bulk_dir(const std::string& store_path) {
  return std::filesystem::path(store_path) / "bulk-load";
}

}  // namespace

class RocksDbProjectionStore::Impl {
 public:
  RocksDbProjectionStoreOptions options;
  rocksdb::ColumnFamilyOptions cf_options;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* meta = nullptr;  // the default family

  // Catalogue changes (create, promote, drop) exclude every other call; reads
  // and commits share.
  std::shared_mutex mu;
  std::map<uint64_t, rocksdb::ColumnFamilyHandle*> families;

  // After a failed write RocksDB refuses writes until DB::Resume() succeeds.
  std::atomic<bool> write_failed{false};
  std::mutex resume_mu;
  std::chrono::steady_clock::time_point next_resume_at{};
  std::string last_failure;
  std::atomic<uint64_t> bulk_files{0};  // names this process's bulk load files apart

  ~Impl() {
    if (!db) return;
    for (auto& [id, h] : families) (void)db->DestroyColumnFamilyHandle(h);
    families.clear();
    if (meta != nullptr) (void)db->DestroyColumnFamilyHandle(meta);
    (void)db->Close();
  }

  Status refuse_read_only() const {
    if (options.read_only) return Status(StatusCode::invalid_argument, "projection store opened read-only");
    return Status::Ok();
  }

  rocksdb::ColumnFamilyHandle* family(uint64_t id) {
    auto it = families.find(id);
    return it == families.end() ? nullptr : it->second;
  }

  StatusOr<std::vector<Generation>> read_catalogue() {
    std::vector<Generation> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), meta));
    for (it->Seek("gen:"); it->Valid() && it->key().starts_with("gen:"); it->Next()) {
      Generation g;
      const uint64_t id = get_be64(view(it->key()).substr(4));
      if (!decode_meta(id, view(it->value()), &g)) {
        return fail(StatusCode::corruption, "projection store: bad record of generation " + std::to_string(id));
      }
      std::string ck;
      auto s = db->Get(rocksdb::ReadOptions(), meta, id_key("ckpt:", id), &ck);
      if (!s.ok() && !s.IsNotFound()) return Err{from_rocks(s, "reading a checkpoint")};
      if (s.ok() && !decode_checkpoint(ck, &g.checkpoint)) {
        return fail(StatusCode::corruption, "projection store: bad checkpoint of generation " + std::to_string(id));
      }
      std::string bulk;
      s = db->Get(rocksdb::ReadOptions(), meta, id_key("bulk:", id), &bulk);
      if (!s.ok() && !s.IsNotFound()) return Err{from_rocks(s, "reading a bulk load's progress")};
      if (s.ok() && !decode_bulk(bulk, &g.bulk.emplace())) {
        return fail(StatusCode::corruption, "projection store: bad bulk progress of generation " + std::to_string(id));
      }
      out.push_back(std::move(g));
    }
    if (!it->status().ok()) return Err{from_rocks(it->status(), "reading the generations")};
    return out;
  }

  Status write_meta(rocksdb::WriteBatch& batch) {
    rocksdb::WriteOptions w;
    w.sync = true;
    return write(w, batch, "writing the projection catalogue");
  }

  Status write(const rocksdb::WriteOptions& w, rocksdb::WriteBatch& batch, const char* what) {
    if (Status r = resume_writes(); !r.ok()) return r;
    Status s = from_rocks(db->Write(w, &batch), what);
    if (!s.ok()) {
      std::lock_guard lock(resume_mu);
      last_failure = s.message();
      write_failed = true;
    }
    return s;
  }

  // As the event log does: DB::Resume() at most once a second until a
  // write succeeds again (a full disk that got room back).
  Status resume_writes() {
    if (!write_failed) return Status::Ok();
    std::lock_guard lock(resume_mu);
    if (!write_failed) return Status::Ok();
    const auto now = std::chrono::steady_clock::now();
    const std::string refused = "projection writes are refused since one failed (" + last_failure + ")";
    if (now < next_resume_at) return Status(StatusCode::unavailable, refused + "; retried within 1 s");
    next_resume_at = now + std::chrono::seconds(1);
    if (rocksdb::Status s = db->Resume(); !s.ok()) {
      return Status(StatusCode::unavailable, refused + "; resuming failed: " + s.ToString());
    }
    write_failed = false;
    return Status::Ok();
  }

  Status drop_family(uint64_t id) {
    rocksdb::ColumnFamilyHandle* h = family(id);
    if (h == nullptr) return Status::Ok();
    auto s = db->DropColumnFamily(h);
    (void)db->DestroyColumnFamilyHandle(h);
    families.erase(id);
    return from_rocks(s, "dropping generation " + std::to_string(id));
  }

  Status remove_generation(uint64_t id) {
    rocksdb::WriteBatch batch;
    batch.Delete(meta, id_key("gen:", id));
    batch.Delete(meta, id_key("ckpt:", id));
    batch.Delete(meta, id_key("bulk:", id));
    if (Status s = write_meta(batch); !s.ok()) return s;
    return drop_family(id);
  }

  // Drops what no generation record names, and interrupted scratch builds.
  Status collect_garbage() {
    auto catalogue = read_catalogue();
    if (!catalogue.ok()) return catalogue.error();
    std::map<uint64_t, GenerationRole> known;
    for (const auto& g : *catalogue) known[g.id] = g.role;
    std::vector<uint64_t> unknown;
    for (const auto& [id, h] : families) {
      if (!known.contains(id)) unknown.push_back(id);
    }
    for (uint64_t id : unknown) {
      if (Status s = drop_family(id); !s.ok()) return s;
    }
    for (const auto& [id, role] : known) {
      if (role != GenerationRole::scratch) continue;
      if (Status s = remove_generation(id); !s.ok()) return s;
    }
    return Status::Ok();
  }
};

RocksDbProjectionStore::RocksDbProjectionStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksDbProjectionStore::~RocksDbProjectionStore() = default;

StatusOr<std::unique_ptr<RocksDbProjectionStore>> RocksDbProjectionStore::open(
    const RocksDbProjectionStoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::error_code ec;
  const bool exists = std::filesystem::exists(std::filesystem::path(options.path) / "CURRENT", ec);
  if (!exists && options.read_only) {
    return fail(StatusCode::not_found, "no projections at " + options.path + " yet");
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  // Commits are not synced, so a crash may leave an incomplete last record:
  // dropped (any prefix of the commits is a consistent store: each holds its
  // documents with their checkpoint, and the engine folds the rest again).
  // A record that fails its checksum fails the open instead of cutting the
  // store short there; it is derived data, rebuilt once removed.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.max_total_wal_size = 128 << 20;
  // RocksDB's own LOG file stays off the disk (adapters/rocksdb/info_log.h).
  db_options.info_log = InfoLog::make("projections " + options.path);
  db_options.listeners.push_back(make_manual_resume_listener());
  // No preallocation (each new WAL would reserve 35 MiB): see the event log.
  db_options.allow_fallocate = false;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::ColumnFamilyOptions& cf_options = impl->cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.write_buffer_size = 32 << 20;

  std::vector<std::string> names{rocksdb::kDefaultColumnFamilyName};
  if (exists) {
    auto s = rocksdb::DB::ListColumnFamilies(db_options, options.path, &names);
    if (!s.ok()) return Err{from_rocks(s, "listing projection generations at " + options.path)};
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, cf_options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = options.read_only
                          ? rocksdb::DB::OpenForReadOnly(db_options, options.path, families, &handles, &raw)
                          : rocksdb::DB::Open(db_options, options.path, families, &handles, &raw);
  if (!s.ok()) {
    if (is_lock_refusal(s)) {
      return fail(StatusCode::unavailable,
                  "the projections at " + options.path + " are in use by another mledger process (" + lock_holder(options.path) + ")");
    }
    if (s.IsCorruption()) {
      return fail(StatusCode::corruption,
                  "the projections at " + options.path + " are damaged (" + s.ToString() +
                      "); they are derived from the log: with no mledger process running, remove "
                      "that directory (rm -r) and the next open rebuilds them");
    }
    return Err{from_rocks(s, "opening projections at " + options.path)};
  }
  impl->db.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == rocksdb::kDefaultColumnFamilyName) {
      impl->meta = handles[i];
    } else if (names[i].size() > 1 && names[i][0] == 'g') {
      impl->families[std::stoull(names[i].substr(1))] = handles[i];
    } else {
      return fail(StatusCode::corruption, "projection store holds an unknown family '" + names[i] + "'");
    }
  }
  if (!options.read_only) {
    if (Status g = impl->collect_garbage(); !g.ok()) return Err{g};
    std::filesystem::remove_all(bulk_dir(options.path), ec);
    if (ec) return fail(StatusCode::io_error, "removing " + bulk_dir(options.path).string() + ": " + ec.message());
  }
  return std::unique_ptr<RocksDbProjectionStore>(new RocksDbProjectionStore(std::move(impl)));
}

StatusOr<std::vector<Generation>> RocksDbProjectionStore::generations() {
  std::shared_lock lock(impl_->mu);
  return impl_->read_catalogue();
}

StatusOr<Generation> RocksDbProjectionStore::create_generation(std::string_view projection,
                                                               uint32_t version, GenerationRole role) {
  Impl& m = *impl_;
  if (Status s = m.refuse_read_only(); !s.ok()) return Err{s};
  if (role == GenerationRole::live) {
    return fail(StatusCode::invalid_argument, "a generation becomes live only by promotion");
  }
  std::unique_lock lock(m.mu);
  std::string next;
  auto s = m.db->Get(rocksdb::ReadOptions(), m.meta, "next", &next);
  if (!s.ok() && !s.IsNotFound()) return Err{from_rocks(s, "reading the next generation id")};
  uint64_t id = s.ok() ? get_be64(next) : 1;
  while (m.families.contains(id)) ++id;
  rocksdb::ColumnFamilyHandle* h = nullptr;
  s = m.db->CreateColumnFamily(m.cf_options, family_name(id), &h);
  if (!s.ok()) return Err{from_rocks(s, "creating generation " + std::to_string(id))};
  m.families[id] = h;
  Generation g{id, std::string(projection), version, role, {}, {}};
  rocksdb::WriteBatch batch;
  std::string next_value;
  put_be64(next_value, id + 1);
  batch.Put(m.meta, "next", next_value);
  batch.Put(m.meta, id_key("gen:", id), encode_meta(g));
  batch.Put(m.meta, id_key("ckpt:", id), encode_checkpoint(g.checkpoint));
  if (Status w = m.write_meta(batch); !w.ok()) return Err{w};
  return g;
}

StatusOr<std::optional<std::string>> RocksDbProjectionStore::get(uint64_t generation,
                                                                 std::string_view key) {
  std::shared_lock lock(impl_->mu);
  rocksdb::ColumnFamilyHandle* h = impl_->family(generation);
  if (h == nullptr) return fail(StatusCode::not_found, "no projection generation " + std::to_string(generation));
  std::string value;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), h, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Err{from_rocks(s, "reading a projection document")};
  return std::optional<std::string>(std::move(value));
}

Status RocksDbProjectionStore::scan(uint64_t generation, std::string_view from,
                                    const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::shared_lock lock(impl_->mu);
  rocksdb::ColumnFamilyHandle* h = impl_->family(generation);
  if (h == nullptr) return Status(StatusCode::not_found, "no projection generation " + std::to_string(generation));
  rocksdb::ReadOptions r;
  r.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(r, h));
  for (it->Seek(rocksdb::Slice(from.data(), from.size())); it->Valid(); it->Next()) {
    if (!fn(view(it->key()), view(it->value()))) return Status::Ok();
  }
  return from_rocks(it->status(), "scanning a projection generation");
}

Status RocksDbProjectionStore::commit(std::span<const DocumentWrite> documents,
                                      std::span<const CheckpointWrite> checkpoints) {
  Impl& m = *impl_;
  if (Status s = m.refuse_read_only(); !s.ok()) return s;
  std::shared_lock lock(m.mu);
  rocksdb::WriteBatch batch;
  for (const auto& d : documents) {
    rocksdb::ColumnFamilyHandle* h = m.family(d.generation);
    if (h == nullptr) return Status(StatusCode::not_found, "no projection generation " + std::to_string(d.generation));
    if (d.erase) {
      batch.Delete(h, d.key);
    } else {
      batch.Put(h, d.key, d.value);
    }
  }
  for (const auto& c : checkpoints) {
    if (m.family(c.generation) == nullptr) {
      return Status(StatusCode::not_found, "no projection generation " + std::to_string(c.generation));
    }
    batch.Put(m.meta, id_key("ckpt:", c.generation), encode_checkpoint(c.checkpoint));
    batch.Delete(m.meta, id_key("bulk:", c.generation));
  }
  return m.write(rocksdb::WriteOptions(), batch, "writing projection documents");
}

Status RocksDbProjectionStore::promote(uint64_t generation) {
  Impl& m = *impl_;
  if (Status s = m.refuse_read_only(); !s.ok()) return s;
  std::unique_lock lock(m.mu);
  auto catalogue = m.read_catalogue();
  if (!catalogue.ok()) return catalogue.error();
  const Generation* promoted = nullptr;
  for (const auto& g : *catalogue) {
    if (g.id == generation) promoted = &g;
  }
  if (promoted == nullptr) return Status(StatusCode::not_found, "no projection generation " + std::to_string(generation));
  rocksdb::WriteBatch batch;
  Generation now_live = *promoted;
  now_live.role = GenerationRole::live;
  batch.Put(m.meta, id_key("gen:", generation), encode_meta(now_live));
  batch.Delete(m.meta, id_key("bulk:", generation));
  std::vector<uint64_t> replaced;
  for (const auto& g : *catalogue) {
    if (g.id != generation && g.role == GenerationRole::live && g.projection == promoted->projection) {
      batch.Delete(m.meta, id_key("gen:", g.id));
      batch.Delete(m.meta, id_key("ckpt:", g.id));
      batch.Delete(m.meta, id_key("bulk:", g.id));
      replaced.push_back(g.id);
    }
  }
  if (Status s = m.write_meta(batch); !s.ok()) return s;
  for (uint64_t id : replaced) {
    if (Status s = m.drop_family(id); !s.ok()) return s;
  }
  return Status::Ok();
}

// An SST file of sorted documents (rocksdb::SstFileWriter), ingested into the
// generation's family by finish() (IngestExternalFile, the file moved in).
class RocksDbBulkLoad final : public BulkLoad {
 public:
  RocksDbBulkLoad(RocksDbProjectionStore::Impl& store, uint64_t generation, std::filesystem::path file)
      : store_(store), generation_(generation), file_(std::move(file)),
        writer_(rocksdb::EnvOptions(), rocksdb::Options(rocksdb::DBOptions(), store.cf_options)) {}
  ~RocksDbBulkLoad() override {
    std::error_code ec;
    std::filesystem::remove(file_, ec);  // ingested (moved) or abandoned
  }

  Status add(std::string_view key, std::string_view value) override {
    if (!opened_) {
      if (Status s = open(); !s.ok()) return s;
    }
    if (added_ > 0 && key <= std::string_view(last_key_)) {
      return Status(StatusCode::invalid_argument, "bulk load: keys must increase");
    }
    last_key_.assign(key);
    ++added_;
    return from_rocks(writer_.Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())),
                      "writing a bulk load file");
  }

  Status finish(const BulkProgress& progress) override;

 private:
  Status open() {
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    if (ec) return Status(StatusCode::io_error, "creating " + file_.parent_path().string() + ": " + ec.message());
    opened_ = true;
    return from_rocks(writer_.Open(file_.string()), "creating a bulk load file");
  }

  RocksDbProjectionStore::Impl& store_;
  const uint64_t generation_;
  const std::filesystem::path file_;
  rocksdb::SstFileWriter writer_;
  bool opened_ = false;
  uint64_t added_ = 0;
  std::string last_key_;
};

Status RocksDbBulkLoad::finish(const BulkProgress& progress) {
  if (added_ > 0) {
    if (Status s = from_rocks(writer_.Finish(), "finishing a bulk load file"); !s.ok()) return s;
  }
  std::shared_lock lock(store_.mu);
  rocksdb::ColumnFamilyHandle* h = store_.family(generation_);
  if (h == nullptr) return Status(StatusCode::not_found, "no projection generation " + std::to_string(generation_));
  if (added_ > 0) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;  // a hard link: the file is in the store's directory
    Status s = from_rocks(store_.db->IngestExternalFile(h, {file_.string()}, ingest), "ingesting a bulk load file");
    if (!s.ok()) return s;
  }
  rocksdb::WriteBatch batch;
  batch.Put(store_.meta, id_key("bulk:", generation_), encode_bulk(progress));
  return store_.write_meta(batch);
}

StatusOr<std::unique_ptr<BulkLoad>> RocksDbProjectionStore::bulk_load(uint64_t generation) {
  Impl& m = *impl_;
  if (Status s = m.refuse_read_only(); !s.ok()) return Err{s};
  std::shared_lock lock(m.mu);
  if (m.family(generation) == nullptr) {
    return fail(StatusCode::not_found, "no projection generation " + std::to_string(generation));
  }
  auto catalogue = m.read_catalogue();
  if (!catalogue.ok()) return Err{catalogue.error()};
  for (const auto& g : *catalogue) {
    if (g.id == generation && g.role == GenerationRole::live) {
      return fail(StatusCode::invalid_argument, "a live generation is never bulk loaded");
    }
  }
  const uint64_t n = m.bulk_files++;
  const auto file = bulk_dir(m.options.path) / ("g" + std::to_string(generation) + "-" + std::to_string(n) + ".sst");
  return std::unique_ptr<BulkLoad>(std::make_unique<RocksDbBulkLoad>(m, generation, file));
}

Status RocksDbProjectionStore::drop(uint64_t generation) {
  Impl& m = *impl_;
  if (Status s = m.refuse_read_only(); !s.ok()) return s;
  std::unique_lock lock(m.mu);
  if (m.family(generation) == nullptr) {
    return Status(StatusCode::not_found, "no projection generation " + std::to_string(generation));
  }
  return m.remove_generation(generation);
}

StatusOr<uint64_t> RocksDbProjectionStore::size_bytes(uint64_t generation) {
  std::shared_lock lock(impl_->mu);
  rocksdb::ColumnFamilyHandle* h = impl_->family(generation);
  if (h == nullptr) return fail(StatusCode::not_found, "no projection generation " + std::to_string(generation));
  uint64_t sst = 0, mem = 0;
  (void)impl_->db->GetIntProperty(h, "rocksdb.total-sst-files-size", &sst);
  (void)impl_->db->GetIntProperty(h, "rocksdb.size-all-mem-tables", &mem);
  return sst + mem;
}

}  // namespace mledger
