#pragma once
// Commands of benefits (R-BEN-*), technical benefits (R-TEC-*) and
// go-to-market offers (R-GTM-*).

#include <string>
#include <string_view>

#include "domain/core/fields.h"
#include "domain/core/time.h"
#include "domain/events/account_events.h"
#include "domain/events/benefit_events.h"

namespace mledger {

// R-BEN-04 (service): a user of the account holds (or, with held = false, no
// longer holds) another licensing, prepaid or credit offer.
struct RecordUserLicensingOffer {
  static constexpr std::string_view kName = "record_user_licensing_offer";
  std::string user_id;
  LicensingOffer offer = LicensingOffer::enterprise_agreement;
  bool held = true;
  MLEDGER_FIELDS(user_id, offer, held)
};

// R-BEN-01..06: `benefit_id` is an allocation's id (benefit_events.h).
struct AssignBenefit {
  static constexpr std::string_view kName = "assign_benefit";
  std::string benefit_id;
  std::string user_id;
  MLEDGER_FIELDS(benefit_id, user_id)
};

struct UnassignBenefit {
  static constexpr std::string_view kName = "unassign_benefit";
  std::string benefit_id;
  std::string user_id;
  MLEDGER_FIELDS(benefit_id, user_id)
};

struct TransferBenefit {
  static constexpr std::string_view kName = "transfer_benefit";
  std::string benefit_id;
  std::string from_user_id;
  std::string to_user_id;
  MLEDGER_FIELDS(benefit_id, from_user_id, to_user_id)
};

// R-TEC-01/02: a technical benefit of a membership (`offer_id`), by its
// catalogue id (`benefit`), e.g. "signature_cloud_support".
struct RequestTechnicalBenefit {
  static constexpr std::string_view kName = "request_technical_benefit";
  std::string offer_id;
  std::string benefit;
  std::string request_id;
  MLEDGER_FIELDS(offer_id, benefit, request_id)
};

// R-TEC-01 (service).
struct CompleteTechnicalBenefit {
  static constexpr std::string_view kName = "complete_technical_benefit";
  std::string request_id;
  std::string access_id;
  std::string contract_id;
  MLEDGER_FIELDS(request_id, access_id, contract_id)
};

// R-TEC-02.
struct UseSupportIncident {
  static constexpr std::string_view kName = "use_support_incident";
  std::string offer_id;
  IncidentKind kind = IncidentKind::product_support;
  std::string incident_id;
  MLEDGER_FIELDS(offer_id, kind, incident_id)
};

struct UseAdvisoryHours {
  static constexpr std::string_view kName = "use_advisory_hours";
  std::string offer_id;
  uint32_t hours = 0;
  MLEDGER_FIELDS(offer_id, hours)
};

// R-GTM-01: `go_to_market_offer` is the catalogue id of the offer to activate.
struct RequestGoToMarketOffer {
  static constexpr std::string_view kName = "request_go_to_market_offer";
  std::string offer_id;
  std::string go_to_market_offer;
  std::string request_id;
  MLEDGER_FIELDS(offer_id, go_to_market_offer, request_id)
};

// R-GTM-03 (service): activation done; usable until `expiry`.
struct CompleteGoToMarketOffer {
  static constexpr std::string_view kName = "complete_go_to_market_offer";
  std::string request_id;
  Instant expiry;
  MLEDGER_FIELDS(request_id, expiry)
};

// R-GTM-03 (service, or `mledger tick`).
struct ExpireGoToMarketOffer {
  static constexpr std::string_view kName = "expire_go_to_market_offer";
  std::string request_id;
  MLEDGER_FIELDS(request_id)
};

}  // namespace mledger
