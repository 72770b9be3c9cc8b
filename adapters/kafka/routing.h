#pragma once
// Where an event goes on Kafka: its topic (by aggregate type), its record key
// (the partner account it belongs to) and its headers. Pure functions of the
// event's head; no Kafka client here. The table is documented in docs/kafka.md.
//
// Topics (prefix configurable, default "mledger"):
//   <prefix>.accounts   account, user, tenant, location, program, verification events
//   <prefix>.orders     orders, payments, memberships, renewals, enrollment years
//   <prefix>.keys       product keys: revealed, redeemed, replaced, activated, issued
//   <prefix>.benefits   benefit allocation and assignment, technical and go-to-market
//   <prefix>.merges     merge invitations and the merge itself
//   <prefix>.catalogue  offer catalogue changes
// Key: the owner of an account stream ("account-<id>" -> <id>); otherwise the
// first account the event concerns (a key's redeemer, a tenant's claimant, a
// merge's initiator); an event that concerns no account (the catalogue) is
// keyed by its stream name ("catalogue"). Kafka's default partitioner hashes
// the key, so all events of one account in one topic land in one partition,
// in publish (= global sequence) order.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/capnp/event_codec.h"

namespace mledger::kafka {

inline constexpr std::string_view kDefaultTopicPrefix = "mledger";

// The topic suffixes, in the order above.
std::vector<std::string> event_topics(std::string_view prefix);

// "<prefix>.publisher-cursors": compacted, one partition; key = transactional
// id, value = the cursor record (cursor_store.h).
std::string cursor_topic(std::string_view prefix);

// "<prefix>.tree-heads": one partition (one total order), kept forever; key =
// the ledger id, value = a signed tree head's JSON (docs/kafka.md).
std::string tree_heads_topic(std::string_view prefix);

// A prefix is 1..100 of [A-Za-z0-9._-] (Kafka's topic alphabet, with room
// for the suffixes under its 249-byte limit).
bool valid_topic_prefix(std::string_view prefix);

struct Route {
  std::string topic;
  std::string key;
};

// The topic and key of an event. A type name this build does not know (a
// newer ledger) goes to "<prefix>.other": nothing is dropped or misfiled.
Route route_event(const codec::EventHead& event, std::string_view prefix);

// The record headers of an event (name, value), in this order: the
// CloudEvents Kafka binding (binary content mode: attributes as "ce_<name>"),
// then mledger's own headers. seq, stream and version are there twice: as
// CloudEvents extension attributes (names [a-z0-9], at most 20 characters,
// so CloudEvents SDKs keep them) and as the older mledger_* headers that
// existing consumers read. The type name is in ce_type only, the hash in the
// envelope only (every header byte travels with every record: about 420
// bytes for these).
//   ce_specversion     "1.0"
//   ce_id              event id
//   ce_source          `source` (cloudevents_source: "urn:mledger:<ledger id>")
//   ce_type            "mledger.<EventType>"
//   ce_time            recorded-at, RFC 3339 UTC (microseconds when not zero)
//   ce_mledgerseq      global sequence, decimal
//   ce_mledgerstream   stream id
//   ce_mledgerversion  version in the stream, decimal
//   content-type       "application/vnd.mledger.envelope+capnp"
//   mledger_seq        global sequence, decimal
//   mledger_stream     stream id
//   mledger_stream_version  version in the stream, decimal
//   mledger_schema_version  payload schema version, decimal
//   mledger_accounts        the accounts concerned, comma-separated (may be empty)
using Headers = std::vector<std::pair<std::string, std::string>>;
Headers event_headers(const codec::EventHead& event, std::string_view source);

// The CloudEvents source of a ledger's events: the absolute URI
// "urn:mledger:<ledger id>" (ledger id: 16 hex digits, kafka_publisher.h).
// One source per ledger, so (source, id) is unique as the spec requires.
std::string cloudevents_source(std::string_view ledger_id);

inline constexpr std::string_view kContentType = "application/vnd.mledger.envelope+capnp";

std::string hex(const Hash256& hash);

}  // namespace mledger::kafka
