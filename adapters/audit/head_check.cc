#include "adapters/audit/head_check.h"

#include <nlohmann/json.hpp>

#include "adapters/crypto/sha256.h"
#include "adapters/merkle/merkle.h"

namespace mledger {

void HeadChecker::note(std::vector<std::string>& into, std::string finding) {
  if (into.size() < kFindingsMax) {
    into.push_back(std::move(finding));
  } else {
    ++report_.findings_left_out;
  }
}

void HeadChecker::add(std::string_view where, std::string_view json_text) {
  const std::string at(where);
  if (report_.heads_checked >= kHeadsCheckedMax) {
    note(report_.refused, at + ": not checked: more than " + std::to_string(kHeadsCheckedMax) + " heads");
    return;
  }
  auto j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    note(report_.refused, at + ": not JSON");
    return;
  }
  auto head = tree_head_from_json(j);
  if (!head.ok()) {
    note(report_.refused, at + ": not a signed tree head: " + head.error().message());
    return;
  }
  const std::string size = std::to_string(head->tree_size);
  if (std::string why = check_tree_head(*head, key_); !why.empty()) {
    note(report_.refused, at + ": the head of size " + size + " is refused: " + why);
    return;
  }
  if (report_.ledger_id.empty()) report_.ledger_id = head->ledger_id;
  if (head->ledger_id != report_.ledger_id) {
    note(report_.refused, at + ": the head of size " + size + " is of ledger " + head->ledger_id +
                              ", the heads before it of ledger " + report_.ledger_id);
    return;
  }
  ++report_.heads_checked;
  auto [it, added] = by_size_.try_emplace(head->tree_size, Seen{head->root_hash, at});
  if (!added && it->second.root != head->root_hash) {
    note(report_.forks, "FORK: " + it->second.where + " and " + at + " are heads of tree size " + size +
                            " with different root hashes (" + to_hex(it->second.root) + " and " +
                            to_hex(head->root_hash) + "), both signed by this key: the ledger showed two histories");
  }
}

HeadCheckReport HeadChecker::finish(const std::optional<ConsistencySource>& ledger) {
  report_.sizes = by_size_.size();
  if (!by_size_.empty()) {
    report_.smallest_size = by_size_.begin()->first;
    report_.largest_size = by_size_.rbegin()->first;
  }
  if (!ledger) return report_;
  const std::pair<const uint64_t, Seen>* previous = nullptr;
  for (const auto& entry : by_size_) {
    const auto& [size, seen] = entry;
    if (size == 0 || size > ledger->tree_size) continue;  // nothing to prove from / beyond the ledger's tree
    if (previous != nullptr) {
      const std::string pair = previous->second.where + " (size " + std::to_string(previous->first) + ") and " +
                               seen.where + " (size " + std::to_string(size) + ")";
      auto proof = ledger->proof(previous->first, size);
      if (!proof.ok()) {
        note(report_.inconsistent, pair + ": the ledger gives no consistency proof: " + proof.error().message());
      } else if (std::string why = merkle::verify_consistency(previous->first, size, previous->second.root,
                                                              seen.root, *proof);
                 !why.empty()) {
        note(report_.inconsistent, pair + ": the ledger's consistency proof does not hold: " + why);
      }
    }
    previous = &entry;
  }
  return report_;
}

}  // namespace mledger
