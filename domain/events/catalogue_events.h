#pragma once
// The offer catalogue in force changed (stream "catalogue"). Recorded in full,
// so the decisions taken under it can be replayed and audited.

#include <string_view>

#include "domain/catalogue/offer_catalogue.h"
#include "domain/core/fields.h"

namespace mledger {

struct OfferCatalogueChanged {
  static constexpr std::string_view kName = "OfferCatalogueChanged";
  std::string catalogue_version;
  std::vector<OfferSpec> offers;
  MLEDGER_FIELDS(catalogue_version, offers)
  friend bool operator==(const OfferCatalogueChanged&, const OfferCatalogueChanged&) = default;
};

}  // namespace mledger
