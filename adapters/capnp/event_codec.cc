#include "adapters/capnp/event_codec.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <array>
#include <cassert>
#include <cstring>
#include <optional>

#include "adapters/capnp/mledger.capnp.h"
#include "adapters/capnp/payload_codec.h"
#include "adapters/crypto/sha256.h"
#include "domain/core/limits.h"
#include "domain/core/streams.h"

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

void write_body(wire::EventBody::Builder b, uint64_t seq, uint64_t version, const NewEvent& e,
                const EventMetadata& md) {
  b.setSeq(seq);
  b.setStream(e.stream);
  b.setVersion(version);
  b.setEventId(e.event_id);
  const std::string_view type = event_type_name(e.payload);
  b.setType(capnp::Text::Reader(type.data(), type.size()));
  b.setSchemaVersion(kEventSchemaVersion);
  b.setRecordedAtMicros(md.recorded_at.micros_since_epoch);
  b.setOccurredAtMicros(md.occurred_at.micros_since_epoch);
  b.setCommandId(md.command_id);
  b.setCorrelationId(md.correlation_id);
  b.setCausationId(md.causation_id);
  write_actor(b.initActor(), md.actor);
  auto accounts = b.initAccountIds(static_cast<unsigned>(e.account_ids.size()));
  for (unsigned i = 0; i < e.account_ids.size(); ++i) accounts.set(i, e.account_ids[i]);
  write_payload(b.initPayload(), e.payload);
}

// The name of the first text of an event to encode that holds a NUL byte
// ("payload.address.city", "metadata.actor.user_id"); empty when none.
std::string text_with_nul(const NewEvent& e, const EventMetadata& md) {
  const std::pair<const char*, const std::string*> texts[] = {
      {"stream", &e.stream},
      {"event_id", &e.event_id},
      {"metadata.command_id", &md.command_id},
      {"metadata.correlation_id", &md.correlation_id},
      {"metadata.causation_id", &md.causation_id},
      {"metadata.actor.account_id", &md.actor.account_id},
      {"metadata.actor.user_id", &md.actor.user_id}};
  std::vector<std::string_view> path;
  for (const auto& [name, text] : texts) {
    if (first_text_with_nul(*text, path)) return name;
  }
  if (first_text_with_nul(e.account_ids, path)) return "account_ids";
  const bool in_payload =
      std::visit([&](const auto& p) { return first_text_with_nul(p, path); }, e.payload);
  if (!in_payload) return {};
  std::string out = "payload";
  for (auto part : path) out.append(".").append(part);
  return out;
}

void put_le64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Sequence numbers, stream versions and schema versions count from 1: a 0
// is damage (the encoder asserts against writing one).
Status check_counters(uint64_t seq, uint64_t version, uint32_t schema_version) {
  if (seq == 0) return Status(StatusCode::corruption, "event seq is 0 (sequence numbers start at 1)");
  if (version == 0) {
    return Status(StatusCode::corruption, "event stream version is 0 (stream versions start at 1)");
  }
  if (schema_version == 0) {
    return Status(StatusCode::corruption, "event schema version is 0 (schema versions start at 1)");
  }
  return Status::Ok();
}

Status read_body(wire::EventBody::Reader b, RecordedEvent& e) {
  if (Status s = check_counters(b.getSeq(), b.getVersion(), b.getSchemaVersion()); !s.ok()) return s;
  e.seq = b.getSeq();
  e.stream = str(b.getStream());
  e.version = b.getVersion();
  e.event_id = str(b.getEventId());
  e.schema_version = b.getSchemaVersion();
  e.metadata.recorded_at = Instant{b.getRecordedAtMicros()};
  e.metadata.occurred_at = Instant{b.getOccurredAtMicros()};
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

// The envelope's fields through Cap'n Proto, for any layout a writer may have
// chosen; `copy` keeps an aligned copy of unaligned bytes alive for `out->body`.
Status parse_any_envelope(std::string_view bytes, std::optional<AlignedWords>& copy,
                          OpenedEnvelope* out) {
  Status status;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                copy.emplace(bytes);
                capnp::FlatArrayMessageReader reader(copy->words(), reader_options());
                auto env = reader.getRoot<wire::Envelope>();
                if (env.getPrevHash().size() != 32 || env.getHash().size() != 32) {
                  status = Status(StatusCode::corruption, "envelope hash fields are not 32 bytes");
                  return;
                }
                out->prev_hash = to_hash(env.getPrevHash());
                out->hash = to_hash(env.getHash());
                out->body = as_view(env.getBody());
              })) {
    return Status(StatusCode::corruption,
                  std::string("envelope does not decode: ") + e->getDescription().cStr());
  }
  return status;
}

}  // namespace

namespace {

constexpr size_t kEnvelopeHashOffset = 8 + 8 * 8;
constexpr size_t kEnvelopeBodyOffset = 8 + 12 * 8;

uint64_t le64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The five words that start an envelope of `total_bytes` as make_envelope()
// lays it out: segment table, root pointer, and the byte-list pointers of
// prevHash, hash and body (at segment words 4, 8 and 12).
std::array<uint64_t, 5> fixed_envelope_head(uint64_t total_bytes) {
  auto list_ptr = [](uint64_t offset_words, uint64_t bytes) {
    return 1 | (offset_words << 2) | (uint64_t{2} << 32) | (bytes << 35);  // byte list
  };
  return {(total_bytes / 8 - 1) << 32,  // 1 segment (count - 1 = 0), its size
          uint64_t{3} << 48,            // root: struct, offset 0, 0 data, 3 pointers
          list_ptr(2, 32), list_ptr(5, 32), list_ptr(8, total_bytes - kEnvelopeBodyOffset)};
}

// The envelope's fields read in place at fixed offsets, when its first words
// are exactly the layout every mledger writes (seal_body()); false otherwise.
bool parse_fixed_envelope(std::string_view bytes, OpenedEnvelope* out) {
  if (bytes.size() <= kEnvelopeBodyOffset) return false;
  const std::array<uint64_t, 5> head = fixed_envelope_head(bytes.size());
  for (size_t i = 0; i < head.size(); ++i) {
    if (le64(bytes.data() + 8 * i) != head[i]) return false;
  }
  std::memcpy(out->prev_hash.data(), bytes.data() + 8 + 4 * 8, 32);
  std::memcpy(out->hash.data(), bytes.data() + kEnvelopeHashOffset, 32);
  out->body = bytes.substr(kEnvelopeBodyOffset);
  return true;
}

// Parses the envelope (by hand when it has the fixed layout), checks its shape
// and, when `check_hash`, that its hash matches its body: over the stored
// bytes, nothing decoded.
Status open_envelope(std::string_view bytes, bool check_hash, std::optional<AlignedWords>& copy,
                     OpenedEnvelope* out) {
  if (!parse_fixed_envelope(bytes, out)) {
    if (Status s = parse_any_envelope(bytes, copy, out); !s.ok()) return s;
  }
  if (out->body.empty() || out->body.size() % sizeof(capnp::word) != 0) {
    return Status(StatusCode::corruption, "event body is not a whole number of words");
  }
  if (check_hash && sha256({as_bytes(out->prev_hash), out->body}) != out->hash) {
    return Status(StatusCode::corruption, "event hash does not match its body");
  }
  return Status::Ok();
}

// The seq of a canonical body read in place: its root pointer is a struct
// pointer at offset 0 whose data section (seq is data word 0) follows it.
std::optional<uint64_t> canonical_seq(std::string_view body) {
  if (body.size() < 16) return std::nullopt;
  const uint64_t root = le64(body.data());
  const bool struct_at_zero = (root & 0xffffffffu) == 0;  // kind 0, offset 0
  const uint64_t data_words = (root >> 32) & 0xffff;
  if (!struct_at_zero || data_words == 0 || body.size() < 8 * (1 + data_words)) return std::nullopt;
  return le64(body.data() + 8);
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

StatusOr<std::string> encode_body(uint64_t seq, uint64_t version, const NewEvent& event,
                                  const EventMetadata& metadata) {
  assert(seq != 0 && version != 0);
  if (auto field = text_with_nul(event, metadata); !field.empty()) {
    return fail(StatusCode::invalid_argument,
                "event " + std::string(event_type_name(event.payload)) + ": text field " + field +
                    " holds a NUL byte (Cap'n Proto Text cannot)");
  }
  capnp::MallocMessageBuilder message(128);
  write_body(message.initRoot<wire::EventBody>(), seq, version, event, metadata);
  kj::Array<capnp::word> body =
      capnp::AnyStruct::Reader(message.getRoot<wire::EventBody>().asReader()).canonicalize();
  const size_t bytes = body.size() * sizeof(capnp::word);
  if (bytes + 128 > limits::event_bytes_max) {
    return fail(StatusCode::limit_exceeded,
                "event " + std::string(event_type_name(event.payload)) + " encodes to " +
                    std::to_string(bytes) + " bytes, over event_bytes_max");
  }
  return std::string(reinterpret_cast<const char*>(body.begin()), bytes);
}

// Canonical EventBody: word 0 is the root struct pointer, the data section
// follows at once; seq (@0) is data word 0 and version (@2) data word 1. Both
// are non-zero, so the data section always reaches past them.
void patch_position(char* body, size_t size, uint64_t seq, uint64_t version) {
  assert(seq != 0 && version != 0);
  assert(size >= 24);
  (void)size;
  put_le64(body + 8, seq);
  put_le64(body + 16, version);
}

void patch_body_position(std::string& body, uint64_t seq, uint64_t version) {
  patch_position(body.data(), body.size(), seq, version);
}

namespace {

// Envelope, laid out by hand (it is fixed): fixed_envelope_head(), then
// prevHash, hash and body. Equivalent to what a MessageBuilder writes, without
// its copies.
std::string make_envelope(const Hash256& prev_hash, const Hash256& hash, std::string_view body) {
  assert(body.size() % 8 == 0);
  std::string out(kEnvelopeBodyOffset + body.size(), '\0');
  char* p = out.data();
  const std::array<uint64_t, 5> head = fixed_envelope_head(out.size());
  for (size_t i = 0; i < head.size(); ++i) put_le64(p + 8 * i, head[i]);
  std::memcpy(p + 8 + 4 * 8, prev_hash.data(), 32);
  std::memcpy(p + kEnvelopeHashOffset, hash.data(), 32);
  std::memcpy(p + kEnvelopeBodyOffset, body.data(), body.size());
  return out;
}

}  // namespace

SealedEnvelope seal_body(const Hash256& prev_hash, uint64_t seq, uint64_t version,
                         std::string_view body) {
  SealedEnvelope out;
  out.bytes = make_envelope(prev_hash, Hash256{}, body);
  char* in_place = out.bytes.data() + kEnvelopeBodyOffset;
  patch_position(in_place, body.size(), seq, version);
  out.hash = sha256({as_bytes(prev_hash), std::string_view(in_place, body.size())});
  std::memcpy(out.bytes.data() + kEnvelopeHashOffset, out.hash.data(), out.hash.size());
  return out;
}

StatusOr<std::string> seal(RecordedEvent& event) {
  NewEvent ne{event.stream, event.event_id, event.account_ids, event.payload};
  auto body = encode_body(event.seq, event.version, ne, event.metadata);
  if (!body.ok()) return Err{body.error()};
  event.schema_version = kEventSchemaVersion;
  SealedEnvelope sealed = seal_body(event.prev_hash, event.seq, event.version, *body);
  event.hash = sealed.hash;
  return std::move(sealed.bytes);
}

namespace {

// Calls `read(body)` on a body's bytes (a whole number of words), read in
// place when aligned; never throws.
template <class Read>
Status read_in_body(std::string_view bytes, Read&& read) {
  Status status;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
                AlignedWords body(bytes);
                kj::ArrayPtr<const capnp::word> segment = body.words();
                capnp::SegmentArrayMessageReader body_reader(kj::arrayPtr(&segment, 1),
                                                             reader_options());
                status = read(body_reader.getRoot<wire::EventBody>());
              })) {
    return Status(StatusCode::corruption,
                  std::string("envelope does not decode: ") + e->getDescription().cStr());
  }
  return status;
}

// Opens an envelope from outside (size, shape, and the hash against the body
// when `check_hash`) and calls `read(opened, body)` with its body, read in
// place when the bytes are word-aligned (else from an aligned copy of the body
// alone); never throws: a Cap'n Proto exception or a failed check is a
// `corruption` Status.
template <class Read>
Status with_body(std::string_view bytes, bool check_hash, Read&& read) {
  if (Status s = check_size(bytes); !s.ok()) return s;
  std::optional<AlignedWords> envelope_copy;
  OpenedEnvelope opened;
  if (Status s = open_envelope(bytes, check_hash, envelope_copy, &opened); !s.ok()) return s;
  return read_in_body(opened.body, [&](wire::EventBody::Reader body) { return read(opened, body); });
}

StatusOr<RecordedEvent> open_event(std::string_view bytes, bool check_hash) {
  RecordedEvent event;
  Status s = with_body(bytes, check_hash, [&](const OpenedEnvelope& opened, wire::EventBody::Reader body) {
    event.prev_hash = opened.prev_hash;
    event.hash = opened.hash;
    return read_body(body, event);
  });
  if (!s.ok()) return Err{s};
  return event;
}

}  // namespace

StatusOr<RecordedEvent> open(std::string_view bytes) { return open_event(bytes, true); }

StatusOr<RecordedEvent> decode_linked(std::string_view bytes) { return open_event(bytes, false); }

StatusOr<ChainLink> open_link(std::string_view bytes) {
  if (Status s = check_size(bytes); !s.ok()) return Err{s};
  std::optional<AlignedWords> envelope_copy;
  OpenedEnvelope opened;
  if (Status s = open_envelope(bytes, true, envelope_copy, &opened); !s.ok()) return Err{s};
  ChainLink link{0, opened.prev_hash, opened.hash};
  if (std::optional<uint64_t> seq = canonical_seq(opened.body)) {
    link.seq = *seq;
  } else {  // a body of another layout: read by Cap'n Proto
    Status s = with_body(bytes, false, [&](const OpenedEnvelope&, wire::EventBody::Reader body) {
      link.seq = body.getSeq();
      return Status::Ok();
    });
    if (!s.ok()) return Err{s};
  }
  if (link.seq == 0) return Err{check_counters(0, 1, 1)};
  return link;
}

StatusOr<std::string_view> body_linked(std::string_view bytes, std::string& copy) {
  if (Status s = check_size(bytes); !s.ok()) return Err{s};
  std::optional<AlignedWords> envelope_copy;
  OpenedEnvelope opened;
  if (Status s = open_envelope(bytes, false, envelope_copy, &opened); !s.ok()) return Err{s};
  if (!envelope_copy) return opened.body;  // a view into `bytes`
  copy.assign(opened.body);
  return std::string_view(copy);
}

StatusOr<RecordedEvent> decode_body_linked(std::string_view body) {
  if (body.empty() || body.size() % sizeof(capnp::word) != 0 || body.size() > limits::event_bytes_max) {
    return fail(StatusCode::corruption, "event body is not a whole number of words");
  }
  RecordedEvent event;
  Status s = read_in_body(body, [&](wire::EventBody::Reader b) { return read_body(b, event); });
  if (!s.ok()) return Err{s};
  return event;
}

StatusOr<uint64_t> accounts_named_linked(std::string_view bytes,
                                         const std::function<void(std::string_view)>& account) {
  uint64_t seq = 0;
  Status s = with_body(bytes, false, [&](const OpenedEnvelope&, wire::EventBody::Reader b) {
    if (Status c = check_counters(b.getSeq(), b.getVersion(), b.getSchemaVersion()); !c.ok()) return c;
    seq = b.getSeq();
    const capnp::Text::Reader stream = b.getStream();
    if (std::string_view a = account_of_stream({stream.cStr(), stream.size()}); !a.empty()) account(a);
    for (capnp::Text::Reader a : b.getAccountIds()) account({a.cStr(), a.size()});
    return Status::Ok();
  });
  if (!s.ok()) return Err{s};
  return seq;
}

StatusOr<EventHead> open_head(std::string_view bytes) {
  EventHead head;
  Status s = with_body(bytes, true, [&](const OpenedEnvelope& opened, wire::EventBody::Reader b) {
    if (Status c = check_counters(b.getSeq(), b.getVersion(), b.getSchemaVersion()); !c.ok()) return c;
    head.prev_hash = opened.prev_hash;
    head.hash = opened.hash;
    head.seq = b.getSeq();
    head.stream = str(b.getStream());
    head.version = b.getVersion();
    head.event_id = str(b.getEventId());
    head.type = str(b.getType());
    head.command_id = str(b.getCommandId());
    head.schema_version = b.getSchemaVersion();
    head.recorded_at_micros = b.getRecordedAtMicros();
    for (auto a : b.getAccountIds()) head.account_ids.push_back(str(a));
    return read_actor(b.getActor(), head.actor);
  });
  if (!s.ok()) return Err{s};
  return head;
}

}  // namespace mledger::codec
