#include "tools/mledger/bench_mix.h"

#include "adapters/crypto/sha256.h"
#include "domain/core/streams.h"

namespace mledger::cli {

namespace {

constexpr uint64_t kCycle = 25;
constexpr int64_t kDay = 86'400'000'000;
constexpr int64_t kStart = 1'767'600'000'000'000;  // 2026-01-05

std::string account_name(uint64_t a) { return "acct-" + std::to_string(a); }

}  // namespace

RealisticMix::RealisticMix(uint64_t accounts) : accounts_(accounts) {}

EventPayload RealisticMix::payload(uint64_t a, uint64_t cycle, uint64_t step, std::string* stream,
                                   std::vector<std::string>* ids) {
  const std::string acct = account_name(a);
  const std::string c = std::to_string(cycle);
  const std::string order = "order-" + c;
  const std::string key1 = "K" + std::to_string(a) + "X" + c + "A";
  const std::string key2 = "K" + std::to_string(a) + "X" + c + "B";
  const std::string user = "u-" + c + "-1";
  const Instant at{kStart + static_cast<int64_t>(cycle) * 365 * kDay};
  *stream = account_stream(acct);
  *ids = {acct};
  auto benefit = [&](std::string_view kind) { return acct + "/" + order + "/" + std::string(kind); };
  switch (step) {
    case 0:
      if (cycle == 0) {
        PartnerAccountEnrolled e;
        e.account_id = acct;
        e.legal_name = "Company " + std::to_string(a) + " GmbH";
        e.address = PostalAddress{"Hauptstrasse " + std::to_string(a % 200 + 1), "", "Berlin", "BE", "10115", "DE"};
        e.phone = "030" + std::to_string(1000000 + a);
        e.primary_contact = ContactPerson{"Anna", "Schmidt", "anna.schmidt@company" + std::to_string(a) + ".de"};
        e.enrolled_by_user_id = "u-admin";
        return e;
      }
      // A user of last year's cycle gets a new role.
      return UserRolesChanged{"u-" + std::to_string(cycle - 1) + "-2",
                              {Role::mpn_partner_admin, Role::incentives_admin}, {Role::mpn_partner_admin}};
    case 1:
    case 2:
    case 3:
    case 4: {
      const std::string id = "u-" + c + "-" + std::to_string(step);
      return UserAdded{acct, id, id + "@company" + std::to_string(a) + ".de", "Member " + id, step == 4,
                       {step == 1 ? Role::account_admin : Role::mpn_partner_admin}};
    }
    case 5: {
      OrderPlaced o;
      o.order_id = order;
      o.offer_id = "action_pack";
      o.list_price = o.price = Money{47500, "USD"};
      o.billing_address = PostalAddress{"Hauptstrasse 1", "", "Berlin", "BE", "10115", "DE"};
      o.placed_by_user_id = "u-admin";
      o.renewal = cycle > 0;
      return o;
    }
    case 6: return CardPaymentCharged{order, Money{47500, "USD"}, "4242"};
    case 7: return MembershipActivated{order, "action_pack", Instant{at.micros_since_epoch + 365 * kDay}};
    case 8: case 9: case 10: case 11: case 12: case 13: {
      static constexpr std::pair<BenefitKind, const char*> kinds[] = {
          {BenefitKind::visual_studio, "visual_studio_professional"},
          {BenefitKind::azure_monthly_credit, "azure_monthly_credit"},
          {BenefitKind::licensed_product, "office_professional_plus"},
          {BenefitKind::technical, "advisory_hours"},
          {BenefitKind::technical, "product_support_incidents"},
          {BenefitKind::go_to_market, "go_to_market_offer"}};
      const auto& [kind, name] = kinds[step - 8];
      BenefitsAllocated b;
      b.benefit_id = benefit(name);
      b.offer_id = "action_pack";
      b.order_id = order;
      b.kind = kind;
      b.quantity = kind == BenefitKind::technical ? 10 : 5;
      b.expiry = Instant{at.micros_since_epoch + 365 * kDay};
      if (kind == BenefitKind::azure_monthly_credit) b.credit_amount = Money{10000, "USD"};
      b.catalogue_benefit_id = name;
      b.catalogue_version = "default-2026-1";
      return b;
    }
    case 14: return KeysRevealed{order, "microsoft_365_business", "de", "windows", {key1, key2}};
    case 15:
    case 16:
      *stream = key_stream(step == 15 ? key1 : key2);
      return KeyIssued{step == 15 ? key1 : key2, acct, order, "microsoft_365_business",
                       KeyKind::subscription, 5, 0, ""};
    case 17:
      *stream = key_stream(key1);
      return KeyRedeemed{key1, acct, "u-admin", RedemptionMode::add_seats, 5, 0,
                         Instant{at.micros_since_epoch + 365 * kDay}};
    case 18:
      return SubscriptionChangedByKey{"microsoft_365_business", key1, RedemptionMode::add_seats, 5,
                                      Instant{at.micros_since_epoch + 365 * kDay}};
    case 19: return BenefitAssigned{benefit("visual_studio_professional"), user, BenefitKind::visual_studio, at};
    case 20: return BenefitAssigned{benefit("azure_monthly_credit"), user, BenefitKind::azure_monthly_credit, at};
    case 21: return AdvisoryHoursUsed{2, 2, 10, benefit("advisory_hours")};
    case 22: return UserRolesChanged{user, {Role::mpn_partner_admin, Role::incentives_admin}, {Role::mpn_partner_admin}};
    case 23:
    case 24: {
      const std::string other = account_name((a + 1) % accounts_);
      *stream = merge_pair_stream(acct, other);
      *ids = {acct, other};
      const std::string invitation = "inv-" + std::to_string(a) + "-" + c;
      if (step == 23) return MergeInvitationSent{invitation, acct, other, Instant{at.micros_since_epoch + 30 * kDay}};
      return MergeInvitationDeclined{invitation, "not this year"};
    }
    default: break;
  }
  return UserRolesChanged{user, {Role::mpn_partner_admin}, {Role::mpn_partner_admin}};
}

AppendRequest RealisticMix::next(uint64_t n) {
  const uint64_t a = n % accounts_;
  const uint64_t k = n / accounts_;
  AppendRequest req;
  req.command_id = "mix-" + std::to_string(n);
  req.command_digest = sha256({req.command_id});
  req.metadata.command_id = req.command_id;
  req.metadata.correlation_id = req.command_id;
  req.metadata.actor = Actor{ActorKind::user, account_name(a), "u-admin", {Role::global_admin}};
  req.metadata.recorded_at = Instant{kStart + static_cast<int64_t>(n)};
  req.metadata.occurred_at = Instant{kStart + static_cast<int64_t>(k / kCycle) * 365 * kDay +
                                     static_cast<int64_t>(k % kCycle) * kDay};
  NewEvent e;
  e.event_id = "evt-" + std::to_string(n);
  e.payload = payload(a, k / kCycle, k % kCycle, &e.stream, &e.account_ids);
  uint64_t& version = versions_[e.stream];
  req.expectations.push_back({e.stream, version++});
  const uint64_t step = k % kCycle;
  if (step == 16 || step == 17) versions_.erase(e.stream);  // the key's last event of the mix
  req.events.push_back(std::move(e));
  return req;
}

}  // namespace mledger::cli
