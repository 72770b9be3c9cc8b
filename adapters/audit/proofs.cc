#include "adapters/audit/proofs.h"

#include <set>

#include "adapters/crypto/sha256.h"
#include "adapters/json/json_access.h"
#include "adapters/merkle/merkle.h"

namespace mledger {

namespace {

merkle::NodeReader nodes_of(EventLog& log) {
  return [&log](unsigned level, uint64_t index) { return log.tree_node(level, index); };
}

nlohmann::json hex_list(const std::vector<Hash256>& hashes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hashes) out.push_back(to_hex(h));
  return out;
}

// The hashes of doc[key], at most `max`: "" or why not.
std::string read_path(const nlohmann::json& doc, const char* key, size_t max, std::vector<Hash256>* out) {
  const nlohmann::json* list = json::field(doc, key);
  if (!list || !list->is_array()) return std::string("\"") + key + "\" must be a list of hashes";
  if (list->size() > max) return std::string("\"") + key + "\" has more than " + std::to_string(max) + " hashes";
  for (const auto& item : *list) {
    Hash256 h{};
    if (!item.is_string() || !from_hex(item.get<std::string>(), &h)) {
      return std::string("\"") + key + "\" must hold 64-hex-digit hashes";
    }
    out->push_back(h);
  }
  return "";
}

std::string unknown_field(const nlohmann::json& doc, const std::set<std::string>& known) {
  for (const auto& [name, value] : doc.items()) {
    if (!known.contains(name)) return "unknown field \"" + name + "\"";
  }
  return "";
}

// A head of the document, signed by `key`: "" or why not.
std::string signed_head_of(const nlohmann::json& doc, const char* key_name, const Ed25519PublicKey& key,
                           TreeHead* out) {
  const nlohmann::json* j = json::field(doc, key_name);
  if (!j) return std::string("\"") + key_name + "\" is missing";
  auto head = tree_head_from_json(*j);
  if (!head.ok()) return std::string(key_name) + ": " + head.error().message();
  if (std::string why = check_tree_head(*head, key); !why.empty()) return std::string(key_name) + ": " + why;
  *out = *head;
  return "";
}

ProofVerdict check_inclusion(const nlohmann::json& doc, const Ed25519PublicKey& key,
                             const std::optional<TreeHead>& trusted) {
  if (auto u = unknown_field(doc, {"format", "proof", "seq", "chain_hash", "tree_size", "path", "tree_head"});
      !u.empty()) {
    return {u, ""};
  }
  TreeHead head;
  if (auto why = signed_head_of(doc, "tree_head", key, &head); !why.empty()) return {why, ""};
  if (auto why = against_trusted(head, trusted); !why.empty()) return {why, ""};
  uint64_t seq = 0, size = 0;
  Hash256 chain_hash{};
  std::vector<Hash256> path;
  if (!json::get_uint(doc, "seq", &seq) || seq == 0) return {"\"seq\" must be a sequence number (1 or more)", ""};
  if (!json::get_uint(doc, "tree_size", &size)) return {"\"tree_size\" must be a count", ""};
  if (!json::get_hash(doc, "chain_hash", &chain_hash)) return {"\"chain_hash\" must be 64 hex digits", ""};
  if (auto why = read_path(doc, "path", merkle::kPathEntriesMax, &path); !why.empty()) return {why, ""};
  if (size != head.tree_size) {
    return {"the proof is for a tree of size " + std::to_string(size) + " but the signed head is of size " +
                std::to_string(head.tree_size), ""};
  }
  if (seq > head.tree_size) {
    return {"event " + std::to_string(seq) + " is beyond the signed head (tree size " +
                std::to_string(head.tree_size) + ")", ""};
  }
  const std::string why = merkle::verify_inclusion(merkle::leaf_hash(chain_hash), seq - 1, size, path, head.root_hash);
  if (!why.empty()) return {"inclusion: " + why, ""};
  return {"", "event " + std::to_string(seq) + " (chain hash " + to_hex(chain_hash) + ") is in the tree of size " +
                  std::to_string(size) + " that ledger " + head.ledger_id + " signed at " +
                  format_rfc3339(head.timestamp)};
}

ProofVerdict check_consistency(const nlohmann::json& doc, const Ed25519PublicKey& key,
                               const std::optional<TreeHead>& trusted) {
  if (auto u = unknown_field(doc, {"format", "proof", "from_size", "to_size", "path", "from_head", "to_head"});
      !u.empty()) {
    return {u, ""};
  }
  TreeHead from, to;
  if (auto why = signed_head_of(doc, "from_head", key, &from); !why.empty()) return {why, ""};
  if (auto why = signed_head_of(doc, "to_head", key, &to); !why.empty()) return {why, ""};
  if (from.ledger_id != to.ledger_id) return {"the two heads are of two ledgers", ""};
  if (auto why = against_trusted(to, trusted); !why.empty()) return {why, ""};
  uint64_t from_size = 0, to_size = 0;
  std::vector<Hash256> path;
  if (!json::get_uint(doc, "from_size", &from_size) || !json::get_uint(doc, "to_size", &to_size)) {
    return {"\"from_size\" and \"to_size\" must be counts", ""};
  }
  if (auto why = read_path(doc, "path", merkle::kConsistencyEntriesMax, &path); !why.empty()) return {why, ""};
  if (from_size != from.tree_size || to_size != to.tree_size) {
    return {"the proof is for sizes " + std::to_string(from_size) + " and " + std::to_string(to_size) +
                " but the signed heads are of sizes " + std::to_string(from.tree_size) + " and " +
                std::to_string(to.tree_size), ""};
  }
  const std::string why = merkle::verify_consistency(from_size, to_size, from.root_hash, to.root_hash, path);
  if (!why.empty()) return {"consistency: " + why, ""};
  return {"", "the tree of size " + std::to_string(from_size) + " (signed " + format_rfc3339(from.timestamp) +
                  ") is a prefix of the tree of size " + std::to_string(to_size) + " (signed " +
                  format_rfc3339(to.timestamp) + ") of ledger " + to.ledger_id};
}

}  // namespace

StatusOr<TreeHead> signed_head(RocksDbEventLog& log, std::optional<uint64_t> size) {
  auto stored = log.tree_heads(size.value_or(UINT64_MAX), 1);
  if (!stored.ok()) return Err{stored.error()};
  if (stored->empty()) {
    return fail(StatusCode::not_found, size ? "no signed tree head of size " + std::to_string(*size) + " or less"
                                            : "no tree head has been signed yet");
  }
  auto head = decode_tree_head(stored->front());
  if (!head.ok()) return Err{head.error()};
  if (size && head->tree_size != *size) {
    return fail(StatusCode::not_found, "no tree head of size " + std::to_string(*size) +
                                           " was signed; the nearest below is of size " +
                                           std::to_string(head->tree_size) + " (see mledger audit tree-heads)");
  }
  return head;
}

StatusOr<std::vector<Hash256>> inclusion_path(EventLog& log, uint64_t seq, uint64_t size) {
  if (seq == 0 || seq > size) {
    return fail(StatusCode::invalid_argument,
                "event " + std::to_string(seq) + " is not in the tree of size " + std::to_string(size));
  }
  return merkle::inclusion_proof(nodes_of(log), seq - 1, size);
}

StatusOr<nlohmann::json> inclusion_proof_document(EventLog& log, const TreeHead& head, uint64_t seq) {
  if (seq == 0 || seq > head.tree_size) {
    return fail(StatusCode::invalid_argument, "event " + std::to_string(seq) + " is not in the tree of size " +
                                                  std::to_string(head.tree_size));
  }
  auto event = log.read_global(seq, 1);
  if (!event.ok()) return Err{event.error()};
  if (event->empty() || event->front().seq != seq) {
    return fail(StatusCode::corruption, "event " + std::to_string(seq) + " is missing");
  }
  auto path = merkle::inclusion_proof(nodes_of(log), seq - 1, head.tree_size);
  if (!path.ok()) return Err{path.error()};
  return nlohmann::json{{"format", 1},           {"proof", "inclusion"},
                        {"seq", seq},            {"chain_hash", to_hex(event->front().hash)},
                        {"tree_size", head.tree_size}, {"path", hex_list(*path)},
                        {"tree_head", tree_head_to_json(head)}};
}

StatusOr<nlohmann::json> consistency_proof_document(EventLog& log, const TreeHead& from, const TreeHead& to) {
  auto path = merkle::consistency_proof(nodes_of(log), from.tree_size, to.tree_size);
  if (!path.ok()) return Err{path.error()};
  return nlohmann::json{{"format", 1},
                        {"proof", "consistency"},
                        {"from_size", from.tree_size},
                        {"to_size", to.tree_size},
                        {"path", hex_list(*path)},
                        {"from_head", tree_head_to_json(from)},
                        {"to_head", tree_head_to_json(to)}};
}

ProofVerdict check_proof(const nlohmann::json& doc, const Ed25519PublicKey& key,
                         const std::optional<TreeHead>& trusted) {
  if (trusted) {
    if (std::string why = check_tree_head(*trusted, key); !why.empty()) return {"the trusted head: " + why, ""};
  }
  uint64_t format = 0;
  std::string kind;
  if (!json::get_uint(doc, "format", &format) || format != 1) return {"\"format\" must be 1", ""};
  if (!json::get_string(doc, "proof", &kind)) return {"\"proof\" must be \"inclusion\" or \"consistency\"", ""};
  if (kind == "inclusion") return check_inclusion(doc, key, trusted);
  if (kind == "consistency") return check_consistency(doc, key, trusted);
  return {"\"proof\" must be \"inclusion\" or \"consistency\"", ""};
}

}  // namespace mledger
