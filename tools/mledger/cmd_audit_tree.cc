// mledger audit (public-key | tree-heads | tree-head | prove | consistency |
// check-proof): the Merkle tree's signed heads and proofs (docs/audit.md).
// All but public-key open the ledger read-only; check-proof needs no ledger.

#include <cstdio>
#include <optional>
#include <string>

#include "adapters/audit/proofs.h"
#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "adapters/system/secret_file.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr size_t kProofFileBytesMax = 1 << 20;
constexpr size_t kPublicKeyFileBytesMax = 4096;

constexpr const char* kPublicKeyHelp = R"(usage: mledger audit public-key [--data DIR]

Prints the public key (PEM) that checks the ledger's signed tree heads. Its
private half is <DIR>/tree-head-key.pem (mode 0600, never printed), created
by the first command that writes the ledger. Give the public key to auditors.
)";

constexpr const char* kTreeHeadsHelp = R"(usage: mledger audit tree-heads [--data DIR] [--limit N] [--json]

Lists the signed tree heads the ledger kept, newest first (at most N, default
20, at most 10000): tree size, root hash, time, ledger id.
)";

constexpr const char* kTreeHeadHelp = R"(usage: mledger audit tree-head [--size M] [--data DIR] [--json]

Prints the latest signed tree head, or the one of tree size M: tree_size,
root_hash (hex), timestamp, ledger_id and signature (Ed25519, base64). Keep
it: a later consistency proof shows the ledger still extends it. Exit 1
when no head of that size was signed.
)";

constexpr const char* kProveHelp = R"(usage: mledger audit prove --seq N [--size M] [--data DIR] [--json]

Prints the proof that event N is in the tree of the signed head of size M
(the latest signed head by default): the event's chain hash, the RFC 9162
inclusion path and the signed head. --json prints the proof file that
`mledger audit check-proof` checks offline (docs/audit.md).
)";

constexpr const char* kConsistencyHelp = R"(usage: mledger audit consistency --from-size M1 [--to-size M2] [--data DIR] [--json]

Prints the proof that the tree of the signed head of size M1 is a prefix of
the tree of the signed head of size M2 (the latest by default): the ledger
only appended in between. --json prints the proof file for check-proof.
)";

constexpr const char* kCheckProofHelp = R"(usage: mledger audit check-proof FILE --public-key KEY [--trusted-head HEAD] [--json]

Checks a proof file (from prove or consistency --json, or the HTTP API)
offline, with no ledger: its signed heads against the public key (PEM file
KEY), and the proof against their root hashes. HEAD (optional): a head you
kept earlier (tree-head --json); a head older than it is refused as a
replay, one of its size with another root as a fork. Exit 0 when the proof
holds, 1 naming why it does not, 2 when a file cannot be read.
)";

using json::dump_text;

int public_key(const Argv& argv) {
  const char* name = "audit public-key";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kPublicKeyHelp, argv, {}, {}, 0, &args, &code)) return code;
  auto key = Ed25519PrivateKey::load(tree_head_key_path(data_dir(args)));
  if (!key.ok()) return report_failure(name, key.error(), kExitFailure);
  std::fputs(key->public_pem().c_str(), stdout);
  return kExitOk;
}

void print_head(const TreeHead& h) {
  std::printf("tree_size %llu root_hash %s timestamp %s ledger_id %s\n",
              static_cast<unsigned long long>(h.tree_size), to_hex(h.root_hash).c_str(),
              format_rfc3339(h.timestamp).c_str(), h.ledger_id.c_str());
}

int tree_heads(const Argv& argv) {
  const char* name = "audit tree-heads";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kTreeHeadsHelp, argv, {"limit"}, {}, 0, &args, &code)) return code;
  uint64_t limit = 0;
  if (!args.number("limit", 20, &limit)) return usage_error(name, args.error(), kTreeHeadsHelp);
  if (limit == 0 || limit > kTreeHeadsListedMax) return usage_error(name, "--limit must be 1..10000", kTreeHeadsHelp);
  auto log = open_read_only_for(name, args);
  if (!log) return kExitFailure;
  auto stored = log->tree_heads(UINT64_MAX, limit);
  if (!stored.ok()) return report_failure(name, stored.error(), kExitFailure);
  for (const auto& bytes : *stored) {
    auto head = decode_tree_head(bytes);
    if (!head.ok()) return report_failure(name, head.error(), kExitFailure);
    if (args.flag("json")) {
      std::printf("%s\n", dump_text(tree_head_to_json(*head)).c_str());
    } else {
      print_head(*head);
    }
  }
  return kExitOk;
}

// --NAME as a size, when given: false after reporting a bad one.
bool size_option(const char* name, const char* help, Args& args, const char* option,
                 std::optional<uint64_t>* out) {
  if (!args.value(option)) return true;
  uint64_t v = 0;
  if (!args.number(option, 0, &v) || v == 0) {
    usage_error(name, std::string("--") + option + " must be a tree size (1 or more)", help);
    return false;
  }
  *out = v;
  return true;
}

// A head, a proof, or why there is none (exit 1 for a missing head).
int print_or_refuse(const char* name, const StatusOr<nlohmann::json>& doc, bool as_json,
                    const std::function<void(const nlohmann::json&)>& print_text) {
  if (!doc.ok()) {
    const StatusCode c = doc.error().code();
    if (c != StatusCode::not_found && c != StatusCode::invalid_argument) {
      return report_failure(name, doc.error(), kExitFailure);
    }
    std::fprintf(stderr, "mledger %s: %s\n", name, doc.error().message().c_str());
    return kExitRejected;
  }
  if (as_json) {
    std::printf("%s\n", dump_text(*doc).c_str());
  } else {
    print_text(*doc);
  }
  return kExitOk;
}

int tree_head(const Argv& argv) {
  const char* name = "audit tree-head";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kTreeHeadHelp, argv, {"size"}, {}, 0, &args, &code)) return code;
  std::optional<uint64_t> size;
  if (!size_option(name, kTreeHeadHelp, args, "size", &size)) return kExitUsage;
  auto log = open_read_only_for(name, args);
  if (!log) return kExitFailure;
  auto head = signed_head(*log, size);
  StatusOr<nlohmann::json> doc = head.ok() ? StatusOr<nlohmann::json>(tree_head_to_json(*head))
                                           : StatusOr<nlohmann::json>(Err{head.error()});
  return print_or_refuse(name, doc, args.flag("json"), [&](const nlohmann::json&) { print_head(*head); });
}

void print_path(const nlohmann::json& doc) {
  for (const auto& h : doc["path"]) std::printf("  %s\n", h.get<std::string>().c_str());
}

int prove(const Argv& argv) {
  const char* name = "audit prove";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kProveHelp, argv, {"seq", "size"}, {}, 0, &args, &code)) return code;
  uint64_t seq = 0;
  std::optional<uint64_t> size;
  if (!args.value("seq") || !args.number("seq", 0, &seq) || seq == 0) {
    return usage_error(name, "--seq must be a sequence number (1 or more)", kProveHelp);
  }
  if (!size_option(name, kProveHelp, args, "size", &size)) return kExitUsage;
  auto log = open_read_only_for(name, args);
  if (!log) return kExitFailure;
  auto head = signed_head(*log, size);
  auto doc = head.ok() ? inclusion_proof_document(*log, *head, seq) : StatusOr<nlohmann::json>(Err{head.error()});
  return print_or_refuse(name, doc, args.flag("json"), [&](const nlohmann::json& d) {
    std::printf("event %llu (chain hash %s) is in the tree of size %llu:\n", static_cast<unsigned long long>(seq),
                d["chain_hash"].get<std::string>().c_str(), static_cast<unsigned long long>(head->tree_size));
    print_head(*head);
    std::printf("inclusion path (%zu hashes, nearest the leaf first):\n", d["path"].size());
    print_path(d);
  });
}

int consistency(const Argv& argv) {
  const char* name = "audit consistency";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kConsistencyHelp, argv, {"from-size", "to-size"}, {}, 0, &args, &code)) return code;
  std::optional<uint64_t> from_size, to_size;
  if (!size_option(name, kConsistencyHelp, args, "from-size", &from_size) ||
      !size_option(name, kConsistencyHelp, args, "to-size", &to_size)) {
    return kExitUsage;
  }
  if (!from_size) return usage_error(name, "--from-size is required", kConsistencyHelp);
  auto log = open_read_only_for(name, args);
  if (!log) return kExitFailure;
  auto from = signed_head(*log, from_size);
  auto to = from.ok() ? signed_head(*log, to_size) : from;
  StatusOr<nlohmann::json> doc = Err{Status(StatusCode::not_found, "")};
  if (!from.ok() || !to.ok()) {
    doc = Err{from.ok() ? to.error() : from.error()};
  } else {
    doc = consistency_proof_document(*log, *from, *to);
  }
  return print_or_refuse(name, doc, args.flag("json"), [&](const nlohmann::json& d) {
    std::printf("the tree of size %llu is a prefix of the tree of size %llu:\n",
                static_cast<unsigned long long>(from->tree_size), static_cast<unsigned long long>(to->tree_size));
    print_head(*from);
    print_head(*to);
    std::printf("consistency proof (%zu hashes):\n", d["path"].size());
    print_path(d);
  });
}

// A JSON file: false after reporting why it cannot be read.
bool read_json_file(const char* name, const char* what, const std::string& path, nlohmann::json* out) {
  auto text = read_small_file(what, path, kProofFileBytesMax);
  if (!text.ok()) {
    std::fprintf(stderr, "mledger %s: %s\n", name, text.error().message().c_str());
    return false;
  }
  *out = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    std::fprintf(stderr, "mledger %s: %s %s is not JSON\n", name, what, path.c_str());
    return false;
  }
  return true;
}

int check_proof_file(const Argv& argv) {
  const char* name = "audit check-proof";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kCheckProofHelp, argv, {"public-key", "trusted-head"}, {}, 1, &args, &code)) {
    return code;
  }
  auto key_path = args.value("public-key");
  if (!key_path) return usage_error(name, "--public-key is required", kCheckProofHelp);
  auto pem = read_small_file("public key file", *key_path, kPublicKeyFileBytesMax);
  if (!pem.ok()) return usage_error(name, pem.error().message(), kCheckProofHelp);
  auto key = Ed25519PublicKey::from_pem(*pem);
  if (!key.ok()) return usage_error(name, *key_path + ": " + key.error().message(), kCheckProofHelp);
  std::optional<TreeHead> trusted;
  if (auto trusted_path = args.value("trusted-head")) {
    nlohmann::json j;
    if (!read_json_file(name, "trusted head file", *trusted_path, &j)) return kExitUsage;
    auto head = tree_head_from_json(j);
    if (!head.ok()) return usage_error(name, *trusted_path + ": " + head.error().message(), kCheckProofHelp);
    trusted = *head;
  }
  nlohmann::json doc;
  if (!read_json_file(name, "proof file", args.positionals()[0], &doc)) return kExitUsage;
  const ProofVerdict v = check_proof(doc, *key, trusted);
  if (args.flag("json")) {
    nlohmann::json j = {{"holds", v.refused.empty()}};
    j[v.refused.empty() ? "proves" : "refused"] = v.refused.empty() ? v.proven : v.refused;
    std::printf("%s\n", dump_text(j).c_str());
  } else {
    std::printf("%s: %s\n", v.refused.empty() ? "proof holds" : "proof refused",
                (v.refused.empty() ? v.proven : v.refused).c_str());
  }
  return v.refused.empty() ? kExitOk : kExitRejected;
}

}  // namespace

int run_audit_tree(const std::string& what, const Argv& argv) {
  if (what == "public-key") return public_key(argv);
  if (what == "tree-heads") return tree_heads(argv);
  if (what == "tree-head") return tree_head(argv);
  if (what == "prove") return prove(argv);
  if (what == "consistency") return consistency(argv);
  if (what == "check-proof") return check_proof_file(argv);
  if (what == "check-heads") return check_heads(argv);
  return -1;
}

}  // namespace mledger::cli
