#pragma once
// Aggregates: how a decider reads the current state of the aggregates a
// command touches. The ledger implements it by loading and folding streams
// (and remembers each stream's version, so that the append fails if any of
// them moved meanwhile: optimistic concurrency over everything a decision
// read). Tests implement it over given events. A stream never written reads as
// the default state.

#include <string_view>

#include "domain/account/account_state.h"
#include "domain/catalogue/offer_catalogue.h"
#include "domain/keys/key_state.h"
#include "domain/merges/merge_state.h"

namespace mledger {

class Aggregates {
 public:
  virtual ~Aggregates() = default;
  virtual const AccountState& account(std::string_view account_id) = 0;
  virtual const KeyState& key(std::string_view key) = 0;
  virtual const TenantClaimState& tenant(std::string_view tenant_id) = 0;
  virtual const MergePairState& merge_pair(std::string_view a, std::string_view b) = 0;
  // The catalogue in force: the last OfferCatalogueChanged, else the defaults.
  virtual const OfferCatalogue& catalogue() = 0;
};

}  // namespace mledger
