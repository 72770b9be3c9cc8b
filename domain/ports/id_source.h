#pragma once
// IdSource port: unique ids for events. Randomness is an input.

#include <string>

namespace mledger {

class IdSource {
 public:
  virtual ~IdSource() = default;
  // A new id, unique with overwhelming probability; at most 64 bytes. Thread-safe.
  virtual std::string next_id() = 0;
};

}  // namespace mledger
