# mledger event schema: the published contract for everyone who reads the log.
#
# Every event travels as an `Envelope`. The envelope's `body` holds the canonical
# Cap'n Proto encoding (capnp spec, "Canonicalization") of one `EventBody`, as a
# single segment without a segment table. The hash chain is:
#
#   hash = SHA-256(prevHash || body)        prevHash of event 1 = 32 zero bytes
#
# so an auditor verifies an event with nothing but SHA-256, and decodes the body
# with this file alone (C++: capnp::SegmentArrayMessageReader over one segment;
# Python: EventBody.from_segments([body])).
#
# Evolution rules (never broken): new fields and union members take new, higher
# ordinals; nothing is renumbered, retyped or removed; every union starts with
# `none @0 :Void` so that readers of older messages see `none`; readers must
# handle an unknown union member (a newer writer) as "skip".
#
# Units are in the names: *Micros are microseconds since the Unix epoch (UTC),
# *Minor are integer minor units of `currency` (ISO 4217), *Days are days.
#
# Names follow the domain's (and the JSON form's) snake_case names in
# lowerCamelCase: a payload member is its type name (`OrderPlaced` ->
# `orderPlaced`), a field its domain field (`card_last4` -> `cardLast4`, plus
# `Micros` for instants), an enumerant its domain value. An optional struct
# `x` comes with a Bool `hasX`; an optional Text is empty when absent. The codec
# (adapters/capnp/struct_codec.h) checks this file against the domain when it
# starts.

@0xe07213e16a1601e5;

$import "/capnp/c++.capnp".namespace("mledger::wire");

struct Envelope {
  prevHash @0 :Data;   # 32 bytes: `hash` of the event before (zeros for seq 1)
  hash @1 :Data;       # 32 bytes: SHA-256(prevHash || body)
  body @2 :Data;       # canonical EventBody
}

struct EventBody {
  seq @0 :UInt64;                # global sequence, gap-free from 1
  stream @1 :Text;               # e.g. "account-4500123", "key-...", "tenant-...", "merge-<a>+<b>", "catalogue"
  version @2 :UInt64;            # position in the stream, gap-free from 1
  eventId @3 :Text;              # unique id of this event
  type @4 :Text;                 # the payload's type name, e.g. "PartnerAccountEnrolled"
  schemaVersion @5 :UInt32;      # version of the payload's meaning
  recordedAtMicros @6 :Int64;    # when the ledger recorded it (ledger clock, UTC)
  commandId @7 :Text;            # the client-chosen id of the command that caused it
  correlationId @8 :Text;
  causationId @9 :Text;
  actor @10 :Actor;
  accountIds @11 :List(Text);    # every partner account this event concerns
  payload @12 :Payload;
  occurredAtMicros @13 :Int64;   # the business time of the command (its `now`)
}

enum ActorKind {
  user @0;       # a partner user acting inside its own account
  auditor @1;    # reads every account, writes nothing
  operator @2;   # runs projections, backups and publishing
  service @3;    # trusted back office: payments, fulfilment, the clock
}

enum Role {
  globalAdmin @0;
  accountAdmin @1;
  userManagementAdmin @2;
  mpnPartnerAdmin @3;
  adminAgent @4;
  incentivesAdmin @5;
  referralsAdmin @6;
  businessProfileAdmin @7;
}

struct Actor {
  kind @0 :ActorKind;
  accountId @1 :Text;
  userId @2 :Text;
  roles @3 :List(Role);
}

struct PostalAddress {
  line1 @0 :Text;
  line2 @1 :Text;
  city @2 :Text;
  region @3 :Text;
  postalCode @4 :Text;
  country @5 :Text;    # ISO 3166-1 alpha-2
}

struct ContactPerson {
  firstName @0 :Text;
  lastName @1 :Text;
  email @2 :Text;
}

struct Money {
  amountMinor @0 :Int64;
  currency @1 :Text;   # ISO 4217
}

# ---------------------------------------------------------------------------
# The payload: one member per event type. Append only.

struct Payload {
  union {
    none @0 :Void;

    # Accounts, users, locations, tenants, settings, programs (R-ACC-*, R-ROLE-*)
    partnerAccountEnrolled @1 :PartnerAccountEnrolled;
    companyInfoUpdated @2 :CompanyInfoUpdated;
    companyInfoLocked @3 :CompanyInfoLocked;
    verificationEmailSent @4 :VerificationEmailSent;
    emailOwnershipConfirmed @5 :EmailOwnershipConfirmed;
    accountVerificationAuthorized @6 :AccountVerificationAuthorized;
    accountVerificationRejected @7 :AccountVerificationRejected;
    accountVerificationResubmitted @8 :AccountVerificationResubmitted;
    userAdded @9 :UserAdded;
    userRemoved @10 :UserRemoved;
    userRolesChanged @11 :UserRolesChanged;
    locationAdded @12 :LocationAdded;
    tenantAssociated @13 :TenantAssociated;
    tenantRemoved @14 :TenantRemoved;
    notificationSettingsChanged @15 :NotificationSettingsChanged;
    programEnrolled @16 :ProgramEnrolled;
    accountSuspended @17 :AccountSuspended;
    accountReinstated @18 :AccountReinstated;
    businessInfoReviewed @19 :BusinessInfoReviewed;
    competencyAttained @20 :CompetencyAttained;
    marketingContactAssigned @21 :MarketingContactAssigned;

    # Orders, payments, cancellations, refunds, renewals (R-ORD-*)
    orderPlaced @22 :OrderPlaced;
    orderDeclined @23 :OrderDeclined;
    cardPaymentCharged @24 :CardPaymentCharged;
    wirePaymentRecorded @25 :WirePaymentRecorded;
    membershipActivated @26 :MembershipActivated;
    orderExpired @27 :OrderExpired;
    orderCancellationRequested @28 :OrderCancellationRequested;
    orderCancelled @29 :OrderCancelled;
    orderRefunded @30 :OrderRefunded;
    orderMadeNonRefundable @31 :OrderMadeNonRefundable;
    renewalWindowOpened @32 :RenewalWindowOpened;
    membershipRenewed @33 :MembershipRenewed;
    membershipLapsed @34 :MembershipLapsed;
    enrollmentYearEnded @35 :EnrollmentYearEnded;

    # Keys (R-KEY-*)
    keysRevealed @36 :KeysRevealed;
    keyRedeemed @37 :KeyRedeemed;
    replacementKeyIssued @38 :ReplacementKeyIssued;
    keyActivationRecorded @39 :KeyActivationRecorded;

    # Benefits and their assignment (R-BEN-*)
    benefitsAllocated @40 :BenefitsAllocated;
    benefitAssigned @41 :BenefitAssigned;
    benefitUnassigned @42 :BenefitUnassigned;
    benefitTransferred @43 :BenefitTransferred;
    benefitsEnded @44 :BenefitsEnded;

    # Technical and go-to-market benefits (R-TEC-*, R-GTM-*)
    technicalBenefitRequested @45 :TechnicalBenefitRequested;
    technicalBenefitActivated @46 :TechnicalBenefitActivated;
    supportIncidentUsed @47 :SupportIncidentUsed;
    advisoryHoursUsed @48 :AdvisoryHoursUsed;
    goToMarketOfferRequested @49 :GoToMarketOfferRequested;
    goToMarketOfferActivated @50 :GoToMarketOfferActivated;
    goToMarketOfferExpired @51 :GoToMarketOfferExpired;

    # Account-merge invitations (R-MRG-*)
    mergeInvitationSent @52 :MergeInvitationSent;
    mergeInvitationAccepted @53 :MergeInvitationAccepted;
    mergeInvitationDeclined @54 :MergeInvitationDeclined;
    mergeInvitationWithdrawn @55 :MergeInvitationWithdrawn;
    mergeInvitationExpired @56 :MergeInvitationExpired;
    accountsMerged @57 :AccountsMerged;
    accountMergedAway @58 :AccountMergedAway;

    # Catalogue (issue: offer catalogue as data; every change affecting an account is recorded)
    offerCatalogueChanged @59 :OfferCatalogueChanged;
    accountEntitlementsAdjusted @60 :AccountEntitlementsAdjusted;

    # Added after the first release (members of the groups above).
    tenantClaimed @61 :TenantClaimed;                          # accounts, tenant stream
    tenantReleased @62 :TenantReleased;                        # accounts, tenant stream
    keyIssued @63 :KeyIssued;                                  # keys, key stream
    subscriptionChangedByKey @64 :SubscriptionChangedByKey;    # keys, account stream
    mergeInvitationCompleted @65 :MergeInvitationCompleted;    # merges, pair stream
    userLicensingOfferRecorded @66 :UserLicensingOfferRecorded;  # accounts, account stream
  }
}

# --- accounts ---------------------------------------------------------------

enum CompanySource {
  dunsLookup @0;
  enteredByHand @1;
}

enum AddressKept {
  entered @0;
  validated @1;
}

struct AddressValidation {       # R-ACC-03
  entered @0 :PostalAddress;
  validated @1 :PostalAddress;
  kept @2 :AddressKept;
}

struct PartnerAccountEnrolled {  # R-ACC-01..03
  accountId @0 :Text;
  legalName @1 :Text;
  address @2 :PostalAddress;     # the address in force
  phone @3 :Text;                # digits only, at most 10
  primaryContact @4 :ContactPerson;
  enrolledByUserId @5 :Text;     # becomes the first global admin (see UserAdded)
  source @6 :CompanySource;
  dunsNumber @7 :Text;
  addressValidation @8 :AddressValidation;   # present only for validated addresses
  hasAddressValidation @9 :Bool;
}

struct CompanyInfoUpdated {      # R-ACC-04 (rejected while locked)
  legalName @0 :Text;
  address @1 :PostalAddress;
  phone @2 :Text;
  changedFields @3 :List(Text);
}

struct CompanyInfoLocked {       # R-ACC-04: the company already has a presence
  presence @0 :Text;             # e.g. "csp", "legacy_membership_center"
}

enum VerificationCheck {
  emailOwnership @0;
  employment @1;
  business @2;
}

struct VerificationEmailSent {   # R-ACC-05
  email @0 :Text;
  sendCount @1 :UInt32;
}

struct EmailOwnershipConfirmed {
  email @0 :Text;
}

struct AccountVerificationAuthorized {
  checks @0 :List(VerificationCheck);
}

struct AccountVerificationRejected {
  failedCheck @0 :VerificationCheck;
  fieldsToCorrect @1 :List(Text);
  reason @2 :Text;
}

struct AccountVerificationResubmitted {
  correctedFields @0 :List(Text);
}

struct UserAdded {               # R-ROLE-03, R-ROLE-04
  accountId @0 :Text;
  userId @1 :Text;
  email @2 :Text;
  displayName @3 :Text;
  guest @4 :Bool;
  roles @5 :List(Role);
}

struct UserRemoved {
  userId @0 :Text;
}

struct UserRolesChanged {        # R-ROLE-03, R-ROLE-06
  userId @0 :Text;
  roles @1 :List(Role);          # the full set after the change
  previousRoles @2 :List(Role);
}

struct LocationAdded {           # R-ACC-06
  locationPartnerId @0 :Text;
  name @1 :Text;
  address @2 :PostalAddress;
}

struct TenantAssociated {        # R-ACC-07
  tenantId @0 :Text;
  domain @1 :Text;
  primary @2 :Bool;
}

struct TenantRemoved {
  tenantId @0 :Text;
}

struct NotificationSettingsChanged {   # R-ACC-08
  defaultEmail @0 :Text;
  alternateEmail @1 :Text;
}

struct ProgramEnrolled {         # R-ACC-10
  program @0 :Text;              # e.g. "partner_network", "csp", "isv"
  requirementsMet @1 :List(Text);
}

struct AccountSuspended {
  reason @0 :Text;
}

struct AccountReinstated {
  reason @0 :Text;
}

struct BusinessInfoReviewed {    # R-ORD-08
  reviewedByUserId @0 :Text;
}

struct CompetencyAttained {      # R-ORD-01: Silver/Gold prerequisites
  level @0 :Text;                # "silver" | "gold"
  competency @1 :Text;
}

enum LicensingOffer {             # R-BEN-04
  enterpriseAgreement @0;
  cloudSolutionProvider @1;
  azureInOpen @2;
  azurePass @3;
  actionPack @4;
}

struct UserLicensingOfferRecorded {  # R-BEN-04
  userId @0 :Text;
  offer @1 :LicensingOffer;
  held @2 :Bool;                   # false: the user no longer holds it
}

struct MarketingContactAssigned {  # R-GTM-02
  userId @0 :Text;
  email @1 :Text;
  phone @2 :Text;
  preferredLanguage @3 :Text;
}

struct TenantClaimed {           # R-ACC-07, on the tenant's stream "tenant-<id>"
  tenantId @0 :Text;
  accountId @1 :Text;
}

struct TenantReleased {
  tenantId @0 :Text;
  accountId @1 :Text;
}

# --- orders -----------------------------------------------------------------

enum PaymentMethod {
  card @0;
  wire @1;
}

struct OrderPlaced {             # R-ORD-01..04, R-ORD-07
  orderId @0 :Text;
  offerId @1 :Text;              # "action_pack", "silver", "gold", or a catalogue offer
  paymentMethod @2 :PaymentMethod;
  listPrice @3 :Money;
  price @4 :Money;               # after discounts
  discountPercent @5 :UInt32;    # 25 for a Silver-to-Gold upgrade
  upgradeFromOrderId @6 :Text;
  billingAddress @7 :PostalAddress;
  orderNumber @8 :Text;          # wire orders: the number to quote on the transfer
  placedByUserId @9 :Text;
  renewal @10 :Bool;             # R-ORD-08: placed in the offer's renewal window
}

struct OrderDeclined {           # R-ORD-03
  orderId @0 :Text;
  offerId @1 :Text;
  reason @2 :Text;               # "payment_declined_address_mismatch"
}

struct CardPaymentCharged {      # R-ORD-04
  orderId @0 :Text;
  amount @1 :Money;
  cardLast4 @2 :Text;
}

struct WirePaymentRecorded {     # R-ORD-04, by the service actor
  orderId @0 :Text;
  amount @1 :Money;
  bankReference @2 :Text;
}

struct MembershipActivated {     # R-ORD-04, R-ORD-08
  orderId @0 :Text;
  offerId @1 :Text;
  anniversaryMicros @2 :Int64;
}

struct OrderExpired {            # R-ORD-04: unpaid wire order after 30 days
  orderId @0 :Text;
}

struct OrderCancellationRequested {  # R-ORD-05
  orderId @0 :Text;
}

struct OrderCancelled {          # R-ORD-05: confirmed
  orderId @0 :Text;
}

struct OrderRefunded {           # R-ORD-06
  orderId @0 :Text;
  amount @1 :Money;
}

struct OrderMadeNonRefundable {  # R-ORD-07
  orderId @0 :Text;
  reason @1 :Text;
}

struct RenewalWindowOpened {     # R-ORD-08
  offerId @0 :Text;
  windowEndsMicros @1 :Int64;
}

struct MembershipRenewed {       # R-ORD-08
  offerId @0 :Text;
  orderId @1 :Text;
  previousAnniversaryMicros @2 :Int64;
  anniversaryMicros @3 :Int64;
}

struct MembershipLapsed {        # R-ORD-08
  offerId @0 :Text;
}

struct EnrollmentYearEnded {     # R-BEN-04
  offerId @0 :Text;
  yearEndMicros @1 :Int64;
}

# --- keys -------------------------------------------------------------------

struct KeysRevealed {            # R-KEY-02, R-KEY-07
  orderId @0 :Text;
  product @1 :Text;
  language @2 :Text;
  operatingSystem @3 :Text;
  keyIds @4 :List(Text);
}

enum RedemptionMode {
  addSeats @0;
  extendEndDate @1;
}

struct KeyRedeemed {             # R-KEY-01, R-KEY-03, R-KEY-04
  keyId @0 :Text;                # 25 characters
  accountId @1 :Text;
  userId @2 :Text;
  mode @3 :RedemptionMode;
  seats @4 :UInt32;
  activeSeatsBefore @5 :UInt32;
  endMicros @6 :Int64;           # the subscription's end after redemption
}

struct ReplacementKeyIssued {    # R-KEY-05
  originalKeyId @0 :Text;
  replacementKeyId @1 :Text;
}

struct KeyActivationRecorded {   # R-KEY-06
  keyId @0 :Text;
  activationsUsed @1 :UInt32;
  activationsMax @2 :UInt32;
}

enum KeyKind {
  subscription @0;
  multipleActivation @1;
}

struct KeyIssued {               # R-KEY-02, R-KEY-05: first event of a key's stream
  keyId @0 :Text;
  accountId @1 :Text;            # the account that revealed it
  orderId @2 :Text;
  product @3 :Text;
  kind @4 :KeyKind;
  seats @5 :UInt32;              # subscription keys
  activationsMax @6 :UInt32;     # multiple-activation keys
  replacesKeyId @7 :Text;        # set for a replacement key
}

struct SubscriptionChangedByKey {  # R-KEY-03, R-KEY-04, on the redeeming account's stream
  product @0 :Text;
  keyId @1 :Text;
  mode @2 :RedemptionMode;
  seats @3 :UInt32;              # active seats after
  endMicros @4 :Int64;           # end after
}

# --- benefits ---------------------------------------------------------------

enum BenefitKind {
  azureMonthlyCredit @0;
  azureBulkCredit @1;
  visualStudio @2;
  licensedProduct @3;
  technical @4;
  goToMarket @5;
}

enum BenefitType {
  core @0;
  incremental @1;
}

struct BenefitsAllocated {       # R-BEN-06, R-BEN-07
  benefitId @0 :Text;
  offerId @1 :Text;
  orderId @2 :Text;
  kind @3 :BenefitKind;
  type @4 :BenefitType;
  quantity @5 :UInt32;
  expiryMicros @6 :Int64;        # last day to activate (R-ORD-09)
  creditAmount @7 :Money;        # credits only
  catalogueBenefitId @8 :Text;   # the benefit's id in the offer catalogue
  catalogueVersion @9 :Text;     # the catalogue in force when allocated
  closedTerm @10 :Bool;          # moved by a merge from a term a renewal had closed (R-MRG-05)
}

struct BenefitAssigned {         # R-BEN-01..06
  benefitId @0 :Text;
  userId @1 :Text;
  kind @2 :BenefitKind;
  assignedAtMicros @3 :Int64;    # start of the 90 days of R-BEN-05; kept by a merge
}

struct BenefitUnassigned {       # R-BEN-03
  benefitId @0 :Text;
  userId @1 :Text;
}

struct BenefitTransferred {      # R-BEN-04, R-BEN-05
  benefitId @0 :Text;
  fromUserId @1 :Text;
  toUserId @2 :Text;
}

struct BenefitsEnded {           # R-ORD-06 refund, R-ORD-08 lapse
  offerId @0 :Text;
  benefitIds @1 :List(Text);
}

struct TechnicalBenefitRequested {   # R-TEC-01
  benefitId @0 :Text;
  requestId @1 :Text;
}

struct TechnicalBenefitActivated {   # R-TEC-01, by the service actor
  benefitId @0 :Text;
  requestId @1 :Text;
  accessId @2 :Text;
  contractId @3 :Text;
}

enum IncidentKind {
  productSupport @0;
  signatureSupport @1;
}

struct SupportIncidentUsed {     # R-TEC-02
  kind @0 :IncidentKind;
  incidentId @1 :Text;
  usedThisYear @2 :UInt32;
  quota @3 :UInt32;
  benefitId @4 :Text;            # the allocation the incident came from
}

struct AdvisoryHoursUsed {       # R-TEC-02
  hours @0 :UInt32;
  usedThisYear @1 :UInt32;
  quota @2 :UInt32;
  benefitId @3 :Text;            # the allocation the hours came from
}

struct GoToMarketOfferRequested {  # R-GTM-01
  offerId @0 :Text;              # the go-to-market offer (its catalogue benefit id)
  requestId @1 :Text;
  benefitId @2 :Text;            # the allocation it draws on
}

struct GoToMarketOfferActivated {  # R-GTM-03
  offerId @0 :Text;
  requestId @1 :Text;
  expiryMicros @2 :Int64;
}

struct GoToMarketOfferExpired {
  offerId @0 :Text;
  requestId @1 :Text;
}

# --- merges -----------------------------------------------------------------

struct MergeInvitationSent {     # R-MRG-01..04
  invitationId @0 :Text;
  initiatorAccountId @1 :Text;
  inviteeAccountId @2 :Text;
  expiresMicros @3 :Int64;
}

struct MergeInvitationAccepted {
  invitationId @0 :Text;
}

struct MergeInvitationDeclined {
  invitationId @0 :Text;
  reason @1 :Text;
}

struct MergeInvitationWithdrawn {
  invitationId @0 :Text;
}

struct MergeInvitationExpired {
  invitationId @0 :Text;
}

struct MergeInvitationCompleted {  # on the pair's stream: the invitation reached `completed`
  invitationId @0 :Text;
}

struct MergedMembership {        # a membership the invitee brought into the merged company
  offerId @0 :Text;
  orderId @1 :Text;
  anniversaryMicros @2 :Int64;
}

struct AccountsMerged {          # R-MRG-05, on the initiator's stream
  invitationId @0 :Text;
  initiatorAccountId @1 :Text;
  inviteeAccountId @2 :Text;
  movedLocationIds @3 :List(Text);   # the invitee's global id becomes a location too
  movedUserIds @4 :List(Text);
  keptTenantIds @5 :List(Text);
  actionPackAnniversaryMicros @6 :Int64;   # the later of the two (0 if neither had one)
  memberships @7 :List(MergedMembership);
}

struct AccountMergedAway {       # R-MRG-05, on the invitee's stream
  invitationId @0 :Text;
  intoAccountId @1 :Text;
}

# --- catalogue --------------------------------------------------------------

struct OfferCatalogueChanged {   # on stream "catalogue": the catalogue now in force, in full
  catalogueVersion @0 :Text;
  sha256 @1 :Data;               # unused: never written (the catalogue is recorded in full)
  offers @2 :List(OfferSpec);
}

struct BenefitSpec {
  benefitId @0 :Text;            # catalogue id, e.g. "azure_monthly_credit"
  name @1 :Text;
  kind @2 :BenefitKind;
  type @3 :BenefitType;
  quantity @4 :UInt32;           # seats, incidents, hours
  creditAmount @5 :Money;        # credits only
}

struct ProductSpec {
  product @0 :Text;              # e.g. "windows_server"
  kind @1 :KeyKind;
  keys @2 :UInt32;               # keys revealed per order
  seatsPerKey @3 :UInt32;        # subscription keys
  activationsMax @4 :UInt32;     # multiple-activation keys
  languages @5 :List(Text);
  operatingSystems @6 :List(Text);
}

struct OfferSpec {
  offerId @0 :Text;              # "action_pack", "silver", "gold", ...
  name @1 :Text;
  price @2 :Money;
  requiredCompetency @3 :Text;   # "", "silver" or "gold"
  upgradeFromOfferId @4 :Text;   # R-ORD-07: "silver" for gold
  upgradeDiscountPercent @5 :UInt32;
  benefits @6 :List(BenefitSpec);
  products @7 :List(ProductSpec);
}

struct AccountEntitlementsAdjusted {   # reserved: no build of mledger writes it yet
  catalogueVersion @0 :Text;
  offerId @1 :Text;
  benefitId @2 :Text;
  quantityBefore @3 :UInt32;
  quantityAfter @4 :UInt32;
}
