#include "domain/access/permissions.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace mledger {

namespace {

using enum Role;
using K = ActorKind;
using C = RejectionCode;

Permission system(std::string_view command, ActorKind kind) {
  return Permission{command, kind, {}, RejectionCode::actor_not_allowed, false};
}

const std::vector<Permission>& table() {
  static const std::vector<Permission> t = {
      // account setup (R-ACC-*)
      {EnrollPartnerAccount::kName, K::user, {}, C::actor_not_allowed, true},
      {UpdateCompanyInfo::kName, K::user, {account_admin, business_profile_admin}},
      system(LockCompanyInfo::kName, K::service),
      system(SyncCompanyInfo::kName, K::service),
      {SendVerificationEmail::kName, K::user, {account_admin}},
      system(ConfirmEmailOwnership::kName, K::service),
      system(AuthorizeVerification::kName, K::service),
      system(RejectVerification::kName, K::service),
      {ResubmitVerification::kName, K::user, {account_admin}},
      {AddUser::kName, K::user, {user_management_admin, account_admin}, C::role_cannot_manage_users},
      {RemoveUser::kName, K::user, {user_management_admin, account_admin}, C::role_cannot_manage_users},
      {ChangeUserRoles::kName, K::user, {account_admin}, C::role_cannot_assign_roles},
      {AddLocation::kName, K::user, {account_admin}, C::role_cannot_add_locations},
      {AssociateTenant::kName, K::user, {}, C::only_global_admin_associates_tenants},
      {RemoveTenant::kName, K::user, {}, C::only_global_admin_associates_tenants},
      {ChangeNotificationSettings::kName, K::user, {account_admin}},
      {EnrollInProgram::kName, K::user, {account_admin, mpn_partner_admin}},
      system(SuspendAccount::kName, K::service),
      system(ReinstateAccount::kName, K::service),
      {ReviewBusinessInfo::kName, K::user, {account_admin}},
      system(RecordCompetency::kName, K::service),
      {AssignMarketingContact::kName, K::user, {account_admin, mpn_partner_admin}},
      // orders (R-ORD-*)
      {PlaceOrder::kName, K::user, {mpn_partner_admin, admin_agent, user_management_admin},
       C::role_cannot_purchase},
      system(RecordWirePayment::kName, K::service),
      {RequestOrderCancellation::kName, K::user,
       {mpn_partner_admin, admin_agent, user_management_admin}, C::role_cannot_purchase},
      {ConfirmOrderCancellation::kName, K::user,
       {mpn_partner_admin, admin_agent, user_management_admin}, C::role_cannot_purchase},
      {RefundOrder::kName, K::user, {mpn_partner_admin, account_admin}, C::role_cannot_refund},
      system(ExpireWireOrder::kName, K::service),
      system(OpenRenewalWindow::kName, K::service),
      system(LapseMembership::kName, K::service),
      // keys (R-KEY-07)
      {RevealKeys::kName, K::user, {mpn_partner_admin}, C::role_cannot_handle_keys},
      {RedeemKey::kName, K::user, {mpn_partner_admin}, C::role_cannot_handle_keys},
      {RequestReplacementKey::kName, K::user, {mpn_partner_admin}, C::role_cannot_handle_keys},
      system(RecordKeyActivation::kName, K::service),
      // benefits (R-BEN-01: the seed's stricter rule, global_admin only)
      system(RecordUserLicensingOffer::kName, K::service),
      {AssignBenefit::kName, K::user, {}, C::role_cannot_assign_benefits},
      {UnassignBenefit::kName, K::user, {}, C::role_cannot_assign_benefits},
      {TransferBenefit::kName, K::user, {}, C::role_cannot_assign_benefits},
      // technical and go-to-market (R-TEC-01, R-GTM-01)
      {RequestTechnicalBenefit::kName, K::user, {mpn_partner_admin},
       C::role_cannot_activate_technical_benefits},
      system(CompleteTechnicalBenefit::kName, K::service),
      {UseSupportIncident::kName, K::user, {mpn_partner_admin},
       C::role_cannot_activate_technical_benefits},
      {UseAdvisoryHours::kName, K::user, {mpn_partner_admin},
       C::role_cannot_activate_technical_benefits},
      {RequestGoToMarketOffer::kName, K::user, {mpn_partner_admin},
       C::role_cannot_activate_go_to_market_offers},
      system(CompleteGoToMarketOffer::kName, K::service),
      system(ExpireGoToMarketOffer::kName, K::service),
      // merges (R-MRG-02)
      {SendMergeInvitation::kName, K::user, {account_admin}, C::role_cannot_send_merge_invitations},
      {AcceptMergeInvitation::kName, K::user, {account_admin},
       C::role_cannot_answer_merge_invitations},
      {DeclineMergeInvitation::kName, K::user, {account_admin},
       C::role_cannot_answer_merge_invitations},
      {WithdrawMergeInvitation::kName, K::user, {account_admin},
       C::role_cannot_send_merge_invitations},
      {ConfirmMerge::kName, K::user, {account_admin}, C::role_cannot_send_merge_invitations},
      system(ExpireMergeInvitation::kName, K::service),
      // catalogue (operators run the program's configuration)
      system(ChangeOfferCatalogue::kName, K::operator_),
  };
  return t;
}

std::optional<Rejection> deny(RejectionCode code, std::string message) {
  return Rejection{code, std::move(message) + " (" + std::string(rule_id(code)) + ")"};
}

}  // namespace

std::span<const Permission> permission_table() { return table(); }

const Permission& permission_for(std::string_view command_type) {
  for (const Permission& p : table()) {
    if (p.command == command_type) return p;
  }
  assert(false && "every command type has a permission entry (tests check)");
  static const Permission none{};
  return none;
}

const std::vector<Role>* recorded_roles(const AccountState& account, std::string_view user_id) {
  auto it = account.users.find(std::string(user_id));
  return it == account.users.end() ? nullptr : &it->second.roles;
}

std::optional<Rejection> check_permission(const CommandContext& ctx, const CommandBody& body,
                                          const AccountState& account) {
  const std::string_view type = command_type_name(body);
  const Permission& p = permission_for(type);
  const Actor& actor = ctx.actor;
  if (actor.kind != p.issuer) {
    return deny(C::actor_not_allowed, std::string(actor_kind_name(actor.kind)) + " may not issue " +
                                          std::string(type) + "; it is issued by " +
                                          (p.issuer == K::user ? std::string("partner users")
                                                               : "the " + std::string(actor_kind_name(p.issuer)) + " actor"));
  }
  if (actor.kind == K::user && actor.account_id != ctx.account_id) {
    return deny(C::other_account_not_accessible,
                "user " + actor.user_id + " of account " + actor.account_id +
                    " may not act on account " + ctx.account_id);
  }
  if (p.self_enrollment) return std::nullopt;  // decide_enroll checks the rest
  if (!targets_account(body)) return std::nullopt;
  if (!account.enrolled) {
    return deny(C::account_not_found, "account " + ctx.account_id + " is not enrolled");
  }
  if (!account.merged_into.empty()) {
    return deny(C::account_merged_away, "account " + ctx.account_id + " was merged into " +
                                            account.merged_into + " and takes no more commands");
  }
  if (actor.kind != K::user) return std::nullopt;
  const std::vector<Role>* roles = recorded_roles(account, actor.user_id);
  if (roles == nullptr) {
    return deny(C::user_not_in_account,
                "user " + actor.user_id + " is not a user of account " + ctx.account_id);
  }
  const bool allowed = std::any_of(roles->begin(), roles->end(), [&](Role r) {
    return r == global_admin ||
           std::find(p.roles.begin(), p.roles.end(), r) != p.roles.end();
  });
  if (!allowed) {
    std::string need = "global_admin";
    for (Role r : p.roles) need += ", " + std::string(role_name(r));
    return deny(p.denied, std::string(type) + " needs one of the roles " + need + "; user " +
                              actor.user_id + " holds none of them");
  }
  return std::nullopt;
}

}  // namespace mledger
