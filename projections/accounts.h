#pragma once
// Projection "accounts": each account's state as the domain folds it
// (domain/account/account_state.h: company, verification, users and roles,
// locations, tenants, contacts, orders, memberships, benefits). The profile,
// memberships, benefits and assignments read models are views of it
// (projections/views.h), so the ledger's deciders and its read models can
// never disagree about an account.

#include "domain/account/account_state.h"
#include "projections/projection.h"

namespace mledger::projections {

struct AccountsProjection {
  using Doc = AccountState;
  static constexpr std::string_view kName = "accounts";
  // 2: company source, DUNS, validation, enrolled_at; 3: allocations' terms,
  // users' licensing offers (issue 12)
  static constexpr uint32_t kVersion = 3;

  // Events of the account's own stream.
  static void documents_of(const RecordedEvent& e, std::vector<std::string>& ids) {
    if (std::string_view a = account_of_stream(e); !a.empty()) ids.emplace_back(a);
  }
  static void apply(Doc& doc, const std::string& account_id, const RecordedEvent& e) {
    if (doc.account_id.empty()) doc.account_id = account_id;
    mledger::apply(doc, e.payload, e.metadata.occurred_at);
  }
};

}  // namespace mledger::projections
