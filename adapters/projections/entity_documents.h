#pragma once
// Where a projection's entity documents (projections/entities.h) live in a
// generation, and how an account's document is taken apart into them and put
// back together.
//
// Keys (account ids never hold a NUL byte: they are stream names' tails):
//   <account> NUL                             the header: the Doc's plain fields
//   <account> NUL <kind> NUL <id>             one entity of a kind
//   <account> NUL archived.<kind> NUL <id>    an entity retired from the present
// So an account's documents are one contiguous range, each kind of its
// entities one sub-range in id order (paging is a range scan), and its
// archive stays out of the ranges a fold loads. Values are binary documents
// (adapters/projections/binary_document.h): the header without its entity
// fields, an entity as its element type (a set's element: no value).

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "adapters/projections/binary_document.h"
#include "adapters/projections/projection_store.h"
#include "projections/entities.h"

namespace mledger::entity {

// A projection's entity kinds (none for a projection stored whole).
template <class P>
constexpr auto kinds_of() {
  if constexpr (requires { P::kEntityKinds; }) {
    return P::kEntityKinds;
  } else {
    return std::array<std::string_view, 0>{};
  }
}

template <class P>
bool is_kind(std::string_view name) {
  constexpr auto kinds = kinds_of<P>();
  return std::find(kinds.begin(), kinds.end(), name) != kinds.end();
}

inline std::string header_key(std::string_view account) {
  std::string k(account);
  k.push_back('\0');
  return k;
}
inline std::string kind_prefix(std::string_view account, std::string_view kind) {
  std::string k = header_key(account);
  k.append(kind);
  k.push_back('\0');
  return k;
}
inline std::string entity_key(std::string_view account, std::string_view kind, std::string_view id) {
  return kind_prefix(account, kind).append(id);
}
inline std::string archive_key(std::string_view account, std::string_view kind, std::string_view id) {
  return kind_prefix(account, "archived." + std::string(kind)).append(id);
}

// An account id a key can hold.
inline Status check_account_id(std::string_view account) {
  if (account.empty() || account.find('\0') != std::string_view::npos) {
    return Status(StatusCode::invalid_argument, "an account id must be non-empty and hold no NUL byte");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// One collection field, as entities.

template <class M>
struct is_collection : std::false_type {};
template <class T>
struct is_collection<std::map<std::string, T>> : std::true_type {};
template <class T, class A>
struct is_collection<std::vector<T, A>> : std::true_type {};
template <>
struct is_collection<std::set<std::string>> : std::true_type {};

// Calls fn(id, encoded value) for each element of the collection, in id order.
template <class M, class F>
void for_each_entity(const M& c, F&& fn) {
  if constexpr (is_string_map<M>::value) {
    for (const auto& [id, v] : c) fn(id, document::encode_document(v));
  } else if constexpr (is_string_set<M>::value) {
    for (const auto& id : c) fn(id, std::string(1, static_cast<char>(document::kDocumentFormat)));
  } else {
    for (size_t i = 0; i < c.size(); ++i) fn(projections::position_id(i), document::encode_document(c[i]));
  }
}

// The encoded element named `id`, or nullopt.
template <class M>
std::optional<std::string> encoded_entity(const M& c, const std::string& id) {
  if constexpr (is_string_map<M>::value) {
    auto it = c.find(id);
    if (it == c.end()) return std::nullopt;
    return document::encode_document(it->second);
  } else if constexpr (is_string_set<M>::value) {
    if (!c.contains(id)) return std::nullopt;
    return std::string(1, static_cast<char>(document::kDocumentFormat));
  } else {
    for (size_t i = 0; i < c.size(); ++i) {
      if (projections::position_id(i) == id) return document::encode_document(c[i]);
    }
    return std::nullopt;
  }
}

// Adds the stored element `id` (read in id order) to the collection.
template <class M>
Status put_entity(M& c, std::string_view id, std::string_view bytes) {
  if constexpr (is_string_map<M>::value) {
    return document::decode_document(bytes, c[std::string(id)]);
  } else if constexpr (is_string_set<M>::value) {
    if (bytes.size() != 1 || static_cast<uint8_t>(bytes[0]) != document::kDocumentFormat) {
      return Status(StatusCode::corruption, "stored set element is not an empty document");
    }
    c.insert(std::string(id));
    return Status::Ok();
  } else {
    if (projections::position_id(c.size()) != id) {
      return Status(StatusCode::corruption, "stored element " + std::string(id) + " is not at position " +
                                                projections::position_id(c.size()));
    }
    return document::decode_document(bytes, c.emplace_back());
  }
}

// Calls fn(collection) with the Doc's collection field named `kind`; false
// when there is none.
template <class Doc, class F>
bool with_kind(Doc& doc, std::string_view kind, F&& fn) {
  bool found = false;
  Doc::for_each_field(doc, [&](const char* name, auto& member) {
    using M = std::decay_t<decltype(member)>;
    if constexpr (is_collection<M>::value) {
      if (!found && kind == name) {
        found = true;
        fn(member);
      }
    }
  });
  return found;
}

// ---------------------------------------------------------------------------
// Reading an account's documents out of a generation.

template <class P>
std::string encode_header(const typename P::Doc& doc) {
  return document::encode_fields(doc, [](std::string_view n) { return is_kind<P>(n); });
}

template <class P>
Status decode_header(std::string_view bytes, typename P::Doc& doc) {
  return document::decode_fields(bytes, doc, [](std::string_view n) { return is_kind<P>(n); });
}

// Calls fn(id, value) for the entities of `kind` of the account in id order,
// from the first id after `after` (all: empty), until fn returns false.
template <class F>
Status scan_kind(ProjectionStore& store, uint64_t generation, std::string_view account,
                 std::string_view kind, std::string_view after, F&& fn) {
  const std::string prefix = kind_prefix(account, kind);
  std::string from = prefix;
  if (!after.empty()) from.append(after).push_back('\0');  // the least key after it
  return store.scan(generation, from, [&](std::string_view key, std::string_view value) {
    if (!key.starts_with(prefix)) return false;
    return fn(key.substr(prefix.size()), value);
  });
}

// Loads the entities of `kind` into the Doc's collection; adds their stored
// size to *bytes.
template <class Doc>
Status load_kind(ProjectionStore& store, uint64_t generation, std::string_view account,
                 std::string_view kind, Doc& doc, size_t* bytes) {
  Status status;
  const bool known = with_kind(doc, kind, [&](auto& collection) {
    Status s = scan_kind(store, generation, account, kind, "", [&](std::string_view id, std::string_view v) {
      *bytes += id.size() + v.size();
      status = put_entity(collection, id, v);
      if (!status.ok()) {
        status = Status(StatusCode::corruption, std::string(kind) + " " + std::string(id) + ": " + status.message());
      }
      return status.ok();
    });
    if (status.ok()) status = s;
  });
  if (!known) return Status(StatusCode::invalid_argument, "no entity kind " + std::string(kind));
  return status;
}

// The account's document as stored (header and the entities of `kinds`, by
// default all of them; other collections stay empty), or nullopt when the
// generation holds no document of the account.
template <class P>
StatusOr<std::optional<typename P::Doc>> load_account(ProjectionStore& store, uint64_t generation,
                                                      const std::string& account,
                                                      std::span<const std::string_view> kinds = kinds_of<P>(),
                                                      size_t* bytes_out = nullptr) {
  if (Status s = check_account_id(account); !s.ok()) return Err{s};
  auto header = store.get(generation, header_key(account));
  if (!header.ok()) return Err{header.error()};
  if (!header->has_value()) return std::optional<typename P::Doc>();
  const auto name = [&](const std::string& what) {
    return std::string(P::kName) + " document of " + account + ": " + what;
  };
  typename P::Doc doc{};
  if (Status s = decode_header<P>(**header, doc); !s.ok()) return fail(StatusCode::corruption, name(s.message()));
  size_t bytes = (*header)->size();
  for (std::string_view kind : kinds) {
    if (Status s = load_kind(store, generation, account, kind, doc, &bytes); !s.ok()) {
      return Err{Status(s.code(), name(s.message()))};
    }
  }
  if (bytes_out != nullptr) *bytes_out = bytes;
  return std::optional<typename P::Doc>(std::move(doc));
}

}  // namespace mledger::entity
