// Topic routing, record keys and headers: pure functions, no broker.

#include <gtest/gtest.h>

#include "adapters/kafka/kafka_reader.h"
#include "adapters/kafka/routing.h"
#include "domain/events/event.h"

namespace mledger::kafka {
namespace {

codec::EventHead head(std::string type, std::string stream, std::vector<std::string> accounts) {
  codec::EventHead h;
  h.seq = 42;
  h.type = std::move(type);
  h.stream = std::move(stream);
  h.account_ids = std::move(accounts);
  h.version = 3;
  h.event_id = "e-1";
  h.schema_version = 1;
  h.recorded_at_micros = 1'790'000'000'000'000;
  h.hash[0] = 0xab;
  return h;
}

TEST(KafkaRouting, each_aggregate_type_has_its_topic) {
  EXPECT_EQ(route_event(head("PartnerAccountEnrolled", "account-a1", {"a1"}), "mledger").topic, "mledger.accounts");
  EXPECT_EQ(route_event(head("TenantClaimed", "tenant-t1", {"a1"}), "mledger").topic, "mledger.accounts");
  EXPECT_EQ(route_event(head("OrderPlaced", "account-a1", {"a1"}), "p").topic, "p.orders");
  EXPECT_EQ(route_event(head("MembershipLapsed", "account-a1", {"a1"}), "p").topic, "p.orders");
  EXPECT_EQ(route_event(head("KeyRedeemed", "key-K1", {"a1"}), "p").topic, "p.keys");
  EXPECT_EQ(route_event(head("BenefitAssigned", "account-a1", {"a1"}), "p").topic, "p.benefits");
  EXPECT_EQ(route_event(head("GoToMarketOfferExpired", "account-a1", {"a1"}), "p").topic, "p.benefits");
  EXPECT_EQ(route_event(head("MergeInvitationSent", "merge-a1+a2", {"a1", "a2"}), "p").topic, "p.merges");
  EXPECT_EQ(route_event(head("AccountMergedAway", "account-a2", {"a2", "a1"}), "p").topic, "p.merges");
  EXPECT_EQ(route_event(head("OfferCatalogueChanged", "catalogue", {}), "p").topic, "p.catalogue");
  EXPECT_EQ(route_event(head("SomethingNewer", "account-a1", {"a1"}), "p").topic, "p.other");
}

TEST(KafkaRouting, every_event_type_routes_to_a_published_topic) {
  const auto topics = event_topics("m");
  for (std::string_view t : event_type_names()) {
    const Route r = route_event(head(std::string(t), "account-x", {"x"}), "m");
    EXPECT_NE(std::find(topics.begin(), topics.end(), r.topic), topics.end()) << t;
  }
}

TEST(KafkaRouting, key_is_the_partner_account) {
  // The owner of an account stream, even when the event concerns another too.
  EXPECT_EQ(route_event(head("AccountMergedAway", "account-a2", {"a1", "a2"}), "p").key, "a2");
  // Otherwise the first account concerned: a key's redeemer, a merge's initiator.
  EXPECT_EQ(route_event(head("KeyRedeemed", "key-K1", {"a7"}), "p").key, "a7");
  EXPECT_EQ(route_event(head("MergeInvitationSent", "merge-a1+a2", {"a2", "a1"}), "p").key, "a2");
  // No account: the stream.
  EXPECT_EQ(route_event(head("OfferCatalogueChanged", "catalogue", {}), "p").key, "catalogue");
}

TEST(KafkaRouting, headers_follow_the_cloudevents_kafka_binding) {
  const Headers h = event_headers(head("OrderPlaced", "account-a1", {"a1", "a2"}), cloudevents_source("abc"));
  auto get = [&](std::string_view k) {
    for (const auto& [name, v] : h)
      if (name == k) return v;
    return std::string("<absent>");
  };
  EXPECT_EQ(get("ce_specversion"), "1.0");
  EXPECT_EQ(get("ce_id"), "e-1");
  EXPECT_EQ(get("ce_source"), "urn:mledger:abc");
  EXPECT_EQ(get("ce_type"), "mledger.OrderPlaced");
  EXPECT_EQ(get("ce_time"), "2026-09-21T14:13:20Z");
  // seq, stream and version as CloudEvents extension attributes: names of
  // [a-z0-9] only, at most 20 characters (the spec's naming rule), so that
  // SDKs keep them; the same values stay in the older mledger_* headers.
  EXPECT_EQ(get("ce_mledgerseq"), "42");
  EXPECT_EQ(get("ce_mledgerstream"), "account-a1");
  EXPECT_EQ(get("ce_mledgerversion"), "3");
  for (const auto& [name, v] : h) {
    if (!name.starts_with("ce_")) continue;
    const std::string attribute = name.substr(3);
    EXPECT_LE(attribute.size(), 20u) << name;
    for (char c : attribute) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << name;
  }
  EXPECT_EQ(get("content-type"), "application/vnd.mledger.envelope+capnp");
  EXPECT_EQ(get("mledger_seq"), "42");
  EXPECT_EQ(get("mledger_stream"), "account-a1");
  EXPECT_EQ(get("mledger_stream_version"), "3");
  EXPECT_EQ(get("mledger_schema_version"), "1");
  EXPECT_EQ(get("mledger_accounts"), "a1,a2");
  EXPECT_EQ(h.size(), 14u);
}

TEST(KafkaRouting, broker_lists_and_prefixes_are_checked) {
  EXPECT_TRUE(check_brokers("127.0.0.1:9092").ok());
  EXPECT_TRUE(check_brokers("a:1,b:65535").ok());
  for (const char* bad : {"", "localhost", "host:", ":9092", "h:0", "h:65536", "h:90x2", "a:1,,b:2"}) {
    Status s = check_brokers(bad);
    EXPECT_EQ(s.code(), StatusCode::invalid_argument) << bad;
  }
  EXPECT_NE(check_brokers("a:1,nope").message().find("'nope'"), std::string::npos);
  EXPECT_TRUE(valid_topic_prefix("mledger.prod-1_x"));
  EXPECT_FALSE(valid_topic_prefix(""));
  EXPECT_FALSE(valid_topic_prefix("has space"));
  EXPECT_FALSE(valid_topic_prefix("slash/no"));
}

TEST(KafkaRouting, open_head_reads_what_the_publisher_needs_and_checks_the_hash) {
  RecordedEvent e;
  e.seq = 7;
  e.stream = "account-a1";
  e.version = 2;
  e.event_id = "evt-7";
  e.account_ids = {"a1", "a2"};
  e.metadata.command_id = "c-7";
  e.metadata.recorded_at = Instant{1'790'000'000'000'250};
  e.prev_hash[5] = 9;
  UserAdded u;
  u.account_id = "a1";
  u.user_id = "u-1";
  u.email = "u@example.com";
  u.display_name = "U";
  e.payload = u;
  auto bytes = codec::seal(e);
  ASSERT_TRUE(bytes.ok());
  auto h = codec::open_head(*bytes);
  ASSERT_TRUE(h.ok()) << h.error().to_string();
  EXPECT_EQ(h->seq, 7u);
  EXPECT_EQ(h->stream, "account-a1");
  EXPECT_EQ(h->version, 2u);
  EXPECT_EQ(h->event_id, "evt-7");
  EXPECT_EQ(h->type, "UserAdded");
  EXPECT_EQ(h->schema_version, kEventSchemaVersion);
  EXPECT_EQ(h->recorded_at_micros, 1'790'000'000'000'250);
  EXPECT_EQ(h->account_ids, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(h->prev_hash, e.prev_hash);
  EXPECT_EQ(h->hash, e.hash);
  // A flipped byte in the body: the hash no longer matches.
  std::string bad = *bytes;
  bad[bad.size() - 20] ^= 1;
  auto broken = codec::open_head(bad);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code(), StatusCode::corruption);
  EXPECT_FALSE(codec::open_head("not an envelope").ok());
}

}  // namespace
}  // namespace mledger::kafka
