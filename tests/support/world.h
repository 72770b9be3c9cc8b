#pragma once
// World: an in-memory ledger for given/when/then tests of the deciders. It
// implements the Aggregates port over events it holds per stream, runs
// commands through decide(), and appends the events of accepted ones, so a
// test states its "given" as the commands that led there.
//
//   World w;
//   w.enroll("contoso", "alice");                         // given
//   auto d = w.run("contoso", w.user("contoso", "alice"),  // when
//                  AddUser{...});
//   EXPECT_REJECTED(d, last_global_admin);                 // then

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "domain/account/retire.h"
#include "domain/core/streams.h"
#include "domain/decide/decide.h"

namespace mledger::testing {

inline Instant day(int64_t n) {  // 2026-01-05T09:00:00Z plus n days
  return plus_days(Instant{1'767'603'600'000'000}, n);
}

class World : public Aggregates {
 public:
  DomainPolicy policy;
  Instant now = day(0);

  struct Stored {
    EventPayload payload;
    Instant at;
    std::vector<std::string> account_ids;
  };
  std::map<std::string, std::vector<Stored>> streams;
  size_t appended = 0;  // events appended so far

  // --- Aggregates -----------------------------------------------------------
  const AccountState& account(std::string_view id) override {
    return fold(accounts_, account_stream(id));
  }
  const KeyState& key(std::string_view k) override { return fold(keys_, key_stream(k)); }
  const TenantClaimState& tenant(std::string_view id) override {
    return fold(tenants_, tenant_stream(id));
  }
  const MergePairState& merge_pair(std::string_view a, std::string_view b) override {
    return fold(merges_, merge_pair_stream(a, b));
  }
  const OfferCatalogue& catalogue() override {
    catalogue_ = default_offer_catalogue();
    for (const auto& s : streams[std::string(kCatalogueStream)]) {
      if (const auto* e = std::get_if<OfferCatalogueChanged>(&s.payload)) {
        catalogue_ = OfferCatalogue{e->catalogue_version, e->offers};
      }
    }
    return catalogue_;
  }

  // --- actors ---------------------------------------------------------------
  static Actor user(const std::string& account, const std::string& user_id) {
    return Actor{ActorKind::user, account, user_id, {}};
  }
  static Actor service() { return Actor{ActorKind::service, "", "svc-backoffice", {}}; }
  static Actor operator_() { return Actor{ActorKind::operator_, "", "op-oncall", {}}; }
  static Actor auditor() { return Actor{ActorKind::auditor, "", "aud-1", {}}; }

  // --- running commands -------------------------------------------------------
  // Decides `body` for `account` by `actor` at `now`; appends the events if
  // accepted (checking every written stream was read, as the ledger does).
  Decision run(const std::string& account, const Actor& actor, CommandBody body) {
    Command c;
    c.context.command_id = "cmd-" + std::to_string(++commands_);
    c.context.actor = actor;
    c.context.account_id = account;
    c.context.now = now;
    c.body = std::move(body);
    clear_caches();
    const Decision over_retired = decide_over_retired_state(c);
    Decision d = decide(c, *this, policy);
    expect_same_decision(d, over_retired, c);
    if (d.ok()) {
      for (const Emitted& e : d.value()) {
        streams[e.stream].push_back(Stored{e.payload, now, e.account_ids});
        ++appended;
      }
    }
    clear_caches();
    return d;
  }

  // Decides `body` as `run` would, and appends nothing: what the ledger would
  // answer now (a probe of the model tests).
  Decision probe(const std::string& account, const Actor& actor, CommandBody body) {
    Command c;
    c.context.command_id = "probe";
    c.context.actor = actor;
    c.context.account_id = account;
    c.context.now = now;
    c.body = std::move(body);
    return decide(c, *this, policy);
  }

  // Every run() also decides the command over the deciders' fold (apply, then
  // retire_closed: domain/account/retire.h) and expects the same decision as
  // over the full state: the same events, or the same rejection and message.
  struct RetiredChecks {
    size_t decisions = 0;       // decided both ways
    size_t with_retired = 0;    // ... where the account had retired something
  };
  static RetiredChecks& retired_checks() {
    static RetiredChecks checks;
    return checks;
  }

  // Runs and fails the test unless accepted.
  std::vector<Emitted> must(const std::string& account, const Actor& actor, CommandBody body) {
    const std::string type(command_type_name(body));
    Decision d = run(account, actor, std::move(body));
    EXPECT_TRUE(d.ok()) << type << " was rejected: "
                        << (d.ok() ? "" : std::string(code_name(d.error().code)) + ": " + d.error().message);
    return d.ok() ? d.value() : std::vector<Emitted>{};
  }

  // --- common givens ----------------------------------------------------------
  static EnrollPartnerAccount enrollment(const std::string& name = "Contoso GmbH") {
    EnrollPartnerAccount c;
    c.legal_name = name;
    c.address = PostalAddress{"Hauptstrasse 1", "", "Berlin", "BE", "10115", "DE"};
    c.phone = "0301234567";
    c.primary_contact = ContactPerson{"Alice", "Meyer", "alice.meyer@contoso.de"};
    return c;
  }
  static PostalAddress billing() {
    return PostalAddress{"Hauptstrasse 1", "", "Berlin", "BE", "10115", "DE"};
  }

  void enroll(const std::string& account, const std::string& admin) {
    must(account, user(account, admin), enrollment(account + " Ltd"));
  }
  void add_user(const std::string& account, const std::string& admin, const std::string& user_id,
                std::vector<Role> roles, bool guest = false) {
    must(account, user(account, admin),
         AddUser{user_id, user_id + "@" + account + ".example.com", "User " + user_id, guest, std::move(roles)});
  }
  void verify(const std::string& account, const std::string& admin) {
    must(account, user(account, admin), SendVerificationEmail{});
    must(account, service(), ConfirmEmailOwnership{account_email(account)});
    must(account, service(), AuthorizeVerification{});
  }
  std::string account_email(const std::string& account) {
    return this->account(account).primary_contact.email;
  }
  // A paid card order; returns the order id.
  std::string buy(const std::string& account, const std::string& admin, const std::string& offer,
                  const std::string& order_id) {
    PlaceOrder o{order_id, offer, PaymentMethod::card, billing(), CardDetails{"4242", billing()}};
    must(account, user(account, admin), std::move(o));
    return order_id;
  }
  void competency(const std::string& account, const std::string& level) {
    must(account, service(), RecordCompetency{level, "cloud_platform"});
  }
  // The allocation id of a catalogue benefit bought with an order.
  static std::string benefit(const std::string& account, const std::string& order_id,
                             const std::string& catalogue_benefit) {
    return account + "/" + order_id + "/" + catalogue_benefit;
  }
  // Events of one type on a stream.
  template <class E>
  std::vector<E> events(const std::string& stream) {
    std::vector<E> out;
    for (const auto& s : streams[stream]) {
      if (const auto* e = std::get_if<E>(&s.payload)) out.push_back(*e);
    }
    return out;
  }

 private:
  template <class State>
  const State& fold(std::map<std::string, State>& cache, const std::string& stream) {
    auto [it, fresh] = cache.try_emplace(stream);
    if (fresh) {
      for (const auto& s : streams[stream]) {
        if constexpr (std::is_same_v<State, AccountState>) {
          if (retire_) {
            decision_apply(it->second, s.payload, s.at);
            continue;
          }
        }
        apply(it->second, s.payload, s.at);
      }
    }
    return it->second;
  }
  Decision decide_over_retired_state(const Command& c) {
    retire_ = true;
    Decision d = decide(c, *this, policy);
    ++retired_checks().decisions;
    if (c.context.account_id.size() > 0 && accounts_.contains(account_stream(c.context.account_id)) &&
        accounts_.at(account_stream(c.context.account_id)).retired != RetiredIds{}) {
      ++retired_checks().with_retired;
    }
    retire_ = false;
    clear_caches();
    return d;
  }
  static void expect_same_decision(const Decision& full, const Decision& retired, const Command& c) {
    const std::string type(command_type_name(c.body));
    ASSERT_EQ(full.ok(), retired.ok()) << type << " on " << c.context.account_id
                                       << ": the retired state decided otherwise";
    if (!full.ok()) {
      EXPECT_EQ(full.error().code, retired.error().code) << type;
      EXPECT_EQ(full.error().message, retired.error().message) << type;
      return;
    }
    ASSERT_EQ(full.value().size(), retired.value().size()) << type << ": other events";
    for (size_t i = 0; i < full.value().size(); ++i) {
      const Emitted& a = full.value()[i];
      const Emitted& b = retired.value()[i];
      EXPECT_TRUE(a.stream == b.stream && a.account_ids == b.account_ids && a.payload == b.payload)
          << type << ": event " << i << " differs over the retired state";
    }
  }
  void clear_caches() {
    accounts_.clear();
    keys_.clear();
    tenants_.clear();
    merges_.clear();
  }

  size_t commands_ = 0;
  bool retire_ = false;  // fold accounts with decision_apply
  std::map<std::string, AccountState> accounts_;
  std::map<std::string, KeyState> keys_;
  std::map<std::string, TenantClaimState> tenants_;
  std::map<std::string, MergePairState> merges_;
  OfferCatalogue catalogue_;
};

// Payloads of one type among a decision's events.
template <class E>
std::vector<E> emitted(const Decision& d) {
  std::vector<E> out;
  if (!d.ok()) return out;
  for (const Emitted& e : d.value()) {
    if (const auto* p = std::get_if<E>(&e.payload)) out.push_back(*p);
  }
  return out;
}

#define EXPECT_REJECTED(decision, code_)                                                     \
  do {                                                                                        \
    const auto& d_ = (decision);                                                              \
    ASSERT_FALSE(d_.ok()) << "expected rejection " #code_;                                    \
    EXPECT_EQ(code_name(d_.error().code), std::string_view(#code_)) << d_.error().message;    \
  } while (0)

// A rejection with `code_` that appended nothing to `w`.
#define EXPECT_REJECTED_NOTHING_WRITTEN(w, call, code_) \
  do {                                                  \
    const size_t before_ = (w).appended;                \
    const Decision dd_ = (call);                        \
    EXPECT_REJECTED(dd_, code_);                        \
    EXPECT_EQ((w).appended, before_);                   \
  } while (0)

#define EXPECT_ACCEPTED(decision)                                                             \
  do {                                                                                        \
    const auto& d_ = (decision);                                                              \
    ASSERT_TRUE(d_.ok()) << code_name(d_.error().code) << ": " << d_.error().message;         \
  } while (0)

}  // namespace mledger::testing
