#pragma once
// Field-by-field mapping between domain payloads and their wire structs.
// Internal to adapters/capnp (the event codec is the public face).

#include <string>

#include "adapters/capnp/mledger.capnp.h"
#include "domain/core/status.h"
#include "domain/events/event.h"

namespace mledger::codec {

inline std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

void write_actor(wire::Actor::Builder b, const Actor& actor);
[[nodiscard]] Status read_actor(wire::Actor::Reader r, Actor& actor);

void write_payload(wire::Payload::Builder b, const EventPayload& payload);
// Fails with `corruption` for `none` and for members this build does not know.
[[nodiscard]] StatusOr<EventPayload> read_payload(wire::Payload::Reader r);

}  // namespace mledger::codec
