// The lifecycle model test (issue 12): randomized multi-year lives of four
// accounts (purchases by card and wire, renewals on time, late and never,
// lapses, Silver to Gold upgrades, merges in both anniversary orders and in
// chains, keys revealed, redeemed and replaced, assignments and reassignments,
// refunds, suspensions, verifications rejected and corrected), run through the
// pure deciders, with invariants stated in the rules' own terms checked after
// every step, and the ways out that the rules describe tried from random
// reachable states (the liveness check: no account is left in a dead end).
//
// Replay one seed: MLEDGER_SEED=N build/tests/lifecycle_tests
// A sweep:         MLEDGER_SEEDS=200 build/tests/lifecycle_tests  (seeds 1..200)
// docs/rules.md ("Across years") states what is checked.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "domain/account/periods.h"
#include "domain/decide/deadlines.h"
#include "tests/support/world.h"

namespace mledger::testing {
namespace {

const std::vector<std::string> kAccounts = {"contoso", "fabrikam", "northwind", "adatum"};
const std::vector<std::string> kOffers = {"action_pack", "silver", "gold"};
constexpr int kStepsPerSeed = 500;
constexpr uint64_t kDefaultSeedCount = 16;

std::string admin_of(const std::string& account) { return account + "-admin"; }
Actor admin(const std::string& account) { return World::user(account, admin_of(account)); }

bool user_assignable(BenefitKind k) {
  return k != BenefitKind::technical && k != BenefitKind::go_to_market;
}
bool is_credit(BenefitKind k) {
  return k == BenefitKind::azure_monthly_credit || k == BenefitKind::azure_bulk_credit;
}
bool rejected_with(const Decision& d, RejectionCode code) { return !d.ok() && d.error().code == code; }
std::string outcome(const Decision& d) {
  return d.ok() ? "accepted" : std::string(code_name(d.error().code)) + ": " + d.error().message;
}

// --- The oracle: membership terms as the rules state them ---------------------------
// Rebuilt from the events the deciders emitted, not from AccountState's own
// bookkeeping: an allocation belongs to the term it was allocated in (or
// moved into by a merge); a renewal closes the term, whose benefits continue
// until its renewal window ends (R-ORD-08); the current term's benefits last
// while the membership is live, to its anniversary's window end, which a merge
// moves to the later anniversary (R-MRG-05).
struct ClosedTerm {
  std::set<std::string> ids;
  Instant window_end;
};
struct OfferTerms {
  std::set<std::string> current;
  std::vector<ClosedTerm> closed;
  Instant anniversary;  // the membership's, as the events set it
};
struct AccountTerms {
  std::map<std::string, OfferTerms> offers;
  std::set<std::string> ended;
  std::map<std::string, Instant> own_anniversary;  // allocation -> its own term's
};

class Oracle {
 public:
  void observe(const Emitted& e, const std::string& account, Instant now) {
    const std::string owner = e.stream == account_stream(account) ? account : owner_of(e.stream);
    if (owner.empty()) return;
    AccountTerms& t = accounts_[owner];
    now_ = now;
    std::visit([&](const auto& p) { on(t, p); }, e.payload);
  }

  // Whether the rules say the allocation can be used at `now`: yes, no, or
  // nothing to say (untracked).
  std::optional<bool> usable(const std::string& account, const AccountState& s, const Allocation& a,
                             Instant now) const {
    auto acc = accounts_.find(account);
    if (acc == accounts_.end()) return std::nullopt;
    if (acc->second.ended.contains(a.benefit_id)) return false;
    auto terms = acc->second.offers.find(a.offer_id);
    if (terms == acc->second.offers.end()) return std::nullopt;
    for (const ClosedTerm& c : terms->second.closed) {
      if (c.ids.contains(a.benefit_id)) return now < c.window_end;
    }
    if (!terms->second.current.contains(a.benefit_id)) return std::nullopt;
    auto m = s.memberships.find(a.offer_id);
    if (m == s.memberships.end() || !m->second.live()) return std::nullopt;
    return now < plus_days(m->second.anniversary, kRenewalWindowDays);
  }

 private:
  static std::string owner_of(const std::string& stream) {
    const std::string prefix = "account-";
    return stream.rfind(prefix, 0) == 0 ? stream.substr(prefix.size()) : "";
  }
  void on(AccountTerms& t, const MembershipActivated& e) {
    t.offers[e.offer_id].current.clear();
    t.offers[e.offer_id].anniversary = e.anniversary;
  }
  void on(AccountTerms& t, const MembershipRenewed& e) {
    OfferTerms& o = t.offers[e.offer_id];
    o.closed.push_back({o.current, plus_days(e.previous_anniversary, kRenewalWindowDays)});
    o.current.clear();
    o.anniversary = e.anniversary;
  }
  // A year whose window had passed before the merge stays over; the others
  // join the merged membership's year (R-MRG-05).
  void on(AccountTerms& t, const AccountsMerged& e) {
    for (const MergedMembership& m : e.memberships) {
      OfferTerms& o = t.offers[m.offer_id];
      for (auto it = o.current.begin(); it != o.current.end();) {
        const Instant end = plus_days(std::max(t.own_anniversary[*it], o.anniversary), kRenewalWindowDays);
        if (now_ < end) {
          ++it;
          continue;
        }
        o.closed.push_back({{*it}, end});
        it = o.current.erase(it);
      }
      o.anniversary = m.anniversary;
    }
  }
  void on(AccountTerms& t, const BenefitsAllocated& e) {
    OfferTerms& o = t.offers[e.offer_id];
    t.own_anniversary[e.benefit_id] = term_anniversary_of_expiry(e.kind, e.expiry);
    if (!e.closed_term) {
      o.current.insert(e.benefit_id);
      return;
    }
    const Instant anniversary = term_anniversary_of_expiry(e.kind, e.expiry);
    o.closed.push_back({{e.benefit_id}, plus_days(anniversary, kRenewalWindowDays)});
  }
  void on(AccountTerms& t, const BenefitsEnded& e) { t.ended.insert(e.benefit_ids.begin(), e.benefit_ids.end()); }
  template <class Other>
  void on(AccountTerms&, const Other&) {}

  std::map<std::string, AccountTerms> accounts_;
  Instant now_;
};

// --- The life --------------------------------------------------------------------

struct Counts {
  std::map<std::string, std::pair<uint64_t, uint64_t>> commands;  // type -> tried, accepted
  std::map<std::string, uint64_t> events;
  std::map<std::string, uint64_t> ways_out;  // way out -> times tried (each one passed)
  std::map<std::string, uint64_t> rejections;  // code -> count
  uint64_t probes = 0;
};

class Life {
 public:
  Life(uint64_t seed, Counts& counts) : rng_(seed), counts_(counts) {}

  // Runs the life; returns the violations found (empty: every invariant held).
  std::vector<std::string> run(int steps) {
    enroll_all();
    for (step_ = 0; step_ < steps && violations_.size() < 5; ++step_) {
      act();
      check_invariants();
      if (step_ % 25 == 24) check_ways_out();
    }
    return violations_;
  }

 private:
  // --- randomness ----------------------------------------------------------------
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
  std::string fresh(const std::string& prefix) { return prefix + std::to_string(++ids_); }

  std::vector<std::string> open_accounts() {
    std::vector<std::string> out;
    for (const auto& a : kAccounts) {
      if (w_.account(a).merged_into.empty()) out.push_back(a);
    }
    return out;
  }
  std::vector<std::string> users_of(const std::string& account) {
    std::vector<std::string> out;
    for (const auto& [id, u] : w_.account(account).users) out.push_back(id);
    return out;
  }

  // --- running commands --------------------------------------------------------------
  Decision run(const std::string& account, const Actor& actor, CommandBody body) {
    const std::string type(command_type_name(body));
    Decision d = w_.run(account, actor, std::move(body));
    auto& n = counts_.commands[type];
    ++n.first;
    if (!d.ok()) ++counts_.rejections[std::string(code_name(d.error().code))];
    if (d.ok()) {
      ++n.second;
      for (const Emitted& e : d.value()) {
        oracle_.observe(e, account, w_.now);
        ++counts_.events[std::string(event_type_name(e.payload))];
        if (const auto* k = std::get_if<KeysRevealed>(&e.payload)) {
          for (const auto& id : k->key_ids) keys_.push_back({account, id});
        }
        if (const auto* r = std::get_if<MembershipRenewed>(&e.payload)) renewed_.push_back({account, r->offer_id});
      }
    }
    return d;
  }

  void go(const std::string& account, const Actor& actor, CommandBody body) {
    (void)run(account, actor, std::move(body));
  }

  void enroll_all() {
    w_.now = day(0);
    for (const auto& a : kAccounts) {
      w_.must(a, admin(a), World::enrollment(a + " Ltd"));
      w_.add_user(a, admin_of(a), a + "-ops", {Role::account_admin, Role::mpn_partner_admin});
      for (int i = 1; i <= 3; ++i) w_.add_user(a, admin_of(a), a + "-u" + std::to_string(i), {});
      w_.now = plus_days(w_.now, static_cast<int64_t>(below(120)));
    }
  }

  // --- one step: the clock moves, or someone acts ---------------------------------------
  void act() {
    renewed_.clear();
    const size_t r = below(100);
    if (r < 14) return advance();
    if (r < 22) return tick();
    const std::vector<std::string> open = open_accounts();
    const std::string a = pick(open);
    if (r < 36) return buy(a);
    if (r < 40) return pay_or_cancel(a);
    if (r < 44) return refund(a);
    if (r < 60) return assign(a);
    if (r < 66) return unassign_or_transfer(a);
    if (r < 72) return use_technical(a);
    if (r < 77) return keys(a);
    if (r < 83) return merge_step(open);
    if (r < 88) return verification(a);
    if (r < 92) return suspension(a);
    if (r < 96) return licensing_offer(a);
    return competency(a);
  }

  // The clock: a few hours to weeks, or to an instant a period turns at
  // (an anniversary, a window's end, 30 days after an order), or just before it.
  void advance() {
    std::vector<Instant> marks;
    for (const auto& a : open_accounts()) {
      const AccountState& s = w_.account(a);
      for (const auto& [offer, m] : s.memberships) {
        marks.push_back(m.anniversary);
        marks.push_back(plus_days(m.anniversary, kRenewalWindowDays));
      }
      for (const auto& [id, o] : s.orders) marks.push_back(plus_days(o.placed_at, kRefundDays));
    }
    std::vector<Instant> ahead;
    for (Instant t : marks) {
      if (t > w_.now) ahead.push_back(t);
    }
    if (!ahead.empty() && chance(0.5)) {
      const Instant t = pick(ahead);
      w_.now = chance(0.5) ? t : Instant{t.micros_since_epoch - 1};
      return;
    }
    w_.now = Instant{w_.now.micros_since_epoch +
                     static_cast<int64_t>(below(20 * 24) + 1) * 3'600 * kMicrosPerSecond};
  }

  // The clock's commands (mledger tick): whatever fell due, in order.
  void tick() {
    for (const auto& a : open_accounts()) {
      for (DueCommand& due : due_commands(w_.account(a), w_.now)) go(a, World::service(), std::move(due.body));
    }
    for (const auto& [pair, ids] : pairs_) {
      const MergePairState& p = w_.merge_pair(ids.first, ids.second);
      for (DueCommand& due : due_commands(p, w_.now)) go(due.account_id, World::service(), std::move(due.body));
    }
  }

  PlaceOrder order_of(const std::string& offer, bool card) {
    PlaceOrder o{fresh("o"), offer, card ? PaymentMethod::card : PaymentMethod::wire, World::billing(),
                 std::nullopt};
    if (card) o.card = CardDetails{"4242", World::billing()};
    return o;
  }

  // A purchase; in a renewal window usually after the business review.
  void buy(const std::string& a) {
    const std::string offer = pick(kOffers);
    if (chance(0.7)) go(a, admin(a), ReviewBusinessInfo{});
    go(a, chance(0.8) ? admin(a) : World::user(a, a + "-ops"), order_of(offer, chance(0.8)));
  }

  const Order* unpaid_order(const std::string& a) {
    std::vector<const Order*> unpaid;
    for (const auto& [id, o] : w_.account(a).orders) {
      if (o.status == OrderStatus::awaiting_payment) unpaid.push_back(&o);
    }
    return unpaid.empty() ? nullptr : pick(unpaid);
  }

  void pay_or_cancel(const std::string& a) {
    const Order* o = unpaid_order(a);
    if (o == nullptr) return buy(a);
    const std::string id = o->order_id;
    if (chance(0.7)) {
      go(a, World::service(), RecordWirePayment{id, o->price, "bank-" + id});
      return;
    }
    go(a, admin(a), RequestOrderCancellation{id});
    if (chance(0.8)) go(a, admin(a), ConfirmOrderCancellation{id});
  }

  void refund(const std::string& a) {
    std::vector<std::string> paid;
    for (const auto& [id, o] : w_.account(a).orders) {
      if (o.status == OrderStatus::paid) paid.push_back(id);
    }
    if (!paid.empty()) go(a, admin(a), RefundOrder{pick(paid)});
  }

  std::vector<const Allocation*> allocations(const std::string& a, bool assignable) {
    std::vector<const Allocation*> out;
    for (const auto& [id, al] : w_.account(a).allocations) {
      if (!al.ended && user_assignable(al.kind) == assignable) out.push_back(&al);
    }
    return out;
  }

  void assign(const std::string& a) {
    const auto live = allocations(a, true);
    if (live.empty()) return buy(a);
    go(a, admin(a), AssignBenefit{pick(live)->benefit_id, pick(users_of(a))});
  }

  void unassign_or_transfer(const std::string& a) {
    std::vector<std::pair<std::string, std::string>> held;  // benefit, user
    for (const Allocation* al : allocations(a, true)) {
      for (const auto& [user, since] : al->assignees) held.push_back({al->benefit_id, user});
    }
    if (held.empty()) return assign(a);
    const auto [benefit, user] = pick(held);
    if (chance(0.5)) {
      go(a, admin(a), UnassignBenefit{benefit, user});
    } else {
      go(a, admin(a), TransferBenefit{benefit, user, pick(users_of(a))});
    }
  }

  void use_technical(const std::string& a) {
    const auto live = allocations(a, false);
    if (live.empty()) return buy(a);
    const Allocation& al = *pick(live);
    const Actor ops = World::user(a, a + "-ops");
    if (al.catalogue_benefit_id == kProductSupportIncidents) {
      go(a, ops, UseSupportIncident{al.offer_id, IncidentKind::product_support, fresh("inc")});
    } else if (al.catalogue_benefit_id == kSignatureSupportIncidents) {
      go(a, ops, UseSupportIncident{al.offer_id, IncidentKind::signature_support, fresh("inc")});
    } else if (al.catalogue_benefit_id == kAdvisoryHours) {
      go(a, ops, UseAdvisoryHours{al.offer_id, static_cast<uint32_t>(below(4) + 1)});
    } else if (al.kind == BenefitKind::technical) {
      const std::string request = fresh("req");
      if (run(a, ops, RequestTechnicalBenefit{al.offer_id, al.catalogue_benefit_id, request}).ok() && chance(0.8)) {
        go(a, World::service(), CompleteTechnicalBenefit{request, "ACC-" + request, "CON-" + request});
      }
    }
  }

  // Keys: revealed for a paid order, redeemed (on any account), replaced, activated.
  void keys(const std::string& a) {
    const AccountState& s = w_.account(a);
    std::vector<std::string> paid;
    for (const auto& [id, o] : s.orders) {
      if (o.status == OrderStatus::paid) paid.push_back(id);
    }
    if (!paid.empty() && (keys_.empty() || chance(0.4))) {
      static const std::vector<std::string> products = {"office_professional_plus", "windows_server_standard",
                                                        "microsoft_365_business"};
      go(a, admin(a), RevealKeys{pick(paid), pick(products), "en", "windows"});
      return;
    }
    if (keys_.empty()) return;
    const auto& [owner, key] = pick(keys_);
    const size_t r = below(3);
    if (r == 0) go(a, admin(a), RedeemKey{key, chance(0.5) ? RedemptionMode::add_seats : RedemptionMode::extend_end_date});
    if (r == 1) go(owner, World::service(), RecordKeyActivation{key});
    if (r == 2 && w_.account(owner).merged_into.empty()) go(owner, admin(owner), RequestReplacementKey{key});
  }

  // Merges: invitations sent, answered, confirmed, in any pair of open
  // accounts (a pending pair's story goes on first; some merges happen in a day).
  void merge_step(const std::vector<std::string>& open) {
    if (open.size() < 2) return;
    std::string i = pick(open), v = pick(open);
    for (const auto& [stream, ids] : pairs_) {
      const MergePairState& p = w_.merge_pair(ids.first, ids.second);
      if (p.pending() && chance(0.7)) std::tie(i, v) = std::pair{p.latest.initiator_account_id, p.latest.invitee_account_id};
    }
    if (v == i || !w_.account(i).merged_into.empty() || !w_.account(v).merged_into.empty()) return;
    const MergePairState& p = w_.merge_pair(i, v);
    pairs_[merge_pair_stream(i, v)] = {i, v};
    if (p.status == InvitationStatus::sent && p.latest.initiator_account_id == i) {
      if (chance(0.85)) {
        go(v, admin(v), AcceptMergeInvitation{p.latest.invitation_id, i});
      } else {
        go(v, admin(v), DeclineMergeInvitation{p.latest.invitation_id, i, "not now"});
      }
      return;
    }
    if (p.status == InvitationStatus::accepted && p.latest.initiator_account_id == i) {
      if (chance(0.9)) go(i, admin(i), ConfirmMerge{p.latest.invitation_id, v});
      else go(i, admin(i), WithdrawMergeInvitation{p.latest.invitation_id, v});
      return;
    }
    if (!chance(0.35)) return;
    const std::string id = fresh("inv");
    if (run(i, admin(i), SendMergeInvitation{id, v}).ok() && chance(0.5)) {
      go(v, admin(v), AcceptMergeInvitation{id, i});
      go(i, admin(i), ConfirmMerge{id, v});
    }
  }

  // Verification: read-only company info, rejections naming fields, corrections.
  void verification(const std::string& a) {
    const AccountState& s = w_.account(a);
    if (s.company_info_presence.empty() && chance(0.2)) {
      go(a, World::service(), LockCompanyInfo{"legacy_membership_center"});
      return;
    }
    if (s.verification.status == VerificationStatus::pending) {
      static const std::vector<std::string> fields = {"legal_name", "address", "phone"};
      std::vector<std::string> named;
      for (const auto& f : fields) {
        if (chance(0.4)) named.push_back(f);
      }
      go(a, World::service(), RejectVerification{VerificationCheck::business, named, "registry"});
      return;
    }
    if (s.verification.status == VerificationStatus::rejected) {
      correct_company_info(w_, a, s);
      go(a, admin(a), ResubmitVerification{});
    }
  }

  // The correction of every field a rejection names: by the account's admin,
  // or for a read-only account by the service that syncs it from its presence.
  static void correct_company_info(World& w, const std::string& a, const AccountState& s) {
    const std::string suffix = std::to_string(w.appended);
    std::optional<std::string> name, phone;
    std::optional<PostalAddress> address;
    for (const auto& f : s.verification.fields_to_correct) {
      if (f == "legal_name") name = s.legal_name.substr(0, 200) + " " + suffix;
      if (f == "phone") phone = std::to_string(3000000000LL + static_cast<long long>(w.appended));
      if (f == "address") {
        address = s.address;
        address->line1 = "Hauptstrasse " + suffix;
      }
    }
    if (!name && !phone && !address) return;
    if (s.company_info_presence.empty()) {
      (void)w.run(a, admin(a), UpdateCompanyInfo{name, address, phone});
    } else {
      (void)w.run(a, World::service(), SyncCompanyInfo{name, address, phone});
    }
  }

  void suspension(const std::string& a) {
    if (w_.account(a).suspended) go(a, World::service(), ReinstateAccount{"settled"});
    else if (chance(0.3)) go(a, World::service(), SuspendAccount{"overdue invoice"});
  }

  void licensing_offer(const std::string& a) {
    static const std::vector<LicensingOffer> offers = {LicensingOffer::enterprise_agreement, LicensingOffer::azure_pass,
                                                       LicensingOffer::cloud_solution_provider};
    go(a, World::service(), RecordUserLicensingOffer{pick(users_of(a)), pick(offers), chance(0.5)});
  }

  void competency(const std::string& a) {
    go(a, World::service(), RecordCompetency{chance(0.6) ? "silver" : "gold", "cloud_platform"});
  }

  // --- invariants -------------------------------------------------------------------------
  void violation(const std::string& what) {
    violations_.push_back("step " + std::to_string(step_) + " at " + format_rfc3339(w_.now) + ": " + what);
  }

  void check_invariants() {
    for (const auto& a : open_accounts()) {
      check_benefits_usable(a);
      check_renewed_benefits_assignable(a);
      check_periods(a);
    }
  }

  // While a membership is active or in its renewal window (and after a
  // renewal, during the closed year's window), its benefits can be used; past
  // that they cannot (R-ORD-08, R-ORD-09, R-MRG-05). Checked by asking the
  // deciders, not by reading the state.
  void check_benefits_usable(const std::string& a) {
    const AccountState s = w_.account(a);
    for (const auto& [id, al] : s.allocations) {
      const std::optional<bool> expected = oracle_.usable(a, s, al, w_.now);
      if (!expected || !user_assignable(al.kind)) continue;
      const Decision d = probe_use(a, s, al);
      ++counts_.probes;
      const bool expired = rejected_with(d, RejectionCode::benefit_expired) ||
                           rejected_with(d, RejectionCode::benefit_ended);
      if (*expected && expired) violation("benefit " + id + " of a live term is refused: " + outcome(d));
      if (!*expected && !expired) violation("benefit " + id + " past its window is not refused: " + outcome(d));
    }
  }

  // An assignment of the allocation to someone who does not hold it.
  Decision probe_use(const std::string& a, const AccountState& s, const Allocation& al) {
    for (const auto& [user, u] : s.users) {
      if (!al.assignees.contains(user)) return w_.probe(a, admin(a), AssignBenefit{al.benefit_id, user});
    }
    return w_.probe(a, admin(a), AssignBenefit{al.benefit_id, s.users.begin()->first});
  }

  // After a renewal, every benefit of the new year can go to any eligible
  // user: refused only for the user's other holdings, never for last year's
  // allocation of the same benefit (R-BEN-04, R-ORD-08).
  void check_renewed_benefits_assignable(const std::string& a) {
    for (const auto& [account, offer] : renewed_) {
      if (account != a) continue;
      const AccountState s = w_.account(a);
      const Membership& m = s.memberships.at(offer);
      for (const auto& [id, al] : s.allocations) {
        if (al.offer_id != offer || al.order_id != m.order_id || !user_assignable(al.kind)) continue;
        for (const auto& [user, u] : s.users) {
          if (al.assignees.contains(user) || al.assignees.size() >= al.quantity) continue;
          const Decision d = w_.probe(a, admin(a), AssignBenefit{id, user});
          ++counts_.probes;
          if (d.ok() || (rejected_with(d, RejectionCode::bulk_credit_not_combinable) &&
                         holds_other_credit_offer(s, al, user))) {
            continue;
          }
          violation("renewed benefit " + id + " cannot go to " + user + ": " + outcome(d));
        }
      }
    }
  }

  // In the rules' terms: the user holds a credit of another benefit (not the
  // same benefit of another year), or a licensing offer, that R-BEN-04 forbids
  // to combine with this one.
  bool holds_other_credit_offer(const AccountState& s, const Allocation& al, const std::string& user) {
    if (!is_credit(al.kind)) return false;
    if (al.kind == BenefitKind::azure_bulk_credit && s.user_licensing_offers.contains(user)) return true;
    for (const auto& [id, other] : s.allocations) {
      if (id == al.benefit_id || !is_credit(other.kind) || !other.assignees.contains(user)) continue;
      if (other.offer_id == al.offer_id && other.catalogue_benefit_id == al.catalogue_benefit_id) continue;
      const std::optional<bool> live = oracle_.usable(s.account_id, s, other, w_.now);
      if (live.value_or(!other.ended) &&
          (al.kind == BenefitKind::azure_bulk_credit || other.kind == BenefitKind::azure_bulk_credit)) {
        return true;
      }
    }
    return false;
  }

  // One convention for "within N days" (periods.h): a period of N days that
  // starts at T holds [T, T + N days). Every rule that counts one agrees on
  // which side of the boundary `now` is.
  void check_periods(const std::string& a) {
    const AccountState s = w_.account(a);
    for (const auto& [id, o] : s.orders) {
      const bool within = w_.now < plus_days(o.placed_at, 30);
      if (o.status == OrderStatus::awaiting_payment && o.payment_method == PaymentMethod::wire) {
        const Decision expire = w_.probe(a, World::service(), ExpireWireOrder{id});
        const Decision pay = w_.probe(a, World::service(), RecordWirePayment{id, o.price, "probe"});
        if (expire.ok() == within) violation("wire order " + id + " expiry: " + outcome(expire));
        if (rejected_with(pay, RejectionCode::wire_order_expired) == within) {
          violation("wire order " + id + " payment: " + outcome(pay));
        }
      }
      if (o.status == OrderStatus::paid) {
        const Decision refund = w_.probe(a, admin(a), RefundOrder{id});
        if (refund.ok() && !within) violation("order " + id + " refunded after 30 days");
        if (rejected_with(refund, RejectionCode::refund_window_closed) && within) {
          violation("order " + id + " refund window closed within 30 days: " + outcome(refund));
        }
      }
    }
    for (const auto& [offer, m] : s.memberships) {
      if (m.status != MembershipStatus::active) continue;
      const Decision open = w_.probe(a, World::service(), OpenRenewalWindow{offer});
      if (open.ok() != (w_.now >= m.anniversary)) violation(offer + " window opening: " + outcome(open));
    }
  }

  // --- ways out (liveness) ---------------------------------------------------------------
  // From this reachable state, every way out the rules describe is open to
  // someone with the right role. Each is tried on a copy of the world.
  void check_ways_out() {
    for (const auto& a : open_accounts()) {
      const AccountState s = w_.account(a);
      if (s.suspended) way_out(a, "suspended account reinstated", [&](World& w) {
        return w.run(a, World::service(), ReinstateAccount{"settled"});
      });
      if (s.verification.status == VerificationStatus::rejected) {
        way_out(a, "rejected verification corrected", [&](World& w) {
          correct_company_info(w, a, w.account(a));
          return w.run(a, admin(a), ResubmitVerification{});
        });
      }
      for (const auto& offer : kOffers) buy_again(a, offer);
      for (const auto& [pair, ids] : pairs_) {
        const MergePairState& p = w_.merge_pair(ids.first, ids.second);
        if (p.pending() && p.latest.initiator_account_id == a) {
          way_out(a, "pending invitation withdrawn", [&](World& w) {
            return w.run(a, admin(a), WithdrawMergeInvitation{p.latest.invitation_id, p.latest.invitee_account_id});
          });
        }
      }
    }
  }

  // An offer the account does not hold live (never bought, expired order,
  // lapsed or refunded membership) can be bought again by its global admin
  // once the clock has run and the account qualifies (R-ORD-01, R-ORD-08).
  void buy_again(const std::string& a, const std::string& offer) {
    const AccountState& s = w_.account(a);
    auto m = s.memberships.find(offer);
    const bool held = m != s.memberships.end() && m->second.live() &&
                      w_.now < plus_days(m->second.anniversary, kRenewalWindowDays);
    const bool unpaid = std::any_of(s.orders.begin(), s.orders.end(), [&](const auto& o) {
      return o.second.offer_id == offer && o.second.status == OrderStatus::awaiting_payment;
    });
    if (held || unpaid) return;
    const std::string what = m == s.memberships.end() ? "offer bought" : "lapsed or ended membership bought again";
    way_out(a, what, [&](World& w) {
      for (const auto& acc : kAccounts) {
        for (DueCommand& due : due_commands(w.account(acc), w.now)) (void)w.run(acc, World::service(), std::move(due.body));
      }
      if (w.account(a).suspended) (void)w.run(a, World::service(), ReinstateAccount{"settled"});
      if (offer != "action_pack") (void)w.run(a, World::service(), RecordCompetency{"gold", "cloud_platform"});
      return w.run(a, admin(a), PlaceOrder{"way-out", offer, PaymentMethod::card, World::billing(),
                                           CardDetails{"4242", World::billing()}});
    });
  }

  template <class Try>
  void way_out(const std::string& a, const std::string& what, Try attempt) {
    World copy = w_;
    const Decision d = attempt(copy);
    ++counts_.ways_out[what];
    if (!d.ok()) violation(a + ": no way out (" + what + "): " + outcome(d));
  }

  World w_;
  Oracle oracle_;
  std::mt19937_64 rng_;
  Counts& counts_;
  int step_ = 0;
  uint64_t ids_ = 0;
  std::vector<std::pair<std::string, std::string>> keys_;      // owner account, key
  std::vector<std::pair<std::string, std::string>> renewed_;   // this step: account, offer
  std::map<std::string, std::pair<std::string, std::string>> pairs_;  // merge pairs seen
  std::vector<std::string> violations_;
};

std::vector<uint64_t> seeds_from_env() {
  if (const char* one = std::getenv("MLEDGER_SEED"); one != nullptr && *one != '\0') {
    return {std::strtoull(one, nullptr, 10)};
  }
  uint64_t n = kDefaultSeedCount;
  if (const char* many = std::getenv("MLEDGER_SEEDS"); many != nullptr && *many != '\0') {
    n = std::strtoull(many, nullptr, 10);
  }
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= n; ++s) seeds.push_back(s);
  return seeds;
}

void print_counts(const Counts& counts, size_t seeds, double seconds, size_t failed) {
  std::printf("%zu seed(s) x %d steps in %.1f s: %zu failed; %llu probes\n", seeds, kStepsPerSeed, seconds, failed,
              static_cast<unsigned long long>(counts.probes));
  for (const auto& [type, n] : counts.commands) {
    std::printf("  %-32s tried %7llu accepted %7llu\n", type.c_str(), static_cast<unsigned long long>(n.first),
                static_cast<unsigned long long>(n.second));
  }
  for (const auto& [type, n] : counts.events) {
    std::printf("  event: %-45s %6llu\n", type.c_str(), static_cast<unsigned long long>(n));
  }
  for (const auto& [code, n] : counts.rejections) {
    std::printf("  rejected: %-45s %6llu\n", code.c_str(), static_cast<unsigned long long>(n));
  }
  for (const auto& [what, n] : counts.ways_out) {
    std::printf("  way out: %-45s %6llu\n", what.c_str(), static_cast<unsigned long long>(n));
  }
}

TEST(Lifecycle, every_rule_holds_across_years_and_no_account_is_left_in_a_dead_end) {
  const std::vector<uint64_t> seeds = seeds_from_env();
  Counts counts;
  size_t failed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t seed : seeds) {
    const std::vector<std::string> found = Life(seed, counts).run(kStepsPerSeed);
    if (found.empty()) continue;
    ++failed;
    ADD_FAILURE() << "seed " << seed << " (replay: MLEDGER_SEED=" << seed << " build/tests/lifecycle_tests):\n  "
                  << found[0] << (found.size() > 1 ? "\n  " + found[1] : "");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_counts(counts, seeds.size(), seconds, failed);
  EXPECT_GT(counts.probes, 0u);
  if (seeds.size() >= kDefaultSeedCount) {
    for (const char* e : {"MembershipRenewed", "MembershipLapsed", "AccountsMerged", "KeyRedeemed", "ReplacementKeyIssued",
                          "OrderRefunded", "AccountVerificationResubmitted", "UserLicensingOfferRecorded"}) {
      EXPECT_GT(counts.events[e], 0u) << "no " << e << " in any life: the generator misses a place";
    }
  }
}

}  // namespace
}  // namespace mledger::testing
