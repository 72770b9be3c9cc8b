#pragma once
// The stored form of read-model documents: a compact binary encoding of any
// field-reflected struct (domain/core/fields.h) or field value.
//
// A document is one format byte (kDocumentFormat) and then the value:
//   bool              one byte, 0 or 1
//   uint32, uint64    LEB128 varint
//   int64, Instant    zigzag LEB128 varint (Instant: its microseconds)
//   enum              the enumerant's index, varint (checked against its names)
//   string            varint length, then the bytes
//   optional          0 (absent) or 1 followed by the value
//   vector, set       varint count, then the elements
//   map<string, T>    varint count, then (key, value) pairs in key order
//   reflected struct  its fields in declaration order, without names
// Equal values give equal bytes. Adding, removing or reordering a field
// changes the layout: the projection's kVersion goes up with it, so stored
// generations are rebuilt rather than misread.
//
// decode_document() trusts nothing: a wrong format byte, a truncated or
// overlong value, a count larger than the bytes left, an enum index or bool
// out of range, or trailing bytes is a corruption error naming the field's
// dotted path. It never throws and never allocates more than the input can
// describe, so it can be fuzzed directly.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>

#include "domain/core/fields.h"
#include "domain/core/status.h"
#include "domain/core/time.h"

namespace mledger::document {

inline constexpr uint8_t kDocumentFormat = 1;


// ---------------------------------------------------------------------------
// Encoding.

inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline void put_signed(std::string& out, int64_t v) {
  put_varint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
inline void put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

template <class T, class Skip>
void put_fields(std::string& out, const T& value, const Skip& skip);

template <class M>
void put_value(std::string& out, const M& v) {
  if constexpr (is_optional<M>::value) {
    out.push_back(v ? 1 : 0);
    if (v) put_value(out, *v);
  } else if constexpr (std::is_same_v<M, std::string>) {
    put_text(out, v);
  } else if constexpr (std::is_same_v<M, bool>) {
    out.push_back(v ? 1 : 0);
  } else if constexpr (std::is_same_v<M, uint32_t> || std::is_same_v<M, uint64_t>) {
    put_varint(out, v);
  } else if constexpr (std::is_same_v<M, int64_t>) {
    put_signed(out, v);
  } else if constexpr (std::is_same_v<M, Instant>) {
    put_signed(out, v.micros_since_epoch);
  } else if constexpr (std::is_enum_v<M>) {
    put_varint(out, static_cast<uint64_t>(v));
  } else if constexpr (has_fields_v<M>) {
    put_fields(out, v, [](std::string_view) { return false; });
  } else if constexpr (is_vector<M>::value || is_string_set<M>::value) {
    put_varint(out, v.size());
    for (const auto& e : v) put_value(out, e);
  } else if constexpr (is_string_map<M>::value) {
    put_varint(out, v.size());
    for (const auto& [k, e] : v) {
      put_text(out, k);
      put_value(out, e);
    }
  } else {
    static_assert(dependent_false<M>, "a field type without a binary form");
  }
}

// The fields of `value` whose names `skip` does not select.
template <class T, class Skip>
void put_fields(std::string& out, const T& value, const Skip& skip) {
  T::for_each_field(value, [&](const char* name, const auto& member) {
    if (!skip(std::string_view(name))) put_value(out, member);
  });
}

// The document form of any value (format byte, then the value).
template <class M>
std::string encode_document(const M& value) {
  std::string out(1, static_cast<char>(kDocumentFormat));
  put_value(out, value);
  return out;
}

// The document form of a struct without the fields `skip` selects.
template <class T, class Skip>
std::string encode_fields(const T& value, const Skip& skip) {
  std::string out(1, static_cast<char>(kDocumentFormat));
  put_fields(out, value, skip);
  return out;
}

// ---------------------------------------------------------------------------
// Decoding.

class Reader {
 public:
  explicit Reader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  size_t left() const { return static_cast<size_t>(end_ - p_); }

  bool varint(uint64_t* v) {
    uint64_t out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return fail("ends inside a number");
      const auto b = static_cast<uint8_t>(*p_++);
      if (shift == 63 && b > 1) return fail("holds a number longer than 64 bits");
      out |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        *v = out;
        return true;
      }
    }
    return fail("holds a number longer than 64 bits");
  }
  bool byte(uint8_t* v) {
    if (p_ == end_) return fail("ends early");
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool text(std::string* s) {
    uint64_t n = 0;
    if (!varint(&n)) return false;
    if (n > left()) return fail("holds a string longer than the document");
    s->assign(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  // A count of elements, each at least one byte.
  bool count(uint64_t* n) {
    if (!varint(n)) return false;
    if (*n > left()) return fail("holds a count larger than the document");
    return true;
  }

  bool fail(std::string problem) {
    problem_ = std::move(problem);
    return false;
  }
  // Prepends one step of the failing field's path ("users", "[2]", ...).
  bool within(std::string_view step) {
    path_ = path_.empty() ? std::string(step)
            : path_[0] == '[' ? std::string(step) + path_
                              : std::string(step) + "." + path_;
    return false;
  }
  Status error() const {
    return Status(StatusCode::corruption,
                  "stored document " + (path_.empty() ? std::string() : "field '" + path_ + "' ") +
                      problem_);
  }

 private:
  const char* p_;
  const char* end_;
  std::string problem_;
  std::string path_;
};

template <class T, class Skip>
bool get_fields(Reader& r, T& value, const Skip& skip);

template <class M>
bool get_value(Reader& r, M& v) {
  if constexpr (is_optional<M>::value) {
    uint8_t present = 0;
    if (!r.byte(&present)) return false;
    if (present > 1) return r.fail("marks an optional value with a byte other than 0 or 1");
    if (present == 0) {
      v.reset();
      return true;
    }
    return get_value(r, v.emplace());
  } else if constexpr (std::is_same_v<M, std::string>) {
    return r.text(&v);
  } else if constexpr (std::is_same_v<M, bool>) {
    uint8_t b = 0;
    if (!r.byte(&b)) return false;
    if (b > 1) return r.fail("holds a boolean other than 0 or 1");
    v = b == 1;
    return true;
  } else if constexpr (std::is_same_v<M, uint32_t>) {
    uint64_t n = 0;
    if (!r.varint(&n)) return false;
    if (n > UINT32_MAX) return r.fail("holds a number larger than 32 bits");
    v = static_cast<uint32_t>(n);
    return true;
  } else if constexpr (std::is_same_v<M, uint64_t>) {
    return r.varint(&v);
  } else if constexpr (std::is_same_v<M, int64_t> || std::is_same_v<M, Instant>) {
    uint64_t z = 0;
    if (!r.varint(&z)) return false;
    const auto s = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
    if constexpr (std::is_same_v<M, Instant>) {
      v.micros_since_epoch = s;
    } else {
      v = s;
    }
    return true;
  } else if constexpr (std::is_enum_v<M>) {
    uint64_t i = 0;
    if (!r.varint(&i)) return false;
    if (i >= enum_names(M{}).size()) return r.fail("holds an enum value out of range");
    v = static_cast<M>(i);
    return true;
  } else if constexpr (has_fields_v<M>) {
    return get_fields(r, v, [](std::string_view) { return false; });
  } else if constexpr (is_vector<M>::value || is_string_set<M>::value || is_string_map<M>::value) {
    uint64_t n = 0;
    if (!r.count(&n)) return false;
    v.clear();
    for (uint64_t i = 0; i < n; ++i) {
      if constexpr (is_vector<M>::value) {
        if (!get_value(r, v.emplace_back())) return r.within("[" + std::to_string(i) + "]");
      } else if constexpr (is_string_set<M>::value) {
        std::string e;
        if (!r.text(&e)) return r.within("[" + std::to_string(i) + "]");
        if (!v.insert(std::move(e)).second) return r.fail("repeats an element of a set");
      } else {
        std::string k;
        if (!r.text(&k)) return r.within("[" + std::to_string(i) + "]");
        auto [it, fresh] = v.try_emplace(std::move(k));
        if (!fresh) return r.fail("repeats a key of a map");
        if (!get_value(r, it->second)) return r.within(it->first);
      }
    }
    return true;
  } else {
    static_assert(dependent_false<M>, "a field type without a binary form");
  }
}

template <class T, class Skip>
bool get_fields(Reader& r, T& value, const Skip& skip) {
  bool ok = true;
  T::for_each_field(value, [&](const char* name, auto& member) {
    if (!ok || skip(std::string_view(name))) return;
    if (!get_value(r, member)) ok = r.within(name);
  });
  return ok;
}

inline bool open_document(Reader& r) {
  uint8_t format = 0;
  if (!r.byte(&format)) return r.fail("is empty");
  if (format != kDocumentFormat) {
    return r.fail("has format " + std::to_string(format) + ", not " + std::to_string(kDocumentFormat) +
                  " (written by another build; rebuild the projections)");
  }
  return true;
}

// Decodes a document written by encode_document<M>().
template <class M>
Status decode_document(std::string_view bytes, M& out) {
  Reader r(bytes);
  if (!open_document(r) || !get_value(r, out)) return r.error();
  if (r.left() != 0) return Status(StatusCode::corruption, "stored document has trailing bytes");
  return Status::Ok();
}

// Decodes a document written by encode_fields() with the same `skip`; the
// skipped fields of `out` are left as they are.
template <class T, class Skip>
Status decode_fields(std::string_view bytes, T& out, const Skip& skip) {
  Reader r(bytes);
  if (!open_document(r) || !get_fields(r, out, skip)) return r.error();
  if (r.left() != 0) return Status(StatusCode::corruption, "stored document has trailing bytes");
  return Status::Ok();
}

}  // namespace mledger::document
