// libFuzzer target: the event envelope decoder (adapters/capnp/event_codec.h),
// what reads stored envelope bytes back into events. The first input byte
// picks the mode: even, the rest is envelope bytes as stored, given to open,
// open_head and open_link; odd, the rest (zero-padded to whole words) is an
// event body that this target wraps in an envelope with the right hash, so
// that the body decoder behind the hash check is reached too. It must never
// crash or throw; what open accepts, open_head and open_link accept and agree
// on (and so do body_linked, decode_body_linked and accounts_named_linked),
// and sealing an opened event succeeds (up to the size limit) and
// reaches a fixed point after one round.
//
// MLEDGER_FUZZ_WRITE_SEEDS=<dir> writes envelopes and bodies sealed by the real
// encoder into <dir> (how tests/fuzz/corpus/fuzz_event_envelope/valid-* were made).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "adapters/capnp/event_codec.h"
#include "adapters/capnp/mledger.capnp.h"
#include "domain/core/streams.h"
#include "tests/support/sample_event.h"
#include "adapters/crypto/sha256.h"

namespace {

using namespace mledger;

std::string wrap_body(std::string body) {
  body.resize((body.size() + 7) / 8 * 8, '\0');
  if (body.empty()) body.assign(8, '\0');
  Hash256 prev{};
  prev[0] = 0xab;
  const Hash256 hash = sha256({std::string_view(reinterpret_cast<const char*>(prev.data()), prev.size()), body});
  capnp::MallocMessageBuilder builder;
  auto env = builder.initRoot<wire::Envelope>();
  env.setPrevHash(kj::arrayPtr(prev.data(), prev.size()));
  env.setHash(kj::arrayPtr(hash.data(), hash.size()));
  env.setBody(kj::arrayPtr(reinterpret_cast<const kj::byte*>(body.data()), body.size()));
  auto flat = capnp::messageToFlatArray(builder);
  auto bytes = flat.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

RecordedEvent sample_event(uint64_t seq, bool with_actor) {
  RecordedEvent e = testing::sample_enrollment_event();
  e.seq = seq;
  e.version = seq + 6;
  e.metadata.command_id = "cmd-" + std::to_string(seq);
  if (!with_actor) e.metadata.actor = Actor{};
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("MLEDGER_FUZZ_WRITE_SEEDS");
  if (dir == nullptr) return 0;
  for (int i = 0; i < 2; ++i) {
    RecordedEvent e = sample_event(1 + 41 * i, i == 0);
    const std::string envelope = codec::seal(e).value();
    std::ofstream(std::string(dir) + "/valid-envelope-" + std::to_string(i), std::ios::binary)
        << '\0' << envelope;
    NewEvent ne{e.stream, e.event_id, e.account_ids, e.payload};
    const std::string body = codec::encode_body(e.seq, e.version, ne, e.metadata).value();
    std::ofstream(std::string(dir) + "/valid-body-" + std::to_string(i), std::ios::binary)
        << '\1' << body;
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) bytes = wrap_body(std::move(bytes));
  auto event = codec::open(bytes);
  auto head = codec::open_head(bytes);
  auto link = codec::open_link(bytes);
  if (!event.ok()) {
    if (event.error().message().empty()) std::abort();
    return 0;
  }
  if (!head.ok() || !link.ok()) std::abort();
  if (head->seq != event->seq || head->stream != event->stream || head->version != event->version ||
      head->event_id != event->event_id || head->account_ids != event->account_ids ||
      head->hash != event->hash || head->prev_hash != event->prev_hash) {
    std::abort();
  }
  if (link->seq != event->seq || link->hash != event->hash || link->prev_hash != event->prev_hash) {
    std::abort();
  }
  // The body alone (a bulk load's spill) decodes to the same event, and the
  // accounts read in place are its stream's and its account ids.
  std::string copy_of_body;
  auto body = codec::body_linked(bytes, copy_of_body);
  if (!body.ok()) std::abort();
  auto from_body = codec::decode_body_linked(*body);
  if (!from_body.ok() || from_body->seq != event->seq || from_body->stream != event->stream ||
      from_body->account_ids != event->account_ids || !(from_body->payload == event->payload)) {
    std::abort();
  }
  size_t named = 0;
  auto named_seq = codec::accounts_named_linked(bytes, [&](std::string_view) { ++named; });
  if (!named_seq.ok() || *named_seq != event->seq ||
      named != event->account_ids.size() + (account_of_stream(event->stream).empty() ? 0 : 1)) {
    std::abort();
  }
  // Text cannot hold a NUL byte and counters start at 1: open refuses both
  // (corpus: nul-in-event-id, nul-in-account-id), so every event it accepts
  // can be sealed again. Sealing is not the identity on bytes (a
  // non-canonical body is accepted when its hash matches), so the check is
  // that one seal reaches a fixed point: seal(open(seal(e))) is seal(e).
  if (event->seq == 0 || event->version == 0 || event->schema_version == 0) std::abort();
  RecordedEvent copy = *event;
  auto resealed = codec::seal(copy);
  if (!resealed.ok()) {
    // Only the size limit may refuse what open accepted (a canonical body
    // can be larger than the envelope it came in).
    if (resealed.error().code() != StatusCode::limit_exceeded) std::abort();
    return 0;
  }
  auto again = codec::open(*resealed);
  if (!again.ok()) std::abort();
  RecordedEvent copy2 = *again;
  auto resealed2 = codec::seal(copy2);
  if (!resealed2.ok() || *resealed2 != *resealed) std::abort();
  return 0;
}
