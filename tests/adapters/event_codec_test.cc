// The wire codec and the chain seal: round trips, the fast path equal to the
// plain one, and bad bytes refused cleanly (never a crash).
// covers R-LED-01

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <tuple>

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include "adapters/capnp/event_codec.h"
#include "adapters/capnp/mledger.capnp.h"
#include "adapters/crypto/sha256.h"
#include "domain/core/limits.h"
#include "tests/support/fixtures.h"
#include "tests/support/sample_event.h"

namespace mledger {
namespace {

RecordedEvent sample_event() {
  return testing::sample_enrollment_event();
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

// The accounts an envelope names, read without decoding it: its stream's
// account, then its account ids; none of either for other streams; bad bytes
// are corruption, not a crash.
TEST(EventCodec, accounts_named_are_the_stream_account_and_the_account_ids_read_in_place) {
  auto named = [](const std::string& bytes, std::vector<std::string>& out) {
    out.clear();
    return codec::accounts_named_linked(bytes, [&](std::string_view a) { out.emplace_back(a); });
  };
  RecordedEvent e = sample_event();
  e.account_ids = {"contoso", "fabrikam"};
  std::vector<std::string> got;
  auto seq = named(*codec::seal(e), got);
  ASSERT_TRUE(seq.ok()) << seq.error().to_string();
  EXPECT_EQ(*seq, 42u);
  EXPECT_EQ(got, (std::vector<std::string>{"contoso", "contoso", "fabrikam"}));

  e.stream = "merge-contoso+fabrikam";
  ASSERT_TRUE(named(*codec::seal(e), got).ok());
  EXPECT_EQ(got, (std::vector<std::string>{"contoso", "fabrikam"}));
  e.stream = "catalogue";
  e.account_ids.clear();
  ASSERT_TRUE(named(*codec::seal(e), got).ok());
  EXPECT_TRUE(got.empty());

  const std::string good = *codec::seal(e);
  for (size_t n : {size_t{0}, size_t{7}, size_t{64}, good.size() - 8}) {
    auto r = named(good.substr(0, n), got);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code(), StatusCode::corruption);
  }
}

// An envelope's body alone (what a bulk load spills) decodes to the event
// without its hashes, in place or from an unaligned copy; an envelope of
// another layout gives the same body; a cut body is corruption.
TEST(EventCodec, a_body_taken_from_its_envelope_decodes_to_the_event_without_its_hashes) {
  RecordedEvent e = sample_event();
  const std::string good = *codec::seal(e);
  std::string copy;
  auto body = codec::body_linked(good, copy);
  ASSERT_TRUE(body.ok()) << body.error().to_string();
  EXPECT_EQ(body->size() + 104, good.size());  // no hashes, no envelope framing
  EXPECT_TRUE(copy.empty());                  // a view into the envelope
  for (const std::string& bytes : {std::string(*body), "1234567" + std::string(*body)}) {
    const std::string_view in = std::string_view(bytes).substr(bytes.size() - body->size());
    auto back = codec::decode_body_linked(in);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    RecordedEvent want = e;
    want.prev_hash = want.hash = Hash256{};
    EXPECT_EQ(back->seq, want.seq);
    EXPECT_EQ(back->stream, want.stream);
    EXPECT_EQ(back->metadata, want.metadata);
    EXPECT_EQ(back->account_ids, want.account_ids);
    EXPECT_EQ(std::get<PartnerAccountEnrolled>(back->payload), std::get<PartnerAccountEnrolled>(want.payload));
    EXPECT_EQ(back->hash, Hash256{});
  }
  for (size_t n : {size_t{0}, size_t{8}, body->size() - 8}) {
    auto cut = codec::decode_body_linked(body->substr(0, n));
    ASSERT_FALSE(cut.ok()) << n;
    EXPECT_EQ(cut.error().code(), StatusCode::corruption);
  }
  EXPECT_FALSE(codec::body_linked(good.substr(0, 64), copy).ok());
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

namespace envelope_edits {

// The envelope of `e` with its body changed by `edit` (through Cap'n Proto's
// builder: any value, past the encoder's own checks), re-canonicalized and
// chained with the right hash, as damaged bytes from outside would be.
template <class Edit>
std::string edited_envelope(RecordedEvent e, Edit&& edit) {
  const std::string sealed = codec::seal(e).value();
  kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(sealed.data()),
                                        sealed.size() / sizeof(capnp::word));
  capnp::FlatArrayMessageReader reader(words);
  auto body_bytes = reader.getRoot<wire::Envelope>().getBody();
  kj::ArrayPtr<const capnp::word> body_words(reinterpret_cast<const capnp::word*>(body_bytes.begin()),
                                             body_bytes.size() / sizeof(capnp::word));
  capnp::SegmentArrayMessageReader body_reader(kj::arrayPtr(&body_words, 1));
  capnp::MallocMessageBuilder body_builder;
  body_builder.setRoot(body_reader.getRoot<wire::EventBody>());
  edit(body_builder.getRoot<wire::EventBody>());
  kj::Array<capnp::word> canonical = capnp::AnyStruct::Reader(
      body_builder.getRoot<wire::EventBody>().asReader()).canonicalize();
  const std::string body(reinterpret_cast<const char*>(canonical.begin()),
                         canonical.size() * sizeof(capnp::word));
  const Hash256 hash = sha256({as_bytes(e.prev_hash), body});
  capnp::MallocMessageBuilder builder;
  auto env = builder.initRoot<wire::Envelope>();
  env.setPrevHash(kj::arrayPtr(e.prev_hash.data(), e.prev_hash.size()));
  env.setHash(kj::arrayPtr(hash.data(), hash.size()));
  env.setBody(kj::arrayPtr(reinterpret_cast<const kj::byte*>(body.data()), body.size()));
  auto flat = capnp::messageToFlatArray(builder);
  return std::string(reinterpret_cast<const char*>(flat.asBytes().begin()), flat.asBytes().size());
}

capnp::Text::Reader with_nul() { return capnp::Text::Reader("ab\0cd", 5); }

}  // namespace envelope_edits

TEST(EventCodec, a_nul_byte_in_any_text_field_read_is_corruption) {
  using envelope_edits::with_nul;
  using Body = wire::EventBody::Builder;
  const std::vector<std::pair<std::string, std::function<void(Body)>>> edits = {
      {"stream", [](Body b) { b.setStream(with_nul()); }},
      {"eventId", [](Body b) { b.setEventId(with_nul()); }},
      {"commandId", [](Body b) { b.setCommandId(with_nul()); }},
      {"correlationId", [](Body b) { b.setCorrelationId(with_nul()); }},
      {"causationId", [](Body b) { b.setCausationId(with_nul()); }},
      {"actor.userId", [](Body b) { b.getActor().setUserId(with_nul()); }},
      {"actor.accountId", [](Body b) { b.getActor().setAccountId(with_nul()); }},
      {"accountIds[0]", [](Body b) { b.getAccountIds().set(0, with_nul()); }},
      {"payload legalName", [](Body b) { b.getPayload().getPartnerAccountEnrolled().setLegalName(with_nul()); }},
      {"payload address.city",
       [](Body b) { b.getPayload().getPartnerAccountEnrolled().getAddress().setCity(with_nul()); }},
      {"payload dunsNumber (optional)",
       [](Body b) { b.getPayload().getPartnerAccountEnrolled().setDunsNumber(with_nul()); }},
  };
  const std::set<std::string> in_head = {"stream", "eventId", "commandId", "accountIds[0]"};
  for (const auto& [field, edit] : edits) {
    const std::string bytes = envelope_edits::edited_envelope(sample_event(), edit);
    auto opened = codec::open(bytes);
    ASSERT_FALSE(opened.ok()) << field << ": a NUL byte was accepted";
    EXPECT_EQ(opened.error().code(), StatusCode::corruption) << field;
    EXPECT_NE(opened.error().message().find("NUL"), std::string::npos) << opened.error().message();
    if (in_head.count(field)) {
      auto head = codec::open_head(bytes);
      ASSERT_FALSE(head.ok()) << field << ": open_head accepted a NUL byte";
      EXPECT_EQ(head.error().code(), StatusCode::corruption) << field;
    }
  }
  // The unedited envelope, through the same path, still opens.
  EXPECT_TRUE(codec::open(envelope_edits::edited_envelope(sample_event(), [](Body) {})).ok());
}

TEST(EventCodec, a_nul_byte_in_any_text_field_is_refused_before_writing) {
  const std::string nul("a\0b", 3);
  const std::vector<std::pair<std::string, std::function<void(RecordedEvent&)>>> edits = {
      {"stream", [&](RecordedEvent& e) { e.stream = nul; }},
      {"event_id", [&](RecordedEvent& e) { e.event_id = nul; }},
      {"account_ids", [&](RecordedEvent& e) { e.account_ids.push_back(nul); }},
      {"metadata.command_id", [&](RecordedEvent& e) { e.metadata.command_id = nul; }},
      {"metadata.causation_id", [&](RecordedEvent& e) { e.metadata.causation_id = nul; }},
      {"metadata.actor.user_id", [&](RecordedEvent& e) { e.metadata.actor.user_id = nul; }},
      {"payload.legal_name",
       [&](RecordedEvent& e) { std::get<PartnerAccountEnrolled>(e.payload).legal_name = nul; }},
      {"payload.address.city",
       [&](RecordedEvent& e) { std::get<PartnerAccountEnrolled>(e.payload).address.city = nul; }},
      {"payload.address_validation.validated.line2", [&](RecordedEvent& e) {
         std::get<PartnerAccountEnrolled>(e.payload).address_validation->validated.line2 = nul;
       }},
  };
  for (const auto& [field, edit] : edits) {
    RecordedEvent e = sample_event();
    edit(e);
    auto sealed = codec::seal(e);
    ASSERT_FALSE(sealed.ok()) << field << ": a NUL byte was sealed";
    EXPECT_EQ(sealed.error().code(), StatusCode::invalid_argument) << field;
    EXPECT_NE(sealed.error().message().find("text field " + field + " holds a NUL byte"),
              std::string::npos)
        << sealed.error().message();
  }
}

TEST(EventCodec, a_counter_that_starts_at_one_read_as_zero_is_corruption) {
  using Body = wire::EventBody::Builder;
  const std::vector<std::tuple<std::string, std::function<void(Body)>, std::string>> edits = {
      {"seq", [](Body b) { b.setSeq(0); }, "event seq is 0"},
      {"version", [](Body b) { b.setVersion(0); }, "event stream version is 0"},
      {"schemaVersion", [](Body b) { b.setSchemaVersion(0); }, "event schema version is 0"},
  };
  for (const auto& [field, edit, message] : edits) {
    const std::string bytes = envelope_edits::edited_envelope(sample_event(), edit);
    auto opened = codec::open(bytes);
    ASSERT_FALSE(opened.ok()) << field << " 0 was accepted";
    EXPECT_EQ(opened.error().code(), StatusCode::corruption);
    EXPECT_NE(opened.error().message().find(message), std::string::npos) << opened.error().message();
    auto head = codec::open_head(bytes);
    ASSERT_FALSE(head.ok()) << field << " 0 was accepted by open_head";
    EXPECT_NE(head.error().message().find(message), std::string::npos) << head.error().message();
    auto link = codec::open_link(bytes);
    EXPECT_EQ(link.ok(), field != "seq") << field;
  }
}

}  // namespace
}  // namespace mledger
