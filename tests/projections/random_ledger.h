#pragma once
// Random ledgers for the projection tests: every event type the account,
// orders, keys and merges projections fold, with ids drawn from what each
// account holds at that point (so apply()'s preconditions hold: an order is
// paid only once placed, a benefit assigned only once allocated...), and
// often repeated or re-used ids (a user removed and added again, an
// allocation assigned twice, a refund ending benefits). Not decided by the
// rules: it exists to exercise every path of the folds, not to be realistic.

#include <map>
#include <random>
#include <string>
#include <vector>

#include "domain/account/account_state.h"
#include "domain/core/streams.h"
#include "tests/projections/recorded.h"

namespace mledger::projections::testing {

class RandomLedger {
 public:
  RandomLedger(uint64_t seed, std::vector<std::string> accounts) : rng_(seed), accounts_(std::move(accounts)) {}

  // The next `n` events, sequence numbers following the last.
  std::vector<RecordedEvent> next(size_t n) {
    std::vector<RecordedEvent> out;
    while (out.size() < n) {
      const std::string& a = accounts_[below(accounts_.size())];
      now_ = plus_days(now_, static_cast<int64_t>(below(4)));
      out.push_back(event_for(a));
    }
    return out;
  }

 private:
  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }
  template <class M>
  std::string any_key(const M& m, const std::string& otherwise) {
    if (m.empty()) return otherwise;
    auto it = m.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(below(m.size())));
    return it->first;
  }
  std::string fresh(const std::string& prefix) { return prefix + std::to_string(++ids_); }

  RecordedEvent on(const std::string& a, EventPayload p) {
    RecordedEvent e = recorded(++seq_, account_stream(a), {a}, std::move(p), now_);
    apply(state_[a], e.payload, now_);
    return e;
  }
  RecordedEvent keyed(const std::string& a, const std::string& other, const std::string& key, EventPayload p) {
    std::vector<std::string> ids{a};
    if (other != a) ids.push_back(other);
    return recorded(++seq_, key_stream(key), ids, std::move(p), now_);
  }

  RecordedEvent event_for(const std::string& a) {
    AccountState& s = state_[a];
    if (!s.enrolled) {
      PartnerAccountEnrolled p;
      p.account_id = a;
      p.legal_name = a + " Ltd";
      p.primary_contact = ContactPerson{"Pat", "Lee", "pat@" + a + ".example"};
      return on(a, p);
    }
    const std::string user = chance(80) ? any_key(s.users, "u-0") : fresh("u-");
    const std::string order = any_key(s.orders, "");
    const std::string alloc = any_key(s.allocations, "");
    const std::string offer = chance(50) ? "action_pack" : "silver";
    switch (below(24)) {
      case 0: return on(a, UserAdded{a, fresh("u-"), "x@" + a, "X", chance(20), {Role::account_admin}});
      case 1: return s.users.empty() ? on(a, ProgramEnrolled{"p", {}}) : on(a, UserRemoved{user});
      case 2:
        if (!s.users.contains(user)) return on(a, CompetencyAttained{fresh("level-"), "c"});
        return on(a, UserRolesChanged{user, {Role::global_admin}, {}});
      case 3: return on(a, LocationAdded{a + "/loc-" + std::to_string(s.locations_added + 1), "Site", {}});
      case 4: return chance(60) ? on(a, TenantAssociated{fresh("t-"), a + ".example", chance(30)})
                                : on(a, TenantRemoved{any_key(s.tenants, "t-none")});
      case 5: return on(a, UserLicensingOfferRecorded{user, static_cast<LicensingOffer>(below(5)), chance(70)});
      case 6: {
        OrderPlaced p;
        p.order_id = fresh("o-");
        p.offer_id = offer;
        p.price = Money{47'500, "USD"};
        return on(a, p);
      }
      case 7: return on(a, OrderDeclined{chance(50) || order.empty() ? fresh("o-") : order, offer, "card"});
      case 8: return order.empty() ? on(a, AccountSuspended{}) : on(a, CardPaymentCharged{order, Money{1, "USD"}, "4242"});
      case 9: {
        if (order.empty()) return on(a, AccountReinstated{});
        switch (below(5)) {
          case 0: return on(a, OrderExpired{order});
          case 1: return on(a, OrderCancellationRequested{order});
          case 2: return on(a, OrderCancelled{order});
          case 3: return on(a, OrderMadeNonRefundable{order, "used"});
          default: return on(a, OrderRefunded{order, Money{1, "USD"}});
        }
      }
      case 10: {
        if (order.empty()) return on(a, BusinessInfoReviewed{});
        KeysRevealed p;
        p.order_id = order;
        p.product = chance(50) ? "windows" : "office";
        p.key_ids = {fresh("K"), fresh("K")};
        return on(a, p);
      }
      case 11: return on(a, MembershipActivated{order.empty() ? "o-x" : order, offer, plus_days(now_, 365)});
      case 12: {
        const std::string m = any_key(s.memberships, "");
        if (m.empty()) return on(a, ProgramEnrolled{fresh("p-"), {}});
        switch (below(3)) {
          case 0: return on(a, RenewalWindowOpened{m, plus_days(now_, 30)});
          case 1: return on(a, MembershipLapsed{m});
          default:
            return on(a, MembershipRenewed{m, order, s.memberships.at(m).anniversary, plus_days(now_, 365)});
        }
      }
      case 13:
      case 14: {
        BenefitsAllocated p;
        p.order_id = order.empty() ? "o-x" : order;
        p.benefit_id = a + "/" + p.order_id + "/" + fresh("b-");
        p.offer_id = offer;
        p.kind = static_cast<BenefitKind>(below(enum_names(BenefitKind{}).size()));
        p.quantity = 1 + static_cast<uint32_t>(below(5));
        p.expiry = plus_days(now_, 365);
        p.closed_term = chance(10);
        return on(a, p);
      }
      case 15:
        if (alloc.empty()) return on(a, EmailOwnershipConfirmed{});
        return on(a, BenefitAssigned{alloc, user, s.allocations.at(alloc).kind, now_});
      case 16:
        if (alloc.empty()) return on(a, AccountVerificationAuthorized{});
        if (chance(50)) return on(a, BenefitUnassigned{alloc, any_key(s.allocations.at(alloc).assignees, user)});
        return on(a, BenefitTransferred{alloc, any_key(s.allocations.at(alloc).assignees, user), user});
      case 17: {
        BenefitsEnded p;
        p.offer_id = offer;
        if (!alloc.empty()) p.benefit_ids = {alloc, any_key(s.allocations, alloc)};
        return on(a, p);
      }
      case 18: {
        if (alloc.empty()) return on(a, EnrollmentYearEnded{});
        const std::string r = any_key(s.technical_requests, "");
        if (r.empty() || chance(50)) return on(a, TechnicalBenefitRequested{alloc, fresh("r-")});
        return on(a, TechnicalBenefitActivated{alloc, r, fresh("acc-"), fresh("con-")});
      }
      case 19: {
        if (alloc.empty()) return on(a, AccountSuspended{});
        if (chance(50)) {
          SupportIncidentUsed p;
          p.benefit_id = alloc;
          p.incident_id = fresh("inc-");
          p.used_this_year = 1 + static_cast<uint32_t>(below(3));
          return on(a, p);
        }
        AdvisoryHoursUsed p;
        p.benefit_id = alloc;
        p.used_this_year = static_cast<uint32_t>(below(10));
        return on(a, p);
      }
      case 20: {
        if (alloc.empty()) return on(a, AccountReinstated{});
        const std::string r = any_key(s.go_to_market_requests, "");
        if (r.empty() || chance(40)) return on(a, GoToMarketOfferRequested{"gtm", fresh("g-"), alloc});
        if (chance(50)) return on(a, GoToMarketOfferActivated{"gtm", r, plus_days(now_, 90)});
        return on(a, GoToMarketOfferExpired{"gtm", r});
      }
      case 21: {
        SubscriptionChangedByKey p;
        p.product = chance(50) ? "windows" : "office";
        p.key_id = fresh("K");
        p.seats = static_cast<uint32_t>(below(50));
        p.end = plus_days(now_, 365);
        return on(a, p);
      }
      case 22: {
        AccountsMerged p;
        p.invitation_id = fresh("inv-");
        p.initiator_account_id = a;
        p.memberships = {MergedMembership{offer, order.empty() ? "o-x" : order, plus_days(now_, 200)}};
        return on(a, p);
      }
      default: return other_stream_event(a);
    }
  }

  // Keys (on their own streams, concerning one or two accounts) and merge
  // invitations (on the pair's stream).
  RecordedEvent other_stream_event(const std::string& a) {
    const std::string other = accounts_[below(accounts_.size())];
    switch (below(5)) {
      case 0: {
        KeyIssued p;
        p.key_id = fresh("K");
        p.account_id = a;
        p.order_id = "o-k";
        p.seats = 5;
        keys_.push_back(p.key_id);
        return keyed(a, a, p.key_id, p);
      }
      case 1: {
        if (keys_.empty()) return other_stream_event(a);
        KeyRedeemed p;
        p.key_id = keys_[below(keys_.size())];
        p.account_id = other;
        p.user_id = "u-1";
        return keyed(a, other, p.key_id, p);
      }
      case 2: {
        if (keys_.empty()) return other_stream_event(a);
        const std::string k = keys_[below(keys_.size())];
        if (chance(50)) return keyed(a, a, k, ReplacementKeyIssued{k, fresh("K")});
        return keyed(a, a, k, KeyActivationRecorded{k, static_cast<uint32_t>(below(5)), 5});
      }
      default: {
        const std::string stream = merge_pair_stream(a, other);
        std::vector<std::string> ids{a};
        if (other != a) ids.push_back(other);
        if (invitations_.empty() || chance(40)) {
          MergeInvitationSent p{fresh("inv-"), a, other, plus_days(now_, 14)};
          invitations_.push_back(p.invitation_id);
          return recorded(++seq_, stream, ids, p, now_);
        }
        const std::string inv = invitations_[below(invitations_.size())];
        if (chance(50)) return recorded(++seq_, stream, ids, MergeInvitationDeclined{inv, "no"}, now_);
        return recorded(++seq_, stream, ids, MergeInvitationAccepted{inv}, now_);
      }
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::string> accounts_;
  std::map<std::string, AccountState> state_;
  std::vector<std::string> keys_;
  std::vector<std::string> invitations_;
  Instant now_ = day(2026, 1, 5, 9);
  uint64_t seq_ = 0;
  uint64_t ids_ = 0;
};

}  // namespace mledger::projections::testing
