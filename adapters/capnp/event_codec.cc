#include "adapters/capnp/event_codec.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "adapters/capnp/mledger.capnp.h"
#include "adapters/capnp/payload_codec.h"
#include "adapters/crypto/sha256.h"
#include "domain/core/limits.h"

namespace mledger::codec {

namespace {

capnp::ReaderOptions reader_options() {
  capnp::ReaderOptions o;
  o.traversalLimitInWords = kTraversalLimitWords;
  o.nestingLimit = kNestingLimit;
  return o;
}

std::string_view as_view(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

capnp::Data::Reader as_data(const Hash256& h) { return capnp::Data::Reader(h.data(), h.size()); }

Hash256 to_hash(capnp::Data::Reader d) {
  Hash256 h{};
  std::memcpy(h.data(), d.begin(), h.size());
  return h;
}

// Bytes from RocksDB or a socket are often not 8-byte aligned; Cap'n Proto
// needs words. Reads in place when aligned, else from an aligned copy.
class AlignedWords {
 public:
  explicit AlignedWords(std::string_view bytes) {
    const size_t words = bytes.size() / sizeof(capnp::word);
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
      view_ = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), words);
    } else {
      copy_ = kj::heapArray<capnp::word>(words);
      std::memcpy(copy_.begin(), bytes.data(), words * sizeof(capnp::word));
      view_ = copy_.asPtr();
    }
  }
  kj::ArrayPtr<const capnp::word> words() const { return view_; }

 private:
  kj::Array<capnp::word> copy_;
  kj::ArrayPtr<const capnp::word> view_;
};

void write_body(wire::EventBody::Builder b, const RecordedEvent& e) {
  b.setSeq(e.seq);
  b.setStream(e.stream);
  b.setVersion(e.version);
  b.setEventId(e.event_id);
  const std::string_view type = event_type_name(e.payload);
  b.setType(capnp::Text::Reader(type.data(), type.size()));
  b.setSchemaVersion(e.schema_version);
  b.setRecordedAtMicros(e.metadata.recorded_at.micros_since_epoch);
  b.setCommandId(e.metadata.command_id);
  b.setCorrelationId(e.metadata.correlation_id);
  b.setCausationId(e.metadata.causation_id);
  write_actor(b.initActor(), e.metadata.actor);
  auto accounts = b.initAccountIds(static_cast<unsigned>(e.account_ids.size()));
  for (unsigned i = 0; i < e.account_ids.size(); ++i) accounts.set(i, e.account_ids[i]);
  write_payload(b.initPayload(), e.payload);
}

Status read_body(wire::EventBody::Reader b, RecordedEvent& e) {
  e.seq = b.getSeq();
  e.stream = str(b.getStream());
  e.version = b.getVersion();
  e.event_id = str(b.getEventId());
  e.schema_version = b.getSchemaVersion();
  e.metadata.recorded_at = Instant{b.getRecordedAtMicros()};
  e.metadata.command_id = str(b.getCommandId());
  e.metadata.correlation_id = str(b.getCorrelationId());
  e.metadata.causation_id = str(b.getCausationId());
  if (Status s = read_actor(b.getActor(), e.metadata.actor); !s.ok()) return s;
  e.account_ids.clear();
  for (auto a : b.getAccountIds()) e.account_ids.push_back(str(a));
  auto payload = read_payload(b.getPayload());
  if (!payload.ok()) return payload.error();
  e.payload = std::move(payload.value());
  if (event_type_name(e.payload) != std::string_view(b.getType().cStr(), b.getType().size())) {
    return Status(StatusCode::corruption, "event type does not match its payload");
  }
  return Status::Ok();
}

struct OpenedEnvelope {
  Hash256 prev_hash;
  Hash256 hash;
  std::string_view body;
};

// Parses the envelope, checks its shape and that the hash matches the body.
Status open_envelope(capnp::FlatArrayMessageReader& reader, OpenedEnvelope* out) {
  auto env = reader.getRoot<wire::Envelope>();
  if (env.getPrevHash().size() != 32 || env.getHash().size() != 32) {
    return Status(StatusCode::corruption, "envelope hash fields are not 32 bytes");
  }
  out->prev_hash = to_hash(env.getPrevHash());
  out->hash = to_hash(env.getHash());
  out->body = as_view(env.getBody());
  if (out->body.empty() || out->body.size() % sizeof(capnp::word) != 0) {
    return Status(StatusCode::corruption, "event body is not a whole number of words");
  }
  if (sha256({as_bytes(out->prev_hash), out->body}) != out->hash) {
    return Status(StatusCode::corruption, "event hash does not match its body");
  }
  return Status::Ok();
}

Status check_size(std::string_view bytes) {
  if (bytes.size() > limits::event_bytes_max) {
    return Status(StatusCode::corruption, "envelope of " + std::to_string(bytes.size()) +
                                              " bytes exceeds event_bytes_max");
  }
  if (bytes.size() < sizeof(capnp::word) * 2 || bytes.size() % sizeof(capnp::word) != 0) {
    return Status(StatusCode::corruption, "envelope is not a whole number of words");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> seal(RecordedEvent& event) {
  capnp::MallocMessageBuilder body_message(256);
  write_body(body_message.initRoot<wire::EventBody>(), event);
  kj::Array<capnp::word> body =
      capnp::AnyStruct::Reader(body_message.getRoot<wire::EventBody>().asReader()).canonicalize();
  const std::string_view body_bytes(reinterpret_cast<const char*>(body.begin()),
                                    body.size() * sizeof(capnp::word));
  event.hash = sha256({as_bytes(event.prev_hash), body_bytes});

  capnp::MallocMessageBuilder env_message(static_cast<unsigned>(body.size() + 16));
  auto env = env_message.initRoot<wire::Envelope>();
  env.setPrevHash(as_data(event.prev_hash));
  env.setHash(as_data(event.hash));
  env.setBody(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(body_bytes.data()),
                                  body_bytes.size()));
  kj::Array<capnp::word> flat = capnp::messageToFlatArray(env_message);
  if (flat.size() * sizeof(capnp::word) > limits::event_bytes_max) {
    return fail(StatusCode::limit_exceeded,
                "event " + std::string(event_type_name(event.payload)) + " encodes to " +
                    std::to_string(flat.size() * 8) + " bytes, over event_bytes_max");
  }
  return std::string(reinterpret_cast<const char*>(flat.begin()), flat.size() * sizeof(capnp::word));
}

StatusOr<RecordedEvent> open(std::string_view bytes) {
  if (Status s = check_size(bytes); !s.ok()) return Err{s};
  RecordedEvent event;
  Status status;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                AlignedWords words(bytes);
                capnp::FlatArrayMessageReader reader(words.words(), reader_options());
                OpenedEnvelope opened;
                status = open_envelope(reader, &opened);
                if (!status.ok()) return;
                event.prev_hash = opened.prev_hash;
                event.hash = opened.hash;
                // The body is word-aligned inside an aligned message.
                kj::ArrayPtr<const capnp::word> segment(
                    reinterpret_cast<const capnp::word*>(opened.body.data()),
                    opened.body.size() / sizeof(capnp::word));
                capnp::SegmentArrayMessageReader body_reader(kj::arrayPtr(&segment, 1),
                                                             reader_options());
                status = read_body(body_reader.getRoot<wire::EventBody>(), event);
              })) {
    return fail(StatusCode::corruption, std::string("envelope does not decode: ") +
                                            e->getDescription().cStr());
  }
  if (!status.ok()) return Err{status};
  return event;
}

StatusOr<ChainLink> open_link(std::string_view bytes) {
  if (Status s = check_size(bytes); !s.ok()) return Err{s};
  ChainLink link;
  Status status;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                AlignedWords words(bytes);
                capnp::FlatArrayMessageReader reader(words.words(), reader_options());
                OpenedEnvelope opened;
                status = open_envelope(reader, &opened);
                if (!status.ok()) return;
                link.prev_hash = opened.prev_hash;
                link.hash = opened.hash;
                kj::ArrayPtr<const capnp::word> segment(
                    reinterpret_cast<const capnp::word*>(opened.body.data()),
                    opened.body.size() / sizeof(capnp::word));
                capnp::SegmentArrayMessageReader body_reader(kj::arrayPtr(&segment, 1),
                                                             reader_options());
                link.seq = body_reader.getRoot<wire::EventBody>().getSeq();
              })) {
    return fail(StatusCode::corruption, std::string("envelope does not decode: ") +
                                            e->getDescription().cStr());
  }
  if (!status.ok()) return Err{status};
  return link;
}

}  // namespace mledger::codec
