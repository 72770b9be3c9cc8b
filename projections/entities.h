#pragma once
// Read models at the grain of the entity (issue 13). A projection's document
// of an account is stored as a header (the Doc's plain fields) and one
// document per element of each collection the projection names in
// `kEntityKinds` (a user, an order, an allocation, a key...), so a checkpoint
// writes only the entities an event changed and a reader pages through one
// kind of an account's entities as one range of keys.
//
// A projection P with entity kinds provides, besides projections/projection.h:
//   static constexpr std::array<std::string_view, N> kEntityKinds;
//       // names of Doc fields (std::map<std::string, T>, std::vector<T> or
//       // std::set<std::string>) stored one element per document
//   static void touched(const Doc& before, const std::string& account_id,
//                       const RecordedEvent&, Touched& out);
//       // the entities apply() may change, remove or add for this event:
//       // named ones, whole kinds, or everything. It may name more than
//       // change (unchanged ones are not written), never fewer: a property
//       // test (tests/projections/entities_test.cc) checks, over random
//       // streams, that comparing only these finds every change.
//   static void retired(Doc&, const RecordedEvent&, std::vector<EntityRef>& out);
//       // optional: called after apply(); removes from the Doc what left
//       // the account's present without being deleted (closed history) and
//       // names it: its last document is kept in the kind's archive range.
//
// Entities of a vector are named by their position (position_id()); of a
// set, by the element itself.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mledger::projections {

struct EntityRef {
  std::string_view kind;  // one of the projection's kEntityKinds
  std::string id;
  friend bool operator==(const EntityRef&, const EntityRef&) = default;
};

struct Touched {
  bool everything = false;               // compare every entity of every kind
  std::vector<std::string_view> kinds;   // compare every entity of these kinds
  std::vector<EntityRef> entities;       // compare these
  void clear() {
    everything = false;
    kinds.clear();
    entities.clear();
  }
};

// The id of the element at `position` of a vector kind: ten digits, so ids
// sort as positions do.
inline std::string position_id(uint64_t position) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%010llu", static_cast<unsigned long long>(position));
  return buf;
}

}  // namespace mledger::projections
