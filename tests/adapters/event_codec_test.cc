// The wire codec and the chain seal: round trips, the fast path equal to the
// plain one, and bad bytes refused cleanly (never a crash).
// covers R-LED-01

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "adapters/capnp/event_codec.h"
#include "adapters/capnp/mledger.capnp.h"
#include "adapters/crypto/sha256.h"
#include "domain/core/limits.h"
#include "tests/support/fixtures.h"

namespace mledger {
namespace {

RecordedEvent sample_event() {
  RecordedEvent e;
  e.seq = 42;
  e.stream = "account-contoso";
  e.version = 7;
  e.event_id = "5f0c3b8e-1d2a-4c3b-9e8f-0a1b2c3d4e5f";
  e.account_ids = {"contoso"};
  e.metadata.command_id = "cmd-42";
  e.metadata.correlation_id = "corr";
  e.metadata.actor = Actor{ActorKind::user, "contoso", "u-alice", {Role::global_admin}};
  e.metadata.recorded_at = Instant{1'767'603'600'000'000};
  e.metadata.occurred_at = Instant{1'767'603'500'000'000};
  PartnerAccountEnrolled p;
  p.account_id = "contoso";
  p.legal_name = "Contoso GmbH";
  p.address = PostalAddress{"Tverskaya 1", "", "Moscow", "", "125009", "RU"};
  p.phone = "4951234567";
  p.primary_contact = ContactPerson{"Alice", "Meyer", "alice@contoso.ru"};
  p.enrolled_by_user_id = "u-alice";
  p.address_validation = AddressValidation{p.address, p.address, AddressKept::validated};
  e.payload = p;
  e.prev_hash[0] = 0xab;
  return e;
}

TEST(EventCodec, seal_then_open_round_trips) {
  RecordedEvent e = sample_event();
  auto bytes = codec::seal(e);
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(e.hash, Hash256{});
  auto back = codec::open(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->seq, 42u);
  EXPECT_EQ(back->version, 7u);
  EXPECT_EQ(back->stream, e.stream);
  EXPECT_EQ(back->event_id, e.event_id);
  EXPECT_EQ(back->metadata, e.metadata);
  EXPECT_EQ(back->account_ids, e.account_ids);
  EXPECT_EQ(std::get<PartnerAccountEnrolled>(back->payload),
            std::get<PartnerAccountEnrolled>(e.payload));
  EXPECT_EQ(back->prev_hash, e.prev_hash);
  EXPECT_EQ(back->hash, e.hash);
}

TEST(EventCodec, hash_is_sha256_of_prev_hash_and_canonical_body) {
  RecordedEvent e = sample_event();
  auto bytes = codec::seal(e);
  ASSERT_TRUE(bytes.ok());
  // Decode the envelope with the schema alone, as a consumer would.
  kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(bytes->data()),
                                        bytes->size() / 8);
  capnp::FlatArrayMessageReader reader(words);
  auto env = reader.getRoot<wire::Envelope>();
  std::string_view body(reinterpret_cast<const char*>(env.getBody().begin()), env.getBody().size());
  EXPECT_EQ(sha256({as_bytes(e.prev_hash), body}), e.hash);
  kj::ArrayPtr<const capnp::word> seg(reinterpret_cast<const capnp::word*>(body.data()),
                                      body.size() / 8);
  capnp::SegmentArrayMessageReader body_reader(kj::arrayPtr(&seg, 1));
  EXPECT_TRUE(body_reader.isCanonical());
  auto b = body_reader.getRoot<wire::EventBody>();
  EXPECT_EQ(b.getSeq(), 42u);
  EXPECT_EQ(std::string(b.getType().cStr()), "PartnerAccountEnrolled");
  EXPECT_EQ(std::string(b.getPayload().getPartnerAccountEnrolled().getLegalName().cStr()),
            "Contoso GmbH");
}

TEST(EventCodec, patched_placeholder_body_equals_body_encoded_with_real_position) {
  RecordedEvent e = sample_event();
  NewEvent ne{e.stream, e.event_id, e.account_ids, e.payload};
  for (uint64_t seq : {uint64_t{1}, uint64_t{255}, uint64_t{1} << 40}) {
    for (uint64_t version : {uint64_t{1}, uint64_t{3}, uint64_t{70000}}) {
      auto placeholder = codec::encode_body(UINT64_MAX, UINT64_MAX, ne, e.metadata);
      auto direct = codec::encode_body(seq, version, ne, e.metadata);
      ASSERT_TRUE(placeholder.ok() && direct.ok());
      codec::patch_body_position(*placeholder, seq, version);
      EXPECT_EQ(*placeholder, *direct) << seq << "/" << version;
    }
  }
  // Even with every other scalar at zero the layout holds.
  e.metadata.recorded_at = Instant{0};
  e.metadata.occurred_at = Instant{0};
  ne.payload = UserAdded{};
  auto placeholder = codec::encode_body(UINT64_MAX, UINT64_MAX, ne, e.metadata);
  auto direct = codec::encode_body(9, 2, ne, e.metadata);
  codec::patch_body_position(*placeholder, 9, 2);
  EXPECT_EQ(*placeholder, *direct);
}

TEST(EventCodec, reads_unaligned_bytes) {
  RecordedEvent e = sample_event();
  auto bytes = codec::seal(e);
  std::string shifted = "x" + *bytes;
  auto back = codec::open(std::string_view(shifted).substr(1));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->hash, e.hash);
}

TEST(EventCodec, every_single_bit_flip_is_refused_or_detected) {
  RecordedEvent e = sample_event();
  const std::string good = *codec::seal(e);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto r = codec::open(bad);
    // Either it does not open, or it opens to the very same event (a flip in
    // padding the reader never looks at cannot change what the event says).
    if (r.ok()) {
      EXPECT_EQ(r->hash, e.hash) << "byte " << i;
      EXPECT_EQ(std::get<PartnerAccountEnrolled>(r->payload),
                std::get<PartnerAccountEnrolled>(e.payload));
    }
  }
}

TEST(EventCodec, garbage_truncation_and_oversize_are_corruption_not_crashes) {
  RecordedEvent e = sample_event();
  const std::string good = *codec::seal(e);
  for (size_t n : {size_t{0}, size_t{7}, size_t{8}, size_t{64}, good.size() - 8}) {
    auto r = codec::open(std::string_view(good).substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code(), StatusCode::corruption);
  }
  EXPECT_FALSE(codec::open(std::string(4096, '\xff')).ok());
  EXPECT_FALSE(codec::open(std::string(limits::event_bytes_max + 8, '\0')).ok());
}

TEST(EventCodec, oversized_event_is_refused_before_writing) {
  RecordedEvent e = sample_event();
  std::get<PartnerAccountEnrolled>(e.payload).legal_name = std::string(limits::event_bytes_max, 'x');
  auto r = codec::seal(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::limit_exceeded);
}

}  // namespace
}  // namespace mledger
