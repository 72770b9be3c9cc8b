#include "tools/mledger/subcommand.h"

#include <cstdio>

#include "tools/mledger/runtime.h"

namespace mledger::cli {

bool parse_subcommand(const char* name, const char* help, const Argv& argv,
                      const std::set<std::string>& value_options, const std::set<std::string>& flags,
                      size_t positionals, Args* args, int* exit_code) {
  std::set<std::string> values = value_options;
  values.insert("data");
  std::set<std::string> all_flags = flags;
  all_flags.insert({"json", "help"});
  if (!args->parse(argv, values, all_flags)) {
    *exit_code = usage_error(name, args->error(), help);
    return false;
  }
  if (args->flag("help")) {
    std::fputs(help, stdout);
    *exit_code = kExitOk;
    return false;
  }
  if (args->positionals().size() != positionals) {
    *exit_code = usage_error(
        name,
        args->positionals().size() > positionals ? "unexpected argument '" + args->positionals().back() + "'"
                                                 : std::string("missing argument"),
        help);
    return false;
  }
  return true;
}

std::string subcommand_help(std::string_view group_help, std::string_view group, std::string_view sub) {
  const std::string named = "mledger " + std::string(group) + " " + std::string(sub);
  std::string usage, rest;
  bool in_usage = true;
  size_t start = 0;
  while (start < group_help.size()) {
    size_t end = group_help.find('\n', start);
    end = end == std::string_view::npos ? group_help.size() : end + 1;
    std::string_view line = group_help.substr(start, end - start);
    start = end;
    std::string_view text = line;
    if (text.starts_with("usage: ")) text.remove_prefix(7);
    while (text.starts_with(' ')) text.remove_prefix(1);
    in_usage = in_usage && !text.empty() && text != "\n";
    if (!in_usage) {
      rest += line;
    } else if (text.starts_with(named + " ") || text.starts_with(named + "\n")) {
      usage += (usage.empty() ? "usage: " : "       ") + std::string(text);
    }
  }
  return usage.empty() ? std::string(group_help) : usage + rest;
}

int usage_error(const char* name, const std::string& problem, const char* help) {
  std::fprintf(stderr, "mledger %s: %s\n\n%s", name, problem.c_str(), help);
  return kExitUsage;
}

int report_failure(const char* name, const Status& status, int exit_code) {
  std::fprintf(stderr, "mledger %s: %s\n", name, status.to_string().c_str());
  return exit_code;
}

std::string data_dir(const Args& args) { return args.value_or("data", "mledger-data"); }

std::unique_ptr<RocksDbEventLog> open_read_only_for(const char* name, const Args& args) {
  auto log = open_log_read_only(data_dir(args));
  if (!log.ok()) {
    (void)report_failure(name, log.error(), kExitFailure);  // the caller exits with it
    return nullptr;
  }
  return std::move(log.value());
}

}  // namespace mledger::cli
