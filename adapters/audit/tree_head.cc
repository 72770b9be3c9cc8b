#include "adapters/audit/tree_head.h"

#include <cstring>
#include <set>

#include "adapters/audit/base64.h"
#include "adapters/crypto/sha256.h"
#include "adapters/json/json_access.h"
#include "adapters/merkle/merkle.h"

namespace mledger {

namespace {

constexpr std::string_view kMagic("mledger-tree-head-v1\0", 21);

void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_be64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[static_cast<size_t>(i)]);
  return v;
}

bool is_ledger_id(std::string_view id) {
  if (id.size() != 16) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Err<Status> bad(const std::string& what) {
  return fail(StatusCode::invalid_argument, "tree head: " + what);
}

}  // namespace

std::string tree_head_message(const TreeHead& head) {
  std::string out(kMagic);
  out += head.ledger_id;
  put_be64(out, head.tree_size);
  out += as_bytes(head.root_hash);
  put_be64(out, static_cast<uint64_t>(head.timestamp.micros_since_epoch));
  return out;
}

StatusOr<std::string> ledger_id_of(EventLog& log) {
  auto first = log.read_global(1, 1);
  if (!first.ok()) return Err{first.error()};
  if (first->empty()) return fail(StatusCode::not_found, "the ledger is empty");
  return to_hex(first->front().hash).substr(0, 16);
}

StatusOr<TreeHead> sign_tree_head(EventLog& log, const Ed25519PrivateKey& key, Instant now) {
  auto id = ledger_id_of(log);
  if (!id.ok()) return Err{id.error()};
  auto size = log.tree_size();
  if (!size.ok()) return Err{size.error()};
  auto root = merkle::root([&log](unsigned l, uint64_t i) { return log.tree_node(l, i); }, *size);
  if (!root.ok()) return Err{root.error()};
  TreeHead head{*size, *root, now, *id, ""};
  head.signature = key.sign(tree_head_message(head));
  return head;
}

std::string check_tree_head(const TreeHead& head, const Ed25519PublicKey& key) {
  if (!key.verify(tree_head_message(head), head.signature)) {
    return "the tree head's signature does not verify with this public key";
  }
  return "";
}

std::string against_trusted(const TreeHead& head, const std::optional<TreeHead>& trusted) {
  if (!trusted) return "";
  if (head.ledger_id != trusted->ledger_id) {
    return "the signed head is of ledger " + head.ledger_id + ", the trusted head of ledger " + trusted->ledger_id;
  }
  if (head.tree_size < trusted->tree_size) {
    return "the signed head (tree size " + std::to_string(head.tree_size) + ", " + format_rfc3339(head.timestamp) +
           ") is older than the trusted head (tree size " + std::to_string(trusted->tree_size) +
           "): a replayed head";
  }
  if (head.tree_size == trusted->tree_size && head.root_hash != trusted->root_hash) {
    return "the signed head and the trusted head are both of tree size " + std::to_string(head.tree_size) +
           " with different root hashes: the ledger forked its history";
  }
  return "";
}

nlohmann::json tree_head_to_json(const TreeHead& head) {
  return {{"tree_size", head.tree_size},
          {"root_hash", to_hex(head.root_hash)},
          {"timestamp", format_rfc3339(head.timestamp)},
          {"ledger_id", head.ledger_id},
          {"signature", base64_encode(head.signature)}};
}

StatusOr<TreeHead> tree_head_from_json(const nlohmann::json& j) {
  static const std::set<std::string> kFields = {"tree_size", "root_hash", "timestamp", "ledger_id", "signature"};
  if (!j.is_object()) return bad("not a JSON object");
  for (const auto& [name, value] : j.items()) {
    if (!kFields.contains(name)) return bad("unknown field \"" + name + "\"");
  }
  TreeHead head;
  std::string timestamp, signature;
  if (!json::get_uint(j, "tree_size", &head.tree_size)) return bad("\"tree_size\" must be a count");
  if (!json::get_hash(j, "root_hash", &head.root_hash)) return bad("\"root_hash\" must be 64 hex digits");
  if (!json::get_string(j, "ledger_id", &head.ledger_id) || !is_ledger_id(head.ledger_id)) {
    return bad("\"ledger_id\" must be 16 lowercase hex digits");
  }
  auto at = json::get_string(j, "timestamp", &timestamp) ? parse_rfc3339(timestamp) : std::nullopt;
  if (!at) return bad("\"timestamp\" must be an RFC 3339 instant");
  head.timestamp = *at;
  auto sig = json::get_string(j, "signature", &signature) ? base64_decode(signature) : std::nullopt;
  if (!sig || sig->size() != kEd25519SignatureBytes) return bad("\"signature\" must be 64 bytes in base64");
  head.signature = *sig;
  return head;
}

std::string encode_tree_head(const TreeHead& head) { return tree_head_message(head) + head.signature; }

StatusOr<TreeHead> decode_tree_head(std::string_view bytes) {
  if (bytes.size() != kTreeHeadSignedBytes + kEd25519SignatureBytes || bytes.substr(0, kMagic.size()) != kMagic) {
    return fail(StatusCode::corruption, "a stored tree head has the wrong shape");
  }
  TreeHead head;
  head.ledger_id = std::string(bytes.substr(21, 16));
  head.tree_size = get_be64(bytes.substr(37, 8));
  std::memcpy(head.root_hash.data(), bytes.data() + 45, 32);
  head.timestamp.micros_since_epoch = static_cast<int64_t>(get_be64(bytes.substr(77, 8)));
  head.signature = std::string(bytes.substr(kTreeHeadSignedBytes));
  if (!is_ledger_id(head.ledger_id)) return fail(StatusCode::corruption, "a stored tree head has a bad ledger id");
  return head;
}

}  // namespace mledger
