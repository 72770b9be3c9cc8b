// mledger catalogue: show the offer catalogue in force, or put a new one in
// force from a file (recorded as OfferCatalogueChanged, issued as the
// operator actor).

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "adapters/ledger/log_aggregates.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/describe.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger catalogue show [--data DIR]
       mledger catalogue load FILE [--operator NAME] [--data DIR] [--json]

show   prints the offer catalogue in force as JSON (the defaults until one was
       loaded): offers, prices in minor units, benefits and quantities,
       incident quotas, advisory hours, products.
load   reads a catalogue in the same JSON form, checks it and records it as
       OfferCatalogueChanged; it applies from the next purchase or renewal.
       The file must carry a new "version". Loading the same file again
       writes nothing (the command id is derived from the file's SHA-256).
       --json: the outcome as `mledger exec --json` prints it.

Exit: 0 ok; 1 the catalogue was refused (the reason is printed); 2 bad usage
or a malformed file; 3 storage failure.
)";

}  // namespace

int run_catalogue(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"data", "operator"}, {"help", "json"})) {
    std::fprintf(stderr, "mledger catalogue: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  const auto& pos = args.positionals();
  if (args.flag("help")) {
    std::fputs(subcommand_help(kHelp, "catalogue", pos.empty() ? "" : pos[0]).c_str(), stdout);
    return kExitOk;
  }
  if (pos.empty() || (pos[0] == "show" && pos.size() != 1) || (pos[0] == "load" && pos.size() != 2) ||
      (pos[0] != "show" && pos[0] != "load")) {
    std::fputs(kHelp, stderr);
    return kExitUsage;
  }
  const std::string dir = args.value_or("data", "mledger-data");
  if (pos[0] == "show") {
    // Read-only: it may run beside a writer (a server).
    auto log = open_log_read_only(dir);
    if (!log.ok()) {
      std::fprintf(stderr, "mledger catalogue: %s\n", log.error().to_string().c_str());
      return kExitFailure;
    }
    LogAggregates aggregates(**log);
    const OfferCatalogue catalogue = aggregates.catalogue();
    if (!aggregates.read_error().ok()) {
      std::fprintf(stderr, "mledger catalogue: %s\n", aggregates.read_error().to_string().c_str());
      return kExitFailure;
    }
    std::printf("%s\n", json::offer_catalogue_to_json(catalogue).dump(2).c_str());
    return kExitOk;
  }

  std::ifstream in(pos[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "mledger catalogue: cannot open %s\n", pos[1].c_str());
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  auto catalogue = json::parse_offer_catalogue(content);
  if (!catalogue.ok()) {
    std::fprintf(stderr, "mledger catalogue: %s: %s\n", pos[1].c_str(), catalogue.error().message().c_str());
    return kExitUsage;
  }
  auto rt = open_runtime(dir);
  if (!rt.ok()) {
    std::fprintf(stderr, "mledger catalogue: %s\n", rt.error().to_string().c_str());
    return kExitFailure;
  }
  const Hash256 digest = sha256({content});
  Command command;
  command.context.command_id = "catalogue:" + to_hex(digest);
  command.context.actor = Actor{ActorKind::operator_, "", args.value_or("operator", "operator"), {}};
  command.context.now = SystemClock().now();
  command.body = ChangeOfferCatalogue{*catalogue};
  auto result = (*rt)->ledger->execute(command, digest);
  if (!result.ok()) {
    std::fprintf(stderr, "mledger catalogue: %s\n", result.error().to_string().c_str());
    return kExitFailure;
  }
  if (args.flag("json")) {
    std::printf("%s\n", json::result_to_json(*result).dump().c_str());
  } else {
    std::printf("%s\n", describe(*result).c_str());
  }
  return result->kind == CommandResult::Kind::rejected ? kExitRejected : kExitOk;
}

}  // namespace mledger::cli
