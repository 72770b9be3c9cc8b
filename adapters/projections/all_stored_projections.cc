#include "adapters/projections/all_stored_projections.h"

#include "projections/all.h"

namespace mledger {

std::vector<std::unique_ptr<StoredProjection>> all_stored_projections() {
  std::vector<std::unique_ptr<StoredProjection>> out;
  std::apply([&](auto... p) { (out.push_back(std::make_unique<TypedProjection<decltype(p)>>()), ...); },
             projections::AllProjections{});
  return out;
}

}  // namespace mledger
