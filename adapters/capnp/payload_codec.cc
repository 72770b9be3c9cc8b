#include "adapters/capnp/payload_codec.h"

#include <kj/exception.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "adapters/capnp/struct_codec.h"

namespace mledger::codec {

std::string wire_name(std::string_view snake, bool micros) {
  std::string out;
  out.reserve(snake.size() + 6);
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = !out.empty();
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  if (micros) out += "Micros";
  return out;
}

void schema_mismatch(std::string_view wire_type, std::string_view field, std::string_view problem) {
  std::fprintf(stderr,
               "mledger: adapters/capnp/mledger.capnp does not match the domain: %.*s.%.*s %.*s\n",
               static_cast<int>(wire_type.size()), wire_type.data(), static_cast<int>(field.size()),
               field.data(), static_cast<int>(problem.size()), problem.data());
  std::fflush(stderr);
  std::abort();
}

std::string payload_member_name(std::string_view kName) {
  std::string out(kName);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

namespace {

// Domain enums and wire enums are declared in the same order; these asserts
// keep them so for the actor (written with the typed API: it is in every event).
static_assert(static_cast<int>(Role::business_profile_admin) ==
              static_cast<int>(wire::Role::BUSINESS_PROFILE_ADMIN));
static_assert(static_cast<int>(ActorKind::service) == static_cast<int>(wire::ActorKind::SERVICE));

void write_roles(capnp::List<wire::Role>::Builder out, const std::vector<Role>& roles) {
  for (unsigned i = 0; i < roles.size(); ++i) out.set(i, static_cast<wire::Role>(roles[i]));
}

Status read_roles(capnp::List<wire::Role>::Reader in, std::vector<Role>& roles) {
  roles.clear();
  const size_t known = enum_names(Role{}).size();
  for (auto r : in) {
    if (static_cast<uint16_t>(r) >= known) {
      return Status(StatusCode::corruption, "unknown role " + std::to_string(static_cast<int>(r)));
    }
    roles.push_back(static_cast<Role>(r));
  }
  return Status::Ok();
}

constexpr size_t kPayloadTypes = std::variant_size_v<EventPayload>;

using PayloadReader = StatusOr<EventPayload> (*)(capnp::AnyStruct::Reader);
using PayloadWriter = void (*)(capnp::AnyPointer::Builder, const EventPayload&);

// The union members of the payload types, by variant index, and the way back
// from a discriminant: resolved from the schema once, so that encoding and
// decoding a payload is a table lookup and a direct call.
struct PayloadMap {
  uint32_t discriminant_offset = 0;  // in the Payload's data section, in 16-bit units
  std::array<uint16_t, kPayloadTypes> discriminant{};
  std::array<uint32_t, kPayloadTypes> pointer{};  // the member's pointer index
  std::array<PayloadReader, kPayloadTypes> reader{};
  std::array<PayloadWriter, kPayloadTypes> writer{};
  std::vector<int> by_discriminant;  // discriminant -> variant index, -1 for none
};

template <class T>
capnp::StructSchema member_schema() {
  capnp::StructSchema payload = capnp::Schema::from<wire::Payload>();
  return payload.getFieldByName(payload_member_name(T::kName)).getType().asStruct();
}

template <size_t I>
StatusOr<EventPayload> read_alternative(capnp::AnyStruct::Reader r) {
  using T = std::variant_alternative_t<I, EventPayload>;
  static const WireTable<T>& table = wire_table<T>(member_schema<T>());
  T e;
  if (Status s = read_struct(table, r, e); !s.ok()) return Err{s};
  return EventPayload(std::in_place_index<I>, std::move(e));
}

template <size_t I>
void write_alternative(capnp::AnyPointer::Builder member, const EventPayload& payload) {
  using T = std::variant_alternative_t<I, EventPayload>;
  static const WireTable<T>& table = wire_table<T>(member_schema<T>());
  write_struct(table, member.initAsAnyStruct(table.data_words, table.pointers), std::get<I>(payload));
}

template <size_t I>
void map_alternative(capnp::StructSchema payload, PayloadMap& map) {
  using T = std::variant_alternative_t<I, EventPayload>;
  const std::string name = payload_member_name(T::kName);
  capnp::StructSchema::Field member;
  KJ_IF_MAYBE (f, payload.findFieldByName(name)) {
    member = *f;
  } else {
    schema_mismatch("Payload", name, "is missing (event type " + std::string(T::kName) + ")");
  }
  const uint16_t discriminant = member.getProto().getDiscriminantValue();
  if (discriminant == capnp::schema::Field::NO_DISCRIMINANT) {
    schema_mismatch("Payload", name, "is not a member of the union");
  }
  if (member.getType().which() != capnp::schema::Type::STRUCT) {
    schema_mismatch("Payload", name, "is not a struct");
  }
  (void)wire_table<T>(member.getType().asStruct());  // resolves and checks every field
  if (map.by_discriminant.size() <= discriminant) map.by_discriminant.resize(discriminant + 1, -1);
  if (map.by_discriminant[discriminant] != -1) {
    schema_mismatch("Payload", name, "serves two event types");
  }
  map.by_discriminant[discriminant] = static_cast<int>(I);
  map.discriminant[I] = discriminant;
  map.pointer[I] = member.getProto().getSlot().getOffset();
  map.reader[I] = &read_alternative<I>;
  map.writer[I] = &write_alternative<I>;
}

template <size_t... I>
PayloadMap build_map(std::index_sequence<I...>) {
  PayloadMap map;
  const capnp::StructSchema payload = capnp::Schema::from<wire::Payload>();
  map.discriminant_offset = payload.getProto().getStruct().getDiscriminantOffset();
  (map_alternative<I>(payload, map), ...);
  return map;
}

const PayloadMap& payload_map() {
  static const PayloadMap map = build_map(std::make_index_sequence<kPayloadTypes>{});
  return map;
}

}  // namespace

void check_schema() { (void)payload_map(); }

void write_actor(wire::Actor::Builder b, const Actor& actor) {
  b.setKind(static_cast<wire::ActorKind>(actor.kind));
  b.setAccountId(actor.account_id);
  b.setUserId(actor.user_id);
  write_roles(b.initRoles(static_cast<unsigned>(actor.roles.size())), actor.roles);
}

Status read_actor(wire::Actor::Reader r, Actor& actor) {
  if (static_cast<size_t>(r.getKind()) >= enum_names(ActorKind{}).size()) {
    return Status(StatusCode::corruption, "unknown actor kind");
  }
  actor.kind = static_cast<ActorKind>(r.getKind());
  actor.account_id = str(r.getAccountId());
  actor.user_id = str(r.getUserId());
  return read_roles(r.getRoles(), actor.roles);
}

void write_payload(wire::Payload::Builder b, const EventPayload& payload) {
  const PayloadMap& map = payload_map();
  const size_t index = payload.index();
  capnp::AnyStruct::Builder any(kj::mv(b));
  detail::store<uint16_t>(any.getDataSection(), map.discriminant_offset, map.discriminant[index]);
  map.writer[index](any.getPointerSection()[map.pointer[index]], payload);
}

StatusOr<EventPayload> read_payload(wire::Payload::Reader r) {
  const PayloadMap& map = payload_map();
  const auto which = static_cast<uint16_t>(r.which());
  if (which == wire::Payload::NONE) return fail(StatusCode::corruption, "event has no payload");
  if (which >= map.by_discriminant.size() || map.by_discriminant[which] < 0) {
    return fail(StatusCode::corruption, "payload member " + std::to_string(which) +
                                            " is not known to this build of mledger");
  }
  const auto index = static_cast<size_t>(map.by_discriminant[which]);
  std::optional<StatusOr<EventPayload>> result;
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&]() {
                 const capnp::AnyStruct::Reader any = r;
                 result.emplace(map.reader[index](
                     detail::pointer_at(any, map.pointer[index]).getAs<capnp::AnyStruct>()));
               })) {
    return fail(StatusCode::corruption,
                std::string("payload does not decode: ") + e->getDescription().cStr());
  }
  return std::move(*result);
}

}  // namespace mledger::codec
