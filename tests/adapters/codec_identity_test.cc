// The offset-resolved codec writes exactly the bytes the dynamic codec wrote:
// every existing ledger's hashes were computed over those bytes and must still
// verify. Every event type, random values (tests/support/fill.h), compared
// byte for byte against the dynamic encoder it replaced
// (tests/support/reference_codec.h), and decoded back to what went in.
// Beside it: envelopes of another valid layout than the fixed one still open.
// covers R-LED-01

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <random>
#include <string>

#include "adapters/capnp/event_codec.h"
#include "adapters/capnp/mledger.capnp.h"
#include "adapters/crypto/sha256.h"
#include "tests/support/fill.h"
#include "tests/support/reference_codec.h"
#include "tests/support/sample_event.h"

namespace mledger {
namespace {

using testing::for_each_alternative;
using testing::RandomFiller;

constexpr int kEventsPerType = 300;

NewEvent random_event(RandomFiller& fill, EventPayload payload) {
  NewEvent e;
  fill.fill(e.stream);
  fill.fill(e.event_id);
  fill.fill(e.account_ids);
  e.payload = std::move(payload);
  return e;
}

EventMetadata random_metadata(RandomFiller& fill) {
  EventMetadata md;
  fill.fill(md.command_id);
  fill.fill(md.correlation_id);
  fill.fill(md.causation_id);
  md.actor.kind = static_cast<ActorKind>(fill.below(enum_names(ActorKind{}).size()));
  fill.fill(md.actor.account_id);
  fill.fill(md.actor.user_id);
  fill.fill(md.actor.roles);
  fill.fill(md.recorded_at);
  fill.fill(md.occurred_at);
  return md;
}

TEST(CodecIdentity, every_event_type_encodes_to_the_bytes_of_the_dynamic_codec) {
  std::mt19937_64 random(20261205);
  RandomFiller fill(random);
  int compared = 0;
  for_each_alternative<EventPayload>([&](auto index) {
    constexpr size_t I = decltype(index)::value;
    using T = std::variant_alternative_t<I, EventPayload>;
    for (int n = 0; n < kEventsPerType; ++n) {
      T payload{};
      fill.fill_struct(payload);
      const NewEvent event = random_event(fill, EventPayload(std::in_place_index<I>, payload));
      const EventMetadata md = random_metadata(fill);
      const uint64_t seq = 1 + fill.below(1u << 30), version = 1 + fill.below(1000);
      auto ours = codec::encode_body(seq, version, event, md);
      ASSERT_TRUE(ours.ok()) << T::kName << ": " << ours.error().to_string();
      const std::string theirs = testing::reference::encode_body(seq, version, event, md);
      ASSERT_EQ(*ours, theirs) << T::kName << " (event " << n << ") encodes to other bytes";
      ++compared;

      // ... and decodes back to what went in.
      const codec::SealedEnvelope sealed = codec::seal_body(Hash256{}, seq, version, *ours);
      auto back = codec::open(sealed.bytes);
      ASSERT_TRUE(back.ok()) << T::kName << ": " << back.error().to_string();
      EXPECT_TRUE(back->payload == event.payload) << T::kName << " (event " << n << ")";
      EXPECT_EQ(back->metadata, md) << T::kName;
      EXPECT_EQ(back->stream, event.stream);
      EXPECT_EQ(back->event_id, event.event_id);
      EXPECT_EQ(back->account_ids, event.account_ids);
      EXPECT_EQ(back->seq, seq);
      EXPECT_EQ(back->version, version);
    }
  });
  EXPECT_EQ(compared, kEventsPerType * static_cast<int>(std::variant_size_v<EventPayload>));
}

TEST(CodecIdentity, the_random_values_reach_every_field_and_both_states_of_optionals) {
  // Guards the comparison above against a filler that leaves fields default:
  // over a few draws every event type gets a value unlike its default.
  std::mt19937_64 random(7);
  RandomFiller fill(random);
  for_each_alternative<EventPayload>([&](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, EventPayload>;
    bool differs = false;
    for (int n = 0; n < 8 && !differs; ++n) {
      T payload{};
      fill.fill_struct(payload);
      differs = !(payload == T{});
    }
    EXPECT_TRUE(differs) << T::kName;
  });
  std::optional<uint32_t> o;
  int engaged = 0;
  for (int n = 0; n < 64; ++n) {
    fill.fill(o);
    engaged += o.has_value() ? 1 : 0;
  }
  EXPECT_GT(engaged, 0);
  EXPECT_LT(engaged, 64);
}

// An envelope laid out by a MessageBuilder (fields in another order) is as
// valid as the fixed layout every mledger writes: it opens through Cap'n Proto.
TEST(CodecIdentity, an_envelope_of_another_layout_opens_through_capnp) {
  RecordedEvent event = testing::sample_enrollment_event();
  auto sealed = codec::seal(event);
  ASSERT_TRUE(sealed.ok());
  auto fixed = codec::open(*sealed);
  ASSERT_TRUE(fixed.ok());

  NewEvent ne{event.stream, event.event_id, event.account_ids, event.payload};
  auto body = codec::encode_body(event.seq, event.version, ne, event.metadata);
  ASSERT_TRUE(body.ok());
  capnp::MallocMessageBuilder message;
  auto env = message.initRoot<wire::Envelope>();
  env.setBody(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(body->data()), body->size()));
  env.setHash(capnp::Data::Reader(event.hash.data(), event.hash.size()));
  env.setPrevHash(capnp::Data::Reader(event.prev_hash.data(), event.prev_hash.size()));
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  const std::string other(reinterpret_cast<const char*>(words.begin()), words.size() * sizeof(capnp::word));
  ASSERT_NE(other, *sealed);  // really another layout

  auto opened = codec::open(other);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_TRUE(opened->payload == fixed->payload);
  EXPECT_EQ(opened->hash, event.hash);
  auto link = codec::open_link(other);
  ASSERT_TRUE(link.ok()) << link.error().to_string();
  EXPECT_EQ(link->seq, event.seq);
  EXPECT_EQ(link->hash, event.hash);
  EXPECT_EQ(link->prev_hash, event.prev_hash);

  // The hash is checked on that path too.
  std::string damaged = other;
  damaged[damaged.size() - 9] ^= 0x01;  // inside the body
  EXPECT_EQ(codec::open_link(damaged).error().code(), StatusCode::corruption);
}

TEST(CodecIdentity, open_link_checks_the_hash_without_decoding_and_decode_linked_skips_it) {
  RecordedEvent event = testing::sample_enrollment_event();
  auto sealed = codec::seal(event);
  ASSERT_TRUE(sealed.ok());
  auto link = codec::open_link(*sealed);
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->seq, 42u);
  EXPECT_EQ(link->hash, event.hash);
  EXPECT_EQ(link->prev_hash, event.prev_hash);

  // A payload byte changed: open_link and open find it; decode_linked, told
  // the hash was checked already, decodes what is there.
  std::string damaged = *sealed;
  const size_t at = damaged.find("Contoso GmbH");
  ASSERT_NE(at, std::string::npos);
  damaged[at] = 'K';
  EXPECT_EQ(codec::open_link(damaged).error().code(), StatusCode::corruption);
  EXPECT_EQ(codec::open(damaged).error().code(), StatusCode::corruption);
  auto decoded = codec::decode_linked(damaged);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(std::get<PartnerAccountEnrolled>(decoded->payload).legal_name, "Kontoso GmbH");
}

}  // namespace
}  // namespace mledger
