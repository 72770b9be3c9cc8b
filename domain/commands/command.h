#pragma once
// A command: what someone asks the ledger to do, with who, when and for which
// account (R-LED-02). The domain never reads a clock: `now` is an input.

#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "domain/commands/account_commands.h"
#include "domain/commands/benefit_commands.h"
#include "domain/commands/catalogue_commands.h"
#include "domain/commands/key_commands.h"
#include "domain/commands/merge_commands.h"
#include "domain/commands/order_commands.h"
#include "domain/core/actor.h"
#include "domain/core/time.h"

namespace mledger {

using CommandBody = std::variant<
    // account
    EnrollPartnerAccount, UpdateCompanyInfo, LockCompanyInfo, SendVerificationEmail,
    ConfirmEmailOwnership, AuthorizeVerification, RejectVerification, ResubmitVerification, AddUser,
    RemoveUser, ChangeUserRoles, AddLocation, AssociateTenant, RemoveTenant,
    ChangeNotificationSettings, EnrollInProgram, SuspendAccount, ReinstateAccount,
    ReviewBusinessInfo, RecordCompetency, AssignMarketingContact,
    // orders
    PlaceOrder, RecordWirePayment, RequestOrderCancellation, ConfirmOrderCancellation, RefundOrder,
    ExpireWireOrder, OpenRenewalWindow, LapseMembership,
    // keys
    RevealKeys, RedeemKey, RequestReplacementKey, RecordKeyActivation,
    // benefits
    AssignBenefit, UnassignBenefit, TransferBenefit, RequestTechnicalBenefit,
    CompleteTechnicalBenefit, UseSupportIncident, UseAdvisoryHours, RequestGoToMarketOffer,
    CompleteGoToMarketOffer, ExpireGoToMarketOffer,
    // merges
    SendMergeInvitation, AcceptMergeInvitation, DeclineMergeInvitation, WithdrawMergeInvitation,
    ConfirmMerge, ExpireMergeInvitation,
    // catalogue
    ChangeOfferCatalogue,
    // added later (members of the groups above)
    SyncCompanyInfo, RecordUserLicensingOffer>;

// "enroll_partner_account": the `type` of the command's JSON form.
std::string_view command_type_name(const CommandBody& body);

// Every command type name, in the variant's order.
std::span<const std::string_view> command_type_names();

// Whether commands of this type target a partner account (all but the
// catalogue's, whose JSON form has no account_id).
bool targets_account(const CommandBody& body);

struct CommandContext {
  std::string command_id;  // client-chosen; a retry with the same id writes nothing new
  std::string correlation_id;
  std::string causation_id;
  Actor actor;
  std::string account_id;  // the partner account the command targets
  Instant now;             // the caller's clock
};

struct Command {
  CommandContext context;
  CommandBody body;
};

}  // namespace mledger
