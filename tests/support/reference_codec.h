#pragma once
// The event body encoder as it was before the offset-resolved codec
// (adapters/capnp/struct_codec.h): payloads written through Cap'n Proto's
// dynamic API, reflecting over the domain structs field by field. Kept only as
// the oracle of tests/adapters/codec_identity_test.cc: the bytes of every
// event, hashed into every existing ledger's chain, must not change. Test
// code only; never linked into the ledger.

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <kj/debug.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "adapters/capnp/mledger.capnp.h"
#include "adapters/capnp/payload_codec.h"
#include "adapters/capnp/struct_codec.h"
#include "domain/core/fields.h"
#include "domain/events/event.h"

namespace mledger::testing::reference {

using codec::schema_mismatch;
using codec::wire_name;

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


// The Payload union member of event type T (kName "OrderPlaced" -> orderPlaced).
inline capnp::StructSchema::Field payload_member(std::string_view kName) {
  return capnp::Schema::from<wire::Payload>().getFieldByName(codec::payload_member_name(kName));
}

inline void write_payload(wire::Payload::Builder b, const EventPayload& payload) {
  capnp::DynamicStruct::Builder dynamic = b;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        auto member = dynamic.init(payload_member(T::kName)).template as<capnp::DynamicStruct>();
        write_struct(member, e);
      },
      payload);
}

// The canonical body bytes exactly as codec::encode_body() wrote them before.
inline std::string encode_body(uint64_t seq, uint64_t version, const NewEvent& e,
                               const EventMetadata& md) {
  capnp::MallocMessageBuilder message(128);
  auto b = message.initRoot<wire::EventBody>();
  b.setSeq(seq);
  b.setStream(e.stream);
  b.setVersion(version);
  b.setEventId(e.event_id);
  const std::string_view type = event_type_name(e.payload);
  b.setType(capnp::Text::Reader(type.data(), type.size()));
  b.setSchemaVersion(kEventSchemaVersion);
  b.setRecordedAtMicros(md.recorded_at.micros_since_epoch);
  b.setOccurredAtMicros(md.occurred_at.micros_since_epoch);
  b.setCommandId(md.command_id);
  b.setCorrelationId(md.correlation_id);
  b.setCausationId(md.causation_id);
  auto actor = b.initActor();
  actor.setKind(static_cast<wire::ActorKind>(md.actor.kind));
  actor.setAccountId(md.actor.account_id);
  actor.setUserId(md.actor.user_id);
  auto roles = actor.initRoles(static_cast<unsigned>(md.actor.roles.size()));
  for (unsigned i = 0; i < md.actor.roles.size(); ++i) {
    roles.set(i, static_cast<wire::Role>(md.actor.roles[i]));
  }
  auto accounts = b.initAccountIds(static_cast<unsigned>(e.account_ids.size()));
  for (unsigned i = 0; i < e.account_ids.size(); ++i) accounts.set(i, e.account_ids[i]);
  write_payload(b.initPayload(), e.payload);
  kj::Array<capnp::word> words =
      capnp::AnyStruct::Reader(message.getRoot<wire::EventBody>().asReader()).canonicalize();
  return std::string(reinterpret_cast<const char*>(words.begin()), words.size() * sizeof(capnp::word));
}

}  // namespace mledger::testing::reference
