#pragma once
// Internal to the deciders: what one decision is working with, and helpers
// for rejections and emitted events.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/core/streams.h"
#include "domain/decide/decide.h"

namespace mledger::decide_detail {

// A decider's answer: nullopt = allowed (events are in Ctx::out).
using Verdict = std::optional<Rejection>;

inline Verdict reject(RejectionCode code, std::string message) {
  return Rejection{code, std::move(message) + " (" + std::string(rule_id(code)) + ")"};
}

struct Ctx {
  const CommandContext& cmd;
  Aggregates& agg;
  const DomainPolicy& policy;
  const AccountState& account;  // the command's target account
  std::vector<Emitted> out;

  Instant now() const { return cmd.now; }
  const std::string& user() const { return cmd.actor.user_id; }

  // An event on the target account's stream.
  void to_account(EventPayload p) {
    out.push_back(Emitted{account_stream(cmd.account_id), {cmd.account_id}, std::move(p)});
  }
  void to(std::string stream, std::vector<std::string> account_ids, EventPayload p) {
    out.push_back(Emitted{std::move(stream), std::move(account_ids), std::move(p)});
  }
};

// Shared checks.
bool is_blank(std::string_view s);
// A required text field (field_required when blank) and its length.
Verdict check_text(std::string_view field, std::string_view value, size_t max_bytes);
// An optional text field's length only (field_too_long).
Verdict check_optional_text(std::string_view field, std::string_view value, size_t max_bytes);
Verdict check_money(const Money& m);
// R-BEN-04: Azure credits (monthly or bulk).
inline bool is_credit(BenefitKind k) {
  return k == BenefitKind::azure_monthly_credit || k == BenefitKind::azure_bulk_credit;
}
// R-ROLE-04: the roles a guest user may hold.
inline bool guest_may_hold(Role r) {
  return r == Role::mpn_partner_admin || r == Role::business_profile_admin ||
         r == Role::referrals_admin;
}
// A plain ASCII identifier of 1..max bytes: [A-Za-z0-9._:-].
bool is_identifier(std::string_view s, size_t max_bytes = 128);

// The deciders: one overload per command type (decide.cc visits them all).
// domain/decide/account.cc
Verdict on(const EnrollPartnerAccount& cmd, Ctx& c);
Verdict on(const UpdateCompanyInfo& cmd, Ctx& c);
Verdict on(const LockCompanyInfo& cmd, Ctx& c);
Verdict on(const SyncCompanyInfo& cmd, Ctx& c);
Verdict on(const SendVerificationEmail& cmd, Ctx& c);
Verdict on(const ConfirmEmailOwnership& cmd, Ctx& c);
Verdict on(const AuthorizeVerification& cmd, Ctx& c);
Verdict on(const RejectVerification& cmd, Ctx& c);
Verdict on(const ResubmitVerification& cmd, Ctx& c);
Verdict on(const AddUser& cmd, Ctx& c);
Verdict on(const RemoveUser& cmd, Ctx& c);
Verdict on(const ChangeUserRoles& cmd, Ctx& c);
Verdict on(const AddLocation& cmd, Ctx& c);
Verdict on(const AssociateTenant& cmd, Ctx& c);
Verdict on(const RemoveTenant& cmd, Ctx& c);
Verdict on(const ChangeNotificationSettings& cmd, Ctx& c);
Verdict on(const EnrollInProgram& cmd, Ctx& c);
Verdict on(const SuspendAccount& cmd, Ctx& c);
Verdict on(const ReinstateAccount& cmd, Ctx& c);
Verdict on(const ReviewBusinessInfo& cmd, Ctx& c);
Verdict on(const RecordCompetency& cmd, Ctx& c);
Verdict on(const AssignMarketingContact& cmd, Ctx& c);
// domain/decide/orders.cc
Verdict on(const PlaceOrder& cmd, Ctx& c);
Verdict on(const RecordWirePayment& cmd, Ctx& c);
Verdict on(const RequestOrderCancellation& cmd, Ctx& c);
Verdict on(const ConfirmOrderCancellation& cmd, Ctx& c);
Verdict on(const RefundOrder& cmd, Ctx& c);
Verdict on(const ExpireWireOrder& cmd, Ctx& c);
Verdict on(const OpenRenewalWindow& cmd, Ctx& c);
Verdict on(const LapseMembership& cmd, Ctx& c);
// domain/decide/keys.cc
Verdict on(const RevealKeys& cmd, Ctx& c);
Verdict on(const RedeemKey& cmd, Ctx& c);
Verdict on(const RequestReplacementKey& cmd, Ctx& c);
Verdict on(const RecordKeyActivation& cmd, Ctx& c);
// domain/decide/benefits.cc
Verdict on(const RecordUserLicensingOffer& cmd, Ctx& c);
Verdict on(const AssignBenefit& cmd, Ctx& c);
Verdict on(const UnassignBenefit& cmd, Ctx& c);
Verdict on(const TransferBenefit& cmd, Ctx& c);
Verdict on(const RequestTechnicalBenefit& cmd, Ctx& c);
Verdict on(const CompleteTechnicalBenefit& cmd, Ctx& c);
Verdict on(const UseSupportIncident& cmd, Ctx& c);
Verdict on(const UseAdvisoryHours& cmd, Ctx& c);
Verdict on(const RequestGoToMarketOffer& cmd, Ctx& c);
Verdict on(const CompleteGoToMarketOffer& cmd, Ctx& c);
Verdict on(const ExpireGoToMarketOffer& cmd, Ctx& c);
// domain/decide/merges.cc
Verdict on(const SendMergeInvitation& cmd, Ctx& c);
Verdict on(const AcceptMergeInvitation& cmd, Ctx& c);
Verdict on(const DeclineMergeInvitation& cmd, Ctx& c);
Verdict on(const WithdrawMergeInvitation& cmd, Ctx& c);
Verdict on(const ConfirmMerge& cmd, Ctx& c);
Verdict on(const ExpireMergeInvitation& cmd, Ctx& c);
// domain/decide/catalogue.cc
Verdict on(const ChangeOfferCatalogue& cmd, Ctx& c);

// Allocates an offer's benefits from the catalogue for a paid order
// (orders.cc; used by activation and renewal).
void allocate_benefits(Ctx& c, const OfferSpec& offer, const std::string& order_id,
                       Instant anniversary, const std::string& catalogue_version);

}  // namespace mledger::decide_detail
