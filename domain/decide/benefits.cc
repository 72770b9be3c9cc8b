// Deciders of benefit assignment (R-BEN-*), technical benefits (R-TEC-*) and
// go-to-market offers (R-GTM-*).

#include <algorithm>

#include "domain/account/periods.h"
#include "domain/decide/decide_support.h"

namespace mledger::decide_detail {

namespace {


bool user_assignable(BenefitKind k) {
  return k != BenefitKind::technical && k != BenefitKind::go_to_market;
}

Verdict find_live(const Ctx& c, const std::string& benefit_id, const Allocation** out) {
  auto it = c.account.allocations.find(benefit_id);
  if (it == c.account.allocations.end()) {
    return reject(RejectionCode::benefit_not_found,
                  "benefit " + benefit_id.substr(0, 128) + " is not allocated to this account");
  }
  if (it->second.ended) {
    return reject(RejectionCode::benefit_ended, "benefit " + benefit_id + " has ended");
  }
  *out = &it->second;
  return std::nullopt;
}

// R-ORD-08, R-ORD-09, R-MRG-05: usable until its term's renewal window ends.
Verdict check_not_expired(const Ctx& c, const Allocation& a) {
  const Instant until = usable_until(c.account, a);
  if (c.now() >= until) {
    return reject(RejectionCode::benefit_expired,
                  "benefit " + a.benefit_id + " could be used until " + format_rfc3339(until) +
                      ", the end of its membership year's renewal window");
  }
  return std::nullopt;
}

// R-BEN-04: a bulk credit is never combined with other credit offers of a
// user, nor with the licensing offers recorded for them. The same benefit of
// the same membership in another year (its renewal) is not another offer.
Verdict check_combinable(const Ctx& c, const Allocation& a, const std::string& user_id) {
  if (!is_credit(a.kind)) return std::nullopt;
  const bool bulk = a.kind == BenefitKind::azure_bulk_credit;
  if (auto held = c.account.user_licensing_offers.find(user_id);
      bulk && held != c.account.user_licensing_offers.end()) {
    return reject(RejectionCode::bulk_credit_not_combinable,
                  "user " + user_id + " holds " + std::string(enum_name(held->second.front())) +
                      "; an Azure bulk credit cannot be combined with other licensing offers");
  }
  for (const auto& [id, other] : c.account.allocations) {
    if (id == a.benefit_id || !is_credit(other.kind)) continue;
    if (!holds(c.account, other, user_id, c.now())) continue;
    if (!bulk && other.kind != BenefitKind::azure_bulk_credit) continue;
    if (other.offer_id == a.offer_id && other.catalogue_benefit_id == a.catalogue_benefit_id) continue;
    return reject(RejectionCode::bulk_credit_not_combinable,
                  "user " + user_id + " holds " + other.benefit_id +
                      "; an Azure bulk credit cannot be combined with other credit offers");
  }
  return std::nullopt;
}

Verdict check_member(const Ctx& c, const std::string& user_id) {
  if (!c.account.users.contains(user_id)) {
    return reject(RejectionCode::assignee_not_in_account,
                  "user " + user_id.substr(0, 128) + " is not a user of the account's directory");
  }
  return std::nullopt;
}

Verdict check_reassignable(const Ctx& c, const Allocation& a, const std::string& user_id) {
  if (a.kind != BenefitKind::visual_studio) return std::nullopt;
  const Instant since = a.assignees.at(user_id);
  if (c.now() < plus_days(since, kReassignDays)) {
    return reject(RejectionCode::reassignment_too_soon,
                  "a Visual Studio subscription is reassigned only 90 days after it was assigned (" +
                      format_rfc3339(since) + "); it becomes reassignable at " +
                      format_rfc3339(plus_days(since, kReassignDays)));
  }
  return std::nullopt;
}

// Live allocations of a membership's benefit, by catalogue id: the ones still
// within their enrollment year first (after a renewal, this year's before last
// year's, which stays usable during the renewal window), then by term end.
std::vector<const Allocation*> allocations_of(const Ctx& c, const std::string& offer_id,
                                               std::string_view catalogue_id) {
  std::vector<const Allocation*> out;
  for (const auto& [id, a] : c.account.allocations) {
    if (a.offer_id == offer_id && a.catalogue_benefit_id == catalogue_id && !a.ended) out.push_back(&a);
  }
  const Instant now = c.now();
  const AccountState& s = c.account;
  std::stable_sort(out.begin(), out.end(), [now, &s](const Allocation* x, const Allocation* y) {
    const Instant x_end = term_end(s, *x), y_end = term_end(s, *y);
    const bool x_open = now < x_end, y_open = now < y_end;
    if (x_open != y_open) return x_open;
    return x_end < y_end;
  });
  return out;
}

// The allocation a use draws on: the first of `allocs` (allocations_of's
// order) that can be used and has `needed` left. When none has, the rejection
// is benefit_expired if one past its window still has some left; else none,
// with *out null (the caller names its own exhaustion).
Verdict pick_usable(const Ctx& c, const std::vector<const Allocation*>& allocs, uint32_t needed,
                    const Allocation** out) {
  const Allocation* expired = nullptr;
  *out = nullptr;
  for (const Allocation* a : allocs) {
    if (a->quantity - std::min(a->used, a->quantity) < needed) continue;
    if (usable(c.account, *a, c.now())) {
      *out = a;
      return std::nullopt;
    }
    if (expired == nullptr) expired = a;
  }
  return expired != nullptr ? check_not_expired(c, *expired) : std::nullopt;
}

std::vector<const Allocation*> of_kind(std::vector<const Allocation*> allocs, BenefitKind kind) {
  std::erase_if(allocs, [kind](const Allocation* a) { return a->kind != kind; });
  return allocs;
}

Verdict not_available(const std::string& benefit, const std::string& offer_id) {
  return reject(RejectionCode::not_available_for_offer,
                benefit.substr(0, 64) + " is not available for the account's " + offer_id.substr(0, 64) +
                    " membership");
}

}  // namespace

Verdict on(const RecordUserLicensingOffer& cmd, Ctx& c) {
  const auto& recorded = c.account.user_licensing_offers;
  const auto it = recorded.find(cmd.user_id);
  const bool held = it != recorded.end() &&
                    std::find(it->second.begin(), it->second.end(), cmd.offer) != it->second.end();
  if (cmd.held && !c.account.users.contains(cmd.user_id)) {
    return reject(RejectionCode::user_not_found,
                  "user " + cmd.user_id.substr(0, 128) + " is not a user of the account");
  }
  if (held == cmd.held) {
    return reject(RejectionCode::licensing_offer_unchanged,
                  "user " + cmd.user_id.substr(0, 128) + (held ? " already holds " : " does not hold ") +
                      std::string(enum_name(cmd.offer)));
  }
  if (cmd.held) {
    for (const auto& [id, a] : c.account.allocations) {
      if (a.kind != BenefitKind::azure_bulk_credit || !holds(c.account, a, cmd.user_id, c.now())) continue;
      return reject(RejectionCode::bulk_credit_not_combinable,
                    "user " + cmd.user_id + " holds the Azure bulk credit " + id + ", which cannot be "
                    "combined with " + std::string(enum_name(cmd.offer)));
    }
  }
  c.to_account(UserLicensingOfferRecorded{cmd.user_id, cmd.offer, cmd.held});
  return std::nullopt;
}

Verdict on(const AssignBenefit& cmd, Ctx& c) {
  const Allocation* a = nullptr;
  if (auto r = find_live(c, cmd.benefit_id, &a)) return r;
  if (!user_assignable(a->kind)) {
    return reject(RejectionCode::benefit_not_assignable,
                  "benefit " + cmd.benefit_id + " is activated for the account, not assigned to users");
  }
  if (auto r = check_not_expired(c, *a)) return r;
  if (auto r = check_member(c, cmd.user_id)) return r;
  if (a->assignees.contains(cmd.user_id)) {
    return reject(RejectionCode::benefit_already_assigned_to_user,
                  "user " + cmd.user_id + " already holds benefit " + cmd.benefit_id);
  }
  if (a->assignees.size() >= a->quantity) {
    return reject(RejectionCode::allocation_exhausted,
                  "all " + std::to_string(a->quantity) + " of benefit " + cmd.benefit_id + " are assigned");
  }
  if (auto r = check_combinable(c, *a, cmd.user_id)) return r;
  c.to_account(BenefitAssigned{cmd.benefit_id, cmd.user_id, a->kind, c.now()});
  return std::nullopt;
}

Verdict on(const UnassignBenefit& cmd, Ctx& c) {
  auto it = c.account.allocations.find(cmd.benefit_id);
  if (it == c.account.allocations.end()) {
    return reject(RejectionCode::benefit_not_found,
                  "benefit " + cmd.benefit_id.substr(0, 128) + " is not allocated to this account");
  }
  const Allocation& a = it->second;
  if (!a.assignees.contains(cmd.user_id)) {
    return reject(RejectionCode::benefit_not_assigned_to_user,
                  "user " + cmd.user_id.substr(0, 128) + " does not hold benefit " + cmd.benefit_id);
  }
  if (a.kind == BenefitKind::azure_bulk_credit && usable(c.account, a, c.now())) {
    return reject(RejectionCode::bulk_credit_not_removable,
                  "an Azure bulk credit cannot be removed, only transferred to another user");
  }
  if (usable(c.account, a, c.now())) {
    if (auto r = check_reassignable(c, a, cmd.user_id)) return r;
  }
  c.to_account(BenefitUnassigned{cmd.benefit_id, cmd.user_id});
  return std::nullopt;
}

Verdict on(const TransferBenefit& cmd, Ctx& c) {
  const Allocation* a = nullptr;
  if (auto r = find_live(c, cmd.benefit_id, &a)) return r;
  if (!user_assignable(a->kind)) {
    return reject(RejectionCode::benefit_not_assignable,
                  "benefit " + cmd.benefit_id + " is activated for the account, not assigned to users");
  }
  if (!a->assignees.contains(cmd.from_user_id)) {
    return reject(RejectionCode::benefit_not_assigned_to_user,
                  "user " + cmd.from_user_id.substr(0, 128) + " does not hold benefit " + cmd.benefit_id);
  }
  if (auto r = check_member(c, cmd.to_user_id)) return r;
  if (a->assignees.contains(cmd.to_user_id)) {
    return reject(RejectionCode::benefit_already_assigned_to_user,
                  "user " + cmd.to_user_id + " already holds benefit " + cmd.benefit_id);
  }
  if (a->kind == BenefitKind::azure_bulk_credit && c.now() >= term_end(c.account, *a)) {
    return reject(RejectionCode::transfer_outside_enrollment_year,
                  "an Azure bulk credit is transferred only during the enrollment year, which ended " +
                      format_rfc3339(term_end(c.account, *a)));
  }
  if (auto r = check_not_expired(c, *a)) return r;
  if (auto r = check_reassignable(c, *a, cmd.from_user_id)) return r;
  if (auto r = check_combinable(c, *a, cmd.to_user_id)) return r;
  c.to_account(BenefitTransferred{cmd.benefit_id, cmd.from_user_id, cmd.to_user_id});
  return std::nullopt;
}

Verdict on(const RequestTechnicalBenefit& cmd, Ctx& c) {
  if (cmd.benefit == kProductSupportIncidents || cmd.benefit == kSignatureSupportIncidents ||
      cmd.benefit == kAdvisoryHours) {
    return reject(RejectionCode::not_available_for_offer,
                  cmd.benefit + " is used with use_support_incident or use_advisory_hours");
  }
  if (!is_identifier(cmd.request_id, 64)) {
    return reject(RejectionCode::field_required, "request id must be 1-64 identifier characters");
  }
  if (c.account.has_technical_request(cmd.request_id)) {
    return reject(RejectionCode::technical_benefit_already_requested,
                  "request " + cmd.request_id + " already exists");
  }
  const auto allocs = of_kind(allocations_of(c, cmd.offer_id, cmd.benefit), BenefitKind::technical);
  if (allocs.empty()) return not_available(cmd.benefit, cmd.offer_id);
  const Allocation* chosen = nullptr;
  if (auto r = pick_usable(c, allocs, 1, &chosen)) return r;
  if (chosen == nullptr) {
    return reject(RejectionCode::technical_benefit_already_requested,
                  cmd.benefit + " was already requested for this membership year");
  }
  c.to_account(TechnicalBenefitRequested{chosen->benefit_id, cmd.request_id});
  return std::nullopt;
}

Verdict on(const CompleteTechnicalBenefit& cmd, Ctx& c) {
  auto it = c.account.technical_requests.find(cmd.request_id);
  const bool retired = c.account.retired.technical_requests.contains(cmd.request_id);  // completed
  if (it == c.account.technical_requests.end() && !retired) {
    return reject(RejectionCode::request_not_found, "no technical benefit request " + cmd.request_id.substr(0, 64));
  }
  if (retired || it->second.completed) {
    return reject(RejectionCode::request_already_completed, "request " + cmd.request_id + " is already complete");
  }
  if (!is_identifier(cmd.access_id, 128) || !is_identifier(cmd.contract_id, 128)) {
    return reject(RejectionCode::access_and_contract_ids_required,
                  "completing a technical benefit records its Access ID and Contract ID");
  }
  c.to_account(TechnicalBenefitActivated{it->second.benefit_id, cmd.request_id, cmd.access_id, cmd.contract_id});
  return std::nullopt;
}

Verdict on(const UseSupportIncident& cmd, Ctx& c) {
  const std::string_view catalogue_id = cmd.kind == IncidentKind::product_support
                                            ? kProductSupportIncidents
                                            : kSignatureSupportIncidents;
  if (!is_identifier(cmd.incident_id, 64)) {
    return reject(RejectionCode::field_required, "incident id must be 1-64 identifier characters");
  }
  if (c.account.incidents.contains(cmd.incident_id)) {
    return reject(RejectionCode::incident_already_recorded, "incident " + cmd.incident_id + " was already recorded");
  }
  auto allocs = allocations_of(c, cmd.offer_id, catalogue_id);
  if (allocs.empty()) return not_available(std::string(catalogue_id), cmd.offer_id);
  const Allocation* a = nullptr;
  if (auto r = pick_usable(c, allocs, 1, &a)) return r;
  if (a != nullptr) {
    c.to_account(SupportIncidentUsed{cmd.kind, cmd.incident_id, a->used + 1, a->quantity, a->benefit_id});
    return std::nullopt;
  }
  return reject(RejectionCode::incident_quota_exhausted,
                "the " + std::string(catalogue_id) + " of " + cmd.offer_id + " for this year are used up");
}

Verdict on(const UseAdvisoryHours& cmd, Ctx& c) {
  if (cmd.hours == 0 || cmd.hours > 1000) {
    return reject(RejectionCode::advisory_hours_invalid, "hours must be 1 to 1000");
  }
  auto allocs = allocations_of(c, cmd.offer_id, kAdvisoryHours);
  if (allocs.empty()) return not_available(std::string(kAdvisoryHours), cmd.offer_id);
  const Allocation* a = nullptr;
  if (auto r = pick_usable(c, allocs, cmd.hours, &a)) return r;
  if (a != nullptr) {
    c.to_account(AdvisoryHoursUsed{cmd.hours, a->used + cmd.hours, a->quantity, a->benefit_id});
    return std::nullopt;
  }
  return reject(RejectionCode::advisory_hours_exhausted,
                std::to_string(cmd.hours) + " advisory hours exceed what is left of " + cmd.offer_id +
                    "'s hours this year");
}

Verdict on(const RequestGoToMarketOffer& cmd, Ctx& c) {
  // R-GTM-01/02: the contact must still be a user of the account.
  if (!c.account.marketing_contact || !c.account.users.contains(c.account.marketing_contact->user_id)) {
    return reject(RejectionCode::marketing_contact_required,
                  "assign a company marketing contact (a user of the account) before activating "
                  "go-to-market offers");
  }
  if (!is_identifier(cmd.request_id, 64)) {
    return reject(RejectionCode::field_required, "request id must be 1-64 identifier characters");
  }
  if (c.account.has_go_to_market_request(cmd.request_id)) {
    return reject(RejectionCode::go_to_market_offer_already_requested,
                  "request " + cmd.request_id + " already exists");
  }
  const auto allocs =
      of_kind(allocations_of(c, cmd.offer_id, cmd.go_to_market_offer), BenefitKind::go_to_market);
  if (allocs.empty()) {
    return reject(RejectionCode::go_to_market_offer_not_in_membership,
                  cmd.go_to_market_offer.substr(0, 64) + " is not a go-to-market offer of the account's " +
                      cmd.offer_id.substr(0, 64) + " membership");
  }
  const Allocation* chosen = nullptr;
  if (auto r = pick_usable(c, allocs, 1, &chosen)) return r;
  if (chosen == nullptr) {
    return reject(RejectionCode::go_to_market_offer_already_requested,
                  cmd.go_to_market_offer + " was already requested for this membership year");
  }
  c.to_account(GoToMarketOfferRequested{cmd.go_to_market_offer, cmd.request_id, chosen->benefit_id});
  return std::nullopt;
}

Verdict on(const CompleteGoToMarketOffer& cmd, Ctx& c) {
  auto it = c.account.go_to_market_requests.find(cmd.request_id);
  const bool retired = c.account.retired.go_to_market_requests.contains(cmd.request_id);  // expired
  if (it == c.account.go_to_market_requests.end() && !retired) {
    return reject(RejectionCode::request_not_found, "no go-to-market request " + cmd.request_id.substr(0, 64));
  }
  if (retired || it->second.status != GoToMarketStatus::requested) {
    return reject(RejectionCode::request_already_completed, "request " + cmd.request_id + " is already complete");
  }
  if (cmd.expiry <= c.now()) {
    return reject(RejectionCode::go_to_market_expiry_invalid,
                  "an activated go-to-market offer needs an expiry after now");
  }
  c.to_account(GoToMarketOfferActivated{it->second.offer_id, cmd.request_id, cmd.expiry});
  return std::nullopt;
}

Verdict on(const ExpireGoToMarketOffer& cmd, Ctx& c) {
  auto it = c.account.go_to_market_requests.find(cmd.request_id);
  const bool retired = c.account.retired.go_to_market_requests.contains(cmd.request_id);  // expired
  if (it == c.account.go_to_market_requests.end() && !retired) {
    return reject(RejectionCode::request_not_found, "no go-to-market request " + cmd.request_id.substr(0, 64));
  }
  if (retired || it->second.status != GoToMarketStatus::active) {
    return reject(RejectionCode::go_to_market_offer_not_active, "request " + cmd.request_id + " is not active");
  }
  if (c.now() < it->second.expiry) {
    return reject(RejectionCode::go_to_market_offer_not_yet_expired,
                  "the offer is usable until " + format_rfc3339(it->second.expiry));
  }
  c.to_account(GoToMarketOfferExpired{it->second.offer_id, cmd.request_id});
  return std::nullopt;
}

}  // namespace mledger::decide_detail
