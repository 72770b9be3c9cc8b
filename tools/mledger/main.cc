// mledger: the event-sourced membership ledger's command line.
// main() only dispatches; each subcommand wires its own dependencies.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/mledger/commands.h"
#include "tools/mledger/json_errors.h"

namespace {

constexpr const char* kUsage = R"(usage: mledger <command> [options]

Commands:
  exec [FILE|-]        execute commands given as JSON lines (docs/commands.md)
  audit history|export|check|state
                       an account's events; export them with their hashes;
                       check an export offline; an account's state at a point
  history --account ID the same as `audit history`
  verify               recompute the whole hash chain; name the first bad event
  digest               print the current sequence number and head hash
  backup DIR           back the ledger up into DIR, with its digest
  restore DIR --data D restore a backup into D and check it against its digest
  tick [--now T]       issue the time-driven commands due at T (expiries, lapses)
  catalogue show|load  show the offer catalogue in force, or load a new one
  schema               print the Cap'n Proto schema of the events
  query NAME --account ID   an account's read model as JSON (--list: names)
  projections ...      list, status, catch-up, rebuild, verify the read models
  bench append|replay  measure appending and replaying synthetic events
  bench rebuild        measure rebuilding every projection (events/s, peak memory)
  bench history        measure reading whole account histories
  bench commands|http  measure commands embedded and through `mledger serve`
  publish --brokers B  publish the events to Kafka exactly once (--follow: keep going)
  tail --brokers B     print the published events (read_committed) as JSON lines
  serve --key-file F   serve the ledger over HTTP (docs/api.md)
  token keygen|issue|revoke   a signing key, bearer tokens for the HTTP server, revoking one

Common options:
  --data DIR           the ledger directory (default ./mledger-data)
  --json               machine-readable output
  --help               help for a command

Exit codes: 0 ok, 1 rejected command or broken chain, 2 bad usage or malformed
input (nothing written), 3 storage or Kafka failure.
)";

int dispatch(const std::string& command, const mledger::cli::Argv& args) {
  using namespace mledger::cli;
  if (command == "exec") return run_exec(args);
  if (command == "audit") return run_audit(args);
  if (command == "history") return run_history(args);
  if (command == "backup") return run_backup(args);
  if (command == "restore") return run_restore(args);
  if (command == "verify") return run_verify(args);
  if (command == "digest") return run_digest(args);
  if (command == "bench") return run_bench(args);
  if (command == "tick") return run_tick(args);
  if (command == "catalogue") return run_catalogue(args);
  if (command == "schema") return run_schema(args);
  if (command == "query") return run_query(args);
  if (command == "projections") return run_projections(args);
  if (command == "publish") return run_publish(args);
  if (command == "tail") return run_tail(args);
  if (command == "serve") return run_serve(args);
  if (command == "token") return run_token(args);
  std::fprintf(stderr, "mledger: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mledger::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  // --json: a failure is a JSON object on standard output too (json_errors.h).
  JsonErrors json_errors;
  if (std::find(args.begin(), args.end(), "--json") != args.end() && !json_errors.start()) {
    std::fprintf(stderr, "mledger: warning: --json failures will be reported on standard error only\n");
  }
  return json_errors.finish(dispatch(command, args));
}
