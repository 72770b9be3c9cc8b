#include "adapters/snapshots/snapshot_codec.h"

#include <cassert>
#include <cstring>

#include "adapters/crypto/sha256.h"
#include "adapters/json/fields_json.h"

namespace mledger {

namespace {

constexpr std::string_view kMagic = "MLSNAP01";
constexpr size_t kMagicBytes = 8;
constexpr size_t kHashBytes = 32;

template <class Int>
void put(std::string& out, Int v) {
  for (size_t i = 0; i < sizeof(Int); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads from a byte range, failing once it would read past the end.
struct Reader {
  std::string_view in;
  bool ok = true;
  template <class Int>
  Int get() {
    Int v = 0;
    if (in.size() < sizeof(Int)) {
      ok = false;
      return v;
    }
    for (size_t i = 0; i < sizeof(Int); ++i) {
      v |= static_cast<Int>(static_cast<unsigned char>(in[i])) << (8 * i);
    }
    in.remove_prefix(sizeof(Int));
    return v;
  }
  std::string_view bytes(uint64_t n) {
    if (in.size() < n) {
      ok = false;
      return {};
    }
    std::string_view out = in.substr(0, n);
    in.remove_prefix(n);
    return out;
  }
};

Err<Status> damaged(const std::string& why) {
  return fail(StatusCode::corruption, "snapshot is damaged: " + why);
}

}  // namespace

std::string encode_frame(std::string_view magic, const SnapshotFrame& f) {
  assert(magic.size() == kMagicBytes);
  std::string out(magic);
  put<uint32_t>(out, f.fold_version);
  put<uint64_t>(out, f.version);
  out.append(as_bytes(f.event_hash));
  put<uint32_t>(out, static_cast<uint32_t>(f.stream.size()));
  out.append(f.stream);
  put<uint64_t>(out, f.body.size());
  out.append(f.body);
  out.append(as_bytes(sha256({out})));
  return out;
}

StatusOr<SnapshotFrame> decode_frame(std::string_view magic, std::string_view bytes) {
  assert(magic.size() == kMagicBytes);
  if (bytes.size() < kMagicBytes + kHashBytes) return damaged("shorter than its header");
  if (bytes.substr(0, kMagicBytes) != magic) return damaged("not a snapshot of this kind (magic)");
  const std::string_view body = bytes.substr(0, bytes.size() - kHashBytes);
  if (as_bytes(sha256({body})) != bytes.substr(body.size())) return damaged("checksum mismatch");
  Reader r{body.substr(kMagicBytes)};
  SnapshotFrame f;
  f.fold_version = r.get<uint32_t>();
  f.version = r.get<uint64_t>();
  const std::string_view hash = r.bytes(kHashBytes);
  if (r.ok) std::memcpy(f.event_hash.data(), hash.data(), kHashBytes);
  f.stream = std::string(r.bytes(r.get<uint32_t>()));
  f.body = std::string(r.bytes(r.get<uint64_t>()));
  if (!r.ok || !r.in.empty()) return damaged("lengths do not add up");
  return f;
}

std::string snapshot_problem(const SnapshotFrame& frame, std::string_view stream, uint32_t fold_version,
                             const std::vector<RecordedEvent>& found, uint64_t position, bool by_seq) {
  if (frame.stream != stream) return "snapshot names " + frame.stream + ", not " + std::string(stream);
  if (frame.fold_version != fold_version) {
    return "fold version " + std::to_string(frame.fold_version) + ", not " + std::to_string(fold_version);
  }
  const char* unit = by_seq ? "seq" : "version";
  if (position == 0 || found.empty() || (by_seq ? found[0].seq : found[0].version) != position ||
      found[0].hash != frame.event_hash) {
    return std::string("the log's event at ") + unit + " " + std::to_string(position) +
           " is not the one the snapshot was taken at (another ledger, or a rewritten log)";
  }
  return "";
}

std::string encode_snapshot(const AccountSnapshot& s) {
  const std::vector<std::uint8_t> state = nlohmann::json::to_cbor(json::object_json(s.state));
  return encode_frame(kMagic, SnapshotFrame{s.fold_version, s.version, s.event_hash, s.stream,
                                            std::string(reinterpret_cast<const char*>(state.data()), state.size())});
}

StatusOr<AccountSnapshot> decode_snapshot(std::string_view bytes) {
  auto frame = decode_frame(kMagic, bytes);
  if (!frame.ok()) return Err{frame.error()};
  AccountSnapshot s{std::move(frame->stream), frame->version, frame->event_hash, frame->fold_version, {}};
  const nlohmann::json j = nlohmann::json::from_cbor(frame->body, true, false);
  if (j.is_discarded()) return damaged("state is not CBOR");
  if (Status st = json::read_object(j, "state", s.state); !st.ok()) return damaged(st.message());
  return s;
}

}  // namespace mledger
