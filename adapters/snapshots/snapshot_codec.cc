#include "adapters/snapshots/snapshot_codec.h"

#include <cstring>

#include "adapters/crypto/sha256.h"
#include "adapters/json/fields_json.h"

namespace mledger {

namespace {

constexpr std::string_view kMagic = "MLSNAP01";
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

std::string encode_snapshot(const AccountSnapshot& s) {
  const std::vector<std::uint8_t> state = nlohmann::json::to_cbor(json::object_json(s.state));
  std::string out(kMagic);
  put<uint32_t>(out, s.fold_version);
  put<uint64_t>(out, s.version);
  out.append(as_bytes(s.event_hash));
  put<uint32_t>(out, static_cast<uint32_t>(s.stream.size()));
  out.append(s.stream);
  put<uint64_t>(out, state.size());
  out.append(reinterpret_cast<const char*>(state.data()), state.size());
  out.append(as_bytes(sha256({out})));
  return out;
}

StatusOr<AccountSnapshot> decode_snapshot(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + kHashBytes) return damaged("shorter than its header");
  if (bytes.substr(0, kMagic.size()) != kMagic) return damaged("not a snapshot (magic)");
  const std::string_view body = bytes.substr(0, bytes.size() - kHashBytes);
  if (as_bytes(sha256({body})) != bytes.substr(body.size())) return damaged("checksum mismatch");
  Reader r{body.substr(kMagic.size())};
  AccountSnapshot s;
  s.fold_version = r.get<uint32_t>();
  s.version = r.get<uint64_t>();
  const std::string_view hash = r.bytes(kHashBytes);
  if (r.ok) std::memcpy(s.event_hash.data(), hash.data(), kHashBytes);
  s.stream = std::string(r.bytes(r.get<uint32_t>()));
  const std::string_view state = r.bytes(r.get<uint64_t>());
  if (!r.ok || !r.in.empty()) return damaged("lengths do not add up");
  const nlohmann::json j = nlohmann::json::from_cbor(state, true, false);
  if (j.is_discarded()) return damaged("state is not CBOR");
  if (Status st = json::read_object(j, "state", s.state); !st.ok()) return damaged(st.message());
  return s;
}

}  // namespace mledger
