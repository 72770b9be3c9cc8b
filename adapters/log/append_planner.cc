#include "adapters/log/append_planner.h"

#include <cassert>
#include <cstring>
#include <set>

#include "adapters/capnp/event_codec.h"
#include "domain/core/limits.h"

namespace mledger {

namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

bool valid_stream_id(std::string_view s) {
  return !s.empty() && s.size() <= limits::stream_id_bytes_max &&
         s.find('\0') == std::string_view::npos;
}

}  // namespace

std::string encode_command_record(const CommandRecord& r) {
  std::string out(reinterpret_cast<const char*>(r.digest.data()), r.digest.size());
  put_u64(out, r.first_seq);
  put_u64(out, r.event_count);
  return out;
}

StatusOr<CommandRecord> decode_command_record(std::string_view bytes) {
  if (bytes.size() != 48) {
    return fail(StatusCode::corruption, "command record of " + std::to_string(bytes.size()) +
                                            " bytes, expected 48");
  }
  CommandRecord r;
  std::memcpy(r.digest.data(), bytes.data(), 32);
  r.first_seq = get_u64(bytes.data() + 32);
  r.event_count = static_cast<uint32_t>(get_u64(bytes.data() + 40));
  return r;
}

EventPosition position_of(const RecordedEvent& e) {
  return EventPosition{e.seq, e.stream, e.version, e.event_id,
                       std::string(event_type_name(e.payload)), e.hash};
}

Status encode_bodies(AppendRequest& r) {
  r.encoded_bodies.clear();
  r.encoded_bodies.reserve(r.events.size());
  for (const NewEvent& e : r.events) {
    auto body = codec::encode_body(UINT64_MAX, UINT64_MAX, e, r.metadata);
    if (!body.ok()) return body.error();
    r.encoded_bodies.push_back(std::move(body.value()));
  }
  return Status::Ok();
}

Status check_append_request(const AppendRequest& r) {
  auto bad = [](std::string m) { return Status(StatusCode::invalid_argument, std::move(m)); };
  if (r.command_id.empty() || r.command_id.size() > limits::command_id_bytes_max) {
    return bad("command id must be 1 to 128 bytes");
  }
  if (r.metadata.command_id != r.command_id) return bad("metadata names another command id");
  if (r.command_id.find('\0') != std::string::npos ||
      r.metadata.actor.account_id.find('\0') != std::string::npos) {
    return bad("command id and actor account hold no NUL byte");
  }
  if (r.events.empty()) return bad("an append needs at least one event");
  if (!r.encoded_bodies.empty() && r.encoded_bodies.size() != r.events.size()) {
    return bad("encoded_bodies must be empty or one per event");
  }
  if (r.events.size() > limits::events_per_command_max) {
    return bad("an append holds at most " + std::to_string(limits::events_per_command_max) +
               " events");
  }
  std::set<std::string_view> listed;
  for (const auto& e : r.expectations) {
    if (!valid_stream_id(e.stream)) return bad("stream id '" + e.stream.substr(0, 64) + "' is invalid");
    if (!listed.insert(e.stream).second) return bad("stream " + e.stream + " is listed twice");
  }
  std::set<std::string_view> event_ids;
  for (const auto& e : r.events) {
    if (!listed.contains(e.stream)) {
      return bad("stream " + e.stream.substr(0, 64) + " is written but has no expected version");
    }
    if (e.event_id.empty() || e.event_id.size() > 64) return bad("event id must be 1 to 64 bytes");
    if (!event_ids.insert(e.event_id).second) return bad("event id " + e.event_id + " repeats");
    if (e.account_ids.size() > limits::accounts_per_event_max) {
      return bad("an event concerns at most 8 accounts");
    }
    for (const auto& a : e.account_ids) {
      if (a.empty() || a.size() > limits::account_id_bytes_max || a.find('\0') != std::string::npos) {
        return bad("account id '" + a.substr(0, 64) + "' is invalid");
      }
    }
  }
  return Status::Ok();
}

StatusOr<PlannedBatch> plan_append(std::span<const AppendRequest> requests, const LogDigest& head,
                                   const VersionLookup& version_of,
                                   const CommandLookup& command_of) {
  PlannedBatch batch;
  batch.head = head;
  batch.outcomes.resize(requests.size());
  std::map<std::string, CommandRecord, std::less<>> batch_commands;
  std::set<uint64_t> broken_chains;  // chains with a request not appended in this batch

  for (size_t i = 0; i < requests.size(); ++i) {
    const AppendRequest& req = requests[i];
    assert(check_append_request(req).ok());
    AppendOutcome& outcome = batch.outcomes[i];
    if (req.chain != 0 && broken_chains.contains(req.chain)) {
      outcome.status = AppendStatus::conflict;  // decided over events that were not appended
      continue;
    }
    // Every exit below but the last leaves the request unappended.
    const auto not_appended = [&] {
      if (req.chain != 0) broken_chains.insert(req.chain);
    };

    // Idempotency, within the actor's scope: earlier in this batch, then the log.
    const std::string scope = command_scope(req.metadata.actor);
    const std::string batch_key = scope + '\0' + req.command_id;
    std::optional<CommandRecord> known;
    if (auto it = batch_commands.find(batch_key); it != batch_commands.end()) {
      known = it->second;
    } else {
      auto found = command_of(scope, req.command_id);
      if (!found.ok()) return Err{found.error()};
      known = *found;
    }
    if (known) {
      if (known->digest == req.command_digest) {
        outcome.status = AppendStatus::duplicate;
        batch.duplicates.emplace_back(i, *known);
      } else {
        outcome.status = AppendStatus::command_id_reused;
      }
      not_appended();
      continue;
    }

    // Optimistic concurrency against the heads as this batch leaves them.
    std::map<std::string_view, uint64_t> current;
    bool conflicted = false;
    for (const auto& x : req.expectations) {
      uint64_t actual;
      if (auto it = batch.stream_versions.find(x.stream); it != batch.stream_versions.end()) {
        actual = it->second;
      } else {
        auto v = version_of(x.stream);
        if (!v.ok()) return Err{v.error()};
        actual = *v;
      }
      if (actual != x.expected_version) {
        outcome.status = AppendStatus::conflict;
        outcome.conflict_stream = x.stream;
        outcome.expected_version = x.expected_version;
        outcome.actual_version = actual;
        conflicted = true;
        break;
      }
      current[x.stream] = actual;
    }
    if (conflicted) {
      not_appended();
      continue;
    }

    // Seal the events into the chain.
    for (size_t k = 0; k < req.events.size(); ++k) {
      const NewEvent& ne = req.events[k];
      PlannedEvent pe;
      pe.source = &ne;
      pe.seq = batch.head.seq + 1;
      pe.version = ++current[ne.stream];
      std::string encoded;
      if (req.encoded_bodies.empty()) {
        // Field limits in the domain keep events far below event_bytes_max; an
        // event over it fails the batch, and nothing of it is written.
        auto e = codec::encode_body(pe.seq, pe.version, ne, req.metadata);
        if (!e.ok()) return Err{e.error()};
        encoded = std::move(e.value());
      }
      const std::string& body = req.encoded_bodies.empty() ? encoded : req.encoded_bodies[k];
      codec::SealedEnvelope sealed = codec::seal_body(batch.head.head, pe.seq, pe.version, body);
      const Hash256 hash = sealed.hash;
      pe.envelope = std::move(sealed.bytes);
      pe.hash = hash;
      batch.head = LogDigest{pe.seq, hash};
      outcome.events.push_back(EventPosition{pe.seq, ne.stream, pe.version, ne.event_id,
                                             std::string(event_type_name(ne.payload)), hash});
      batch.events.push_back(std::move(pe));
    }
    for (const NewEvent& ne : req.events) batch.stream_versions[ne.stream] = current[ne.stream];
    CommandRecord rec{req.command_digest, outcome.events.front().seq,
                      static_cast<uint32_t>(outcome.events.size())};
    batch_commands.emplace(batch_key, rec);
    batch.commands.push_back(PlannedCommand{scope, req.command_id, rec});
    outcome.status = AppendStatus::appended;
  }
  return batch;
}

}  // namespace mledger
