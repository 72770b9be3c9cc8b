#pragma once
// Events of benefits (account stream): allocation from the offer catalogue,
// assignment to users, technical and go-to-market benefits (R-BEN-*,
// R-TEC-*, R-GTM-*).
//
// A benefit allocation is named by its benefit id
// "<account id>/<order id>/<catalogue benefit id>": unique across the ledger,
// and kept when a merge moves it to another account (R-MRG-05).

#include <string>
#include <string_view>
#include <vector>

#include "domain/core/fields.h"
#include "domain/core/money.h"
#include "domain/core/time.h"

namespace mledger {

MLEDGER_ENUM(BenefitKind, azure_monthly_credit, azure_bulk_credit, visual_studio, licensed_product,
             technical, go_to_market)
MLEDGER_ENUM(BenefitType, core, incremental)
MLEDGER_ENUM(IncidentKind, product_support, signature_support)

// R-BEN-06/07: `quantity` seats (or incidents, or hours) of one benefit.
struct BenefitsAllocated {
  static constexpr std::string_view kName = "BenefitsAllocated";
  std::string benefit_id;
  std::string offer_id;
  std::string order_id;
  BenefitKind kind = BenefitKind::licensed_product;
  BenefitType type = BenefitType::core;
  uint32_t quantity = 0;
  Instant expiry;      // last day to activate (R-ORD-09)
  Money credit_amount;  // credits only
  std::string catalogue_benefit_id;
  std::string catalogue_version;  // the catalogue in force when allocated
  // Moved by a merge from a membership term that a renewal had already closed:
  // it stays usable to that term's window end, not to the merged anniversary.
  bool closed_term = false;
  MLEDGER_FIELDS(benefit_id, offer_id, order_id, kind, type, quantity, expiry, credit_amount,
                 catalogue_benefit_id, catalogue_version, closed_term)
  friend bool operator==(const BenefitsAllocated&, const BenefitsAllocated&) = default;
};

// R-BEN-01..06. `assigned_at` is when the seat went to the user (kept when a
// merge moves the assignment), the start of the 90 days of R-BEN-05.
struct BenefitAssigned {
  static constexpr std::string_view kName = "BenefitAssigned";
  std::string benefit_id;
  std::string user_id;
  BenefitKind kind = BenefitKind::licensed_product;
  Instant assigned_at;
  MLEDGER_FIELDS(benefit_id, user_id, kind, assigned_at)
  friend bool operator==(const BenefitAssigned&, const BenefitAssigned&) = default;
};

struct BenefitUnassigned {
  static constexpr std::string_view kName = "BenefitUnassigned";
  std::string benefit_id;
  std::string user_id;
  MLEDGER_FIELDS(benefit_id, user_id)
  friend bool operator==(const BenefitUnassigned&, const BenefitUnassigned&) = default;
};

// R-BEN-04, R-BEN-05: the seat moves; the new holder's 90 days start now.
struct BenefitTransferred {
  static constexpr std::string_view kName = "BenefitTransferred";
  std::string benefit_id;
  std::string from_user_id;
  std::string to_user_id;
  MLEDGER_FIELDS(benefit_id, from_user_id, to_user_id)
  friend bool operator==(const BenefitTransferred&, const BenefitTransferred&) = default;
};

// R-ORD-06, R-ORD-08: a refund or a lapse ends the benefits of an offer.
struct BenefitsEnded {
  static constexpr std::string_view kName = "BenefitsEnded";
  std::string offer_id;
  std::vector<std::string> benefit_ids;
  MLEDGER_FIELDS(offer_id, benefit_ids)
  friend bool operator==(const BenefitsEnded&, const BenefitsEnded&) = default;
};

// R-TEC-01.
struct TechnicalBenefitRequested {
  static constexpr std::string_view kName = "TechnicalBenefitRequested";
  std::string benefit_id;
  std::string request_id;
  MLEDGER_FIELDS(benefit_id, request_id)
  friend bool operator==(const TechnicalBenefitRequested&, const TechnicalBenefitRequested&) = default;
};

// R-TEC-01: completed by the service actor; the ids are visible to every user.
struct TechnicalBenefitActivated {
  static constexpr std::string_view kName = "TechnicalBenefitActivated";
  std::string benefit_id;
  std::string request_id;
  std::string access_id;
  std::string contract_id;
  MLEDGER_FIELDS(benefit_id, request_id, access_id, contract_id)
  friend bool operator==(const TechnicalBenefitActivated&, const TechnicalBenefitActivated&) = default;
};

// R-TEC-02: one incident of the allocation `benefit_id` used.
struct SupportIncidentUsed {
  static constexpr std::string_view kName = "SupportIncidentUsed";
  IncidentKind kind = IncidentKind::product_support;
  std::string incident_id;
  uint32_t used_this_year = 0;  // after this one
  uint32_t quota = 0;
  std::string benefit_id;
  MLEDGER_FIELDS(kind, incident_id, used_this_year, quota, benefit_id)
  friend bool operator==(const SupportIncidentUsed&, const SupportIncidentUsed&) = default;
};

// R-TEC-02.
struct AdvisoryHoursUsed {
  static constexpr std::string_view kName = "AdvisoryHoursUsed";
  uint32_t hours = 0;
  uint32_t used_this_year = 0;  // after these
  uint32_t quota = 0;
  std::string benefit_id;
  MLEDGER_FIELDS(hours, used_this_year, quota, benefit_id)
  friend bool operator==(const AdvisoryHoursUsed&, const AdvisoryHoursUsed&) = default;
};

// R-GTM-01: `offer_id` is the go-to-market offer (its catalogue benefit id).
struct GoToMarketOfferRequested {
  static constexpr std::string_view kName = "GoToMarketOfferRequested";
  std::string offer_id;
  std::string request_id;
  std::string benefit_id;
  MLEDGER_FIELDS(offer_id, request_id, benefit_id)
  friend bool operator==(const GoToMarketOfferRequested&, const GoToMarketOfferRequested&) = default;
};

// R-GTM-03.
struct GoToMarketOfferActivated {
  static constexpr std::string_view kName = "GoToMarketOfferActivated";
  std::string offer_id;
  std::string request_id;
  Instant expiry;
  MLEDGER_FIELDS(offer_id, request_id, expiry)
  friend bool operator==(const GoToMarketOfferActivated&, const GoToMarketOfferActivated&) = default;
};

struct GoToMarketOfferExpired {
  static constexpr std::string_view kName = "GoToMarketOfferExpired";
  std::string offer_id;
  std::string request_id;
  MLEDGER_FIELDS(offer_id, request_id)
  friend bool operator==(const GoToMarketOfferExpired&, const GoToMarketOfferExpired&) = default;
};

}  // namespace mledger
