#pragma once
// Every projection of projections/all.h, storable, for the engine.

#include <memory>
#include <vector>

#include "adapters/projections/stored_projection.h"

namespace mledger {

std::vector<std::unique_ptr<StoredProjection>> all_stored_projections();

}  // namespace mledger
