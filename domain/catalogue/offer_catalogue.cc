#include "domain/catalogue/offer_catalogue.h"

#include <set>

namespace mledger {

const OfferSpec* OfferCatalogue::find_offer(std::string_view offer_id) const {
  for (const auto& o : offers) {
    if (o.offer_id == offer_id) return &o;
  }
  return nullptr;
}

namespace {

Money usd(int64_t minor) { return Money{minor, "USD"}; }

BenefitSpec benefit(std::string id, std::string name, BenefitKind kind, BenefitType type,
                    uint32_t quantity, Money credit = {}) {
  return BenefitSpec{std::move(id), std::move(name), kind, type, quantity, std::move(credit)};
}

const std::vector<std::string> kLanguages = {"en", "de", "fr", "es", "it", "ja", "nl", "hu", "ru", "pt-BR"};

OfferCatalogue build_defaults() {
  using K = BenefitKind;
  using T = BenefitType;
  const ProductSpec office{"office_professional_plus", KeyKind::multiple_activation, 1, 0, 10,
                          kLanguages, {"windows", "macos"}};
  const ProductSpec server{"windows_server_standard", KeyKind::multiple_activation, 1, 0, 5,
                          kLanguages, {"windows"}};
  const ProductSpec m365{"microsoft_365_business", KeyKind::subscription, 2, 5, 0, kLanguages,
                        {"windows", "macos"}};

  OfferSpec maps{"action_pack", "Microsoft Action Pack", usd(47'500), "", "", 0, {}, {office, server, m365}};
  maps.benefits = {
      benefit("azure_monthly_credit", "Azure credit, $100 per month", K::azure_monthly_credit, T::core, 5, usd(10'000)),
      benefit("visual_studio_professional", "Visual Studio Professional", K::visual_studio, T::core, 3),
      benefit("office_365_e3", "Office 365 E3 licenses", K::licensed_product, T::core, 5),
      benefit(std::string(kProductSupportIncidents), "Product support incidents", K::technical, T::core, 10),
      benefit(std::string(kAdvisoryHours), "Presales and deployment advisory hours", K::technical, T::core, 5),
      benefit("online_technical_consultation", "Online technical consultation", K::technical, T::core, 1),
      benefit("marketing_campaign_kit", "Marketing campaign kit", K::go_to_market, T::core, 1),
  };

  OfferSpec silver{"silver", "Silver competency membership", usd(167'000), "silver", "", 0, {}, {office, server, m365}};
  silver.benefits = {
      benefit("azure_bulk_credit", "Azure bulk credit, $6,000 per year", K::azure_bulk_credit, T::core, 1, usd(600'000)),
      benefit("visual_studio_enterprise", "Visual Studio Enterprise", K::visual_studio, T::core, 5),
      benefit("office_365_e3", "Office 365 E3 licenses", K::licensed_product, T::core, 25),
      benefit(std::string(kProductSupportIncidents), "Product support incidents", K::technical, T::core, 15),
      benefit(std::string(kSignatureSupportIncidents), "Signature cloud support incidents", K::technical, T::incremental, 5),
      benefit(std::string(kAdvisoryHours), "Presales and deployment advisory hours", K::technical, T::core, 20),
      benefit("signature_cloud_support", "Signature cloud support", K::technical, T::incremental, 1),
      benefit("marketing_campaign_kit", "Marketing campaign kit", K::go_to_market, T::core, 1),
      benefit("customer_case_study", "Customer case study", K::go_to_market, T::incremental, 1),
  };

  OfferSpec gold{"gold", "Gold competency membership", usd(473'000), "gold", "silver", 25, {}, {office, server, m365}};
  gold.benefits = {
      benefit("azure_bulk_credit", "Azure bulk credit, $12,000 per year", K::azure_bulk_credit, T::core, 1, usd(1'200'000)),
      benefit("visual_studio_enterprise", "Visual Studio Enterprise", K::visual_studio, T::core, 10),
      benefit("office_365_e3", "Office 365 E3 licenses", K::licensed_product, T::core, 100),
      benefit(std::string(kProductSupportIncidents), "Product support incidents", K::technical, T::core, 20),
      benefit(std::string(kSignatureSupportIncidents), "Signature cloud support incidents", K::technical, T::incremental, 10),
      benefit(std::string(kAdvisoryHours), "Presales and deployment advisory hours", K::technical, T::core, 50),
      benefit("signature_cloud_support", "Signature cloud support", K::technical, T::incremental, 1),
      benefit("marketing_campaign_kit", "Marketing campaign kit", K::go_to_market, T::core, 1),
      benefit("customer_case_study", "Customer case study", K::go_to_market, T::incremental, 1),
  };
  return OfferCatalogue{"default-2026-1", {maps, silver, gold}};
}

}  // namespace

const OfferCatalogue& default_offer_catalogue() {
  static const OfferCatalogue catalogue = build_defaults();
  return catalogue;
}

std::optional<std::string> check_offer_catalogue(const OfferCatalogue& c) {
  if (c.version.empty() || c.version.size() > 64) return "catalogue version must be 1-64 bytes";
  if (c.offers.empty()) return "the catalogue has no offers";
  if (c.offers.size() > 64) return "the catalogue has more than 64 offers";
  std::set<std::string> offers;
  for (const auto& o : c.offers) {
    if (o.offer_id.empty() || o.offer_id.size() > 64) return "an offer id is empty or longer than 64 bytes";
    if (!offers.insert(o.offer_id).second) return "offer " + o.offer_id + " is listed twice";
    if (o.price.amount_minor < 0 || o.price.currency.size() != 3) {
      return "offer " + o.offer_id + " needs a price of zero or more in an ISO 4217 currency";
    }
    if (!o.required_competency.empty() && o.required_competency != "silver" &&
        o.required_competency != "gold") {
      return "offer " + o.offer_id + ": required_competency must be empty, silver or gold";
    }
    if (o.upgrade_discount_percent > 100) return "offer " + o.offer_id + ": discount above 100%";
    if (o.benefits.size() > 64 || o.products.size() > 16) return "offer " + o.offer_id + " lists too many items";
    std::set<std::string> benefits;
    for (const auto& b : o.benefits) {
      if (b.benefit_id.empty() || b.benefit_id.size() > 64 || b.benefit_id.find('/') != std::string::npos) {
        return "offer " + o.offer_id + ": a benefit id is empty, too long or holds '/'";
      }
      if (!benefits.insert(b.benefit_id).second) return "offer " + o.offer_id + ": benefit " + b.benefit_id + " twice";
      if (b.quantity == 0 || b.quantity > 1'000'000) {
        return "offer " + o.offer_id + ": benefit " + b.benefit_id + " needs a quantity of 1 to 1000000";
      }
    }
    for (const auto& p : o.products) {
      if (p.product.empty() || p.keys == 0 || p.keys > 100) {
        return "offer " + o.offer_id + ": each product needs a name and 1 to 100 keys";
      }
      if (p.kind == KeyKind::subscription && p.seats_per_key == 0) {
        return "offer " + o.offer_id + ": subscription product " + p.product + " needs seats_per_key";
      }
      if (p.kind == KeyKind::multiple_activation && p.activations_max == 0) {
        return "offer " + o.offer_id + ": product " + p.product + " needs activations_max";
      }
      if (p.languages.empty() || p.operating_systems.empty()) {
        return "offer " + o.offer_id + ": product " + p.product + " needs languages and operating systems";
      }
    }
  }
  return std::nullopt;
}

}  // namespace mledger
