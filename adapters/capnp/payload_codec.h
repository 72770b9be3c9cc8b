#pragma once
// Mapping between domain payloads and their wire structs, generic over the
// domain's field reflection (struct_codec.h has the naming rules). Internal to
// adapters/capnp (the event codec is the public face).
//
// A payload type's union member in `Payload` is the lowerCamelCase of its kName
// ("OrderPlaced" -> orderPlaced). The wire fields of every payload type are
// resolved and checked against the schema once, at the first encode or decode
// (check_schema()); a mismatch is a bug and asserts.

#include <string>
#include <string_view>

#include "adapters/capnp/mledger.capnp.h"
#include "adapters/capnp/struct_codec.h"
#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger::codec {

void write_actor(wire::Actor::Builder b, const Actor& actor);
[[nodiscard]] Status read_actor(wire::Actor::Reader r, Actor& actor);

void write_payload(wire::Payload::Builder b, const EventPayload& payload);
// Fails with `corruption` for `none`, for members this build does not know and
// for enumerants it does not know; never throws.
[[nodiscard]] StatusOr<EventPayload> read_payload(wire::Payload::Reader r);

// Resolves and checks the wire fields of every payload type now (otherwise done
// by the first encode or decode). Aborts, naming type and field, on a mismatch.
void check_schema();

// The name of the `Payload` union member of the payload type named `kName`.
std::string payload_member_name(std::string_view kName);

}  // namespace mledger::codec
