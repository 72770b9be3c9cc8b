// Seeded randomized invariant test of the deciders: every rule at once.
//
// A generator driven by a seeded PRNG runs thousands of mostly plausible (and
// some deliberately wrong) commands against many accounts through World
// (tests/support/world.h), advancing the business clock by minutes to 40 days
// so that the 30/90/365-day rules trigger. After EVERY step it checks the
// ledger-wide invariants:
//   1. a rejected command appends nothing;
//   2. a key is redeemed at most once, ever (R-KEY-01);
//   3. no allocation is exceeded (R-BEN-06);
//   4. no refund outside its rules (R-ORD-06, R-ORD-07);
//   5. no Visual Studio reassignment inside 90 days (R-BEN-05);
//   6. a bulk credit is never removed, nor held with another credit (R-BEN-04);
//   7. one live membership per offer (R-ORD-01), a global admin in every
//      account (R-ROLE-06); and a tenant belongs to one account (R-ACC-07);
//   8. every appended event applies to its stream's state (the fold asserts on
//      one naming an order or benefit the account does not have), and folding
//      again gives the same state, also after the Cap'n Proto codec round trip.
//
// Seeds: MLEDGER_SEED=<n> runs one seed (MLEDGER_STEPS=<n> stops after n
// steps); otherwise a fixed list. A failure names the seed, the step, the
// command and the command line that replays it; the seed stops there. The
// RandomizedShrunk tests at the end are failing seeds reduced by hand.
// covers R-KEY-01 R-BEN-04 R-BEN-05 R-BEN-06 R-ORD-01 R-ORD-06 R-ROLE-06 R-LED-01

#include <gtest/gtest.h>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "adapters/capnp/mledger.capnp.h"
#include "adapters/capnp/payload_codec.h"
#include "domain/access/permissions.h"
#include "domain/decide/deadlines.h"
#include "tests/support/world.h"

namespace mledger::testing {
namespace {

char g_step[1024] = "";  // the step running, for on_abort

constexpr int64_t kMinute = 60 * kMicrosPerSecond;
constexpr int64_t kHour = 60 * kMinute;

const std::vector<uint64_t> kDefaultSeeds = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr int kDefaultSteps = 4000;
constexpr size_t kInitialAccounts = 6;
constexpr size_t kMinActiveAccounts = 4;
constexpr size_t kMaxAccounts = 30;

// User ids are shared between accounts on purpose: a merge meets the same
// directory user on both sides.
const std::vector<std::string> kUserPool = {"u0", "u1", "u2", "u3", "u4", "u5",
                                            "u6", "u7", "u8", "u9", "u10", "u11"};
const std::vector<std::string> kTenantPool = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"};
const std::vector<std::string> kOffers = {"action_pack", "silver", "gold"};
const std::vector<Role> kAllRoles = {Role::global_admin,        Role::account_admin,
                                     Role::user_management_admin, Role::mpn_partner_admin,
                                     Role::admin_agent,          Role::incentives_admin,
                                     Role::referrals_admin,      Role::business_profile_admin};
const std::vector<Role> kGuestRoles = {Role::mpn_partner_admin, Role::business_profile_admin,
                                       Role::referrals_admin};

struct Stats {
  std::map<std::string, std::pair<uint64_t, uint64_t>> commands;  // type -> tried, accepted
  std::map<std::string, uint64_t> events;                         // event type -> appended
  std::map<std::string, uint64_t> rejections;                     // code -> count
  uint64_t tried = 0;
  uint64_t accepted = 0;
  std::vector<uint64_t> failed_seeds;
};

StatusOr<EventPayload> codec_round_trip(const EventPayload& payload) {
  capnp::MallocMessageBuilder message;
  codec::write_payload(message.initRoot<wire::Payload>(), payload);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  capnp::FlatArrayMessageReader reader(words);
  return codec::read_payload(reader.getRoot<wire::Payload>());
}

std::string describe(const Actor& a) {
  switch (a.kind) {
    case ActorKind::user:
      return "user " + a.user_id + " of '" + a.account_id + "'";
    case ActorKind::service:
      return "service";
    case ActorKind::operator_:
      return "operator";
    case ActorKind::auditor:
      return "auditor";
  }
  return "?";
}

// The fields in which two account states differ (for failure messages).
std::string account_diff(const AccountState& a, const AccountState& b) {
  std::ostringstream out;
#define MLEDGER_DIFF(f) \
  if (!(a.f == b.f)) out << #f << " ";
  MLEDGER_DIFF(enrolled)
  MLEDGER_DIFF(account_id)
  MLEDGER_DIFF(merged_into)
  MLEDGER_DIFF(legal_name)
  MLEDGER_DIFF(address)
  MLEDGER_DIFF(phone)
  MLEDGER_DIFF(primary_contact)
  MLEDGER_DIFF(company_info_presence)
  MLEDGER_DIFF(verification)
  MLEDGER_DIFF(users)
  MLEDGER_DIFF(locations)
  MLEDGER_DIFF(locations_added)
  MLEDGER_DIFF(tenants)
  MLEDGER_DIFF(default_email)
  MLEDGER_DIFF(alternate_email)
  MLEDGER_DIFF(programs)
  MLEDGER_DIFF(suspended)
  MLEDGER_DIFF(last_business_review)
  MLEDGER_DIFF(competency_levels)
  MLEDGER_DIFF(marketing_contact)
  MLEDGER_DIFF(orders)
  MLEDGER_DIFF(memberships)
  MLEDGER_DIFF(allocations)
  MLEDGER_DIFF(technical_requests)
  MLEDGER_DIFF(go_to_market_requests)
  MLEDGER_DIFF(incidents)
  MLEDGER_DIFF(subscriptions)
#undef MLEDGER_DIFF
  return out.str();
}

bool is_credit(BenefitKind k) {
  return k == BenefitKind::azure_monthly_credit || k == BenefitKind::azure_bulk_credit;
}
bool user_assignable(BenefitKind k) {
  return k != BenefitKind::technical && k != BenefitKind::go_to_market;
}

// Why `event` cannot be applied to the account state `s` (it names an order,
// allocation, membership, request or user the state does not have), or "".
// The fold asserts on such events, so a log holding one can never be read again.
std::string dangling(const AccountState& s, const EventPayload& event) {
  std::string out;
  auto need = [&out](bool ok, const std::string& what) {
    if (!ok && out.empty()) out = what;
  };
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, CardPaymentCharged> || std::is_same_v<T, WirePaymentRecorded> ||
                      std::is_same_v<T, OrderExpired> || std::is_same_v<T, OrderCancellationRequested> ||
                      std::is_same_v<T, OrderCancelled> || std::is_same_v<T, OrderRefunded> ||
                      std::is_same_v<T, OrderMadeNonRefundable> || std::is_same_v<T, KeysRevealed>) {
          need(s.orders.contains(e.order_id), "order " + e.order_id + " the account never placed");
        } else if constexpr (std::is_same_v<T, BenefitAssigned> || std::is_same_v<T, BenefitUnassigned> ||
                             std::is_same_v<T, BenefitTransferred> ||
                             std::is_same_v<T, TechnicalBenefitRequested> ||
                             std::is_same_v<T, SupportIncidentUsed> || std::is_same_v<T, AdvisoryHoursUsed> ||
                             std::is_same_v<T, GoToMarketOfferRequested>) {
          need(s.allocations.contains(e.benefit_id),
               "benefit " + e.benefit_id + " never allocated to the account");
        } else if constexpr (std::is_same_v<T, BenefitsEnded>) {
          for (const auto& id : e.benefit_ids) {
            need(s.allocations.contains(id), "benefit " + id + " never allocated to the account");
          }
        } else if constexpr (std::is_same_v<T, RenewalWindowOpened> || std::is_same_v<T, MembershipRenewed> ||
                             std::is_same_v<T, MembershipLapsed>) {
          need(s.memberships.contains(e.offer_id), "membership " + e.offer_id + " the account never had");
        } else if constexpr (std::is_same_v<T, TechnicalBenefitActivated>) {
          need(s.technical_requests.contains(e.request_id), "technical request " + e.request_id);
        } else if constexpr (std::is_same_v<T, GoToMarketOfferActivated> ||
                             std::is_same_v<T, GoToMarketOfferExpired>) {
          need(s.go_to_market_requests.contains(e.request_id), "go-to-market request " + e.request_id);
        } else if constexpr (std::is_same_v<T, UserRolesChanged>) {
          need(s.users.contains(e.user_id), "user " + e.user_id + " not in the account");
        } else if constexpr (std::is_same_v<T, PartnerAccountEnrolled>) {
          need(!s.enrolled, "an account enrolled twice");
        }
      },
      event);
  return out;
}

// Invariants 3, 6 and 7 of one account's state at `now`: what is wrong, if anything.
std::vector<std::string> account_violations(const AccountState& s, Instant now) {
  std::vector<std::string> out;
  if (!s.enrolled) return out;
  // 7. At least one global admin (R-ROLE-06).
  if (s.global_admin_count() == 0) out.push_back("no global admin");
  // 3. No allocation exceeded (R-BEN-06).
  std::map<std::string, std::vector<const Allocation*>> credits;  // user -> live credits held
  for (const auto& [id, al] : s.allocations) {
    if (al.assignees.size() > al.quantity) {
      out.push_back("allocation " + id + " has " + std::to_string(al.assignees.size()) +
                    " assignees for a quantity of " + std::to_string(al.quantity));
    }
    if (al.used > al.quantity) {
      out.push_back("allocation " + id + " used " + std::to_string(al.used) + " of a quantity of " +
                    std::to_string(al.quantity));
    }
    if (is_credit(al.kind) && usable(s, al, now)) {
      for (const auto& held : al.assignees) credits[held.first].push_back(&al);
    }
  }
  // 6. A bulk credit is never held together with another credit by one user
  // (R-BEN-04); the same benefit of the same membership in the next year (its
  // renewal, during last year's window) is not another credit.
  for (const auto& [user, held] : credits) {
    const bool bulk = std::any_of(held.begin(), held.end(), [](const Allocation* x) {
      return x->kind == BenefitKind::azure_bulk_credit;
    });
    std::set<std::pair<std::string, std::string>> lines;
    for (const Allocation* x : held) lines.insert({x->offer_id, x->catalogue_benefit_id});
    if (bulk && lines.size() > 1) {
      std::string ids;
      for (const Allocation* x : held) ids += " " + x->benefit_id;
      out.push_back("user " + user + " holds an Azure bulk credit with other credits:" + ids);
    }
  }
  // 7. One of each offer at a time (R-ORD-01): a live membership or an unpaid
  // order; an unpaid renewal order renews a membership past its anniversary.
  for (const std::string& offer : kOffers) {
    auto m = s.memberships.find(offer);
    const bool live = m != s.memberships.end() && m->second.live();
    int unpaid = 0, unpaid_new = 0;
    for (const auto& [id, o] : s.orders) {
      if (o.offer_id != offer || o.status != OrderStatus::awaiting_payment) continue;
      ++unpaid;
      if (!o.renewal) ++unpaid_new;
    }
    if (unpaid > 1) out.push_back(std::to_string(unpaid) + " unpaid orders for " + offer);
    if (live && unpaid_new > 0) {
      out.push_back("a live " + offer + " membership (order " + m->second.order_id +
                    ") and an unpaid new order for the same offer");
    }
    if (live && unpaid > unpaid_new && now < m->second.anniversary) {
      out.push_back("a live " + offer + " membership (order " + m->second.order_id + ", anniversary " +
                    format_rfc3339(m->second.anniversary) +
                    ") not due for renewal and an unpaid renewal order for the same offer");
    }
  }
  return out;
}

struct Planned {
  std::string account;
  Actor actor;
  CommandBody body;
};

struct RevealedKey {
  std::string key;
  KeyKind kind;
  std::string account;  // the account that revealed it
};

// A failed invariant: recorded (with the SCOPED_TRACE of the step) and ends
// the seed after the step.
#define INVARIANT(cond, message)                                     \
  do {                                                               \
    if (!(cond)) {                                                   \
      failed_ = true;                                                \
      ADD_FAILURE() << "invariant violated: " << message;            \
    }                                                                \
  } while (0)

class Fuzz {
 public:
  Fuzz(uint64_t seed, Stats& stats) : seed_(seed), rng_(seed), stats_(stats) {}

  // Runs `steps` steps; false at the first failure.
  bool run(int steps) {
    for (int i = 1; i <= steps; ++i) {
      step(i);
      if (failed_) return false;
    }
    // The end: every stream folded again, from the world and from the codec copy.
    std::ostringstream where;
    where << "seed " << seed_ << " after the last step\n  replay: MLEDGER_SEED=" << seed_
          << " build/tests/randomized_tests";
    SCOPED_TRACE(where.str());
    for (const auto& [stream, events] : w_.streams) {
      if (!events.empty()) check_refold(stream);
    }
    return !failed_;
  }

 private:
  // --- randomness ------------------------------------------------------------
  uint64_t below(uint64_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_);
  }
  int64_t between(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
  std::string fresh(const char* prefix) { return prefix + std::to_string(++ids_); }

  // --- what the generator knows (from the mirrors, i.e. the events) -----------
  const AccountState& state(const std::string& account) {
    static const AccountState kNone;
    auto it = acc_.find(account_stream(account));
    return it == acc_.end() ? kNone : it->second;
  }
  bool active(const std::string& account) {
    const AccountState& s = state(account);
    return s.enrolled && s.merged_into.empty();
  }
  std::vector<std::string> active_accounts() {
    std::vector<std::string> out;
    for (const auto& id : accounts_) {
      if (active(id)) out.push_back(id);
    }
    return out;
  }
  static std::vector<std::string> users_of(const AccountState& s) {
    std::vector<std::string> out;
    for (const auto& [id, u] : s.users) out.push_back(id);
    return out;
  }
  static bool holds_any(const AccountUser& u, const std::vector<Role>& roles) {
    return std::any_of(roles.begin(), roles.end(), [&](Role r) { return u.has_role(r); });
  }

  Actor system_actor() {
    switch (below(3)) {
      case 0:
        return World::auditor();
      case 1:
        return World::service();
      default:
        return World::operator_();
    }
  }

  // Mostly an actor allowed to issue `type` on `account`; sometimes another
  // user, a user of another account, an unknown user or a system actor.
  Actor actor_for(std::string_view type, const std::string& account) {
    const Permission& p = permission_for(type);
    const AccountState& s = state(account);
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (p.issuer != ActorKind::user) {
      if (r < 0.93) return p.issuer == ActorKind::service ? World::service() : World::operator_();
    } else if (r < 0.80 || (r < 0.90 && !s.users.empty())) {
      std::vector<std::string> allowed, any;
      std::vector<Role> roles = p.roles;
      roles.push_back(Role::global_admin);
      for (const auto& [id, u] : s.users) {
        any.push_back(id);
        if (r < 0.80 && holds_any(u, roles)) allowed.push_back(id);
      }
      if (!allowed.empty()) return World::user(account, pick(allowed));
      if (!any.empty()) return World::user(account, pick(any));
    }
    switch (below(4)) {
      case 0: {  // a user of another account
        auto others = active_accounts();
        if (!others.empty()) {
          const std::string& o = pick(others);
          auto us = users_of(state(o));
          if (o != account && !us.empty()) return World::user(o, pick(us));
        }
        return World::user(account, "ghost");
      }
      case 1:
        return World::user(account, "ghost");  // not a user of the account
      default:
        return system_actor();
    }
  }

  std::vector<Role> random_roles(bool guest) {
    std::vector<Role> roles;
    if (guest) {
      for (Role r : kGuestRoles) {
        if (chance(0.35)) roles.push_back(r);
      }
      if (chance(0.05)) roles.push_back(pick(kAllRoles));  // mostly not for a guest
    } else {
      for (Role r : kAllRoles) {
        if (chance(r == Role::global_admin ? 0.15 : 0.2)) roles.push_back(r);
      }
      if (chance(0.02) && !roles.empty()) roles.push_back(roles.front());  // listed twice
    }
    std::shuffle(roles.begin(), roles.end(), rng_);
    return roles;
  }

  // --- planning one command -----------------------------------------------------
  Planned make(const std::string& account, CommandBody body) {
    Actor a = actor_for(command_type_name(body), account);
    return Planned{account, std::move(a), std::move(body)};
  }
  Planned as_service(const std::string& account, CommandBody body) {
    return Planned{account, chance(0.95) ? World::service() : system_actor(), std::move(body)};
  }

  Planned enroll_new() {
    std::string id = "acct-" + std::to_string(accounts_.size());
    accounts_.push_back(id);
    EnrollPartnerAccount e = World::enrollment(id + " Ltd");
    return Planned{id, World::user(id, pick(kUserPool)), std::move(e)};
  }

  std::string pick_order(const AccountState& s, auto&& pred) {
    std::vector<std::string> ids;
    for (const auto& [id, o] : s.orders) {
      if (pred(o)) ids.push_back(id);
    }
    if (!ids.empty() && chance(0.92)) return pick(ids);
    if (!s.orders.empty() && chance(0.5)) {
      auto it = s.orders.begin();
      std::advance(it, static_cast<long>(below(s.orders.size())));
      return it->first;
    }
    return "no-such-order";
  }

  std::string any_allocation(const AccountState& s) {
    if (!s.allocations.empty() && chance(0.7)) {
      auto it = s.allocations.begin();
      std::advance(it, static_cast<long>(below(s.allocations.size())));
      return it->first;
    }
    return "no/such/benefit";
  }

  // The offer of a live membership (mostly), else any offer.
  std::string live_offer(const AccountState& s) {
    std::vector<std::string> live;
    for (const auto& [offer, m] : s.memberships) {
      if (m.live()) live.push_back(offer);
    }
    return !live.empty() && chance(0.9) ? pick(live) : pick(kOffers);
  }

  bool in_window(const Membership& m) const {
    return m.live() && w_.now > m.anniversary && w_.now <= plus_days(m.anniversary, 30);
  }

  Planned plan() {
    auto live_accounts = active_accounts();
    if (accounts_.size() < kInitialAccounts ||
        (live_accounts.size() < kMinActiveAccounts && accounts_.size() < kMaxAccounts)) {
      return enroll_new();
    }
    std::string a;
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.96) {
      a = pick(live_accounts);
    } else if (r < 0.99) {
      a = pick(accounts_);  // maybe merged away
    } else {
      a = "nobody";
    }
    const AccountState& s = state(a);

    // What the account has, to weight the menu towards plausible commands.
    bool awaiting_wire = false, cancel_requested = false, refundable = false, paid = false;
    for (const auto& [id, o] : s.orders) {
      if (o.status == OrderStatus::awaiting_payment) {
        awaiting_wire = true;
        if (o.cancellation_requested) cancel_requested = true;
      }
      if (o.status == OrderStatus::paid) {
        paid = true;
        if (w_.now <= plus_days(o.placed_at, 30)) refundable = true;
      }
    }
    bool live = false, window = false, review_due = false;
    for (const auto& [offer, m] : s.memberships) {
      if (!m.live()) continue;
      live = true;
      if (in_window(m)) window = true;
      if (w_.now > plus_days(m.anniversary, -30) && w_.now <= plus_days(m.anniversary, 30)) {
        review_due = true;
      }
    }
    bool assignable = false, assigned = false;
    for (const auto& [id, al] : s.allocations) {
      if (al.ended || !user_assignable(al.kind)) continue;
      assignable = true;
      if (!al.assignees.empty()) assigned = true;
    }
    bool pending_tech = std::any_of(s.technical_requests.begin(), s.technical_requests.end(),
                                    [](const auto& t) { return !t.second.completed; });
    bool pending_gtm = false, active_gtm = false;
    for (const auto& [id, g] : s.go_to_market_requests) {
      if (g.status == GoToMarketStatus::requested) pending_gtm = true;
      if (g.status == GoToMarketStatus::active) active_gtm = true;
    }
    bool ma_keys = false;
    for (const auto& k : keys_revealed_) {
      if (k.account == a && k.kind == KeyKind::multiple_activation) ma_keys = true;
    }
    bool sent_to_me = false, sent_by_me = false, accepted_by_them = false, pending_by_me = false;
    for (const auto& [stream, p] : pairs_) {
      if (p.status == InvitationStatus::sent && p.latest.invitee_account_id == a) sent_to_me = true;
      if (p.status == InvitationStatus::sent && p.latest.initiator_account_id == a) sent_by_me = true;
      if (p.status == InvitationStatus::accepted && p.latest.initiator_account_id == a) {
        accepted_by_them = true;
      }
      if (p.pending() && p.latest.initiator_account_id == a) pending_by_me = true;
    }
    std::vector<DueCommand> due = due_commands(s, w_.now);
    for (const auto& [stream, p] : pairs_) {
      if (p.latest.initiator_account_id != a) continue;
      for (auto& d : due_commands(p, w_.now)) due.push_back(std::move(d));
    }

    enum Item {
      kEnrollNew, kEnrollAgain, kAddUser, kRemoveUser, kChangeRoles, kSendEmail, kConfirmEmail,
      kAuthorize, kRejectVerification, kResubmit, kUpdateInfo, kCompetency, kPlaceOrder, kWirePayment,
      kRequestCancel, kConfirmCancel, kRefund, kReview, kOpenWindow, kLapse, kExpireWire, kTick,
      kReveal, kRedeem, kActivation, kReplacement, kAssign, kUnassign, kTransfer, kRequestTech,
      kCompleteTech, kIncident, kHours, kMarketing, kRequestGtm, kCompleteGtm, kExpireGtm,
      kSendInvite, kAccept, kDecline, kWithdraw, kConfirmMerge, kExpireInvite, kSuspend, kReinstate,
      kTenant, kRemoveTenant, kLocation, kProgram, kItems
    };
    std::vector<double> wt(kItems, 0.0);
    auto has = [](bool b, double yes, double no) { return b ? yes : no; };
    wt[kEnrollNew] = accounts_.size() < kMaxAccounts ? 0.2 : 0.0;
    wt[kEnrollAgain] = 0.2;
    wt[kAddUser] = has(s.users.size() < 6, 6, 2.5);
    wt[kRemoveUser] = 2;
    wt[kChangeRoles] = 4;
    const bool confirmed = s.verification.email_confirmed;
    wt[kSendEmail] = has(!confirmed, 0.8, 0.1);
    wt[kConfirmEmail] = has(!confirmed, 0.8, 0.1);
    wt[kAuthorize] = has(s.verification.status == VerificationStatus::pending, 0.8, 0.1);
    wt[kRejectVerification] = 0.3;
    wt[kResubmit] = has(s.verification.status == VerificationStatus::rejected, 0.8, 0.1);
    wt[kUpdateInfo] = has(s.verification.status == VerificationStatus::rejected, 1.0, 0.3);
    wt[kCompetency] = has(!s.competency_levels.contains("gold"), 2.0, 0.3);
    wt[kPlaceOrder] = 7 + has(window, 14, 0);
    wt[kWirePayment] = has(awaiting_wire, 8, 0.4);
    wt[kRequestCancel] = has(awaiting_wire, 2, 0.2);
    wt[kConfirmCancel] = has(cancel_requested, 3, 0.2);
    wt[kRefund] = has(refundable, 4, 0.4);
    wt[kReview] = 1 + has(review_due, 6, 0);
    wt[kOpenWindow] = 0.7;
    wt[kLapse] = 0.7;
    wt[kExpireWire] = 0.7;
    wt[kTick] = has(!due.empty(), 8, 0);
    wt[kReveal] = has(paid && live, 5, 0.4);
    wt[kRedeem] = has(!keys_revealed_.empty(), 7, 0.3);
    wt[kActivation] = has(ma_keys, 3, 0.2);
    wt[kReplacement] = has(ma_keys, 2, 0.2);
    wt[kAssign] = has(assignable, 10, 0.4);
    wt[kUnassign] = has(assigned, 4, 0.2);
    wt[kTransfer] = has(assigned, 6, 0.2);
    wt[kRequestTech] = has(live, 2.5, 0.3);
    wt[kCompleteTech] = has(pending_tech, 6, 0.2);
    wt[kIncident] = has(live, 2.5, 0.3);
    wt[kHours] = has(live, 2.5, 0.3);
    wt[kMarketing] = has(!s.marketing_contact, 2.5, 0.5);
    wt[kRequestGtm] = has(live, 2, 0.3);
    wt[kCompleteGtm] = has(pending_gtm, 5, 0.2);
    wt[kExpireGtm] = has(active_gtm, 0.8, 0.2);
    wt[kSendInvite] = 1.2;
    wt[kAccept] = has(sent_to_me, 10, 0.3);
    wt[kDecline] = has(sent_to_me, 1.2, 0.1);
    wt[kWithdraw] = has(pending_by_me, 0.8, 0.1);
    wt[kConfirmMerge] = has(accepted_by_them, 10, 0.3);
    wt[kExpireInvite] = has(sent_by_me, 0.8, 0.1);
    wt[kSuspend] = 0.15;
    wt[kReinstate] = has(s.suspended, 5, 0.1);
    wt[kTenant] = 0.8;
    wt[kRemoveTenant] = has(!s.tenants.empty(), 0.6, 0.1);
    wt[kLocation] = 0.3;
    wt[kProgram] = 0.3;

    std::discrete_distribution<int> menu(wt.begin(), wt.end());
    const int item = menu(rng_);
    switch (item) {
      case kEnrollNew:
        return enroll_new();
      case kEnrollAgain: {  // an account id already taken
        const std::string taken = s.enrolled ? a : accounts_.front();
        return Planned{taken, World::user(taken, pick(kUserPool)), World::enrollment(taken + " Again")};
      }
      case kAddUser: {
        AddUser c;
        c.user_id = chance(0.03) ? "bad id!" : pick(kUserPool);
        c.guest = chance(0.25);
        c.email = c.user_id + "@" + a + ".example.com";
        c.display_name = "User " + c.user_id;
        c.roles = random_roles(c.guest);
        return make(a, std::move(c));
      }
      case kRemoveUser: {
        auto us = users_of(s);
        return make(a, RemoveUser{!us.empty() && chance(0.9) ? pick(us) : pick(kUserPool)});
      }
      case kChangeRoles: {
        auto us = users_of(s);
        ChangeUserRoles c;
        c.user_id = !us.empty() && chance(0.95) ? pick(us) : pick(kUserPool);
        auto u = s.users.find(c.user_id);
        const bool guest = u != s.users.end() && u->second.guest;
        if (u != s.users.end() && chance(0.4)) {  // grant or take away global_admin
          c.roles = u->second.roles;
          auto g = std::find(c.roles.begin(), c.roles.end(), Role::global_admin);
          if (g == c.roles.end()) {
            c.roles.push_back(Role::global_admin);
          } else {
            c.roles.erase(g);
          }
        } else {
          c.roles = random_roles(guest);
        }
        return make(a, std::move(c));
      }
      case kSendEmail:
        return make(a, SendVerificationEmail{});
      case kConfirmEmail:
        return as_service(a, ConfirmEmailOwnership{chance(0.9) ? s.primary_contact.email
                                                               : "someone@else.example.com"});
      case kAuthorize:
        return as_service(a, AuthorizeVerification{});
      case kRejectVerification: {
        RejectVerification c;
        c.failed_check = chance(0.5) ? VerificationCheck::business : VerificationCheck::employment;
        for (const char* f : {"legal_name", "address", "phone"}) {
          if (chance(0.4)) c.fields_to_correct.emplace_back(f);
        }
        if (chance(0.05)) c.fields_to_correct.emplace_back("email");
        c.reason = "registry mismatch";
        return as_service(a, std::move(c));
      }
      case kResubmit:
        return make(a, ResubmitVerification{});
      case kUpdateInfo: {
        UpdateCompanyInfo c;
        if (chance(0.5)) c.legal_name = a + " Ltd " + std::to_string(below(100));
        if (chance(0.4)) {
          PostalAddress ad = World::billing();
          ad.line1 = "Street " + std::to_string(below(100));
          c.address = ad;
        }
        if (chance(0.4)) c.phone = chance(0.9) ? "030" + std::to_string(1000000 + below(8999999)) : "+49 30";
        return make(a, std::move(c));
      }
      case kCompetency:
        return as_service(a, RecordCompetency{chance(0.45)   ? "silver"
                                              : chance(0.9)  ? "gold"
                                                             : "platinum",
                                              "cloud_platform"});
      case kPlaceOrder: {
        PlaceOrder c;
        std::vector<std::string> renewable;
        for (const auto& [offer, m] : s.memberships) {
          if (in_window(m)) renewable.push_back(offer);
        }
        if (!renewable.empty() && chance(0.7)) {
          c.offer_id = pick(renewable);
        } else {
          const double o = std::uniform_real_distribution<double>(0, 1)(rng_);
          c.offer_id = o < 0.5 ? "action_pack" : o < 0.74 ? "silver" : o < 0.98 ? "gold" : "platinum";
        }
        c.order_id = !s.orders.empty() && chance(0.02) ? s.orders.begin()->first : fresh("o");
        c.billing_address = World::billing();
        const double pay = std::uniform_real_distribution<double>(0, 1)(rng_);
        if (pay < 0.60) {
          c.payment_method = PaymentMethod::card;
          c.card = CardDetails{"4242", World::billing()};
        } else if (pay < 0.70) {  // the card's address does not match: declined
          c.payment_method = PaymentMethod::card;
          PostalAddress other = World::billing();
          other.postal_code = "99999";
          c.card = CardDetails{"4242", other};
        } else {
          c.payment_method = PaymentMethod::wire;
          if (chance(0.03)) c.card = CardDetails{"4242", World::billing()};
        }
        return make(a, std::move(c));
      }
      case kWirePayment: {
        RecordWirePayment c;
        c.order_id = pick_order(s, [](const Order& o) {
          return o.payment_method == PaymentMethod::wire && o.status == OrderStatus::awaiting_payment;
        });
        const Order* o = s.find_order(c.order_id);
        c.amount = o != nullptr ? o->price : Money{47'500, "USD"};
        if (chance(0.12)) c.amount.amount_minor += chance(0.5) ? 100 : -100;
        if (chance(0.03)) c.amount.currency = "EUR";
        c.bank_reference = fresh("ref-");
        return as_service(a, std::move(c));
      }
      case kRequestCancel:
        return make(a, RequestOrderCancellation{pick_order(
                           s, [](const Order& o) { return o.status == OrderStatus::awaiting_payment; })});
      case kConfirmCancel:
        return make(a, ConfirmOrderCancellation{pick_order(s, [](const Order& o) {
                      return o.status == OrderStatus::awaiting_payment && o.cancellation_requested;
                    })});
      case kRefund: {
        const Instant now = w_.now;
        return make(a, RefundOrder{pick_order(s, [now](const Order& o) {
                      return o.status == OrderStatus::paid && now <= plus_days(o.placed_at, 30);
                    })});
      }
      case kReview:
        return make(a, ReviewBusinessInfo{});
      case kOpenWindow:
        return as_service(a, OpenRenewalWindow{pick(kOffers)});
      case kLapse:
        return as_service(a, LapseMembership{pick(kOffers)});
      case kExpireWire:
        return as_service(a, ExpireWireOrder{pick_order(s, [](const Order& o) {
                            return o.status == OrderStatus::awaiting_payment;
                          })});
      case kTick: {
        DueCommand d = pick(due);
        return as_service(d.account_id, std::move(d.body));
      }
      case kReveal: {
        RevealKeys c;
        c.order_id = pick_order(s, [&](const Order& o) {
          if (o.status != OrderStatus::paid) return false;
          auto m = s.memberships.find(o.offer_id);
          return m != s.memberships.end() && m->second.live();
        });
        const auto& products = default_offer_catalogue().offers.front().products;
        const ProductSpec& p = pick(products);
        c.product = chance(0.04) ? "visio" : p.product;
        c.language = chance(0.05) ? "xx" : pick(p.languages);
        c.operating_system = chance(0.06) ? (chance(0.5) ? "linux" : "macos") : pick(p.operating_systems);
        return make(a, std::move(c));
      }
      case kRedeem: {
        RedeemKey c;
        std::vector<std::string> fresh_subs, any;
        for (const auto& k : keys_revealed_) {
          any.push_back(k.key);
          if (k.kind == KeyKind::subscription && redeemed_[key_stream(k.key)] == 0) {
            fresh_subs.push_back(k.key);
          }
        }
        if (!fresh_subs.empty() && chance(0.6)) {
          c.key = pick(fresh_subs);
        } else if (!any.empty()) {
          c.key = pick(any);  // often already redeemed, by any account
        } else {
          c.key = "BCDFGHJKMPQRTVWXY23467892";
        }
        const double f = std::uniform_real_distribution<double>(0, 1)(rng_);
        if (f < 0.10) {
          std::string dashed;
          for (size_t i = 0; i < c.key.size(); ++i) {
            if (i > 0 && i % 5 == 0) dashed.push_back('-');
            dashed.push_back(c.key[i]);
          }
          c.key = dashed;
        } else if (f < 0.20) {
          for (char& ch : c.key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        } else if (f < 0.25) {
          c.key = c.key.substr(0, 12);  // a part of a key
        }
        c.mode = chance(0.6) ? RedemptionMode::add_seats : RedemptionMode::extend_end_date;
        return make(a, std::move(c));
      }
      case kActivation:
      case kReplacement: {
        std::vector<std::string> mine, replaceable, any;
        for (const auto& k : keys_revealed_) {
          any.push_back(k.key);
          if (k.account != a || k.kind != KeyKind::multiple_activation) continue;
          mine.push_back(k.key);
          const KeyState& ks = keys_[key_stream(k.key)];
          if (ks.first_activation_at && w_.now <= plus_days(*ks.first_activation_at, 30) &&
              ks.replaced_by_key_id.empty() && ks.issue.replaces_key_id.empty()) {
            replaceable.push_back(k.key);
          }
        }
        if (item == kReplacement && !replaceable.empty() && chance(0.7)) mine = replaceable;
        std::string key = !mine.empty() && chance(0.9) ? pick(mine)
                          : !any.empty()               ? pick(any)
                                                       : std::string("BCDFG-HJKMP-QRTVW-XY234-67892");
        if (chance(0.03)) key = key.substr(0, 10);
        if (item == kActivation) return as_service(a, RecordKeyActivation{key});
        return make(a, RequestReplacementKey{key});
      }
      case kAssign: {
        AssignBenefit c;
        std::vector<std::string> ids;
        for (const auto& [id, al] : s.allocations) {
          if (!al.ended && user_assignable(al.kind) && w_.now <= al.expiry) ids.push_back(id);
        }
        c.benefit_id = !ids.empty() && chance(0.9) ? pick(ids) : any_allocation(s);
        auto us = users_of(s);
        c.user_id = !us.empty() && chance(0.9) ? pick(us) : chance(0.5) ? pick(kUserPool) : "ghost";
        return make(a, std::move(c));
      }
      case kUnassign:
      case kTransfer: {
        std::vector<std::pair<std::string, std::string>> held;  // benefit, holder
        for (const auto& [id, al] : s.allocations) {
          for (const auto& [user, since] : al.assignees) held.emplace_back(id, user);
        }
        std::string benefit = any_allocation(s), holder = pick(kUserPool);
        if (!held.empty() && chance(0.92)) std::tie(benefit, holder) = pick(held);
        if (item == kUnassign) return make(a, UnassignBenefit{benefit, holder});
        auto us = users_of(s);
        std::string to = !us.empty() && chance(0.92) ? pick(us) : pick(kUserPool);
        return make(a, TransferBenefit{benefit, holder, to});
      }
      case kRequestTech: {
        RequestTechnicalBenefit c;
        c.offer_id = live_offer(s);
        const double b = std::uniform_real_distribution<double>(0, 1)(rng_);
        c.benefit = b < 0.5    ? "online_technical_consultation"
                    : b < 0.9  ? "signature_cloud_support"
                    : b < 0.95 ? "product_support_incidents"
                               : "free_lunch";
        c.request_id = !s.technical_requests.empty() && chance(0.03) ? s.technical_requests.begin()->first
                                                                     : fresh("tr");
        return make(a, std::move(c));
      }
      case kCompleteTech: {
        std::vector<std::string> pending;
        for (const auto& [id, t] : s.technical_requests) {
          if (!t.completed || chance(0.05)) pending.push_back(id);
        }
        CompleteTechnicalBenefit c;
        c.request_id = !pending.empty() ? pick(pending) : "tr-none";
        c.access_id = chance(0.95) ? fresh("access-") : "";
        c.contract_id = fresh("contract-");
        return as_service(a, std::move(c));
      }
      case kIncident: {
        UseSupportIncident c;
        c.offer_id = live_offer(s);
        c.kind = chance(0.6) ? IncidentKind::product_support : IncidentKind::signature_support;
        c.incident_id = !s.incidents.empty() && chance(0.03) ? *s.incidents.begin() : fresh("inc");
        return make(a, std::move(c));
      }
      case kHours: {
        UseAdvisoryHours c;
        c.offer_id = live_offer(s);
        const double h = std::uniform_real_distribution<double>(0, 1)(rng_);
        c.hours = h < 0.03 ? 0u : h < 0.06 ? 2000u : static_cast<uint32_t>(between(1, 12));
        return make(a, std::move(c));
      }
      case kMarketing: {
        AssignMarketingContact c;
        auto us = users_of(s);
        c.user_id = !us.empty() && chance(0.93) ? pick(us) : "ghost";
        c.email = chance(0.95) ? "mkt-" + c.user_id + "@" + a + ".example.com" : s.primary_contact.email;
        c.phone = chance(0.95) ? "0301234567" : "+49 30 1234";
        c.preferred_language = chance(0.5) ? "de" : chance(0.9) ? "pt-BR" : "1x";
        return make(a, std::move(c));
      }
      case kRequestGtm: {
        RequestGoToMarketOffer c;
        c.offer_id = live_offer(s);
        c.go_to_market_offer = chance(0.5) ? "marketing_campaign_kit" : chance(0.9) ? "customer_case_study"
                                                                                     : "billboard";
        c.request_id = fresh("gr");
        return make(a, std::move(c));
      }
      case kCompleteGtm:
      case kExpireGtm: {
        std::vector<std::string> ids;
        const GoToMarketStatus want =
            item == kCompleteGtm ? GoToMarketStatus::requested : GoToMarketStatus::active;
        for (const auto& [id, g] : s.go_to_market_requests) {
          if (g.status == want || chance(0.05)) ids.push_back(id);
        }
        const std::string id = !ids.empty() ? pick(ids) : "gr-none";
        if (item == kExpireGtm) return as_service(a, ExpireGoToMarketOffer{id});
        const Instant expiry = chance(0.95) ? plus_days(w_.now, between(5, 120)) : plus_days(w_.now, -1);
        return as_service(a, CompleteGoToMarketOffer{id, expiry});
      }
      case kSendInvite: {
        SendMergeInvitation c;
        c.invitation_id = fresh("inv");
        const double t = std::uniform_real_distribution<double>(0, 1)(rng_);
        std::vector<std::string> others;
        for (const auto& o : live_accounts) {
          if (o != a) others.push_back(o);
        }
        if (t < 0.85 && !others.empty()) {
          c.invitee_partner_id = pick(others);
        } else if (t < 0.90) {
          c.invitee_partner_id = pick(accounts_);  // maybe merged away, maybe itself
        } else if (t < 0.94) {
          c.invitee_partner_id = a;
        } else if (t < 0.97) {
          c.invitee_partner_id = pick(accounts_) + "/loc-1";
        } else {
          c.invitee_partner_id = "nobody";
        }
        return make(a, std::move(c));
      }
      case kAccept:
      case kDecline:
      case kWithdraw:
      case kConfirmMerge:
      case kExpireInvite: {
        // The pair's latest invitation, seen from this side.
        const bool as_invitee = item == kAccept || item == kDecline;
        std::vector<const MergePairState*> mine;
        for (const auto& [stream, pr] : pairs_) {
          const std::string& me = as_invitee ? pr.latest.invitee_account_id : pr.latest.initiator_account_id;
          if (me != a) continue;
          const bool fits = item == kConfirmMerge ? pr.status == InvitationStatus::accepted
                            : item == kWithdraw   ? pr.pending()
                                                  : pr.status == InvitationStatus::sent;
          if (fits || chance(0.05)) mine.push_back(&pr);
        }
        std::string id = "inv-none", other = live_accounts.empty() ? "nobody" : pick(live_accounts);
        if (!mine.empty()) {
          const MergePairState* pr = mine[below(mine.size())];
          id = pr->latest.invitation_id;
          other = as_invitee ? pr->latest.initiator_account_id : pr->latest.invitee_account_id;
        }
        switch (item) {
          case kAccept:
            return make(a, AcceptMergeInvitation{id, other});
          case kDecline:
            return make(a, DeclineMergeInvitation{id, other, chance(0.5) ? "" : "not now"});
          case kWithdraw:
            return make(a, WithdrawMergeInvitation{id, other});
          case kConfirmMerge:
            return make(a, ConfirmMerge{id, other});
          default:
            return as_service(a, ExpireMergeInvitation{id, other});
        }
      }
      case kSuspend:
        return as_service(a, SuspendAccount{"fraud review"});
      case kReinstate:
        return as_service(a, ReinstateAccount{"review passed"});
      case kTenant: {
        const std::string t = pick(kTenantPool);
        return make(a, AssociateTenant{t, t + ".example.com", chance(0.3)});
      }
      case kRemoveTenant: {
        std::string t = pick(kTenantPool);
        if (!s.tenants.empty() && chance(0.85)) {
          auto it = s.tenants.begin();
          std::advance(it, static_cast<long>(below(s.tenants.size())));
          t = it->first;
        }
        return make(a, RemoveTenant{t});
      }
      case kLocation:
        return make(a, AddLocation{chance(0.95) ? "Branch " + std::to_string(below(50)) : " ",
                                   World::billing()});
      case kProgram: {
        static const std::vector<std::string> programs = {"partner_network", "csp", "isv", "co_sell",
                                                          "moon"};
        return make(a, EnrollInProgram{pick(programs)});
      }
      default:
        break;
    }
    return Planned{a, World::service(), ReviewBusinessInfo{}};
  }

  // --- one step ------------------------------------------------------------------
  void advance_clock() {
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    int64_t micros;
    if (r < 0.75) {
      micros = between(1, 6 * 60) * kMinute;
    } else if (r < 0.95) {
      micros = between(6, 72) * kHour;
    } else {
      micros = between(3 * 24, 40 * 24) * kHour;
    }
    w_.now = Instant{w_.now.micros_since_epoch + micros};
  }

  void step(int i) {
    advance_clock();
    Planned p = plan();
    const std::string type(command_type_name(p.body));
    std::ostringstream where;
    where << "seed " << seed_ << " step " << i << " at " << format_rfc3339(w_.now) << ": " << type
          << " on account '" << p.account << "' by " << describe(p.actor)
          << "\n  replay: MLEDGER_SEED=" << seed_ << " MLEDGER_STEPS=" << i
          << " build/tests/randomized_tests";
    SCOPED_TRACE(where.str());
    std::snprintf(g_step, sizeof g_step, "\nabort during %s\n", where.str().c_str());

    const size_t appended_before = w_.appended;
    const Decision d = w_.run(p.account, p.actor, p.body);
    ++stats_.tried;
    ++stats_.commands[type].first;
    if (!d.ok()) {
      ++stats_.rejections[std::string(code_name(d.error().code))];
      check_nothing_appended(appended_before);
      return;
    }
    ++stats_.accepted;
    ++stats_.commands[type].second;
    const std::vector<Emitted>& events = d.value();
    check_appended(events, appended_before);
    if (failed_) return;
    check_before(events);
    std::set<std::string> touched = absorb(events);
    if (failed_) return;
    check_after(touched);
  }

  // --- 1. a rejected command appends nothing -----------------------------------------
  void check_nothing_appended(size_t appended_before) {
    INVARIANT(w_.appended == appended_before, "a rejected command appended "
                                                  << (w_.appended - appended_before) << " events");
    for (const auto& [stream, events] : w_.streams) {
      auto it = sizes_.find(stream);
      const size_t expected = it == sizes_.end() ? 0 : it->second;
      INVARIANT(events.size() == expected, "a rejected command changed stream " << stream);
    }
  }

  void check_appended(const std::vector<Emitted>& events, size_t appended_before) {
    INVARIANT(w_.appended == appended_before + events.size(), "appended count off");
    std::map<std::string, size_t> added;
    for (const auto& e : events) ++added[e.stream];
    for (const auto& [stream, stored] : w_.streams) {
      auto it = sizes_.find(stream);
      const size_t before = it == sizes_.end() ? 0 : it->second;
      auto a = added.find(stream);
      INVARIANT(stored.size() == before + (a == added.end() ? 0 : a->second),
                "stream " << stream << " did not grow by exactly the accepted events");
    }
    std::map<std::string, size_t> next;
    for (const auto& e : events) {
      const size_t at = sizes_[e.stream] + next[e.stream]++;
      const auto& stored = w_.streams[e.stream];
      INVARIANT(at < stored.size() && stored[at].payload == e.payload && stored[at].at == w_.now,
                "stream " << e.stream << " holds another event than the one decided");
    }
  }

  // --- 2, 4, 5, 6, 7: checks against the state BEFORE the step ------------------------
  void check_before(const std::vector<Emitted>& events) {
    std::map<std::string, int> redeemed_now;
    for (const Emitted& e : events) {
      const std::string name(event_type_name(e.payload));
      if (std::holds_alternative<KeyRedeemed>(e.payload)) {
        // 2. A key is redeemed once, ever.
        const int n = redeemed_[e.stream] + ++redeemed_now[e.stream];
        INVARIANT(n <= 1, "key stream " << e.stream << " now has " << n << " KeyRedeemed events");
        auto k = keys_.find(e.stream);
        INVARIANT(k != keys_.end() && k->second.issued, "redeemed key " << e.stream << " was never issued");
      }
      if (!e.stream.starts_with("account-")) continue;
      const std::string account = e.stream.substr(8);
      const AccountState& before = state(account);
      if (const auto* r = std::get_if<OrderRefunded>(&e.payload)) check_refund(account, before, *r);
      if (const auto* u = std::get_if<BenefitUnassigned>(&e.payload)) {
        check_reassignment(before, u->benefit_id, u->user_id, name, false);
      }
      if (const auto* t = std::get_if<BenefitTransferred>(&e.payload)) {
        check_reassignment(before, t->benefit_id, t->from_user_id, name, true);
      }
      if (const auto* m = std::get_if<MembershipActivated>(&e.payload)) {
        // 7. One live membership per offer: an activation never replaces a live one.
        auto it = before.memberships.find(m->offer_id);
        INVARIANT(it == before.memberships.end() || !it->second.live(),
                  "MembershipActivated for order " << m->order_id << " replaces the live " << m->offer_id
                                                   << " membership of order " << it->second.order_id
                                                   << " in " << account);
      }
    }
  }

  // 4. No refund outside its rules.
  void check_refund(const std::string& account, const AccountState& before, const OrderRefunded& r) {
    const std::string key = account + "/" + r.order_id;
    const Order* o = before.find_order(r.order_id);
    INVARIANT(o != nullptr, "refund of an unknown order " << key);
    if (o == nullptr) return;
    INVARIANT(o->status == OrderStatus::paid, "refund of order " << key << " that was not paid");
    auto placed = placed_at_.find(key);
    INVARIANT(placed != placed_at_.end() && placed->second == o->placed_at,
              "order " << key << " placed at another time than recorded");
    INVARIANT(w_.now <= plus_days(o->placed_at, 30),
              "refund of order " << key << " more than 30 days after it was placed ("
                                 << format_rfc3339(o->placed_at) << ")");
    INVARIANT(!revealed_orders_.contains(key) && o->revealed_products.empty(),
              "refund of order " << key << " whose keys were revealed");
    const std::string prefix = key + "/";
    for (const auto& id : ever_used_) {
      INVARIANT(!id.starts_with(prefix), "refund of order " << key << " whose benefit " << id << " was used");
    }
    INVARIANT(!o->non_refundable && !non_refundable_.contains(key),
              "refund of order " << key << " made non-refundable by an upgrade");
    for (const auto& [id, other] : before.orders) {
      INVARIANT(!(other.upgrade_from_order_id == r.order_id &&
                  other.status == OrderStatus::awaiting_payment),
                "refund of order " << key << " while discounted upgrade " << id << " awaits payment");
    }
  }

  // 5. No Visual Studio reassignment inside 90 days; 6. no bulk credit removed.
  void check_reassignment(const AccountState& before, const std::string& benefit_id,
                          const std::string& holder, const std::string& event, bool transfer) {
    auto it = before.allocations.find(benefit_id);
    INVARIANT(it != before.allocations.end(), event << " of unknown benefit " << benefit_id);
    if (it == before.allocations.end()) return;
    const Allocation& al = it->second;
    auto since = al.assignees.find(holder);
    INVARIANT(since != al.assignees.end(), event << " of " << benefit_id << " from " << holder
                                                 << ", who does not hold it");
    if (since == al.assignees.end()) return;
    // Once the benefit has ended or can no longer be used (R-ORD-09), it is history.
    const bool live = usable(before, al, w_.now);
    if (!transfer && al.kind == BenefitKind::azure_bulk_credit) {
      INVARIANT(!live, "BenefitUnassigned removes the live Azure bulk credit " << benefit_id << " from "
                                                                                << holder);
    }
    // R-BEN-05's choice: once the benefit is history, unassigning is free.
    if (al.kind == BenefitKind::visual_studio && (transfer || live)) {
      INVARIANT(w_.now >= plus_days(since->second, 90),
                event << " of Visual Studio " << benefit_id << " from " << holder << " assigned at "
                      << format_rfc3339(since->second) << ", less than 90 days ago");
    }
  }

  // --- the mirrors -----------------------------------------------------------------------
  std::set<std::string> absorb(const std::vector<Emitted>& events) {
    std::set<std::string> touched;
    for (const Emitted& e : events) {
      if (e.stream.starts_with("account-")) {
        const std::string missing = dangling(acc_[e.stream], e.payload);
        INVARIANT(missing.empty(), event_type_name(e.payload) << " appended to " << e.stream << " names "
                                                              << missing
                                                              << "; folding the stream asserts from now on");
        if (!missing.empty()) return touched;
      }
      touched.insert(e.stream);
      ++sizes_[e.stream];
      ++stats_.events[std::string(event_type_name(e.payload))];
      apply_to_mirror(e.stream, e.payload);
      // 8. The codec round trip gives the same payload.
      auto back = codec_round_trip(e.payload);
      INVARIANT(back.ok(), event_type_name(e.payload) << " does not decode: "
                                                      << (back.ok() ? "" : back.error().to_string()));
      if (back.ok()) {
        INVARIANT(*back == e.payload, event_type_name(e.payload) << " on " << e.stream
                                                                 << " does not round-trip the codec");
        codec_[e.stream].push_back(World::Stored{*back, w_.now, e.account_ids});
      } else {
        codec_[e.stream].push_back(World::Stored{e.payload, w_.now, e.account_ids});
      }
      // What the generator and the refund check remember.
      const std::string account = e.stream.starts_with("account-") ? e.stream.substr(8) : "";
      std::visit(
          [&](const auto& ev) {
            using T = std::decay_t<decltype(ev)>;
            if constexpr (std::is_same_v<T, KeyIssued>) {
              keys_revealed_.push_back(RevealedKey{ev.key_id, ev.kind, ev.account_id});
            } else if constexpr (std::is_same_v<T, KeyRedeemed>) {
              ++redeemed_[e.stream];
            } else if constexpr (std::is_same_v<T, KeysRevealed>) {
              revealed_orders_.insert(account + "/" + ev.order_id);
            } else if constexpr (std::is_same_v<T, OrderPlaced>) {
              placed_at_[account + "/" + ev.order_id] = w_.now;
            } else if constexpr (std::is_same_v<T, OrderMadeNonRefundable>) {
              non_refundable_.insert(account + "/" + ev.order_id);
            } else if constexpr (std::is_same_v<T, BenefitAssigned> ||
                                 std::is_same_v<T, TechnicalBenefitRequested> ||
                                 std::is_same_v<T, SupportIncidentUsed> ||
                                 std::is_same_v<T, AdvisoryHoursUsed> ||
                                 std::is_same_v<T, GoToMarketOfferRequested>) {
              ever_used_.insert(ev.benefit_id);
            }
          },
          e.payload);
    }
    return touched;
  }

  void apply_to_mirror(const std::string& stream, const EventPayload& p) {
    if (stream.starts_with("account-")) {
      apply(acc_[stream], p, w_.now);
    } else if (stream.starts_with("key-")) {
      apply(keys_[stream], p, w_.now);
    } else if (stream.starts_with("merge-")) {
      apply(pairs_[stream], p, w_.now);
    } else if (stream.starts_with("tenant-")) {
      apply(tenants_[stream], p, w_.now);
    }
  }

  // 8. Folding again, from the world's events and from the codec's copy, gives
  // the incrementally evolved state.
  template <class State>
  static State fold(const std::vector<World::Stored>& events) {
    State s;
    for (const auto& e : events) apply(s, e.payload, e.at);
    return s;
  }

  void check_refold(const std::string& stream) {
    const auto& events = w_.streams[stream];
    const auto& copy = codec_[stream];
    INVARIANT(copy.size() == events.size(), "codec copy of " << stream << " has another length");
    if (stream.starts_with("account-")) {
      const AccountState& inc = acc_[stream];
      const AccountState fresh = fold<AccountState>(events);
      INVARIANT(fresh == inc, "folding " << stream << " again gives another state; differs in: "
                                         << account_diff(fresh, inc));
      const AccountState decoded = fold<AccountState>(copy);
      INVARIANT(decoded == inc, "folding " << stream << " after the codec gives another state; differs in: "
                                           << account_diff(decoded, inc));
    } else if (stream.starts_with("key-")) {
      const KeyState& inc = keys_[stream];
      INVARIANT(fold<KeyState>(events) == inc, "folding " << stream << " again gives another state");
      INVARIANT(fold<KeyState>(copy) == inc, "folding " << stream << " after the codec gives another state");
    } else if (stream.starts_with("merge-")) {
      const MergePairState& inc = pairs_[stream];
      INVARIANT(fold<MergePairState>(events) == inc, "folding " << stream << " again gives another state");
      INVARIANT(fold<MergePairState>(copy) == inc,
                "folding " << stream << " after the codec gives another state");
    } else if (stream.starts_with("tenant-")) {
      const TenantClaimState& inc = tenants_[stream];
      INVARIANT(fold<TenantClaimState>(events).account_id == inc.account_id,
                "folding " << stream << " again gives another claim");
      INVARIANT(fold<TenantClaimState>(copy).account_id == inc.account_id,
                "folding " << stream << " after the codec gives another claim");
    }
  }

  // --- 3, 6, 7, 8 and tenants: checks against the state AFTER the step ----------------------
  void check_after(const std::set<std::string>& touched) {
    bool tenants_touched = false;
    for (const auto& stream : touched) {
      check_refold(stream);
      if (stream.starts_with("tenant-")) tenants_touched = true;
      if (!stream.starts_with("account-")) continue;
      tenants_touched = true;
      for (const std::string& v : account_violations(acc_[stream], w_.now)) {
        INVARIANT(false, stream << ": " << v);
      }
    }
    // R-ACC-07: a tenant belongs to exactly one account.
    if (tenants_touched) {
      for (const auto& id : accounts_) {
        const AccountState& s = state(id);
        if (!s.enrolled || !s.merged_into.empty()) continue;
        for (const auto& [tenant, t] : s.tenants) {
          INVARIANT(tenants_[tenant_stream(tenant)].account_id == id,
                    "account " << id << " lists tenant " << tenant << " claimed by '"
                               << tenants_[tenant_stream(tenant)].account_id << "'");
        }
      }
    }
  }

  uint64_t seed_;
  std::mt19937_64 rng_;
  Stats& stats_;
  World w_;
  bool failed_ = false;
  uint64_t ids_ = 0;

  std::vector<std::string> accounts_;  // every account id the generator enrolled (or tried)
  std::map<std::string, size_t> sizes_;  // stream -> events absorbed
  std::map<std::string, AccountState> acc_;
  std::map<std::string, KeyState> keys_;
  std::map<std::string, MergePairState> pairs_;
  std::map<std::string, TenantClaimState> tenants_;
  std::map<std::string, std::vector<World::Stored>> codec_;  // streams after the codec round trip

  std::vector<RevealedKey> keys_revealed_;
  std::map<std::string, int> redeemed_;        // key stream -> KeyRedeemed events
  std::set<std::string> revealed_orders_;      // "<account>/<order>" with keys revealed
  std::map<std::string, Instant> placed_at_;   // "<account>/<order>" -> OrderPlaced time
  std::set<std::string> non_refundable_;       // "<account>/<order>"
  std::set<std::string> ever_used_;            // allocation ids assigned, requested or consumed
};

// An assertion in the domain aborts the process: name the step first.
void on_abort(int) {
  const ssize_t ignored = write(2, g_step, std::strlen(g_step));
  (void)ignored;
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

std::vector<uint64_t> seeds_from_env(bool* single) {
  const char* env = std::getenv("MLEDGER_SEED");
  *single = env != nullptr && *env != '\0';
  if (!*single) return kDefaultSeeds;
  return {std::strtoull(env, nullptr, 10)};
}

int steps_from_env() {
  const char* env = std::getenv("MLEDGER_STEPS");
  return env != nullptr && *env != '\0' ? std::atoi(env) : kDefaultSteps;
}

TEST(Randomized, every_invariant_holds_after_every_step) {
  bool single = false;
  const std::vector<uint64_t> seeds = seeds_from_env(&single);
  const int steps = steps_from_env();
  Stats stats;
  std::signal(SIGABRT, on_abort);
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t seed : seeds) {
    Fuzz fuzz(seed, stats);
    if (!fuzz.run(steps)) {
      stats.failed_seeds.push_back(seed);
      std::printf("seed %llu FAILED; replay: MLEDGER_SEED=%llu build/tests/randomized_tests\n",
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("%zu seed(s) x %d steps in %.1f s: %llu of %llu commands accepted (%.1f%%)\n",
              seeds.size(), steps, seconds, static_cast<unsigned long long>(stats.accepted),
              static_cast<unsigned long long>(stats.tried),
              stats.tried == 0 ? 0.0
                               : 100.0 * static_cast<double>(stats.accepted) /
                                     static_cast<double>(stats.tried));
  std::printf("%-30s %8s %8s\n", "command", "tried", "accepted");
  for (const auto& [type, n] : stats.commands) {
    std::printf("%-30s %8llu %8llu\n", type.c_str(), static_cast<unsigned long long>(n.first),
                static_cast<unsigned long long>(n.second));
  }
  std::printf("%-30s %8s\n", "event", "appended");
  for (const auto& [type, n] : stats.events) {
    std::printf("%-30s %8llu\n", type.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("%-45s %8s\n", "rejection", "count");
  for (const auto& [code, n] : stats.rejections) {
    std::printf("%-45s %8llu\n", code.c_str(), static_cast<unsigned long long>(n));
  }

  ASSERT_GT(stats.tried, 0u);
  // World::run decided every command over the retired state too and expected
  // the same decision (tests/support/world.h); some of them had retired orders
  // or requests to tell apart.
  const World::RetiredChecks& retired = World::retired_checks();
  std::printf("decided over the retired state too: %zu, of which %zu with retired ids\n",
              retired.decisions, retired.with_retired);
  EXPECT_GE(retired.decisions, stats.tried);
  if (!single) {
    EXPECT_GT(retired.with_retired, 0u);
  }
  EXPECT_GE(static_cast<double>(stats.accepted), 0.30 * static_cast<double>(stats.tried))
      << "the generator should mostly issue plausible commands";
  if (!single && stats.failed_seeds.empty()) {
    // The runs reached the interesting places at least once.
    for (const char* e : {"KeyRedeemed", "BenefitAssigned", "BenefitTransferred", "OrderRefunded",
                          "AccountsMerged", "MembershipRenewed"}) {
      EXPECT_GT(stats.events[e], 0u) << "no " << e << " in any seed";
    }
  }
}

// --- The failing seeds, shrunk ---------------------------------------------------
// Each is the smallest story found behind a class of failing seeds; they pass
// once the domain keeps the invariant, whichever way it chooses to.

Actor alice() { return World::user("contoso", "alice"); }
Actor frank() { return World::user("fabrikam", "frank"); }

// contoso (alice) invites fabrikam (frank); fabrikam accepts; contoso confirms.
Decision merge_fabrikam_into_contoso(World& w) {
  w.must("contoso", alice(), SendMergeInvitation{"inv1", "fabrikam"});
  w.must("fabrikam", frank(), AcceptMergeInvitation{"inv1", "contoso"});
  return w.run("contoso", alice(), ConfirmMerge{"inv1", "fabrikam"});
}

// Checks the events of `d` on `account` against the state before them, and
// folds them only if they apply (the fold asserts on a dangling event).
void expect_events_apply(const AccountState& before, const Decision& d, const std::string& account) {
  if (!d.ok()) return;
  AccountState s = before;
  for (const Emitted& e : d.value()) {
    if (e.stream != account_stream(account)) continue;
    const std::string missing = dangling(s, e.payload);
    ASSERT_EQ(missing, "") << event_type_name(e.payload) << " names " << missing;
    apply(s, e.payload, Instant{});
  }
}

// Seeds 12 and 13 (about one seed in six): a card Gold order upgrading a
// Silver membership that a merge brought in. PlaceOrder takes the upgrade from
// the membership's order (the invitee's order), and activate() then records
// OrderMadeNonRefundable for it on the initiator's stream, which never placed
// that order: apply() asserts on it, so the account can never be folded again.
TEST(RandomizedShrunk, seed_13_gold_upgrade_of_a_merged_in_silver_names_no_foreign_order) {
  World w;
  w.enroll("contoso", "alice");
  w.enroll("fabrikam", "frank");
  w.competency("fabrikam", "silver");
  w.buy("fabrikam", "frank", "silver", "s1");
  ASSERT_TRUE(merge_fabrikam_into_contoso(w).ok());
  w.competency("contoso", "gold");
  w.now = plus_days(w.now, 1);
  const AccountState before = w.account("contoso");
  ASSERT_EQ(before.memberships.at("silver").order_id, "s1");  // fabrikam's order
  const Decision d = w.run("contoso", alice(),
                           PlaceOrder{"g1", "gold", PaymentMethod::card, World::billing(),
                                      CardDetails{"4242", World::billing()}});
  expect_events_apply(before, d, "contoso");
}

// Seeds 1, 3, 4, 9, 11, 15 (about one seed in three): contoso has an unpaid
// wire order for Action Pack when it merges in fabrikam, which has a live one.
// ConfirmMerge checks only the invitee's unpaid orders, so contoso ends with a
// live Action Pack and an unpaid order for another one; paying it records
// MembershipActivated over the live membership (seeds 122, 127: the same with
// a renewal order placed in contoso's renewal window, and a merged-in
// membership whose anniversary is later).
TEST(RandomizedShrunk, seed_4_merge_never_meets_an_unpaid_order_for_a_live_offer) {
  World w;
  w.enroll("contoso", "alice");
  w.enroll("fabrikam", "frank");
  w.buy("fabrikam", "frank", "action_pack", "f1");
  w.must("contoso", alice(),
         PlaceOrder{"c1", "action_pack", PaymentMethod::wire, World::billing(), std::nullopt});
  w.now = plus_days(w.now, 1);
  (void)merge_fabrikam_into_contoso(w);  // accepted today; refusing it would keep the invariant too
  const AccountState after_merge = w.account("contoso");
  EXPECT_EQ(account_violations(after_merge, w.now), std::vector<std::string>{});
  w.now = plus_days(w.now, 1);
  const Decision paid =
      w.run("contoso", World::service(), RecordWirePayment{"c1", Money{47'500, "USD"}, "ref-1"});
  if (paid.ok()) {
    for (const Emitted& e : paid.value()) {
      if (const auto* m = std::get_if<MembershipActivated>(&e.payload)) {
        auto it = after_merge.memberships.find(m->offer_id);
        EXPECT_FALSE(it != after_merge.memberships.end() && it->second.live())
            << "MembershipActivated of " << m->order_id << " replaces the live membership of order "
            << it->second.order_id;
      }
    }
  }
}

// Seed 8 (about one seed in ten; also 34, 42, 43): the same directory user
// holds a monthly credit in contoso and a bulk credit in fabrikam. ConfirmMerge moves
// fabrikam's assignments into contoso without the R-BEN-04 check, so the user
// ends holding a bulk credit together with another credit.
TEST(RandomizedShrunk, merge_never_gives_a_user_a_bulk_credit_with_another_credit) {
  World w;
  w.enroll("contoso", "alice");
  w.enroll("fabrikam", "frank");
  w.add_user("contoso", "alice", "sam", {});
  w.add_user("fabrikam", "frank", "sam", {});
  w.buy("contoso", "alice", "action_pack", "c1");
  w.must("contoso", alice(), AssignBenefit{World::benefit("contoso", "c1", "azure_monthly_credit"), "sam"});
  w.competency("fabrikam", "silver");
  w.buy("fabrikam", "frank", "silver", "f1");
  w.must("fabrikam", frank(), AssignBenefit{World::benefit("fabrikam", "f1", "azure_bulk_credit"), "sam"});
  w.now = plus_days(w.now, 1);
  (void)merge_fabrikam_into_contoso(w);
  EXPECT_EQ(account_violations(w.account("contoso"), w.now), std::vector<std::string>{});
}

}  // namespace
}  // namespace mledger::testing
