#pragma once
// Every stored projection, and one account's documents of all of them.
//
// fold_account() applies an event to the documents of `account_id` exactly as
// the projection engine does for the live documents (each projection whose
// documents_of() names the account), so folding an account's events up to a
// point gives the read models as they were at that point (mledger audit state).

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "projections/accounts.h"
#include "projections/keys.h"
#include "projections/merges.h"
#include "projections/orders.h"

namespace mledger::projections {

using AllProjections = std::tuple<AccountsProjection, OrdersProjection, KeysProjection,
                                  MergesProjection>;

struct AccountDocs {
  AccountState accounts;
  AccountOrders orders;
  AccountKeys keys;
  AccountMerges merges;
  uint64_t last_seq = 0;  // the last event folded

  template <class P>
  typename P::Doc& of() {
    return std::get<typename P::Doc&>(std::tie(accounts, orders, keys, merges));
  }
};

inline void fold_account(AccountDocs& docs, const std::string& account_id, const RecordedEvent& e) {
  std::vector<std::string> ids;
  std::apply(
      [&](auto... p) {
        (
            [&] {
              using P = decltype(p);
              ids.clear();
              P::documents_of(e, ids);
              if (std::find(ids.begin(), ids.end(), account_id) != ids.end()) {
                P::apply(docs.of<P>(), account_id, e);
              }
            }(),
            ...);
      },
      AllProjections{});
  docs.last_seq = e.seq;
}

}  // namespace mledger::projections
