// Deciders of account-merge invitations and the merge itself (R-MRG-*).

#include <algorithm>

#include "domain/account/enroll.h"
#include "domain/account/periods.h"
#include "domain/decide/decide_support.h"

namespace mledger::decide_detail {

namespace {

// The pair's latest invitation, checked to be `invitation_id` from
// `initiator` to `invitee`.
Verdict find_invitation(Ctx& c, const std::string& initiator, const std::string& invitee,
                        const std::string& invitation_id, const MergePairState** out) {
  const MergePairState& pair = c.agg.merge_pair(initiator, invitee);
  if (pair.status == InvitationStatus::none || pair.latest.invitation_id != invitation_id ||
      pair.latest.initiator_account_id != initiator || pair.latest.invitee_account_id != invitee) {
    return reject(RejectionCode::merge_invitation_not_found,
                  "no current invitation " + invitation_id.substr(0, 64) + " from " +
                      initiator.substr(0, 64) + " to " + invitee.substr(0, 64));
  }
  *out = &pair;
  return std::nullopt;
}

// The invitation waits for an answer (or, `or_accepted`, for the confirmation).
Verdict check_sent(const MergePairState& pair, bool or_accepted = false) {
  if (pair.status != InvitationStatus::sent &&
      !(or_accepted && pair.status == InvitationStatus::accepted)) {
    return reject(RejectionCode::merge_invitation_not_pending,
                  "invitation " + pair.latest.invitation_id + " is no longer waiting for an answer");
  }
  return std::nullopt;
}

// R-MRG-03: an answer comes before the invitation's expiry.
Verdict check_answered_in_time(const Ctx& c, const MergePairState& pair) {
  if (c.now() >= pair.latest.expires) {
    return reject(RejectionCode::merge_invitation_expired,
                  "invitation " + pair.latest.invitation_id + " expired at " +
                      format_rfc3339(pair.latest.expires));
  }
  return std::nullopt;
}

std::string pair_of(const std::string& a, const std::string& b) { return merge_pair_stream(a, b); }

}  // namespace

Verdict on(const SendMergeInvitation& cmd, Ctx& c) {
  const std::string& me = c.cmd.account_id;
  const std::string& invitee = cmd.invitee_partner_id;
  if (!is_identifier(cmd.invitation_id, 64)) {
    return reject(RejectionCode::field_required, "invitation id must be 1-64 identifier characters");
  }
  if (invitee.find('/') != std::string::npos) {
    return reject(RejectionCode::location_id_not_allowed,
                  invitee.substr(0, 96) + " is a location partner id; invite a company by its global "
                  "partner id");
  }
  if (!is_valid_account_id(invitee)) {
    return reject(RejectionCode::invitee_not_found, "no account has the partner id " + invitee.substr(0, 64));
  }
  if (invitee == me) {
    return reject(RejectionCode::self_invitation_not_allowed, "an account cannot invite itself");
  }
  const AccountState& v = c.agg.account(invitee);
  if (!v.enrolled) {
    return reject(RejectionCode::invitee_not_found, "no account has the partner id " + invitee);
  }
  if (!v.merged_into.empty()) {
    return reject(RejectionCode::location_id_not_allowed,
                  invitee + " was merged into " + v.merged_into + " and is now one of its locations");
  }
  if (v.suspended) {
    return reject(RejectionCode::invitee_not_active, "account " + invitee + " is suspended");
  }
  const MergePairState& pair = c.agg.merge_pair(me, invitee);
  if (pair.pending()) {
    return reject(RejectionCode::merge_invitation_pending,
                  "invitation " + pair.latest.invitation_id + " between " + me + " and " + invitee +
                      " is still pending; at most one per pair");
  }
  if (pair.invitation_ids.contains(cmd.invitation_id)) {
    return reject(RejectionCode::merge_invitation_id_used,
                  "invitation id " + cmd.invitation_id + " was used before by this pair");
  }
  c.to(pair_of(me, invitee), {me, invitee},
       MergeInvitationSent{cmd.invitation_id, me, invitee,
                           plus_days(c.now(), c.policy.merge_invitation_days)});
  return std::nullopt;
}

Verdict on(const AcceptMergeInvitation& cmd, Ctx& c) {
  const MergePairState* pair = nullptr;
  if (auto r = find_invitation(c, cmd.initiator_account_id, c.cmd.account_id, cmd.invitation_id, &pair)) {
    return r;
  }
  if (auto r = check_sent(*pair)) return r;
  if (auto r = check_answered_in_time(c, *pair)) return r;
  c.to(pair_of(cmd.initiator_account_id, c.cmd.account_id),
       {cmd.initiator_account_id, c.cmd.account_id}, MergeInvitationAccepted{cmd.invitation_id});
  return std::nullopt;
}

Verdict on(const DeclineMergeInvitation& cmd, Ctx& c) {
  const MergePairState* pair = nullptr;
  if (auto r = find_invitation(c, cmd.initiator_account_id, c.cmd.account_id, cmd.invitation_id, &pair)) {
    return r;
  }
  if (auto r = check_sent(*pair)) return r;
  if (auto r = check_answered_in_time(c, *pair)) return r;
  if (auto r = check_optional_text("reason", cmd.reason, 500)) return r;
  c.to(pair_of(cmd.initiator_account_id, c.cmd.account_id),
       {cmd.initiator_account_id, c.cmd.account_id}, MergeInvitationDeclined{cmd.invitation_id, cmd.reason});
  return std::nullopt;
}

Verdict on(const WithdrawMergeInvitation& cmd, Ctx& c) {
  const MergePairState* pair = nullptr;
  if (auto r = find_invitation(c, c.cmd.account_id, cmd.invitee_account_id, cmd.invitation_id, &pair)) {
    return r;
  }
  // The initiator may withdraw until the merge is confirmed (also once
  // accepted), so an unconfirmed pair is never stuck.
  if (auto r = check_sent(*pair, true)) return r;
  c.to(pair_of(c.cmd.account_id, cmd.invitee_account_id), {c.cmd.account_id, cmd.invitee_account_id},
       MergeInvitationWithdrawn{cmd.invitation_id});
  return std::nullopt;
}

Verdict on(const ExpireMergeInvitation& cmd, Ctx& c) {
  const MergePairState* pair = nullptr;
  if (auto r = find_invitation(c, c.cmd.account_id, cmd.invitee_account_id, cmd.invitation_id, &pair)) {
    return r;
  }
  if (auto r = check_sent(*pair)) return r;
  if (c.now() < pair->latest.expires) {
    return reject(RejectionCode::merge_invitation_not_yet_expired,
                  "invitation " + cmd.invitation_id + " expires at " + format_rfc3339(pair->latest.expires));
  }
  c.to(pair_of(c.cmd.account_id, cmd.invitee_account_id), {c.cmd.account_id, cmd.invitee_account_id},
       MergeInvitationExpired{cmd.invitation_id});
  return std::nullopt;
}

namespace {

// R-BEN-04: a user of both accounts never ends up holding an Azure bulk credit
// with another credit or with a licensing offer recorded for them.
Verdict check_credits_combinable(const Ctx& c, const AccountState& i, const AccountState& v,
                                 const std::string& other) {
  auto bulk_with_offers = [&](const AccountState& bulk_side, const AccountState& offer_side) -> Verdict {
    for (const auto& [user, offers] : offer_side.user_licensing_offers) {
      for (const auto& [id, a] : bulk_side.allocations) {
        if (a.kind != BenefitKind::azure_bulk_credit || !holds(bulk_side, a, user, c.now())) continue;
        return reject(RejectionCode::bulk_credit_not_combinable,
                      "user " + user + " holds the Azure bulk credit " + id + " and " +
                          std::string(enum_name(offers.front())) +
                          "; the merge would combine them");
      }
    }
    return std::nullopt;
  };
  if (auto r = bulk_with_offers(i, v)) return r;
  if (auto r = bulk_with_offers(v, i)) return r;
  for (const auto& [vid, va] : v.allocations) {
    if (!is_credit(va.kind)) continue;
    for (const auto& [user, since] : va.assignees) {
      if (!holds(v, va, user, c.now())) continue;
      for (const auto& [iid, ia] : i.allocations) {
        if (!is_credit(ia.kind) || !holds(i, ia, user, c.now())) continue;
        if (va.kind == BenefitKind::azure_bulk_credit || ia.kind == BenefitKind::azure_bulk_credit) {
          return reject(RejectionCode::bulk_credit_not_combinable,
                        "user " + user + " holds " + iid + " here and " + vid + " in " + other +
                            "; the merge would combine an Azure bulk credit with another credit");
        }
      }
    }
  }
  return std::nullopt;
}

// What must be settled before the invitee's account can move in.
Verdict check_mergeable(const Ctx& c, const AccountState& i, const AccountState& v,
                        const std::string& other) {
  if (!v.merged_into.empty()) {
    return reject(RejectionCode::account_merged_away, other + " was already merged into " + v.merged_into);
  }
  const bool pending_orders = std::any_of(v.orders.begin(), v.orders.end(), [](const auto& o) {
    return o.second.status == OrderStatus::awaiting_payment;
  });
  const bool pending_technical = std::any_of(v.technical_requests.begin(), v.technical_requests.end(),
                                             [](const auto& r) { return !r.second.completed; });
  const bool pending_gtm = std::any_of(v.go_to_market_requests.begin(), v.go_to_market_requests.end(),
                                       [](const auto& r) { return r.second.status == GoToMarketStatus::requested; });
  if (pending_orders || pending_technical || pending_gtm) {
    return reject(RejectionCode::invitee_has_pending_requests,
                  other + " has unpaid wire orders or benefit requests in progress; the merge waits "
                  "until they are settled");
  }
  // One of each offer at a time (R-ORD-01): an unpaid order of the initiator
  // for an offer the invitee brings live would, once paid, make two.
  for (const auto& [id, o] : i.orders) {
    if (o.status != OrderStatus::awaiting_payment) continue;
    if (auto m = v.memberships.find(o.offer_id); m != v.memberships.end() && m->second.live()) {
      return reject(RejectionCode::unpaid_order_conflicts_with_merge,
                    "order " + id + " for " + o.offer_id + " awaits payment while " + other +
                        " brings a live " + o.offer_id + "; cancel it or let it be paid first");
    }
  }
  return check_credits_combinable(c, i, v, other);
}

// The invitee's global account becomes a location; its locations move, ids kept.
void move_locations(Ctx& c, const AccountState& v, const std::vector<std::string>& both,
                    AccountsMerged& merged) {
  const std::string& me = c.cmd.account_id;
  c.to(account_stream(me), both, LocationAdded{v.account_id, v.legal_name, v.address});
  merged.moved_location_ids.push_back(v.account_id);
  for (const Location& l : v.locations) {
    c.to(account_stream(me), both, LocationAdded{l.location_partner_id, l.name, l.address});
    merged.moved_location_ids.push_back(l.location_partner_id);
  }
}

// Users keep their roles; the same directory user in both accounts is one
// person and keeps the roles it held in either (a guest only those a guest may
// hold). The licensing offers recorded for them come along (R-BEN-04).
void move_users(Ctx& c, const AccountState& i, const AccountState& v,
                const std::vector<std::string>& both, AccountsMerged& merged) {
  const std::string& me = c.cmd.account_id;
  for (const auto& [id, u] : v.users) {
    if (auto mine = i.users.find(id); mine != i.users.end()) {
      std::vector<Role> roles = mine->second.roles;
      for (Role r : u.roles) {
        if (std::find(roles.begin(), roles.end(), r) == roles.end() &&
            (!mine->second.guest || guest_may_hold(r))) {
          roles.push_back(r);
        }
      }
      if (roles != mine->second.roles) {
        c.to(account_stream(me), both, UserRolesChanged{id, roles, mine->second.roles});
      }
      continue;
    }
    c.to(account_stream(me), both, UserAdded{me, id, u.email, u.display_name, u.guest, u.roles});
    merged.moved_user_ids.push_back(id);
  }
  for (const auto& [user, offers] : v.user_licensing_offers) {
    const auto mine = i.user_licensing_offers.find(user);
    for (LicensingOffer o : offers) {
      if (mine != i.user_licensing_offers.end() &&
          std::find(mine->second.begin(), mine->second.end(), o) != mine->second.end()) {
        continue;
      }
      c.to(account_stream(me), both, UserLicensingOfferRecorded{user, o, true});
    }
  }
}

// Tenants are not merged: the result has both.
void move_tenants(Ctx& c, const AccountState& v, const std::vector<std::string>& both,
                  AccountsMerged& merged) {
  const std::string& me = c.cmd.account_id;
  for (const auto& [id, t] : v.tenants) {
    (void)c.agg.tenant(id);
    c.to(account_stream(me), both, TenantAssociated{id, t.domain, false});
    c.to(tenant_stream(id), both, TenantClaimed{id, me});
    merged.kept_tenant_ids.push_back(id);
  }
}

// Benefits of both stay until renewal: the invitee's current ones join the
// merged membership's term; those of a term a renewal closed keep its end.
void move_benefits(Ctx& c, const AccountState& v, const std::vector<std::string>& both) {
  const std::string& me = c.cmd.account_id;
  for (const auto& [id, a] : v.allocations) {
    if (!usable(v, a, c.now())) continue;
    const bool consumed = a.kind == BenefitKind::technical || a.kind == BenefitKind::go_to_market;
    BenefitsAllocated moved{id, a.offer_id, a.order_id, a.kind, a.type,
                            consumed ? a.quantity - std::min(a.used, a.quantity) : a.quantity,
                            a.expiry, a.credit_amount, a.catalogue_benefit_id, "merged", false};
    if (!a.current_term) {
      moved.closed_term = true;
      moved.expiry = benefit_expiry(a.kind, a.term_anniversary);
    }
    c.to(account_stream(me), both, std::move(moved));
    for (const auto& [user, since] : a.assignees) {
      c.to(account_stream(me), both, BenefitAssigned{id, user, a.kind, since});
    }
  }
}

// Whether a membership still holds at `now`: live, and its renewal window not
// yet over (past it, it has lapsed by the rule even before the clock records it).
bool holds_at(const Membership& m, Instant now) {
  return m.live() && now < period_end(m.anniversary, kRenewalWindowDays);
}

// Memberships: of two, the later anniversary is kept (R-MRG-05).
void merge_memberships(const Ctx& c, const AccountState& i, const AccountState& v, AccountsMerged& merged) {
  for (const auto& [offer, m] : v.memberships) {
    if (!holds_at(m, c.now())) continue;
    auto mine = i.memberships.find(offer);
    const bool i_has = mine != i.memberships.end() && holds_at(mine->second, c.now());
    if (i_has && mine->second.anniversary >= m.anniversary) {
      if (offer == kActionPack) merged.action_pack_anniversary = mine->second.anniversary;
      continue;
    }
    merged.memberships.push_back(
        MergedMembership{offer, i_has ? mine->second.order_id : m.order_id, m.anniversary});
    if (offer == kActionPack) merged.action_pack_anniversary = m.anniversary;
  }
  if (merged.action_pack_anniversary == Instant{}) {
    if (auto mine = i.memberships.find(std::string(kActionPack));
        mine != i.memberships.end() && mine->second.live()) {
      merged.action_pack_anniversary = mine->second.anniversary;
    }
  }
}

}  // namespace

Verdict on(const ConfirmMerge& cmd, Ctx& c) {
  const std::string& me = c.cmd.account_id;
  const std::string& other = cmd.invitee_account_id;
  const MergePairState* pair = nullptr;
  if (auto r = find_invitation(c, me, other, cmd.invitation_id, &pair)) return r;
  if (pair->status != InvitationStatus::accepted) {
    return reject(RejectionCode::merge_invitation_not_accepted,
                  "invitation " + cmd.invitation_id + " must be accepted by the invitee before the merge");
  }
  const AccountState& i = c.account;
  const AccountState& v = c.agg.account(other);
  if (auto r = check_mergeable(c, i, v, other)) return r;

  AccountsMerged merged;
  merged.invitation_id = cmd.invitation_id;
  merged.initiator_account_id = me;
  merged.invitee_account_id = other;
  const std::vector<std::string> both{me, other};
  move_locations(c, v, both, merged);
  move_users(c, i, v, both, merged);
  move_tenants(c, v, both, merged);
  move_benefits(c, v, both);
  merge_memberships(c, i, v, merged);
  c.to(account_stream(me), both, std::move(merged));
  c.to(account_stream(other), {other, me}, AccountMergedAway{cmd.invitation_id, me});
  c.to(pair_of(me, other), both, MergeInvitationCompleted{cmd.invitation_id});
  return std::nullopt;
}

}  // namespace mledger::decide_detail
