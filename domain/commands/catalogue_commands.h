#pragma once
// Commands on the offer catalogue (operator). They target no partner account.

#include <string_view>

#include "domain/catalogue/offer_catalogue.h"
#include "domain/core/fields.h"

namespace mledger {

struct ChangeOfferCatalogue {
  static constexpr std::string_view kName = "change_offer_catalogue";
  OfferCatalogue catalogue;
  MLEDGER_FIELDS(catalogue)
};

}  // namespace mledger
