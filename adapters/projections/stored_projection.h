#pragma once
// A projection of projections/ (a pure fold, see projections/projection.h)
// made storable: its documents at the grain of the entity, in the binary
// form (adapters/projections/entity_documents.h), and a Folder that folds
// events into one generation through a write-back cache of whole account
// documents, writing only the header and entities each event changed.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/projections/entity_documents.h"
#include "adapters/projections/projection_store.h"

namespace mledger {

// Folds events into one generation's documents. Not thread-safe.
class Folder {
 public:
  virtual ~Folder() = default;
  // Folds one event (loading the documents it changes that are not cached).
  [[nodiscard]] virtual Status apply(const RecordedEvent& event) = 0;
  // Appends the documents changed since the last call, serialized; they stay
  // cached, clean.
  virtual void take_writes(std::vector<DocumentWrite>& out) = 0;
  // Forgets clean documents until at most `bytes_max` of them stay cached
  // (call after take_writes).
  virtual void trim(size_t bytes_max) = 0;
  // The stored size of the documents changed since the last take_writes()
  // (as last written or read; an estimate for new ones).
  virtual size_t dirty_bytes() const = 0;
  // The stored size of the documents cached (decoded, they take about
  // kDecodedBytesPerStoredByte times as much memory).
  virtual size_t cached_bytes() const = 0;
};

// Memory a cached document takes decoded, per byte of its stored form: the
// ratio measured over the realistic bench ledger (docs/benchmarks.md, issue
// 13 part 4: peak RSS grew by 10 MB per MB of stored documents cached). The engine's memory bounds divide by it.
inline constexpr size_t kDecodedBytesPerStoredByte = 10;

// The partition of an account (0 to kAccountPartitions - 1): the top 32 bits
// of the FNV-1a 64 hash of its id. Stable across builds and machines (a bulk
// load's progress names partitions).
inline uint64_t account_partition(std::string_view account) {
  uint64_t h = 14695981039346656037ull;
  for (char c : account) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h >> 32;
}

// Folds events from event 1 into the whole documents of the accounts of a
// range of partitions, held decoded in memory and never read from a store,
// then writes them sorted into a BulkLoad: what a rebuild does instead of
// Folder's per-event writes. The documents written equal those a Folder
// commits over the same events. Not thread-safe.
class BulkFolder {
 public:
  virtual ~BulkFolder() = default;
  // Folds the event into the documents of the accounts it names whose
  // partition is in [from, below). invalid_argument for an account id no key
  // can hold.
  [[nodiscard]] virtual Status apply(const RecordedEvent& event, uint64_t from, uint64_t below) = 0;
  // Folds the event into `account`'s documents if the event names it (an
  // account's events read from the log's account index: the index may list
  // an event under accounts this projection does not fold it into).
  [[nodiscard]] virtual Status apply_to(const RecordedEvent& event, const std::string& account) = 0;
  // Adds to `out` the accounts the event names whose partition is `from` or above.
  virtual void accounts_from(const RecordedEvent& event, uint64_t from, std::set<std::string>& out) = 0;
  // Adds to `out` the held accounts whose partition is `from` or above.
  virtual void held_from(uint64_t from, std::set<std::string>& out) const = 0;
  // Calls out(account, documents) for each held account whose partition is
  // `from` or above (its documents as write() loads them) and forgets it.
  // Stops at the first failure and returns it.
  [[nodiscard]] virtual Status spill_from(
      uint64_t from, const std::function<Status(const std::string&, const AccountDocuments&)>& out) = 0;
  // Holds `account`'s documents as spill_from() gave them, folded up to
  // event `through_seq`, in place of what it held of the account; the
  // account's events up to through_seq are not folded again. corruption
  // for documents that do not decode.
  [[nodiscard]] virtual Status restore(const std::string& account, uint64_t through_seq,
                                       const AccountDocuments& documents) = 0;
  // Forgets the accounts whose partition is `below` or above.
  virtual void forget_from(uint64_t below) = 0;
  // The number of accounts held.
  virtual size_t accounts_held() const = 0;
  // Adds every held account's documents to `load` in key order and forgets
  // them; the stored bytes added.
  [[nodiscard]] virtual StatusOr<uint64_t> write(BulkLoad& load) = 0;
};

class StoredProjection {
 public:
  virtual ~StoredProjection() = default;
  virtual std::string_view name() const = 0;
  virtual uint32_t version() const = 0;
  [[nodiscard]] virtual std::unique_ptr<Folder> folder(ProjectionStore& store,
                                                       uint64_t generation) const = 0;
  [[nodiscard]] virtual std::unique_ptr<BulkFolder> bulk_folder() const = 0;
};

// Folds events into one projection's generation, a whole account document
// at a time (loaded from its header and entities when first needed), and
// writes back only what an event changed: the entities P::touched() names
// whose encoded form differs after apply(), removed ones as deletions, and
// the header when its bytes differ. Entities P::retired() names move to
// their archive keys.
template <class P>
class TypedFolder final : public Folder {
 public:
  TypedFolder(ProjectionStore& store, uint64_t generation) : store_(store), generation_(generation) {}

  Status apply(const RecordedEvent& event) override {
    ids_.clear();
    P::documents_of(event, ids_);
    for (size_t i = 0; i < ids_.size(); ++i) {
      const std::string& id = ids_[i];
      if (std::find(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(i), id) !=
          ids_.begin() + static_cast<std::ptrdiff_t>(i)) {
        continue;
      }
      auto account = cached(id);
      if (!account.ok()) return account.error();
      if (Status s = fold(**account, id, event); !s.ok()) return s;
    }
    return Status::Ok();
  }

  void take_writes(std::vector<DocumentWrite>& out) override {
    for (auto& [key, value] : pending_) {
      out.push_back(DocumentWrite{generation_, key, value.value_or(std::string()), !value.has_value()});
    }
    pending_.clear();
    dirty_bytes_ = 0;
  }

  size_t dirty_bytes() const override { return dirty_bytes_; }
  size_t cached_bytes() const override { return cached_bytes_; }

  // Forgets the least recently folded accounts first.
  void trim(size_t bytes_max) override {
    if (!pending_.empty()) return;  // an evicted account would be reloaded without its writes
    if (cached_bytes_ <= bytes_max) return;
    std::vector<typename decltype(cache_)::iterator> by_use;
    by_use.reserve(cache_.size());
    for (auto it = cache_.begin(); it != cache_.end(); ++it) by_use.push_back(it);
    std::sort(by_use.begin(), by_use.end(), [](auto a, auto b) { return a->second.used < b->second.used; });
    for (auto it : by_use) {
      if (cached_bytes_ <= bytes_max) break;
      cached_bytes_ -= std::min(cached_bytes_, it->second.bytes);
      cache_.erase(it);
    }
  }

 private:
  using Doc = typename P::Doc;
  struct Account {
    Doc doc{};
    std::string header;   // as stored
    bool stored = false;  // the header is in the store (or pending)
    size_t bytes = 0;     // stored size of the header and entities
    uint64_t used = 0;    // when last folded (uses_), for trim()
  };

  StatusOr<Account*> cached(const std::string& id) {
    ++uses_;
    auto it = cache_.find(id);
    if (it != cache_.end()) {
      it->second.used = uses_;
      return &it->second;
    }
    Account a;
    a.used = uses_;
    auto doc = entity::load_account<P>(store_, generation_, id, entity::kinds_of<P>(), &a.bytes);
    if (!doc.ok()) return Err{doc.error()};
    if (doc->has_value()) {
      a.doc = std::move(**doc);
      a.header = entity::encode_header<P>(a.doc);
      a.stored = true;
    }
    cached_bytes_ += a.bytes;
    return &cache_.emplace(id, std::move(a)).first->second;
  }

  static std::optional<std::string> encoded(const Doc& doc, std::string_view kind, const std::string& id) {
    std::optional<std::string> out;
    entity::with_kind(doc, kind, [&](const auto& c) { out = entity::encoded_entity(c, id); });
    return out;
  }
  static std::map<std::string, std::string> encoded_kind(const Doc& doc, std::string_view kind) {
    std::map<std::string, std::string> out;
    entity::with_kind(doc, kind, [&](const auto& c) {
      entity::for_each_entity(c, [&](const std::string& id, std::string bytes) { out.emplace(id, std::move(bytes)); });
    });
    return out;
  }

  void write(Account& a, std::string key, const std::optional<std::string>& was,
             std::optional<std::string> now) {
    const size_t old_size = was ? was->size() : 0, new_size = now ? now->size() : 0;
    a.bytes = a.bytes + new_size - std::min(a.bytes, old_size);
    cached_bytes_ = cached_bytes_ + new_size - std::min(cached_bytes_, old_size);
    dirty_bytes_ += key.size() + new_size;
    pending_[std::move(key)] = std::move(now);
  }

  Status fold(Account& a, const std::string& id, const RecordedEvent& e) {
    constexpr auto kinds = entity::kinds_of<P>();
    before_.clear();
    whole_before_.clear();
    if constexpr (kinds.size() > 0) {
      touched_.clear();
      P::touched(a.doc, id, e, touched_);
      if (touched_.everything) touched_.kinds.assign(kinds.begin(), kinds.end());
      for (std::string_view kind : touched_.kinds) {
        if (!whole_before_.contains(kind)) whole_before_.emplace(kind, encoded_kind(a.doc, kind));
      }
      for (auto& ref : touched_.entities) {
        if (!whole_before_.contains(ref.kind)) before_.emplace_back(ref, encoded(a.doc, ref.kind, ref.id));
      }
    }
    P::apply(a.doc, id, e);
    for (auto& [ref, was] : before_) {
      auto now = encoded(a.doc, ref.kind, ref.id);
      if (now != was) write(a, entity::entity_key(id, ref.kind, ref.id), was, std::move(now));
    }
    for (auto& [kind, was] : whole_before_) {
      auto now = encoded_kind(a.doc, kind);
      for (auto& [eid, bytes] : was) {
        if (!now.contains(eid)) write(a, entity::entity_key(id, kind, eid), bytes, std::nullopt);
      }
      for (auto& [eid, bytes] : now) {
        auto old = was.find(eid);
        if (old == was.end()) {
          write(a, entity::entity_key(id, kind, eid), std::nullopt, std::move(bytes));
        } else if (old->second != bytes) {
          write(a, entity::entity_key(id, kind, eid), old->second, std::move(bytes));
        }
      }
    }
    std::string header = entity::encode_header<P>(a.doc);
    if (!a.stored || header != a.header) {
      write(a, entity::header_key(id), a.header, header);
      a.header = std::move(header);
      a.stored = true;
    }
    if constexpr (requires { P::retired(a.doc, e, retired_); }) {
      retired_.clear();
      P::retired(a.doc, e, retired_);
      for (const auto& ref : retired_) {
        if (Status s = archive(a, id, ref); !s.ok()) return s;
      }
    }
    return Status::Ok();
  }

  // Moves the entity's last document to its archive key.
  Status archive(Account& a, const std::string& account, const projections::EntityRef& ref) {
    std::string key = entity::entity_key(account, ref.kind, ref.id);
    std::optional<std::string> last;
    if (auto p = pending_.find(key); p != pending_.end()) {
      last = p->second;
    } else {
      auto stored = store_.get(generation_, key);
      if (!stored.ok()) return stored.error();
      last = std::move(stored.value());
    }
    if (!last) return Status::Ok();  // never stored: nothing to keep
    write(a, entity::archive_key(account, ref.kind, ref.id), std::nullopt, last);
    write(a, std::move(key), last, std::nullopt);
    return Status::Ok();
  }

  ProjectionStore& store_;
  uint64_t generation_;
  std::unordered_map<std::string, Account> cache_;
  std::map<std::string, std::optional<std::string>> pending_;  // key -> bytes, or nullopt: delete
  size_t dirty_bytes_ = 0;
  size_t cached_bytes_ = 0;
  uint64_t uses_ = 0;  // accounts folded so far (Account::used)
  std::vector<std::string> ids_;
  projections::Touched touched_;
  std::vector<std::pair<projections::EntityRef, std::optional<std::string>>> before_;
  std::map<std::string_view, std::map<std::string, std::string>> whole_before_;
  std::vector<projections::EntityRef> retired_;
};

// BulkFolder of projection P: P::apply() alone per event; documents encoded
// once, when written. Entities P::retired() names are encoded as they were
// before it removed them and kept for the account's archive range.
template <class P>
class TypedBulkFolder final : public BulkFolder {
 public:
  Status apply(const RecordedEvent& event, uint64_t from, uint64_t below) override {
    ids_.clear();
    P::documents_of(event, ids_);
    for (size_t i = 0; i < ids_.size(); ++i) {
      const std::string& id = ids_[i];
      const auto first = ids_.begin() + static_cast<std::ptrdiff_t>(i);
      if (std::find(ids_.begin(), first, id) != first) continue;
      const uint64_t partition = account_partition(id);
      if (partition < from || partition >= below) continue;
      if (Status s = fold_into(id, event); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status apply_to(const RecordedEvent& event, const std::string& account) override {
    ids_.clear();
    P::documents_of(event, ids_);
    if (std::find(ids_.begin(), ids_.end(), account) == ids_.end()) return Status::Ok();
    return fold_into(account, event);
  }

  void accounts_from(const RecordedEvent& event, uint64_t from, std::set<std::string>& out) override {
    ids_.clear();
    P::documents_of(event, ids_);
    for (std::string& id : ids_) {
      if (account_partition(id) >= from) out.insert(std::move(id));
    }
  }

  void held_from(uint64_t from, std::set<std::string>& out) const override {
    for (const auto& [id, a] : accounts_) {
      if (account_partition(id) >= from) out.insert(id);
    }
  }

  void forget_from(uint64_t below) override {
    std::erase_if(accounts_, [&](const auto& a) { return account_partition(a.first) >= below; });
  }

  Status spill_from(uint64_t from,
                    const std::function<Status(const std::string&, const AccountDocuments&)>& out) override {
    AccountDocuments documents;
    for (auto it = accounts_.begin(); it != accounts_.end();) {
      if (account_partition(it->first) < from) {
        ++it;
        continue;
      }
      stored_documents(it->first, *it->second, documents);
      if (Status s = out(it->first, documents); !s.ok()) return s;
      it = accounts_.erase(it);
    }
    return Status::Ok();
  }

  Status restore(const std::string& id, uint64_t through_seq, const AccountDocuments& documents) override {
    if (Status s = entity::check_account_id(id); !s.ok()) return s;
    auto a = std::make_unique<Account>();
    a->through = through_seq;
    const std::string header = entity::header_key(id);
    for (const auto& [key, value] : documents) {
      if (Status s = restore_document(*a, header, key, value); !s.ok()) {
        std::string printable = key;  // its parts are NUL-separated
        std::replace(printable.begin(), printable.end(), '\0', '/');
        return Status(StatusCode::corruption, std::string(P::kName) + " document " + printable + " of " + id +
                                                  " as spilled: " + s.message());
      }
    }
    accounts_[id] = std::move(a);
    return Status::Ok();
  }

  size_t accounts_held() const override { return accounts_.size(); }

  StatusOr<uint64_t> write(BulkLoad& load) override {
    std::vector<const std::string*> ids;
    ids.reserve(accounts_.size());
    for (const auto& [id, a] : accounts_) ids.push_back(&id);
    std::sort(ids.begin(), ids.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    uint64_t bytes = 0;
    AccountDocuments documents;
    for (const std::string* id : ids) {
      stored_documents(*id, *accounts_.at(*id), documents);
      for (const auto& [key, value] : documents) {
        if (Status s = load.add(key, value); !s.ok()) return Err{s};
        bytes += key.size() + value.size();
      }
    }
    accounts_.clear();
    return bytes;
  }

 private:
  struct Account {
    typename P::Doc doc{};
    std::map<std::string, std::string> archive;  // archive key -> last document
    uint64_t through = 0;  // restored as folded up to this event
  };

  // The account's documents as stored, in key order.
  static void stored_documents(const std::string& id, const Account& a, AccountDocuments& documents) {
    documents.clear();
    documents.emplace_back(entity::header_key(id), entity::encode_header<P>(a.doc));
    for (std::string_view kind : entity::kinds_of<P>()) {
      entity::with_kind(a.doc, kind, [&](const auto& c) {
        entity::for_each_entity(c, [&](const std::string& eid, std::string bytes_of) {
          documents.emplace_back(entity::entity_key(id, kind, eid), std::move(bytes_of));
        });
      });
    }
    for (const auto& [key, value] : a.archive) documents.emplace_back(key, value);
    std::sort(documents.begin(), documents.end());
  }

  // Puts one document of stored_documents() back into `a`.
  static Status restore_document(Account& a, const std::string& header, std::string_view key,
                                 std::string_view value) {
    if (key == header) return entity::decode_header<P>(value, a.doc);
    if (!key.starts_with(header)) return Status(StatusCode::corruption, "not the account's");
    const std::string_view rest = key.substr(header.size());
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) return Status(StatusCode::corruption, "no entity kind");
    const std::string_view kind = rest.substr(0, nul), id = rest.substr(nul + 1);
    if (kind.starts_with("archived.")) {
      a.archive.emplace(std::string(key), std::string(value));
      return Status::Ok();
    }
    Status s = Status(StatusCode::corruption, "no entity kind " + std::string(kind));
    entity::with_kind(a.doc, kind, [&](auto& c) { s = entity::put_entity(c, id, value); });
    return s;
  }

  Status fold_into(const std::string& id, const RecordedEvent& event) {
    auto it = accounts_.find(id);
    if (it == accounts_.end()) {
      if (Status s = entity::check_account_id(id); !s.ok()) return s;
      it = accounts_.emplace(id, std::make_unique<Account>()).first;
    }
    if (event.seq <= it->second->through) return Status::Ok();  // in its restored documents
    P::apply(it->second->doc, id, event);
    if constexpr (requires(typename P::Doc d, std::vector<projections::EntityRef> r) { P::retired(d, event, r); }) {
      retire(*it->second, id, event);
    }
    return Status::Ok();
  }

  void retire(Account& a, const std::string& id, const RecordedEvent& event) {
    typename P::Doc before = a.doc;
    retired_.clear();
    P::retired(a.doc, event, retired_);
    for (const auto& ref : retired_) {
      entity::with_kind(before, ref.kind, [&](const auto& c) {
        if (auto last = entity::encoded_entity(c, ref.id)) a.archive[entity::archive_key(id, ref.kind, ref.id)] = *last;
      });
    }
  }

  // Each account's node holds a pointer, not the Account: a lookup walks
  // small nodes (an Account's Doc is kilobytes, and a node's cached hash
  // follows its value), so it misses the cache once, not once per node.
  std::unordered_map<std::string, std::unique_ptr<Account>> accounts_;
  std::vector<std::string> ids_;
  std::vector<projections::EntityRef> retired_;
};

template <class P>
class TypedProjection final : public StoredProjection {
 public:
  std::string_view name() const override { return P::kName; }
  uint32_t version() const override { return P::kVersion; }
  std::unique_ptr<Folder> folder(ProjectionStore& store, uint64_t generation) const override {
    return std::make_unique<TypedFolder<P>>(store, generation);
  }
  std::unique_ptr<BulkFolder> bulk_folder() const override { return std::make_unique<TypedBulkFolder<P>>(); }
};

}  // namespace mledger
