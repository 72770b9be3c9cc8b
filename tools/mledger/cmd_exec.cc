// mledger exec: execute JSON-line commands against the ledger.
//
// All lines are read and parsed first; if any line is malformed, every problem
// is reported (with its line number) and nothing is executed. Then the commands
// run in order, in batches of kBatchCommands (Ledger::execute_batch: the
// outcome of running them one by one, with about one synced write per batch);
// each result is printed on its own line.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "adapters/json/command_json.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/describe.h"
#include "tools/mledger/line_reader.h"
#include "tools/mledger/runtime.h"

namespace mledger::cli {

namespace {

constexpr const char* kHelp = R"(usage: mledger exec [FILE|-] [--data DIR] [--json]

Executes commands given as JSON lines (one command per line; blank lines are
skipped) from FILE, or standard input when FILE is '-' or absent. The JSON form
of each command is in docs/commands.md.

Prints one result per command: the events written, or the rejection code,
rule and message. A command whose id was executed before prints its first
outcome as "duplicate" and writes nothing.

Limits: a line holds at most 65536 bytes; at most 1000000 lines per run.
Exit: 0 all accepted or duplicate; 1 some rejected; 2 malformed input (nothing
executed); 3 storage failure.
)";

constexpr size_t kLinesMax = 1'000'000;
constexpr size_t kBatchCommands = 1000;  // per execute_batch(); at most batch_commands_max

}  // namespace

int run_exec(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {"data"}, {"json", "help"})) {
    std::fprintf(stderr, "mledger exec: %s\n\n%s", args.error().c_str(), kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (args.positionals().size() > 1) {
    std::fprintf(stderr, "mledger exec: give at most one input file\n");
    return kExitUsage;
  }
  const bool as_json = args.flag("json");
  const std::string source = args.positionals().empty() ? "-" : args.positionals()[0];
  std::FILE* in = source == "-" ? stdin : std::fopen(source.c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "mledger exec: cannot open %s\n", source.c_str());
    return kExitUsage;
  }

  // Phase 1: read and parse everything.
  struct Line {
    size_t number;
    json::ParsedCommand parsed;
  };
  std::vector<Line> commands;
  std::vector<std::string> problems;
  SystemClock clock;
  LineReader reader(in, json::kCommandBytesMax);
  std::string text;
  size_t number = 0;
  for (;;) {
    const auto r = reader.next(&text);
    if (r == LineReader::Result::end) break;
    ++number;
    if (number > kLinesMax) {
      problems.push_back("input has more than 1000000 lines; split it");
      break;
    }
    if (r == LineReader::Result::error) {
      problems.push_back("line " + std::to_string(number) + ": read error");
      break;
    }
    if (r == LineReader::Result::too_long) {
      problems.push_back("line " + std::to_string(number) +
                         ": longer than 65536 bytes (the command size limit)");
      continue;
    }
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    auto parsed = json::parse_command(text, clock.now());
    if (!parsed.ok()) {
      problems.push_back("line " + std::to_string(number) + ": " + parsed.error().message());
      continue;
    }
    commands.push_back(Line{number, std::move(parsed.value())});
  }
  if (in != stdin) std::fclose(in);
  if (!problems.empty()) {
    for (const auto& p : problems) {
      if (as_json) {
        std::printf("%s\n", nlohmann::json{{"status", "malformed"}, {"error", p}}.dump().c_str());
      } else {
        std::fprintf(stderr, "mledger exec: %s\n", p.c_str());
      }
    }
    std::fprintf(stderr, "mledger exec: %zu malformed line(s); nothing was executed\n",
                 problems.size());
    return kExitUsage;
  }

  // Phase 2: execute in order.
  auto rt = open_runtime(args.value_or("data", "mledger-data"), {}, {}, LedgerCreation::create_if_missing);
  if (!rt.ok()) {
    std::fprintf(stderr, "mledger exec: %s\n", rt.error().to_string().c_str());
    return kExitFailure;
  }
  int exit_code = kExitOk;
  std::vector<BatchItem> batch;
  for (size_t start = 0; start < commands.size(); start += kBatchCommands) {
    const size_t end = std::min(commands.size(), start + kBatchCommands);
    batch.clear();
    for (size_t i = start; i < end; ++i) {
      batch.push_back(BatchItem{&commands[i].parsed.command, commands[i].parsed.digest});
    }
    auto results = (*rt)->ledger->execute_batch(batch);
    for (size_t i = start; i < end; ++i) {
      const Line& line = commands[i];
      auto& result = results[i - start];
      const std::string& id = line.parsed.command.context.command_id;
      if (!result.ok()) {
        std::fprintf(stderr, "mledger exec: line %zu (%s): %s; stopping\n", line.number,
                     id.c_str(), result.error().to_string().c_str());
        return kExitFailure;
      }
      if (result->kind == CommandResult::Kind::rejected) exit_code = kExitRejected;
      if (as_json) {
        nlohmann::json j = json::result_to_json(*result);
        j["line"] = line.number;
        j["command_id"] = id;
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("line %zu %s: %s\n", line.number, id.c_str(), describe(*result).c_str());
      }
    }
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace mledger::cli
