#pragma once
// The events the domain emits, and an event as the log recorded it.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/core/actor.h"
#include "domain/core/time.h"
#include "domain/events/account_events.h"
#include "domain/events/benefit_events.h"
#include "domain/events/catalogue_events.h"
#include "domain/events/key_events.h"
#include "domain/events/merge_events.h"
#include "domain/events/order_events.h"

namespace mledger {

// Every payload type the domain emits. Each has a `kName` (its type name on
// the wire, in headers and in JSON) and its fields (domain/core/fields.h).
using EventPayload = std::variant<
    // account
    PartnerAccountEnrolled, CompanyInfoUpdated, CompanyInfoLocked, VerificationEmailSent,
    EmailOwnershipConfirmed, AccountVerificationAuthorized, AccountVerificationRejected,
    AccountVerificationResubmitted, UserAdded, UserRemoved, UserRolesChanged, LocationAdded,
    TenantAssociated, TenantRemoved, NotificationSettingsChanged, ProgramEnrolled, AccountSuspended,
    AccountReinstated, BusinessInfoReviewed, CompetencyAttained, MarketingContactAssigned,
    TenantClaimed, TenantReleased, UserLicensingOfferRecorded,
    // orders and memberships
    OrderPlaced, OrderDeclined, CardPaymentCharged, WirePaymentRecorded, MembershipActivated,
    OrderExpired, OrderCancellationRequested, OrderCancelled, OrderRefunded, OrderMadeNonRefundable,
    RenewalWindowOpened, MembershipRenewed, MembershipLapsed, EnrollmentYearEnded,
    // keys
    KeysRevealed, KeyRedeemed, ReplacementKeyIssued, KeyActivationRecorded, KeyIssued,
    SubscriptionChangedByKey,
    // benefits
    BenefitsAllocated, BenefitAssigned, BenefitUnassigned, BenefitTransferred, BenefitsEnded,
    TechnicalBenefitRequested, TechnicalBenefitActivated, SupportIncidentUsed, AdvisoryHoursUsed,
    GoToMarketOfferRequested, GoToMarketOfferActivated, GoToMarketOfferExpired,
    // merges
    MergeInvitationSent, MergeInvitationAccepted, MergeInvitationDeclined, MergeInvitationWithdrawn,
    MergeInvitationExpired, MergeInvitationCompleted, AccountsMerged, AccountMergedAway,
    // catalogue
    OfferCatalogueChanged>;

// "PartnerAccountEnrolled": the type name on the wire, in headers and in JSON.
std::string_view event_type_name(const EventPayload& payload);

// Every event type name, in the variant's order.
std::span<const std::string_view> event_type_names();

// Version of the payload's schema; bumped when a payload gains meaning.
inline constexpr uint32_t kEventSchemaVersion = 1;

using Hash256 = std::array<uint8_t, 32>;

// Facts about the command that caused an event, copied onto each event.
struct EventMetadata {
  std::string command_id;
  std::string correlation_id;
  std::string causation_id;
  Actor actor;
  Instant recorded_at;  // from the ledger's clock adapter
  Instant occurred_at;  // the command's business time (its `now`)
  friend bool operator==(const EventMetadata&, const EventMetadata&) = default;
};

// An event to append: where it goes and what it says. The log adds the rest.
struct NewEvent {
  std::string stream;
  std::string event_id;                  // unique; chosen by the caller (an input)
  std::vector<std::string> account_ids;  // the accounts this event concerns
  EventPayload payload;
};

// An event as stored: sealed into the hash chain.
struct RecordedEvent {
  uint64_t seq = 0;  // global, gap-free, from 1
  std::string stream;
  uint64_t version = 0;  // within the stream, gap-free, from 1
  std::string event_id;
  uint32_t schema_version = kEventSchemaVersion;
  std::vector<std::string> account_ids;
  EventMetadata metadata;
  EventPayload payload;
  Hash256 prev_hash{};  // hash of event seq-1 (zeros for seq 1)
  Hash256 hash{};       // SHA-256(prev_hash || canonical body bytes)
};

}  // namespace mledger
