// The generic payload codec against the published schema: every event type
// round-trips with every field set, each maps to its own union member, and bad
// payloads are refused as corruption (never a crash).
// covers R-LED-01

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <set>
#include <string>

#include "adapters/capnp/event_codec.h"
#include "adapters/capnp/mledger.capnp.h"
#include "adapters/capnp/payload_codec.h"
#include "adapters/capnp/struct_codec.h"
#include "tests/support/fill.h"

namespace mledger {
namespace {

using testing::filled;
using testing::for_each_alternative;

// Encodes into a message, serialises it to bytes and decodes from those.
StatusOr<EventPayload> round_trip(const EventPayload& payload, uint16_t* which = nullptr) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<wire::Payload>();
  codec::write_payload(b, payload);
  if (which != nullptr) *which = static_cast<uint16_t>(b.which());
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  capnp::FlatArrayMessageReader reader(words);
  return codec::read_payload(reader.getRoot<wire::Payload>());
}

uint16_t discriminant_of(std::string_view member) {
  capnp::StructSchema payload = capnp::Schema::from<wire::Payload>();
  KJ_IF_MAYBE (f, payload.findFieldByName(std::string(member))) {
    return f->getProto().getDiscriminantValue();
  }
  ADD_FAILURE() << "Payload has no member " << member;
  return 0;
}

TEST(PayloadCodec, schema_matches_the_domain) {
  codec::check_schema();  // aborts, naming type and field, on a mismatch
}

TEST(PayloadCodec, wire_names_follow_the_rule) {
  EXPECT_EQ(codec::wire_name("card_last4"), "cardLast4");
  EXPECT_EQ(codec::wire_name("anniversary", true), "anniversaryMicros");
  EXPECT_EQ(codec::wire_name("operator_"), "operator");
  EXPECT_EQ(codec::wire_name("azure_monthly_credit"), "azureMonthlyCredit");
  EXPECT_EQ(codec::payload_member_name("OrderPlaced"), "orderPlaced");
}

TEST(PayloadCodec, every_event_type_round_trips_with_every_field_set) {
  for_each_alternative<EventPayload>([](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, EventPayload>;
    const EventPayload original{std::in_place_index<decltype(index)::value>, filled<T>()};
    uint16_t which = 0;
    auto back = round_trip(original, &which);
    ASSERT_TRUE(back.ok()) << T::kName << ": " << back.error().to_string();
    EXPECT_EQ(back->index(), original.index()) << T::kName;
    EXPECT_TRUE(*back == original) << T::kName << " does not round-trip";
    // kName -> its own union member.
    EXPECT_EQ(which, discriminant_of(codec::payload_member_name(T::kName))) << T::kName;
  });
}

TEST(PayloadCodec, filled_values_really_are_not_defaults) {
  // Guards the round trip above against a filler that sets nothing.
  for_each_alternative<EventPayload>([](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, EventPayload>;
    EXPECT_FALSE(filled<T>() == T{}) << T::kName;
  });
}

TEST(PayloadCodec, every_union_member_is_an_event_type_of_this_build) {
  std::set<std::string> members;
  for (std::string_view name : event_type_names()) {
    EXPECT_TRUE(members.insert(codec::payload_member_name(name)).second) << name;
  }
  // Members with no event type in this build: `none` and reserved ones.
  const std::set<std::string> reserved = {"none", "accountEntitlementsAdjusted"};
  for (auto field : capnp::Schema::from<wire::Payload>().getUnionFields()) {
    const std::string name = field.getProto().getName().cStr();
    EXPECT_TRUE(members.contains(name) || reserved.contains(name))
        << "Payload." << name << " is no event type's member";
  }
}

TEST(PayloadCodec, absent_optionals_round_trip_as_absent) {
  PartnerAccountEnrolled e = filled<PartnerAccountEnrolled>();
  e.address_validation.reset();
  auto back = round_trip(EventPayload{e});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<PartnerAccountEnrolled>(*back), e);

  // Defaults everywhere too.
  for_each_alternative<EventPayload>([](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, EventPayload>;
    const EventPayload original{std::in_place_index<decltype(index)::value>, T{}};
    auto r = round_trip(original);
    ASSERT_TRUE(r.ok()) << T::kName;
    EXPECT_TRUE(*r == original) << T::kName;
  });
}

TEST(PayloadCodec, every_event_type_survives_seal_and_open) {
  for_each_alternative<EventPayload>([](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, EventPayload>;
    RecordedEvent e;
    e.seq = 3;
    e.version = 2;
    e.stream = "account-contoso";
    e.event_id = "e-3";
    e.account_ids = {"contoso"};
    e.payload = EventPayload{std::in_place_index<decltype(index)::value>, filled<T>()};
    auto bytes = codec::seal(e);
    ASSERT_TRUE(bytes.ok()) << T::kName;
    auto back = codec::open(*bytes);
    ASSERT_TRUE(back.ok()) << T::kName << ": " << back.error().to_string();
    EXPECT_TRUE(back->payload == e.payload) << T::kName;
  });
}

TEST(PayloadCodec, none_is_corruption) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<wire::Payload>();
  auto r = codec::read_payload(b.asReader());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::corruption);
  EXPECT_NE(r.error().message().find("no payload"), std::string::npos);
}

TEST(PayloadCodec, member_without_an_event_type_is_corruption) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<wire::Payload>();
  b.initAccountEntitlementsAdjusted().setOfferId("gold");
  auto r = codec::read_payload(b.asReader());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::corruption);
  EXPECT_NE(r.error().message().find("not known"), std::string::npos);
}

TEST(PayloadCodec, unknown_enumerants_are_corruption) {
  {
    capnp::MallocMessageBuilder message;
    auto b = message.initRoot<wire::Payload>();
    codec::write_payload(b, filled<OrderPlaced>());
    b.getOrderPlaced().setPaymentMethod(static_cast<wire::PaymentMethod>(9));
    auto r = codec::read_payload(b.asReader());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), StatusCode::corruption);
    EXPECT_NE(r.error().message().find("OrderPlaced.paymentMethod"), std::string::npos)
        << r.error().message();
  }
  {  // inside a list of structs inside a list
    capnp::MallocMessageBuilder message;
    auto b = message.initRoot<wire::Payload>();
    codec::write_payload(b, filled<OfferCatalogueChanged>());
    b.getOfferCatalogueChanged().getOffers()[1].getProducts()[0].setKind(
        static_cast<wire::KeyKind>(2));
    auto r = codec::read_payload(b.asReader());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("ProductSpec.kind"), std::string::npos)
        << r.error().message();
  }
  {  // a list of enums
    capnp::MallocMessageBuilder message;
    auto b = message.initRoot<wire::Payload>();
    codec::write_payload(b, filled<UserRolesChanged>());
    b.getUserRolesChanged().getPreviousRoles().set(1, static_cast<wire::Role>(40));
    auto r = codec::read_payload(b.asReader());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), StatusCode::corruption);
  }
}

TEST(PayloadCodec, malformed_pointers_are_corruption_not_exceptions) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<wire::Payload>();
  codec::write_payload(b, filled<KeysRevealed>());
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  int refused = 0;
  for (size_t i = 8; i < bytes.size(); ++i) {  // every byte after the segment table
    kj::Array<capnp::word> copy = kj::heapArray<capnp::word>(words.asPtr());
    copy.asBytes()[i] ^= 0xff;
    capnp::FlatArrayMessageReader reader(copy);
    StatusOr<EventPayload> r = fail(StatusCode::corruption, "unread");
    KJ_IF_MAYBE (e, kj::runCatchingExceptions([&]() {
                   auto root = reader.getRoot<wire::Payload>();
                   r = codec::read_payload(root);
                 })) {
      continue;  // the root itself did not decode: not the payload codec's business
    }
    if (!r.ok()) ++refused;
  }
  EXPECT_GT(refused, 0);
}

// A mismatch between a domain type and its wire struct is a bug: it aborts,
// naming the wire type and the field.
struct MoneyWithExtra {
  int64_t amount_minor = 0;
  std::string currency;
  std::string extra_note;
  MLEDGER_FIELDS(amount_minor, currency, extra_note)
};
struct MoneyWithWrongType {
  std::string amount_minor;
  std::string currency;
  MLEDGER_FIELDS(amount_minor, currency)
};
MLEDGER_ENUM(Methods, card, cash)
struct OrderWithWrongEnum {
  Methods payment_method = Methods::card;
  MLEDGER_FIELDS(payment_method)
};

TEST(PayloadCodecDeathTest, a_domain_field_without_a_wire_field_aborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(codec::wire_table<MoneyWithExtra>(capnp::Schema::from<wire::Money>()),
               "Money.extraNote is missing");
  EXPECT_DEATH(codec::wire_table<MoneyWithWrongType>(capnp::Schema::from<wire::Money>()),
               "Money.amountMinor has wire type");
  EXPECT_DEATH(codec::wire_table<OrderWithWrongEnum>(capnp::Schema::from<wire::OrderPlaced>()),
               "OrderPlaced.paymentMethod enumerant 1 is 'wire', the domain's is 'cash'");
}

}  // namespace
}  // namespace mledger
