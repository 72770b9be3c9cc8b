#pragma once
// Generic mapping between reflected domain structs (domain/core/fields.h) and
// their wire structs in mledger.capnp, at offsets resolved from the schema
// once. Internal to adapters/capnp (payload_codec.cc and its tests).
//
// Naming, the contract with the schema:
//   wire field      lowerCamelCase of the domain field, plus "Micros" for an
//                   Instant (`anniversary` -> `anniversaryMicros`)
//   wire enumerant  lowerCamelCase of the domain enumerant, a trailing '_'
//                   dropped (`operator_` -> `operator`); same order
//   std::optional<std::string> x   Text `x`, empty meaning absent
//   std::optional<T> x (any other) field `x` plus Bool `hasX`
//
// Every domain struct type's wire fields are resolved once, on first use, into
// a WireTable (a function-local static): each field's offset in its struct's
// data section or its index in the pointer section, taken from the schema.
// Encoding and decoding then read and write those places directly through
// capnp::AnyStruct (the bounds-checked layer the generated accessors use), with
// no schema lookup and no dynamic dispatch: a field past the end of an older,
// shorter struct reads as its default, as the generated code reads it.
// Resolving checks that every domain field has a wire field of a compatible
// type (recursively, nested structs and list elements included) and no
// explicit default, and asserts otherwise, naming the type and the field: a
// mismatch is a bug of this build, never a property of the data.

#include <capnp/any.h>
#include <capnp/schema.h>
#include <kj/debug.h>

#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/status.h"
#include "domain/core/time.h"

namespace mledger::codec {

static_assert(std::endian::native == std::endian::little,
              "Cap'n Proto's data sections are little-endian; this codec reads them in place");

// The string of a Text read from outside this process. Cap'n Proto Text
// cannot hold a NUL byte (the encoder refuses one: first_text_with_nul()), so
// one is damage: thrown as a kj::Exception, which every decoder's caller turns
// into `corruption` as it does Cap'n Proto's own checks. Every Text the
// codecs read goes through here.
inline std::string str(capnp::Text::Reader t) {
  KJ_REQUIRE(std::memchr(t.cStr(), '\0', t.size()) == nullptr, "a text field holds a NUL byte");
  return std::string(t.cStr(), t.size());
}

// The first text of `value` (a string, an optional, a vector or a reflected
// struct, recursively) that holds a NUL byte, as a path of field names into
// `path` ("address.city"); false when there is none. What the encoder checks
// before it writes, paired with str() when reading.
template <class M>
bool first_text_with_nul(const M& value, std::vector<std::string_view>& path) {
  if constexpr (std::is_same_v<M, std::string>) {
    return value.find('\0') != std::string::npos;
  } else if constexpr (is_optional<M>::value) {
    return value && first_text_with_nul(*value, path);
  } else if constexpr (is_vector<M>::value) {
    for (const auto& element : value) {
      if (first_text_with_nul(element, path)) return true;
    }
    return false;
  } else if constexpr (has_fields_v<M>) {
    bool found = false;
    M::for_each_field(value, [&](const char* name, const auto& member) {
      if (found) return;
      path.push_back(name);
      found = first_text_with_nul(member, path);
      if (!found) path.pop_back();
    });
    return found;
  } else {
    return false;
  }
}

// "card_last4" -> "cardLast4", "operator_" -> "operator"; `micros` appends "Micros".
std::string wire_name(std::string_view snake, bool micros = false);

// Reports a domain/schema mismatch on stderr and aborts.
[[noreturn]] void schema_mismatch(std::string_view wire_type, std::string_view field,
                                  std::string_view problem);

namespace detail {

using mledger::dependent_false;
using mledger::is_vector;

// T, or the T of std::optional<T>.
template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};

// T, or the element type of std::vector<T>.
template <class T>
struct unwrap_vector {
  using type = T;
};
template <class T, class A>
struct unwrap_vector<std::vector<T, A>> {
  using type = T;
};

// One domain field's place in its wire struct, as the schema gives it.
struct Slot {
  std::string name;            // the wire field's name, for messages
  uint32_t offset = 0;         // data: in units of the field's size (bits for a
                               // Bool); pointers: the index in the pointer section
  uint32_t has_offset = 0;     // std::optional<non-text>: bit offset of `hasX`
  capnp::StructSchema nested;  // structs and lists of structs: the wire struct
};

}  // namespace detail

template <class T>
struct WireTable {
  capnp::StructSchema schema;
  std::string type_name;            // the wire struct's name, for messages
  uint16_t data_words = 0;          // the wire struct's size, for encoding
  uint16_t pointers = 0;
  std::vector<detail::Slot> slots;  // in for_each_field order
};

template <class T>
const WireTable<T>& wire_table(capnp::StructSchema schema);

namespace detail {

inline std::string type_problem(capnp::Type t, std::string_view wanted) {
  return "has wire type #" + std::to_string(static_cast<int>(t.which())) + ", the domain needs " +
         std::string(wanted);
}

inline std::string_view enumerant_name(capnp::EnumSchema::Enumerant e) {
  auto n = e.getProto().getName();
  return {n.cStr(), n.size()};
}

template <class E>
void check_enumerants(capnp::EnumSchema wire_enum, const std::string& type_name,
                      const std::string& field) {
  auto domain = enum_names(E{});
  auto wire = wire_enum.getEnumerants();
  if (wire.size() < domain.size()) {
    schema_mismatch(type_name, field,
                    "enum " + std::string(wire_enum.getShortDisplayName().cStr()) +
                        " has fewer enumerants than the domain's");
  }
  for (unsigned i = 0; i < domain.size(); ++i) {
    if (enumerant_name(wire[i]) != wire_name(domain[i])) {
      schema_mismatch(type_name, field,
                      "enumerant " + std::to_string(i) + " is '" +
                          std::string(enumerant_name(wire[i])) + "', the domain's is '" +
                          std::string(domain[i]) + "'");
    }
  }
}

// Checks that wire type `t` can hold the domain type M (M is never an optional
// here), filling what the slot needs to know about it.
template <class M>
void check_type(capnp::Type t, const std::string& type_name, const std::string& field, Slot& slot) {
  using capnp::schema::Type;
  auto need = [&](Type::Which which, std::string_view wanted) {
    if (t.which() != which) schema_mismatch(type_name, field, type_problem(t, wanted));
  };
  if constexpr (std::is_same_v<M, std::string>) {
    need(Type::TEXT, "Text");
  } else if constexpr (std::is_same_v<M, bool>) {
    need(Type::BOOL, "Bool");
  } else if constexpr (std::is_same_v<M, uint32_t>) {
    need(Type::UINT32, "UInt32");
  } else if constexpr (std::is_same_v<M, int64_t> || std::is_same_v<M, Instant>) {
    need(Type::INT64, "Int64");
  } else if constexpr (std::is_enum_v<M>) {
    need(Type::ENUM, "an enum");
    check_enumerants<M>(t.asEnum(), type_name, field);
  } else if constexpr (has_fields_v<M>) {
    need(Type::STRUCT, "a struct");
    const capnp::StructSchema s = t.asStruct();
    if (wire_table<M>(s).schema != s) {
      schema_mismatch(type_name, field,
                      "is " + std::string(s.getShortDisplayName().cStr()) +
                          ", but the domain type already maps to " + wire_table<M>(s).type_name);
    }
    slot.nested = s;
  } else if constexpr (is_vector<M>::value) {
    need(Type::LIST, "a List");
    using E = typename M::value_type;
    static_assert(!is_vector<E>::value && !is_optional<E>::value, "no lists of lists or optionals");
    check_type<E>(t.asList().getElementType(), type_name, field + "[]", slot);
  } else {
    static_assert(dependent_false<M>, "a domain field type without a wire mapping");
  }
}

inline capnp::StructSchema::Field find_field(capnp::StructSchema schema, const std::string& type_name,
                                             const std::string& wire, std::string_view missing) {
  KJ_IF_MAYBE (f, schema.findFieldByName(wire)) {
    const auto proto = f->getProto();
    if (proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
      schema_mismatch(type_name, wire, "is a union member");
    }
    if (!proto.isSlot()) schema_mismatch(type_name, wire, "is a group");
    // Data fields are read raw (no XOR with a default); pointers as null.
    if (proto.getSlot().getHadExplicitDefault()) {
      schema_mismatch(type_name, wire, "has an explicit default (the codec reads raw values)");
    }
    return *f;
  }
  schema_mismatch(type_name, wire, missing);
}

template <class T>
WireTable<T> build_table(capnp::StructSchema schema) {
  WireTable<T> table;
  table.schema = schema;
  table.type_name = schema.getShortDisplayName().cStr();
  const auto node = schema.getProto().getStruct();
  table.data_words = node.getDataWordCount();
  table.pointers = node.getPointerCount();
  T probe{};
  T::for_each_field(probe, [&](const char* name, auto& member) {
    using M = std::decay_t<decltype(member)>;
    using V = typename unwrap_optional<M>::type;
    Slot slot;
    slot.name = wire_name(name, std::is_same_v<V, Instant>);
    const auto field = find_field(schema, table.type_name, slot.name,
                                  "is missing (domain field '" + std::string(name) + "')");
    slot.offset = field.getProto().getSlot().getOffset();
    check_type<V>(field.getType(), table.type_name, slot.name, slot);
    if constexpr (is_optional<M>::value && !std::is_same_v<V, std::string>) {
      std::string has = "has" + slot.name;
      has[3] = static_cast<char>(std::toupper(static_cast<unsigned char>(has[3])));
      const auto has_field = find_field(schema, table.type_name, has,
                                        "is missing (presence of optional '" + slot.name + "')");
      if (has_field.getType().which() != capnp::schema::Type::BOOL) {
        schema_mismatch(table.type_name, has, "must be a Bool");
      }
      slot.has_offset = has_field.getProto().getSlot().getOffset();
    }
    table.slots.push_back(std::move(slot));
  });
  return table;
}

// The wire representation of a data field of domain type M.
template <class M>
using Raw = std::conditional_t<std::is_enum_v<M>, uint16_t,
                               std::conditional_t<std::is_same_v<M, Instant>, int64_t, M>>;

// Data field `offset` (in units of its size) of a data section; the default
// (zero) past its end, as in a struct written by an older schema.
template <class R>
R load(kj::ArrayPtr<const kj::byte> data, uint32_t offset) {
  if constexpr (std::is_same_v<R, bool>) {
    const size_t byte = offset / 8;
    return byte < data.size() && ((data[byte] >> (offset % 8)) & 1) != 0;
  } else {
    const size_t at = size_t{offset} * sizeof(R);
    R value{};
    if (at + sizeof(R) <= data.size()) std::memcpy(&value, data.begin() + at, sizeof(R));
    return value;
  }
}

// The builder's data section always holds the schema's fields.
template <class R>
void store(kj::ArrayPtr<kj::byte> data, uint32_t offset, R value) {
  if constexpr (std::is_same_v<R, bool>) {
    KJ_IREQUIRE(offset / 8 < data.size());
    const auto bit = static_cast<kj::byte>(1u << (offset % 8));
    data[offset / 8] = static_cast<kj::byte>(value ? (data[offset / 8] | bit) : (data[offset / 8] & ~bit));
  } else {
    KJ_IREQUIRE(size_t{offset} * sizeof(R) + sizeof(R) <= data.size());
    std::memcpy(data.begin() + size_t{offset} * sizeof(R), &value, sizeof(R));
  }
}

// Pointer `index` of a struct; null past the end of an older, shorter struct.
inline capnp::AnyPointer::Reader pointer_at(capnp::AnyStruct::Reader r, uint32_t index) {
  auto pointers = r.getPointerSection();
  return index < pointers.size() ? pointers[index] : capnp::AnyPointer::Reader();
}

}  // namespace detail

// The table of T, built from `schema` on first use (thread-safe). Every later
// call must pass the same schema (each domain type has one wire type); the
// build of a parent's table checks that for its nested types.
template <class T>
const WireTable<T>& wire_table(capnp::StructSchema schema) {
  static const WireTable<T> table = detail::build_table<T>(schema);
  return table;
}

// ---------------------------------------------------------------------------
// Encoding, into a struct built with the table's size (data_words, pointers).

template <class T>
void write_struct(const WireTable<T>& table, capnp::AnyStruct::Builder b, const T& value);

namespace detail {

inline capnp::Text::Reader text(const std::string& s) { return {s.data(), s.size()}; }

template <class M>
void write_list(capnp::AnyPointer::Builder p, const Slot& slot, const M& v) {
  using E = typename M::value_type;
  const auto n = static_cast<unsigned>(v.size());
  if constexpr (std::is_same_v<E, std::string>) {
    auto list = p.initAs<capnp::List<capnp::Text>>(n);
    for (unsigned i = 0; i < n; ++i) list.set(i, text(v[i]));
  } else if constexpr (has_fields_v<E>) {
    const WireTable<E>& table = wire_table<E>(slot.nested);
    auto list = p.initAsListOfAnyStruct(table.data_words, table.pointers, n);
    for (unsigned i = 0; i < n; ++i) write_struct(table, list[i], v[i]);
  } else {
    auto list = p.initAs<capnp::List<Raw<E>>>(n);
    for (unsigned i = 0; i < n; ++i) list.set(i, static_cast<Raw<E>>(v[i]));
  }
}

template <class M>
void write_value(capnp::AnyStruct::Builder b, const Slot& slot, const M& v) {
  if constexpr (is_optional<M>::value) {
    if constexpr (std::is_same_v<typename M::value_type, std::string>) {
      if (v) write_value(b, slot, *v);
    } else {
      store<bool>(b.getDataSection(), slot.has_offset, v.has_value());
      if (v) write_value(b, slot, *v);
    }
  } else if constexpr (std::is_same_v<M, std::string>) {
    b.getPointerSection()[slot.offset].setAs<capnp::Text>(text(v));
  } else if constexpr (std::is_same_v<M, Instant>) {
    store<int64_t>(b.getDataSection(), slot.offset, v.micros_since_epoch);
  } else if constexpr (has_fields_v<M>) {
    const WireTable<M>& table = wire_table<M>(slot.nested);
    write_struct(table, b.getPointerSection()[slot.offset].initAsAnyStruct(table.data_words, table.pointers), v);
  } else if constexpr (is_vector<M>::value) {
    write_list(b.getPointerSection()[slot.offset], slot, v);
  } else {
    store<Raw<M>>(b.getDataSection(), slot.offset, static_cast<Raw<M>>(v));
  }
}

}  // namespace detail

template <class T>
void write_struct(const WireTable<T>& table, capnp::AnyStruct::Builder b, const T& value) {
  size_t i = 0;
  T::for_each_field(value, [&](const char*, const auto& member) {
    detail::write_value(b, table.slots[i++], member);
  });
}

// ---------------------------------------------------------------------------
// Decoding: `corruption` for values this build does not know (enumerants of a
// newer writer). Cap'n Proto may throw kj::Exception on malformed bytes; the
// caller catches it.

template <class T>
[[nodiscard]] Status read_struct(const WireTable<T>& table, capnp::AnyStruct::Reader r, T& out);

namespace detail {

template <class E>
Status read_enum(uint16_t raw, const std::string& type_name, const Slot& slot, E& out) {
  if (raw >= enum_names(E{}).size()) {
    return Status(StatusCode::corruption, type_name + "." + slot.name + ": enumerant " +
                                              std::to_string(raw) +
                                              " is not known to this build of mledger");
  }
  out = static_cast<E>(raw);
  return Status::Ok();
}

template <class E, class R>
Status read_scalar(R raw, const std::string& type_name, const Slot& slot, E& out) {
  if constexpr (std::is_enum_v<E>) {
    return read_enum(raw, type_name, slot, out);
  } else if constexpr (std::is_same_v<E, Instant>) {
    out.micros_since_epoch = raw;
  } else {
    out = raw;
  }
  return Status::Ok();
}

template <class M>
Status read_list(capnp::AnyPointer::Reader p, const std::string& type_name, const Slot& slot,
                 M& out) {
  using E = typename M::value_type;
  out.clear();
  if constexpr (std::is_same_v<E, std::string>) {
    auto list = p.getAs<capnp::List<capnp::Text>>();
    out.reserve(list.size());
    for (auto t : list) out.push_back(str(t));
  } else if constexpr (has_fields_v<E>) {
    const WireTable<E>& table = wire_table<E>(slot.nested);
    auto list = p.getAs<capnp::AnyList>().as<capnp::List<capnp::AnyStruct>>();
    out.resize(list.size());
    for (unsigned i = 0; i < list.size(); ++i) {
      if (Status s = read_struct(table, list[i], out[i]); !s.ok()) return s;
    }
  } else {
    auto list = p.getAs<capnp::List<Raw<E>>>();
    out.resize(list.size());
    for (unsigned i = 0; i < list.size(); ++i) {
      if (Status s = read_scalar(list[i], type_name, slot, out[i]); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

template <class M>
Status read_value(capnp::AnyStruct::Reader r, const std::string& type_name, const Slot& slot,
                  M& out) {
  if constexpr (is_optional<M>::value) {
    using V = typename M::value_type;
    if constexpr (std::is_same_v<V, std::string>) {
      auto t = pointer_at(r, slot.offset).getAs<capnp::Text>();
      if (t.size() == 0) {
        out.reset();
      } else {
        out.emplace(str(t));
      }
    } else if (load<bool>(r.getDataSection(), slot.has_offset)) {
      V v{};
      if (Status s = read_value(r, type_name, slot, v); !s.ok()) return s;
      out = std::move(v);
    } else {
      out.reset();
    }
    return Status::Ok();
  } else if constexpr (std::is_same_v<M, std::string>) {
    out = str(pointer_at(r, slot.offset).getAs<capnp::Text>());
    return Status::Ok();
  } else if constexpr (has_fields_v<M>) {
    return read_struct(wire_table<M>(slot.nested), pointer_at(r, slot.offset).getAs<capnp::AnyStruct>(), out);
  } else if constexpr (is_vector<M>::value) {
    return read_list(pointer_at(r, slot.offset), type_name, slot, out);
  } else {
    return read_scalar(load<Raw<M>>(r.getDataSection(), slot.offset), type_name, slot, out);
  }
}

}  // namespace detail

template <class T>
Status read_struct(const WireTable<T>& table, capnp::AnyStruct::Reader r, T& out) {
  size_t i = 0;
  Status status;
  T::for_each_field(out, [&](const char*, auto& member) {
    const detail::Slot& slot = table.slots[i++];
    if (status.ok()) status = detail::read_value(r, table.type_name, slot, member);
  });
  return status;
}

}  // namespace mledger::codec
