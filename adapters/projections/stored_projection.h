#pragma once
// A projection of projections/ (a pure fold, see projections/projection.h)
// made storable: its documents as JSON bytes (the generic form of
// adapters/json/fields_json.h, keys sorted, so equal documents are equal
// bytes), and a Folder that folds events into one generation through a
// write-back cache of documents.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/json/fields_json.h"
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
};

class StoredProjection {
 public:
  virtual ~StoredProjection() = default;
  virtual std::string_view name() const = 0;
  virtual uint32_t version() const = 0;
  [[nodiscard]] virtual std::unique_ptr<Folder> folder(ProjectionStore& store,
                                                       uint64_t generation) const = 0;
};

// The stored bytes of a document, and back. decode fails with corruption.
template <class Doc>
std::string encode_document(const Doc& doc) {
  return json::object_json(doc).dump();
}

template <class Doc>
StatusOr<Doc> decode_document(std::string_view bytes) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded()) return fail(StatusCode::corruption, "a stored document is not JSON");
  Doc doc{};
  if (Status s = json::read_object(j, "", doc); !s.ok()) {
    return fail(StatusCode::corruption, "a stored document does not decode: " + s.message());
  }
  return doc;
}

template <class P>
class TypedFolder final : public Folder {
 public:
  TypedFolder(ProjectionStore& store, uint64_t generation) : store_(store), generation_(generation) {}

  Status apply(const RecordedEvent& event) override {
    ids_.clear();
    P::documents_of(event, ids_);
    for (size_t i = 0; i < ids_.size(); ++i) {
      const std::string& id = ids_[i];
      bool repeated = false;
      for (size_t j = 0; j < i; ++j) repeated = repeated || ids_[j] == id;
      if (repeated) continue;
      auto it = cache_.find(id);
      if (it == cache_.end()) {
        auto stored = store_.get(generation_, id);
        if (!stored.ok()) return stored.error();
        Entry entry;
        if (stored->has_value()) {
          entry.bytes = (*stored)->size();
          auto doc = decode_document<typename P::Doc>(**stored);
          if (!doc.ok()) {
            return Status(StatusCode::corruption, std::string(P::kName) + " document of " + id + ": " +
                                                      doc.error().message());
          }
          entry.doc = std::move(doc.value());
        }
        cached_bytes_ += entry.bytes;
        it = cache_.emplace(id, std::move(entry)).first;
      }
      P::apply(it->second.doc, id, event);
      if (!it->second.dirty) {
        it->second.dirty = true;
        dirty_.push_back(id);
        dirty_bytes_ += it->second.bytes;
      }
      dirty_bytes_ += kBytesPerEvent;  // what an event may add, until measured at the next write
    }
    return Status::Ok();
  }

  void take_writes(std::vector<DocumentWrite>& out) override {
    for (const std::string& id : dirty_) {
      Entry& e = cache_.at(id);
      out.push_back(DocumentWrite{generation_, id, encode_document(e.doc)});
      cached_bytes_ += out.back().value.size();
      cached_bytes_ -= std::min(cached_bytes_, e.bytes);
      e.bytes = out.back().value.size();
      e.dirty = false;
    }
    dirty_.clear();
    dirty_bytes_ = 0;
  }

  size_t dirty_bytes() const override { return dirty_bytes_; }

  void trim(size_t bytes_max) override {
    for (auto it = cache_.begin(); it != cache_.end() && cached_bytes_ > bytes_max;) {
      if (it->second.dirty) {
        ++it;
        continue;
      }
      cached_bytes_ -= std::min(cached_bytes_, it->second.bytes);
      it = cache_.erase(it);
    }
  }

 private:
  struct Entry {
    typename P::Doc doc{};
    bool dirty = false;
    size_t bytes = kNewDocumentBytes;  // stored size, as last written or read
  };
  static constexpr size_t kNewDocumentBytes = 512;
  static constexpr size_t kBytesPerEvent = 128;
  ProjectionStore& store_;
  uint64_t generation_;
  std::unordered_map<std::string, Entry> cache_;
  std::vector<std::string> dirty_;
  size_t dirty_bytes_ = 0;
  size_t cached_bytes_ = 0;  // of clean and dirty documents, as last stored
  std::vector<std::string> ids_;
};

template <class P>
class TypedProjection final : public StoredProjection {
 public:
  std::string_view name() const override { return P::kName; }
  uint32_t version() const override { return P::kVersion; }
  std::unique_ptr<Folder> folder(ProjectionStore& store, uint64_t generation) const override {
    return std::make_unique<TypedFolder<P>>(store, generation);
  }
};

}  // namespace mledger
