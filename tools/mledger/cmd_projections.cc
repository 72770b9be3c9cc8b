// mledger projections list|status|catch-up|rebuild|verify: what an operator
// runs on the stored read models.

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "adapters/crypto/sha256.h"
#include "adapters/system/heap_in_use.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/progress.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger projections list [--data DIR] [--json]
       mledger projections status [--data DIR] [--json]
       mledger projections catch-up [--data DIR] [--json] [--checkpoint-every N] [--memory-mib M]
                                    [--spill-mib S]
       mledger projections rebuild [NAME...] [--data DIR] [--json] [--checkpoint-every N] [--memory-mib M]
                                   [--spill-mib S]
       mledger projections verify [NAME...] [--data DIR] [--json] [--memory-mib M] [--spill-mib S]

The read models are stored projections of the event log, in DIR/projections
(docs/operations.md).

list      each projection: name, this build's fold version, live generation
status    each projection: version, checkpoint (last event folded), lag in
          events behind the log's head, size, state (current, behind, stale:
          built by another fold version, missing), and any unfinished rebuild
catch-up  folds the events after each checkpoint; builds what is missing or
          stale
rebuild   builds new generations of NAMEs (default: all) from event 1 beside
          the live ones, following the log while a writer appends, then
          switches each atomically and drops the old one. Killed, it resumes
          from its last checkpoint when run again. Progress on stderr.
verify    folds scratch generations up to each live checkpoint and compares
          them with the live ones document by document; exit 1 on any
          difference

Folds commit documents with their checkpoint at the end, every 10 s, every
N events (--checkpoint-every, default 1000000) and whenever the documents
they hold (cached and changed, all projections together) reach M MiB
(--memory-mib, 16 to 65536, default 448): a killed fold repeats at most that
much, and a fold's memory stays about M MiB plus RocksDB's buffers, however
long the log. A generation built from event 1 (rebuild, verify, a missing
projection) is bulk loaded instead: passes over the log, each folding the
accounts of a range of partitions while the process's resident memory (above
what it held before opening the ledger) stays within M MiB, then writing
their documents into an SST file that is ingested; a killed one resumes from
the partitions it loaded. The accounts the first pass leaves are set aside in
DIR/projections-spill (their documents so far, their events from then on) for
the later passes to read in order, when what is left of the log fits S MiB
(--spill-mib, 0 to 1048576, default 65536; 0: never) and half the disk's free
space; else the later passes read their accounts' events by the log's account
index. Each pass prints a line as it ends (events, accounts, seconds,
resident memory, spill).

rebuild and verify need the projections to themselves: they fail (exit 3)
while a server or another rebuild holds them. Commands appended meanwhile
(mledger exec) are accepted; the projections catch up on their next open.
Exit: 0 ok; 1 verify found differences; 2 bad usage; 3 failure.
)";

int failure(const char* what, const Status& s) {
  std::fprintf(stderr, "mledger projections %s: %s\n", what, s.to_string().c_str());
  return s.code() == StatusCode::invalid_argument ? kExitUsage : kExitFailure;
}

// The share of accounts a bulk load has loaded, 0 to 1.
double loaded_share(const BulkProgress& b) {
  return static_cast<double>(b.below) / static_cast<double>(kAccountPartitions);
}

nlohmann::json generation_json(const Generation& g) {
  nlohmann::json j = {{"generation", g.id},
                      {"version", g.version},
                      {"checkpoint_seq", g.checkpoint.seq},
                      {"checkpoint_hash", to_hex(g.checkpoint.hash)}};
  if (g.bulk) {
    j["bulk_load"] = {{"until_seq", g.bulk->until.seq}, {"accounts_loaded_share", loaded_share(*g.bulk)}};
  }
  return j;
}

int print_status(ReadSide& rs, bool as_json, bool brief) {
  auto status = rs.engine->status();
  if (!status.ok()) return failure(brief ? "list" : "status", status.error());
  nlohmann::json out = nlohmann::json::array();
  for (const ProjectionStatus& p : *status) {
    nlohmann::json j = {{"name", p.name}, {"version", p.version}, {"state", p.state}};
    if (p.live) j["live"] = generation_json(*p.live);
    if (!brief) {
      j["head_seq"] = p.head_seq;
      j["lag"] = p.lag;
      j["size_bytes"] = p.size_bytes;
      if (p.building) j["rebuild_in_progress"] = generation_json(*p.building);
    }
    out.push_back(std::move(j));
  }
  if (as_json) {
    std::printf("%s\n", out.dump().c_str());
    return kExitOk;
  }
  if (brief) {
    std::printf("%-10s %-8s %s\n", "NAME", "VERSION", "LIVE GENERATION");
  } else {
    std::printf("%-10s %-8s %-8s %12s %10s %12s  %s\n", "NAME", "VERSION", "STATE", "CHECKPOINT",
                "LAG", "SIZE", "REBUILD");
  }
  for (const ProjectionStatus& p : *status) {
    const std::string gen = p.live ? std::to_string(p.live->id) : "-";
    if (brief) {
      std::printf("%-10s %-8u %s\n", p.name.c_str(), p.version, gen.c_str());
      continue;
    }
    std::string rebuild = "-";
    if (p.building && p.building->bulk) {
      char share[32];
      std::snprintf(share, sizeof share, "%.1f%%", 100 * loaded_share(*p.building->bulk));
      rebuild = "generation " + std::to_string(p.building->id) + " bulk loading: " + share + " of accounts to " +
                std::to_string(p.building->bulk->until.seq);
    } else if (p.building) {
      rebuild = "generation " + std::to_string(p.building->id) + " at " + std::to_string(p.building->checkpoint.seq);
    }
    std::printf("%-10s %-8u %-8s %12llu %10llu %12llu  %s\n", p.name.c_str(), p.version,
                p.state.c_str(), static_cast<unsigned long long>(p.live ? p.live->checkpoint.seq : 0),
                static_cast<unsigned long long>(p.lag), static_cast<unsigned long long>(p.size_bytes),
                rebuild.c_str());
  }
  return kExitOk;
}

}  // namespace

int run_projections(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"data", "checkpoint-every", "memory-mib", "spill-mib"}, {"help", "json"})) {
    std::fprintf(stderr, "mledger projections: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  ProjectionEngineOptions engine_options;
  uint64_t every = 0;
  if (!args.number("checkpoint-every", engine_options.commit_every_events, &every) || every == 0) {
    std::fprintf(stderr, "mledger projections: --checkpoint-every must be a positive number of events\n");
    return kExitUsage;
  }
  engine_options.commit_every_events = static_cast<size_t>(every);
  constexpr uint64_t kMemoryMibMin = 16, kMemoryMibMax = 65536;
  uint64_t memory_mib = 0;
  if (!args.number("memory-mib", engine_options.memory_bytes_max >> 20, &memory_mib) ||
      memory_mib < kMemoryMibMin || memory_mib > kMemoryMibMax) {
    std::fprintf(stderr, "mledger projections: --memory-mib must be a number of MiB from %llu to %llu\n",
                 static_cast<unsigned long long>(kMemoryMibMin), static_cast<unsigned long long>(kMemoryMibMax));
    return kExitUsage;
  }
  engine_options.memory_bytes_max = static_cast<size_t>(memory_mib) << 20;
  constexpr uint64_t kSpillMibMax = uint64_t{1} << 20;
  uint64_t spill_mib = 0;
  if (!args.number("spill-mib", engine_options.spill_bytes_max >> 20, &spill_mib) || spill_mib > kSpillMibMax) {
    std::fprintf(stderr, "mledger projections: --spill-mib must be a number of MiB from 0 to %llu\n",
                 static_cast<unsigned long long>(kSpillMibMax));
    return kExitUsage;
  }
  engine_options.spill_bytes_max = spill_mib << 20;
  if (args.flag("help")) {
    const std::string sub = args.positionals().empty() ? "" : args.positionals().front();
    std::fputs(subcommand_help(kHelp, "projections", sub).c_str(), stdout);
    return kExitOk;
  }
  std::vector<std::string> names = args.positionals();
  if (names.empty()) {
    std::fprintf(stderr, "mledger projections: name a subcommand\n\n%s", kHelp);
    return kExitUsage;
  }
  const std::string sub = names.front();
  names.erase(names.begin());
  const bool as_json = args.flag("json");
  const bool takes_names = sub == "rebuild" || sub == "verify";
  if (sub != "list" && sub != "status" && sub != "catch-up" && !takes_names) {
    std::fprintf(stderr, "mledger projections: unknown subcommand '%s'\n\n%s", sub.c_str(), kHelp);
    return kExitUsage;
  }
  if (!takes_names && !names.empty()) {
    std::fprintf(stderr, "mledger projections %s: takes no names\n", sub.c_str());
    return kExitUsage;
  }
  // A bulk load's bound counts the resident set above what the process holds
  // before it opens the ledger (docs/operations.md, Limits).
  engine_options.resident_base_bytes = resident_set_bytes();
  const StoreAccess access =
      sub == "list" || sub == "status" ? StoreAccess::write_if_free : StoreAccess::write;
  auto side = open_read_side(args.value_or("data", "mledger-data"), access, engine_options);
  if (!side.ok()) return failure(sub.c_str(), side.error());
  ReadSide& rs = *side.value();
  if (sub == "list" || sub == "status") return print_status(rs, as_json, sub == "list");

  ProgressPrinter printer(as_json);
  if (sub == "catch-up") {
    if (Status s = rs.engine->catch_up(printer.callback()); !s.ok()) return failure("catch-up", s);
  } else if (sub == "rebuild") {
    if (Status s = rs.engine->rebuild(names, printer.callback()); !s.ok()) return failure("rebuild", s);
  } else {
    auto diffs = rs.engine->verify(names, printer.callback());
    if (!diffs.ok()) return failure("verify", diffs.error());
    bool clean = true;
    nlohmann::json out = nlohmann::json::array();
    for (const ProjectionDifferences& d : *diffs) {
      clean = clean && d.differing == 0;
      out.push_back({{"name", d.name},
                     {"at_seq", d.at_seq},
                     {"documents_compared", d.compared},
                     {"documents_differing", d.differing},
                     {"first_differing", d.first_differing}});
      if (!as_json) {
        std::string keys;
        for (const auto& k : d.first_differing) keys += " " + k;
        std::printf("%-10s at seq %llu: %llu documents compared, %llu differ%s%s\n", d.name.c_str(),
                    static_cast<unsigned long long>(d.at_seq), static_cast<unsigned long long>(d.compared),
                    static_cast<unsigned long long>(d.differing), d.differing ? ":" : "", keys.c_str());
      }
    }
    if (as_json) std::printf("%s\n", out.dump().c_str());
    return clean ? kExitOk : kExitRejected;
  }
  return print_status(rs, as_json, false);
}

}  // namespace mledger::cli
