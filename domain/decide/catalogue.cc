// Decider of the offer catalogue (operator).

#include "domain/decide/decide_support.h"

namespace mledger::decide_detail {

Verdict on(const ChangeOfferCatalogue& cmd, Ctx& c) {
  if (auto problem = check_offer_catalogue(cmd.catalogue)) {
    return reject(RejectionCode::catalogue_invalid, *problem);
  }
  const OfferCatalogue& current = c.agg.catalogue();
  if (current == cmd.catalogue) {
    return reject(RejectionCode::catalogue_invalid, "the catalogue is already in force");
  }
  if (current.version == cmd.catalogue.version) {
    return reject(RejectionCode::catalogue_invalid,
                  "a changed catalogue needs a new version; " + current.version + " is in force");
  }
  c.to(std::string(kCatalogueStream), {},
       OfferCatalogueChanged{cmd.catalogue.version, cmd.catalogue.offers});
  return std::nullopt;
}

}  // namespace mledger::decide_detail
