#pragma once
// Projection "accounts": each account's state as the domain folds it
// (domain/account/account_state.h: company, verification, users and roles,
// locations, tenants, contacts, orders, memberships, benefits). The profile,
// users, memberships, benefits and assignments read models are views of it
// (projections/views.h), so the ledger's deciders and its read models can
// never disagree about an account.
//
// Stored at the grain of the entity (projections/entities.h): a header (the
// account's plain fields: company, verification, settings, programs...) and
// one document per user, location, tenant, order, membership, allocation,
// technical and go-to-market request, incident id, key subscription and
// user's licensing offers.

#include <array>

#include "domain/account/account_state.h"
#include "projections/entities.h"
#include "projections/projection.h"

namespace mledger::projections {

struct AccountsProjection {
  using Doc = AccountState;
  static constexpr std::string_view kName = "accounts";
  // 2: company source, DUNS, validation, enrolled_at; 3: allocations' terms,
  // users' licensing offers (issue 12); 4: entity documents, binary (issue 13)
  static constexpr uint32_t kVersion = 4;
  static constexpr std::array<std::string_view, 11> kEntityKinds = {
      "users",  "locations",     "tenants",          "orders",
      "memberships", "allocations", "technical_requests", "go_to_market_requests",
      "incidents", "subscriptions", "user_licensing_offers"};

  // Events of the account's own stream.
  static void documents_of(const RecordedEvent& e, std::vector<std::string>& ids) {
    if (std::string_view a = account_of_stream(e); !a.empty()) ids.emplace_back(a);
  }
  static void apply(Doc& doc, const std::string& account_id, const RecordedEvent& e) {
    if (doc.account_id.empty()) doc.account_id = account_id;
    mledger::apply(doc, e.payload, e.metadata.occurred_at);
  }
  // Per event type, what domain/account/account_state.cc's apply() changes;
  // an event type not listed there compares everything.
  static void touched(const Doc& before, const std::string& account_id, const RecordedEvent& e,
                      Touched& out);
  // No retired(): the read model keeps an account's whole history (closed
  // history leaves the decision state, issue 13 part 1, not this model).
};

}  // namespace mledger::projections
