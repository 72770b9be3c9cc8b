#pragma once
// Generic mapping between reflected domain structs (domain/core/fields.h) and
// their wire structs in mledger.capnp, through Cap'n Proto's dynamic API.
// Internal to adapters/capnp (payload_codec.cc and its tests).
//
// Naming, the contract with the schema:
//   wire field      lowerCamelCase of the domain field, plus "Micros" for an
//                   Instant (`anniversary` -> `anniversaryMicros`)
//   wire enumerant  lowerCamelCase of the domain enumerant, a trailing '_'
//                   dropped (`operator_` -> `operator`); same order
//   std::optional<std::string> x   Text `x`, empty meaning absent
//   std::optional<T> x (any other) field `x` plus Bool `hasX`
//
// Every domain struct type's wire fields are resolved once, on first use, into a
// WireTable (a function-local static): the hot path never looks a name up.
// Resolving checks that every domain field has a wire field of a compatible type
// (recursively, nested structs and list elements included) and asserts
// otherwise, naming the type and the field: a mismatch is a bug of this build,
// never a property of the data.

#include <capnp/dynamic.h>
#include <capnp/schema.h>
#include <kj/debug.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/status.h"
#include "domain/core/time.h"

namespace mledger::codec {

// The string of a Text read from outside this process. Cap'n Proto Text
// cannot hold a NUL byte (the encoder refuses one: first_text_with_nul()), so
// one is damage: thrown as a kj::Exception, which every decoder's caller turns
// into `corruption` as it does Cap'n Proto's own checks. Every Text the
// codecs read goes through here.
inline std::string str(capnp::Text::Reader t) {
  KJ_REQUIRE(std::string_view(t.cStr(), t.size()).find('\0') == std::string_view::npos,
             "a text field holds a NUL byte");
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

// One domain field's place in its wire struct.
struct Slot {
  capnp::StructSchema::Field field;
  capnp::StructSchema::Field has;  // std::optional<non-text>: the Bool `hasX`
  capnp::EnumSchema enum_schema;   // enums and lists of enums
};

}  // namespace detail

template <class T>
struct WireTable {
  capnp::StructSchema schema;
  std::string type_name;  // the wire struct's name, for messages
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
    slot.enum_schema = t.asEnum();
    auto domain = enum_names(M{});
    auto wire = slot.enum_schema.getEnumerants();
    if (wire.size() < domain.size()) {
      schema_mismatch(type_name, field,
                      "enum " + std::string(slot.enum_schema.getShortDisplayName().cStr()) +
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
  } else if constexpr (has_fields_v<M>) {
    need(Type::STRUCT, "a struct");
    const capnp::StructSchema s = t.asStruct();
    if (wire_table<M>(s).schema != s) {
      schema_mismatch(type_name, field,
                      "is " + std::string(s.getShortDisplayName().cStr()) +
                          ", but the domain type already maps to " +
                          wire_table<M>(s).type_name);
    }
  } else if constexpr (is_vector<M>::value) {
    need(Type::LIST, "a List");
    using E = typename M::value_type;
    static_assert(!is_vector<E>::value && !is_optional<E>::value, "no lists of lists or optionals");
    check_type<E>(t.asList().getElementType(), type_name, field + "[]", slot);
  } else {
    static_assert(dependent_false<M>, "a domain field type without a wire mapping");
  }
}

template <class T>
WireTable<T> build_table(capnp::StructSchema schema) {
  WireTable<T> table;
  table.schema = schema;
  table.type_name = schema.getShortDisplayName().cStr();
  T probe{};
  T::for_each_field(probe, [&](const char* name, auto& member) {
    using M = std::decay_t<decltype(member)>;
    using V = typename unwrap_optional<M>::type;
    Slot slot;
    const std::string wire = wire_name(name, std::is_same_v<V, Instant>);
    KJ_IF_MAYBE (f, schema.findFieldByName(wire)) {
      slot.field = *f;
    } else {
      schema_mismatch(table.type_name, wire, "is missing (domain field '" + std::string(name) + "')");
    }
    if (slot.field.getProto().getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
      schema_mismatch(table.type_name, wire, "is a union member");
    }
    if (!slot.field.getProto().isSlot()) schema_mismatch(table.type_name, wire, "is a group");
    check_type<V>(slot.field.getType(), table.type_name, wire, slot);
    if constexpr (is_optional<M>::value && !std::is_same_v<V, std::string>) {
      std::string has = "has" + wire;
      has[3] = static_cast<char>(std::toupper(static_cast<unsigned char>(has[3])));
      KJ_IF_MAYBE (f, schema.findFieldByName(has)) {
        slot.has = *f;
      } else {
        schema_mismatch(table.type_name, has, "is missing (presence of optional '" + wire + "')");
      }
      if (slot.has.getType().which() != capnp::schema::Type::BOOL) {
        schema_mismatch(table.type_name, has, "must be a Bool");
      }
    }
    table.slots.push_back(slot);
  });
  return table;
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
// Encoding

template <class T>
void write_struct(capnp::DynamicStruct::Builder b, const T& value);

namespace detail {

inline capnp::Text::Reader text(const std::string& s) { return {s.data(), s.size()}; }

template <class E>
void write_element(capnp::DynamicList::Builder list, unsigned i, const E& v, const Slot& slot) {
  if constexpr (std::is_same_v<E, std::string>) {
    list.set(i, text(v));
  } else if constexpr (std::is_same_v<E, Instant>) {
    list.set(i, v.micros_since_epoch);
  } else if constexpr (std::is_enum_v<E>) {
    list.set(i, capnp::DynamicEnum(slot.enum_schema, static_cast<uint16_t>(v)));
  } else if constexpr (has_fields_v<E>) {
    write_struct(list[i].as<capnp::DynamicStruct>(), v);
  } else {
    list.set(i, v);
  }
}

template <class M>
void write_value(capnp::DynamicStruct::Builder b, const Slot& slot, const M& v) {
  if constexpr (is_optional<M>::value) {
    if constexpr (std::is_same_v<typename M::value_type, std::string>) {
      if (v) b.set(slot.field, text(*v));
    } else {
      b.set(slot.has, v.has_value());
      if (v) write_value(b, slot, *v);
    }
  } else if constexpr (std::is_same_v<M, std::string>) {
    b.set(slot.field, text(v));
  } else if constexpr (std::is_same_v<M, Instant>) {
    b.set(slot.field, v.micros_since_epoch);
  } else if constexpr (std::is_enum_v<M>) {
    b.set(slot.field, capnp::DynamicEnum(slot.enum_schema, static_cast<uint16_t>(v)));
  } else if constexpr (has_fields_v<M>) {
    write_struct(b.init(slot.field).as<capnp::DynamicStruct>(), v);
  } else if constexpr (is_vector<M>::value) {
    auto list = b.init(slot.field, static_cast<unsigned>(v.size())).as<capnp::DynamicList>();
    for (unsigned i = 0; i < v.size(); ++i) write_element(list, i, v[i], slot);
  } else {
    b.set(slot.field, v);
  }
}

}  // namespace detail

template <class T>
void write_struct(capnp::DynamicStruct::Builder b, const T& value) {
  const WireTable<T>& table = wire_table<T>(b.getSchema());
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
[[nodiscard]] Status read_struct(capnp::DynamicStruct::Reader r, T& out);

namespace detail {

template <class E>
Status read_enum(capnp::DynamicEnum d, const std::string& type_name, const Slot& slot, E& out) {
  const uint16_t raw = d.getRaw();
  if (raw >= enum_names(E{}).size()) {
    return Status(StatusCode::corruption,
                  type_name + "." + slot.field.getProto().getName().cStr() + ": enumerant " +
                      std::to_string(raw) + " is not known to this build of mledger");
  }
  out = static_cast<E>(raw);
  return Status::Ok();
}

template <class E>
Status read_element(const capnp::DynamicValue::Reader& v, const std::string& type_name,
                    const Slot& slot, E& out) {
  if constexpr (std::is_same_v<E, std::string>) {
    out = str(v.as<capnp::Text>());
  } else if constexpr (std::is_same_v<E, Instant>) {
    out.micros_since_epoch = v.as<int64_t>();
  } else if constexpr (std::is_enum_v<E>) {
    return read_enum(v.as<capnp::DynamicEnum>(), type_name, slot, out);
  } else if constexpr (has_fields_v<E>) {
    return read_struct(v.as<capnp::DynamicStruct>(), out);
  } else {
    out = v.as<E>();
  }
  return Status::Ok();
}

template <class M>
Status read_value(capnp::DynamicStruct::Reader r, const std::string& type_name, const Slot& slot,
                  M& out) {
  if constexpr (is_optional<M>::value) {
    using V = typename M::value_type;
    if constexpr (std::is_same_v<V, std::string>) {
      auto t = r.get(slot.field).as<capnp::Text>();
      if (t.size() == 0) {
        out.reset();
      } else {
        out.emplace(str(t));
      }
    } else if (r.get(slot.has).as<bool>()) {
      V v{};
      if (Status s = read_value(r, type_name, slot, v); !s.ok()) return s;
      out = std::move(v);
    } else {
      out.reset();
    }
    return Status::Ok();
  } else if constexpr (is_vector<M>::value) {
    auto list = r.get(slot.field).as<capnp::DynamicList>();
    out.clear();
    out.reserve(list.size());
    for (auto element : list) {
      out.emplace_back();
      if (Status s = read_element(element, type_name, slot, out.back()); !s.ok()) return s;
    }
    return Status::Ok();
  } else {
    return read_element(r.get(slot.field), type_name, slot, out);
  }
}

}  // namespace detail

template <class T>
Status read_struct(capnp::DynamicStruct::Reader r, T& out) {
  const WireTable<T>& table = wire_table<T>(r.getSchema());
  size_t i = 0;
  Status status;
  T::for_each_field(out, [&](const char*, auto& member) {
    const detail::Slot& slot = table.slots[i++];
    if (status.ok()) status = detail::read_value(r, table.type_name, slot, member);
  });
  return status;
}

}  // namespace mledger::codec
