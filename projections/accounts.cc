#include "projections/accounts.h"

namespace mledger::projections {

namespace {

struct Touches {
  const AccountState& s;
  Touched& out;

  void one(std::string_view kind, const std::string& id) { out.entities.push_back({kind, id}); }
  void all(std::string_view kind) { out.kinds.push_back(kind); }

  // Only the header (plain fields) changes, or nothing.
  template <class E>
  static constexpr bool kHeaderOnly =
      std::is_same_v<E, PartnerAccountEnrolled> || std::is_same_v<E, CompanyInfoUpdated> ||
      std::is_same_v<E, CompanyInfoLocked> || std::is_same_v<E, VerificationEmailSent> ||
      std::is_same_v<E, EmailOwnershipConfirmed> || std::is_same_v<E, AccountVerificationAuthorized> ||
      std::is_same_v<E, AccountVerificationRejected> ||
      std::is_same_v<E, AccountVerificationResubmitted> ||
      std::is_same_v<E, NotificationSettingsChanged> || std::is_same_v<E, ProgramEnrolled> ||
      std::is_same_v<E, AccountSuspended> || std::is_same_v<E, AccountReinstated> ||
      std::is_same_v<E, BusinessInfoReviewed> || std::is_same_v<E, CompetencyAttained> ||
      std::is_same_v<E, MarketingContactAssigned> || std::is_same_v<E, TenantClaimed> ||
      std::is_same_v<E, TenantReleased> || std::is_same_v<E, EnrollmentYearEnded> ||
      std::is_same_v<E, KeyRedeemed> || std::is_same_v<E, ReplacementKeyIssued> ||
      std::is_same_v<E, KeyActivationRecorded> || std::is_same_v<E, KeyIssued> ||
      std::is_same_v<E, MergeInvitationSent> || std::is_same_v<E, MergeInvitationAccepted> ||
      std::is_same_v<E, MergeInvitationDeclined> || std::is_same_v<E, MergeInvitationWithdrawn> ||
      std::is_same_v<E, MergeInvitationExpired> || std::is_same_v<E, MergeInvitationCompleted> ||
      std::is_same_v<E, AccountMergedAway> || std::is_same_v<E, OfferCatalogueChanged>;

  template <class E>
  void operator()(const E&) {
    if constexpr (!kHeaderOnly<E>) out.everything = true;  // a type this list does not know
  }

  void operator()(const UserAdded& e) { one("users", e.user_id); }
  void operator()(const UserRemoved& e) { one("users", e.user_id); }
  void operator()(const UserRolesChanged& e) { one("users", e.user_id); }
  void operator()(const LocationAdded&) { one("locations", position_id(s.locations.size())); }
  void operator()(const TenantAssociated& e) { one("tenants", e.tenant_id); }
  void operator()(const TenantRemoved& e) { one("tenants", e.tenant_id); }
  void operator()(const UserLicensingOfferRecorded& e) { one("user_licensing_offers", e.user_id); }

  void operator()(const OrderPlaced& e) { one("orders", e.order_id); }
  void operator()(const OrderDeclined& e) { one("orders", e.order_id); }
  void operator()(const CardPaymentCharged& e) { one("orders", e.order_id); }
  void operator()(const WirePaymentRecorded& e) { one("orders", e.order_id); }
  void operator()(const OrderExpired& e) { one("orders", e.order_id); }
  void operator()(const OrderCancellationRequested& e) { one("orders", e.order_id); }
  void operator()(const OrderCancelled& e) { one("orders", e.order_id); }
  void operator()(const OrderMadeNonRefundable& e) { one("orders", e.order_id); }
  void operator()(const KeysRevealed& e) { one("orders", e.order_id); }
  void operator()(const OrderRefunded& e) {
    one("orders", e.order_id);
    all("allocations");  // the order's benefits end
    all("memberships");  // its membership ends
  }
  void operator()(const MembershipActivated& e) { one("memberships", e.offer_id); }
  void operator()(const RenewalWindowOpened& e) { one("memberships", e.offer_id); }
  void operator()(const MembershipLapsed& e) { one("memberships", e.offer_id); }
  void operator()(const MembershipRenewed& e) {
    one("memberships", e.offer_id);
    all("allocations");  // the renewal closes the offer's current term
  }
  void operator()(const AccountsMerged&) {
    all("memberships");
    all("allocations");
  }
  void operator()(const SubscriptionChangedByKey& e) { one("subscriptions", e.product); }

  void operator()(const BenefitsAllocated& e) { one("allocations", e.benefit_id); }
  void operator()(const BenefitAssigned& e) { one("allocations", e.benefit_id); }
  void operator()(const BenefitUnassigned& e) { one("allocations", e.benefit_id); }
  void operator()(const BenefitTransferred& e) { one("allocations", e.benefit_id); }
  void operator()(const BenefitsEnded& e) {
    for (const auto& id : e.benefit_ids) one("allocations", id);
  }
  void operator()(const TechnicalBenefitRequested& e) {
    one("allocations", e.benefit_id);
    one("technical_requests", e.request_id);
  }
  void operator()(const TechnicalBenefitActivated& e) { one("technical_requests", e.request_id); }
  void operator()(const SupportIncidentUsed& e) {
    one("allocations", e.benefit_id);
    one("incidents", e.incident_id);
  }
  void operator()(const AdvisoryHoursUsed& e) { one("allocations", e.benefit_id); }
  void operator()(const GoToMarketOfferRequested& e) {
    one("allocations", e.benefit_id);
    one("go_to_market_requests", e.request_id);
  }
  void operator()(const GoToMarketOfferActivated& e) { one("go_to_market_requests", e.request_id); }
  void operator()(const GoToMarketOfferExpired& e) { one("go_to_market_requests", e.request_id); }
};

}  // namespace

void AccountsProjection::touched(const Doc& before, const std::string&, const RecordedEvent& e,
                                 Touched& out) {
  std::visit(Touches{before, out}, e.payload);
}

}  // namespace mledger::projections
