#pragma once
// What a stored read model is: a named, versioned, pure fold of the log into
// documents, one per partner account. The projection engine
// (adapters/projections/) stores the documents and the checkpoint in one
// atomic write; this folder only says how an event changes a document. A
// projection that names entity kinds (projections/entities.h) has each
// account's document stored as a header and one document per entity.
//
// A projection P provides:
//   using Doc = ...;                       // default-constructible, field-reflected
//                                          // (MLEDGER_FIELDS), operator==
//   static constexpr std::string_view kName;     // stable, [a-z_]+
//   static constexpr uint32_t kVersion;          // bumped whenever the fold or
//                                                // Doc changes: stored documents
//                                                // of another version are rebuilt
//   static void documents_of(const RecordedEvent&, std::vector<std::string>& ids);
//                                          // appends the account ids whose
//                                          // documents the event changes
//                                          // (none: the event is not folded),
//                                          // drawn only from its stream's
//                                          // account (account_of_stream) and
//                                          // its account_ids: a bulk load routes
//                                          // events it does not decode by those
//   static void apply(Doc&, const std::string& account_id, const RecordedEvent&);
//                                          // folds the event into that account's
//                                          // document; a missing document is Doc{}
// Both functions are pure and deterministic: the same events give the same
// documents in a live catch-up, a rebuild, and an as-of fold (mledger audit state).

#include <string>
#include <string_view>
#include <vector>

#include "domain/core/streams.h"
#include "domain/events/event.h"

namespace mledger::projections {

// The account whose own stream ("account-<id>") holds the event, or empty.
inline std::string_view account_of_stream(const RecordedEvent& e) {
  return mledger::account_of_stream(e.stream);
}

}  // namespace mledger::projections
