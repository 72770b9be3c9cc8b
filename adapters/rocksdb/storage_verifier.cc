#include "adapters/rocksdb/storage_verifier.h"

#include <array>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "adapters/capnp/event_codec.h"
#include "adapters/crypto/sha256.h"
#include "adapters/log/append_planner.h"
#include "adapters/rocksdb/index_keys.h"

namespace mledger {

namespace {

using index_keys::command_key;
using index_keys::get_be64;
using index_keys::is_prefixed_key;
using index_keys::prefixed_key;
using index_keys::printable_prefixed_key;
using index_keys::seq_key;
using Entry = std::pair<std::string, std::string>;

// An order-independent sum of entries (a multiset hash): each entry's
// SHA-256 added as four 64-bit words, modulo 2^64 each.
struct EntrySum {
  std::array<uint64_t, 4> words{};
  uint64_t count = 0;
  void add(std::string_view key, std::string_view value) {
    std::string framed;
    index_keys::put_be64(framed, key.size());
    const Hash256 h = sha256({framed, key, value});
    for (size_t i = 0; i < words.size(); ++i) {
      uint64_t w = 0;
      std::memcpy(&w, h.data() + 8 * i, 8);
      words[i] += w;
    }
    ++count;
  }
  friend bool operator==(const EntrySum&, const EntrySum&) = default;
};

// What a command record says of its events: the first seq and the count.
std::string command_span(uint64_t first_seq, uint64_t count) {
  std::string out = seq_key(first_seq);
  index_keys::put_be64(out, count);
  return out;
}

StorageReport damage(std::string family, std::string key, std::string problem) {
  StorageReport r;
  r.family = std::move(family);
  r.key = std::move(key);
  r.problem = std::move(problem);
  return r;
}

std::string printable(std::string_view family, std::string_view key) {
  if (family != "commands") return printable_prefixed_key(key);
  std::string_view scope, id;
  if (!index_keys::split_command_key(key, &scope, &id)) return std::string(key);
  return std::string(id) + " (" + std::string(scope) + ")";
}

// The `streams` and `by_account` entries one event implies: none for an
// event past the index mark (rocksdb_event_log.h, "The index"), whose
// entries a writer writes when it opens the ledger.
std::vector<Entry> implied_by(std::string_view family, const codec::EventHead& e, uint64_t indexed_through) {
  std::vector<Entry> out;
  if (e.seq > indexed_through) return out;
  if (family == "streams") out.emplace_back(prefixed_key(e.stream, e.version), seq_key(e.seq));
  if (family != "by_account") return out;
  const std::set<std::string> accounts(e.account_ids.begin(), e.account_ids.end());
  for (const auto& a : accounts) out.emplace_back(prefixed_key(a, e.seq), "");
  return out;
}

// Groups the events, in order, into each command's run: its `commands`
// entry, under its scoped key (and, for ledgers with bare keys, the bare id
// it may be stored under instead: command_entry()).
struct CommandRun {
  std::string key;   // command_key(scope, id)
  std::string bare;  // the command id
  std::string span;  // command_span()
};
class CommandRuns {
 public:
  // The run `e` ends by starting another, if any.
  std::optional<CommandRun> feed(const codec::EventHead& e) {
    std::string key = command_key(command_scope(e.actor), e.command_id);
    if (count_ > 0 && key == key_ && e.seq == first_ + count_) {
      ++count_;
      return std::nullopt;
    }
    std::optional<CommandRun> done = finish();
    key_ = std::move(key);
    bare_ = e.command_id;
    first_ = e.seq;
    count_ = 1;
    return done;
  }
  std::optional<CommandRun> finish() {
    if (count_ == 0) return std::nullopt;
    const uint64_t n = count_;
    count_ = 0;
    return CommandRun{key_, bare_, command_span(first_, n)};
  }

 private:
  std::string key_, bare_;
  uint64_t first_ = 0;
  uint64_t count_ = 0;
};

// The `commands` entry a run implies: under its scoped key; in a ledger that
// may hold bare keys (format 1, rocksdb_event_log.cc) under the bare id when
// only that is stored.
StatusOr<Entry> command_entry(const StorageAccess& access, bool bare, const CommandRun& run) {
  if (!bare) return Entry{run.key, run.span};
  auto scoped = access.get("commands", run.key);
  if (!scoped.ok()) return Err{scoped.error()};
  if (scoped->has_value()) return Entry{run.key, run.span};
  auto plain = access.get("commands", run.bare);
  if (!plain.ok()) return Err{plain.error()};
  return Entry{plain->has_value() ? run.bare : run.key, run.span};
}

struct Sums {
  EntrySum streams, by_account, commands;
  EntrySum& of(std::string_view family) {
    return family == "streams" ? streams : family == "by_account" ? by_account : commands;
  }
};

// Calls fn with each event's head, in order; a report on a bad event.
StatusOr<std::optional<StorageReport>> each_event(const StorageAccess& access,
                                                  const std::function<bool(const codec::EventHead&)>& fn) {
  std::optional<StorageReport> found;
  Status s = access.scan("events", [&](std::string_view key, std::string_view value) {
    auto e = codec::open_head(value);
    if (!e.ok() || key.size() != 8 || e->seq != get_be64(key)) {
      found = damage("events", key.size() == 8 ? std::to_string(get_be64(key)) : "?",
                     e.ok() ? "stored under another seq" : e.error().message());
      return false;
    }
    return fn(*e);
  });
  if (!s.ok() && s.code() != StatusCode::corruption) return Err{s};
  if (!s.ok()) found = damage("events", "", s.message());
  return found;
}

// The sums of the entries the events imply.
StatusOr<std::optional<StorageReport>> implied_sums(const StorageAccess& access, bool bare,
                                                    uint64_t indexed_through, Sums* sums) {
  CommandRuns runs;
  Status failure;
  auto add_run = [&](const CommandRun& run) {
    auto entry = command_entry(access, bare, run);
    if (!entry.ok()) failure = entry.error();
    if (entry.ok()) sums->commands.add(entry->first, entry->second);
    return entry.ok();
  };
  auto bad = each_event(access, [&](const codec::EventHead& e) {
    for (const char* family : {"streams", "by_account"}) {
      for (const auto& [k, v] : implied_by(family, e, indexed_through)) sums->of(family).add(k, v);
    }
    auto run = runs.feed(e);
    return !run || add_run(*run);
  });
  if (!bad.ok()) return bad;
  if (auto run = runs.finish(); run && !*bad && failure.ok()) (void)add_run(*run);
  if (!failure.ok()) return Err{failure};
  return bad;
}

// The value an entry of `family` contributes to its sum; nullopt when the
// entry has the wrong shape.
std::optional<std::string> summed_value(std::string_view family, std::string_view key, std::string_view value) {
  if (family == "commands") {
    auto rec = decode_command_record(value);
    if (!rec.ok() || key.empty()) return std::nullopt;
    return command_span(rec->first_seq, rec->event_count);
  }
  if (!is_prefixed_key(key)) return std::nullopt;
  if (family == "streams" && value.size() != 8) return std::nullopt;
  if (family == "by_account" && !value.empty()) return std::nullopt;
  return std::string(value);
}

// Reads every entry of an index family into its sum.
StatusOr<std::optional<StorageReport>> stored_sum(const StorageAccess& access, std::string_view family,
                                                 EntrySum* sum, uint64_t* checked,
                                                 const std::function<void(uint64_t)>& progress) {
  std::optional<StorageReport> found;
  std::string last;
  Status s = access.scan(family, [&](std::string_view key, std::string_view value) {
    auto v = summed_value(family, key, value);
    if (!v) {
      found = damage(std::string(family), printable(family, key), "the entry has the wrong shape");
      return false;
    }
    sum->add(key, *v);
    last = key;
    if (++*checked % 65536 == 0 && progress) progress(*checked);
    return true;
  });
  if (!s.ok() && s.code() != StatusCode::corruption) return Err{s};
  if (!s.ok()) {
    found = damage(std::string(family), last.empty() ? "" : "the entry after " + printable(family, last),
                   s.message());
  }
  return found;
}

// The event at `seq`, or what is wrong with it.
StatusOr<codec::EventHead> event_at(const StorageAccess& access, uint64_t seq) {
  auto bytes = access.get("events", seq_key(seq));
  if (!bytes.ok()) return Err{bytes.error()};
  if (!bytes->has_value()) return fail(StatusCode::not_found, "names event " + std::to_string(seq) + ", which is missing");
  auto e = codec::open_head(**bytes);
  if (!e.ok()) return fail(StatusCode::corruption, "names event " + std::to_string(seq) + ", which does not read");
  return e;
}

// Whether the `commands` key names event `e`'s command: its scope and id;
// or, where bare keys may be (format 1), its id alone.
bool command_agrees(const codec::EventHead& e, bool bare, std::string_view key) {
  std::string_view scope, id;
  if (index_keys::split_command_key(key, &scope, &id)) {
    return scope == command_scope(e.actor) && id == e.command_id;
  }
  return bare && key == e.command_id;
}

// Why one stored entry disagrees with the events it names ("" if it agrees).
StatusOr<std::string> entry_problem(const StorageAccess& access, bool bare, std::string_view family,
                                    std::string_view key, std::string_view value) {
  uint64_t first = 0, count = 1;
  if (family == "commands") {
    auto rec = decode_command_record(value);
    if (!rec.ok()) return std::string("the record does not decode");
    first = rec->first_seq;
    count = rec->event_count;
  } else {
    first = family == "streams" ? get_be64(value) : get_be64(key.substr(key.size() - 8));
  }
  for (uint64_t seq = first; seq < first + count; ++seq) {
    auto e = event_at(access, seq);
    if (!e.ok() && e.error().code() != StatusCode::io_error) return e.error().message();
    if (!e.ok()) return Err{e.error()};
    const std::string_view name = key.substr(0, key.size() - 9);
    const bool agrees = family == "commands" ? command_agrees(*e, bare, key)
                        : family == "streams"
                            ? e->stream == name && e->version == get_be64(key.substr(key.size() - 8))
                            : std::find(e->account_ids.begin(), e->account_ids.end(), name) != e->account_ids.end();
    if (!agrees) return "names event " + std::to_string(seq) + ", which says otherwise";
  }
  return std::string();
}

// The first stored entry of `family` that disagrees with its events.
StatusOr<std::optional<StorageReport>> first_disagreeing(const StorageAccess& access, bool bare,
                                                        std::string_view family) {
  std::optional<StorageReport> found;
  Status failure;
  Status s = access.scan(family, [&](std::string_view key, std::string_view value) {
    auto problem = entry_problem(access, bare, family, key, value);
    if (!problem.ok()) failure = problem.error();
    if (problem.ok() && !problem->empty()) found = damage(std::string(family), printable(family, key), *problem);
    return problem.ok() && problem->empty();
  });
  if (!s.ok()) return Err{s};
  if (!failure.ok()) return Err{failure};
  return found;
}

// Whether `family` holds `entry` as the events imply it; a report if not.
StatusOr<std::optional<StorageReport>> check_held(const StorageAccess& access, std::string_view family,
                                                 const Entry& entry, uint64_t seq) {
  auto held = access.get(family, entry.first);
  if (!held.ok()) return Err{held.error()};
  const std::optional<std::string> v =
      held->has_value() ? summed_value(family, entry.first, **held) : std::nullopt;
  if (v == entry.second) return std::optional<StorageReport>();
  return std::optional<StorageReport>(damage(std::string(family), printable(family, entry.first),
                                             (held->has_value() ? "differs from" : "is missing for") +
                                                 std::string(" event ") + std::to_string(seq)));
}

// The first entry the events imply that `family` does not hold as implied.
StatusOr<std::optional<StorageReport>> first_missing(const StorageAccess& access, bool bare,
                                                    uint64_t indexed_through, std::string_view family) {
  std::optional<StorageReport> found;
  Status failure;
  CommandRuns runs;
  uint64_t last_seq = 0;
  auto check = [&](const Entry& entry, uint64_t seq) {
    auto r = check_held(access, family, entry, seq);
    if (!r.ok()) failure = r.error();
    if (r.ok()) found = *r;
    return r.ok() && !found;
  };
  auto check_run = [&](const CommandRun& run, uint64_t seq) {
    auto entry = command_entry(access, bare, run);
    if (!entry.ok()) failure = entry.error();
    return entry.ok() && check(*entry, seq);
  };
  auto bad = each_event(access, [&](const codec::EventHead& e) {
    last_seq = e.seq;
    if (family == "commands") {
      auto run = runs.feed(e);
      return !run || check_run(*run, e.seq - 1);
    }
    for (const auto& entry : implied_by(family, e, indexed_through)) {
      if (!check(entry, e.seq)) return false;
    }
    return true;
  });
  if (!bad.ok()) return Err{bad.error()};
  if (*bad) return bad;
  if (auto run = runs.finish(); run && failure.ok() && !found) (void)check_run(*run, last_seq);
  if (!failure.ok()) return Err{failure};
  return found;
}

// Where the stored entries of `family` differ from the implied ones.
StatusOr<StorageReport> locate(const StorageAccess& access, bool bare, uint64_t indexed_through,
                               std::string_view family) {
  auto extra = first_disagreeing(access, bare, family);
  if (!extra.ok()) return Err{extra.error()};
  if (*extra) return **extra;
  auto missing = first_missing(access, bare, indexed_through, family);
  if (!missing.ok()) return Err{missing.error()};
  if (*missing) return **missing;
  return damage(std::string(family), "", "the entries differ from what the events imply");
}

// Whether the meta family allows bare command keys (format 1, or format 2
// or 3 with bare_command_keys; rocksdb_event_log.cc). A damaged meta family is
// reported by check_meta().
bool bare_keys_allowed(const StorageAccess& access) {
  bool bare = false;
  (void)access.scan("meta", [&](std::string_view key, std::string_view value) {
    if ((key == "format" && value == "1") || (key == "bare_command_keys" && value == "1")) bare = true;
    return true;
  });
  return bare;
}

// The last event whose index entries the index families hold (meta
// "indexed_through", 8 bytes): every event when there is no mark (a ledger
// an older build wrote, with the entries in the events' batch). A damaged
// mark is reported by check_meta().
uint64_t index_mark(const StorageAccess& access) {
  uint64_t mark = UINT64_MAX;
  (void)access.scan("meta", [&](std::string_view key, std::string_view value) {
    if (key == "indexed_through" && value.size() == 8) mark = get_be64(value);
    return true;
  });
  return mark;
}

// The meta family holds the format marker ("1", "2" or "3") and, with "2" or "3", maybe
// bare_command_keys = "1"; maybe the Merkle tree's layout "tree_layout" =
// "2" (merkle_family.h); maybe the index mark "indexed_through" (8 bytes);
// nothing else.
StatusOr<std::optional<StorageReport>> check_meta(const StorageAccess& access, uint64_t* checked) {
  std::optional<StorageReport> found;
  std::string format;
  bool bare = false;
  Status s = access.scan("meta", [&](std::string_view key, std::string_view value) {
    ++*checked;
    if (key == "format" && (value == "1" || value == "2" || value == "3")) {
      format = value;
    } else if (key == "bare_command_keys" && value == "1") {
      bare = true;
    } else if (key == "tree_layout" && value == "2") {
      // the Merkle tree's layout (merkle_family.h)
    } else if (key == "indexed_through" && value.size() == 8) {
      // the index mark (index_mark())
    } else {
      found = damage("meta", std::string(key), "unexpected entry");
    }
    return !found;
  });
  if (!s.ok() && s.code() != StatusCode::corruption) return Err{s};
  if (!s.ok()) found = damage("meta", "", s.message());
  if (!found && format.empty()) found = damage("meta", "format", "the format marker is missing");
  if (!found && bare && format != "2" && format != "3") found = damage("meta", "bare_command_keys", "unexpected entry");
  return found;
}

}  // namespace

StatusOr<StorageReport> verify_storage(const StorageAccess& access,
                                       const std::function<void(uint64_t)>& progress) {
  Sums implied, stored;
  const bool bare = bare_keys_allowed(access);
  const uint64_t indexed_through = index_mark(access);
  auto bad = implied_sums(access, bare, indexed_through, &implied);
  if (!bad.ok()) return Err{bad.error()};
  if (*bad) return **bad;
  uint64_t checked = 0;
  for (const char* family : {"streams", "by_account", "commands"}) {
    auto r = stored_sum(access, family, &stored.of(family), &checked, progress);
    if (!r.ok()) return Err{r.error()};
    if (*r) return **r;
  }
  auto meta = check_meta(access, &checked);
  if (!meta.ok()) return Err{meta.error()};
  if (*meta) return **meta;
  for (const char* family : {"streams", "by_account", "commands"}) {
    if (implied.of(family) == stored.of(family)) continue;
    auto where = locate(access, bare, indexed_through, family);
    if (!where.ok()) return Err{where.error()};
    where->entries_checked = checked;
    return where;
  }
  if (Status s = access.verify_checksums(); !s.ok()) {
    if (s.code() != StatusCode::corruption) return Err{s};
    return damage("(table files)", "", s.message());
  }
  StorageReport whole;
  whole.entries_checked = checked;
  return whole;
}

}  // namespace mledger
