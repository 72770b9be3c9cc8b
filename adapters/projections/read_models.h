#pragma once
// The read models an account has, by name, as JSON: what `mledger query`
// and `mledger audit state` print (and the HTTP API serves). Each is a view
// of one stored projection's documents of the account (projections/),
// except the timeline, which is read from the log's account index.
//
// Collection models (users, benefits, assignments, orders, keys,
// redeemed_keys) page through one kind of the account's entity documents
// (adapters/projections/entity_documents.h): a page is up to `limit`
// entities in id order after the cursor `after` (the last entity id of the
// previous page), so paging never repeats or skips an entity that exists
// for the whole paging, whatever is appended meanwhile. The small models
// (profile, memberships, merges) answer whole.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "adapters/projections/projection_engine.h"
#include "adapters/projections/projection_store.h"
#include "adapters/snapshots/read_model_snapshots.h"
#include "domain/ports/event_log.h"
#include "projections/all.h"

namespace mledger {

struct ReadModel {
  std::string_view name;        // "profile", ...
  std::string_view projection;  // the stored projection it views ("" for the timeline)
  std::string_view description;
  std::string_view kind;  // the entity kind it pages through; "" when it answers whole
  bool in_state = true;   // shown by `mledger audit state` (whole)
};

std::span<const ReadModel> read_models();
const ReadModel* find_read_model(std::string_view name);

// The whole view `model` of the account's documents, as `mledger audit state`
// shows it (model must be in_state).
nlohmann::json read_model_json(const ReadModel& model, const projections::AccountDocs& docs,
                               const std::string& account_id);

// At most this many timeline entries in one answer.
inline constexpr size_t kTimelineEntriesMax = 10000;
// Entities in one page of a collection model: by default, and at most.
inline constexpr size_t kPageEntitiesDefault = 100;
inline constexpr size_t kPageEntitiesMax = 1000;
// The longest cursor (`after`) accepted.
inline constexpr size_t kCursorBytesMax = 1024;

// What a query asks beyond the model: each absent when not given.
struct PageRequest {
  std::optional<uint64_t> from_seq;  // timeline: the first sequence number (default 0)
  std::optional<uint64_t> limit;     // timeline: 1..kTimelineEntriesMax (default 1000);
                                     // collections: 1..kPageEntitiesMax (default kPageEntitiesDefault)
  std::optional<std::string> after;  // collections: the cursor (default: before the first entity)
};

// What is wrong with `page` for `model` (a parameter it does not take, a
// limit or cursor out of range), or "" when nothing is.
std::string page_problem(const ReadModel& model, const PageRequest& page);

// The answer of `mledger query` and GET /v1/accounts/{id}/{model}:
//   {"read_model", "account_id", "as_of_seq", "lag", "data"}
// plus "next" (the cursor of the next page, null after the last) for a
// collection model, whose data is an array of entities. From the live
// generation as it stands (the caller brings it up to date or not). The
// timeline reads entries from `from_seq` out of the log's account index.
// nullopt when no event concerns the account. `page` must have no
// page_problem().
[[nodiscard]] StatusOr<std::optional<nlohmann::json>> query_read_model(
    EventLog& log, ProjectionStore& store, ProjectionEngine& engine, const ReadModel& model,
    const std::string& account_id, const PageRequest& page);

// The user's record in the account as the live "accounts" generation holds
// it (nullopt: not a user of it), and that generation's checkpoint.
struct RecordedUser {
  std::optional<AccountUser> user;
  uint64_t as_of_seq = 0;
};
[[nodiscard]] StatusOr<RecordedUser> recorded_user(ProjectionStore& store, ProjectionEngine& engine,
                                                   const std::string& account_id,
                                                   const std::string& user_id);

// Where to stop folding an account's history: after event `at_seq`, or after
// the last event whose time (business `occurred_at` or `recorded_at`) is at
// or before `as_of`.
struct AsOf {
  std::optional<uint64_t> at_seq;
  std::optional<Instant> as_of;
  bool recorded_clock = false;
};

struct AccountAsOf {
  projections::AccountDocs docs;
  uint64_t events_folded = 0;  // the account's events up to the point
  // Where the fold started: the position (account events) of the read-model
  // snapshot it started from (0: from the account's first event), and the
  // events read from the log after it (events_folded - snapshot_position).
  uint64_t snapshot_position = 0;
  uint64_t events_read = 0;
};

// Whether a read-model snapshot with `summary` may start a fold up to
// `until`: it folded nothing after the point (by seq, or on the chosen clock).
bool snapshot_usable_for(const ReadModelSnapshotSummary& summary, const AsOf& until);

// Folds the account's events from the log through the projections' folds up
// to `until`: the account as it stood then (`mledger audit state`). With
// `snapshots`, it starts from the nearest usable one (the answer is the same
// byte for byte) and offers what it folds at the snapshots' positions on the
// way; without, it folds from the account's first event.
[[nodiscard]] StatusOr<AccountAsOf> fold_account_as_of(EventLog& log, const std::string& account_id,
                                                       const AsOf& until,
                                                       ReadModelSnapshots* snapshots = nullptr);

// {"account_id", "at_seq", "events_folded", "log_seq"|"as_of"+"clock",
//  "read_models": {name: whole view, ...}} for every in_state read model.
nlohmann::json account_as_of_json(const AccountAsOf& state, const std::string& account_id,
                                   const AsOf& until);

}  // namespace mledger
