#pragma once
// RFC 9162 section 2.1 written out literally over a list of leaf hashes
// (recursion on the list, as the RFC states it): the from-scratch
// computation the stored tree and its proofs are compared with.

#include <bit>
#include <vector>

#include "adapters/crypto/sha256.h"
#include "domain/events/event.h"

namespace mledger::testing {

inline Hash256 ref_node(const Hash256& l, const Hash256& r) {
  return sha256({std::string_view("\1", 1), as_bytes(l), as_bytes(r)});
}

inline Hash256 ref_leaf(const Hash256& chain_hash) {
  return sha256({std::string_view("\0", 1), as_bytes(chain_hash)});
}

using Leaves = std::vector<Hash256>;  // leaf hashes

inline Leaves slice(const Leaves& d, size_t begin, size_t end) {
  return Leaves(d.begin() + static_cast<std::ptrdiff_t>(begin), d.begin() + static_cast<std::ptrdiff_t>(end));
}

inline size_t ref_k(size_t n) { return std::bit_floor(n - 1); }

inline Hash256 ref_mth(const Leaves& d) {
  if (d.empty()) return sha256({});
  if (d.size() == 1) return d[0];
  const size_t k = ref_k(d.size());
  return ref_node(ref_mth(slice(d, 0, k)), ref_mth(slice(d, k, d.size())));
}

inline std::vector<Hash256> ref_path(size_t m, const Leaves& d) {
  if (d.size() == 1) return {};
  const size_t k = ref_k(d.size());
  std::vector<Hash256> out;
  if (m < k) {
    out = ref_path(m, slice(d, 0, k));
    out.push_back(ref_mth(slice(d, k, d.size())));
  } else {
    out = ref_path(m - k, slice(d, k, d.size()));
    out.push_back(ref_mth(slice(d, 0, k)));
  }
  return out;
}

inline std::vector<Hash256> ref_subproof(size_t m, const Leaves& d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash256>{} : std::vector<Hash256>{ref_mth(d)};
  const size_t k = ref_k(d.size());
  std::vector<Hash256> out;
  if (m <= k) {
    out = ref_subproof(m, slice(d, 0, k), b);
    out.push_back(ref_mth(slice(d, k, d.size())));
  } else {
    out = ref_subproof(m - k, slice(d, k, d.size()), false);
    out.push_back(ref_mth(slice(d, 0, k)));
  }
  return out;
}

inline std::vector<Hash256> ref_proof(size_t m, const Leaves& d) { return ref_subproof(m, d, true); }

}  // namespace mledger::testing
