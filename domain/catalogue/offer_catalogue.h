#pragma once
// The offer catalogue as data (R-ORD-01, R-BEN-07, R-TEC-02): offers, their
// prices in minor units, their benefits with quantities, incident quotas and
// advisory hours, their software products. The catalogue in force is the one
// last recorded on the "catalogue" stream (OfferCatalogueChanged), or the
// documented defaults when none was ever recorded; every allocation records the
// catalogue version it came from, so replay never depends on a file.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/money.h"
#include "domain/events/benefit_events.h"
#include "domain/events/key_events.h"

namespace mledger {

// Catalogue benefit ids with a meaning in the rules (R-TEC-02).
inline constexpr std::string_view kProductSupportIncidents = "product_support_incidents";
inline constexpr std::string_view kSignatureSupportIncidents = "signature_support_incidents";
inline constexpr std::string_view kAdvisoryHours = "advisory_hours";
inline constexpr std::string_view kActionPack = "action_pack";

struct BenefitSpec {
  std::string benefit_id;  // catalogue id, e.g. "azure_monthly_credit"
  std::string name;
  BenefitKind kind = BenefitKind::licensed_product;
  BenefitType type = BenefitType::core;
  uint32_t quantity = 0;  // seats, incidents, hours
  Money credit_amount;    // credits only
  MLEDGER_FIELDS(benefit_id, name, kind, type, quantity, credit_amount)
  friend bool operator==(const BenefitSpec&, const BenefitSpec&) = default;
};

struct ProductSpec {
  std::string product;  // e.g. "windows_server"
  KeyKind kind = KeyKind::subscription;
  uint32_t keys = 1;             // keys revealed per order
  uint32_t seats_per_key = 1;    // subscription keys
  uint32_t activations_max = 0;  // multiple-activation keys
  std::vector<std::string> languages;
  std::vector<std::string> operating_systems;
  MLEDGER_FIELDS(product, kind, keys, seats_per_key, activations_max, languages, operating_systems)
  friend bool operator==(const ProductSpec&, const ProductSpec&) = default;
};

struct OfferSpec {
  std::string offer_id;  // "action_pack", "silver", "gold", ...
  std::string name;
  Money price;
  std::string required_competency;  // "", "silver" or "gold"
  std::string upgrade_from_offer_id;  // R-ORD-07: "silver" for gold
  uint32_t upgrade_discount_percent = 0;
  std::vector<BenefitSpec> benefits;
  std::vector<ProductSpec> products;
  MLEDGER_FIELDS(offer_id, name, price, required_competency, upgrade_from_offer_id,
                 upgrade_discount_percent, benefits, products)
  friend bool operator==(const OfferSpec&, const OfferSpec&) = default;
};

struct OfferCatalogue {
  std::string version;
  std::vector<OfferSpec> offers;
  MLEDGER_FIELDS(version, offers)
  friend bool operator==(const OfferCatalogue&, const OfferCatalogue&) = default;

  const OfferSpec* find_offer(std::string_view offer_id) const;
};

// The documented defaults (docs/rules.md, "Offer catalogue").
const OfferCatalogue& default_offer_catalogue();

// Structural problems of a catalogue (empty ids, duplicates, zero keys, ...),
// or nullopt. Names the first problem.
std::optional<std::string> check_offer_catalogue(const OfferCatalogue& catalogue);

}  // namespace mledger
