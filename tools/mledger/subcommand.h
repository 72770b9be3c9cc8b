#pragma once
// What every subcommand does first: parse its arguments (always allowing
// --data, --json and --help), print its help or a usage error, and open the
// ledger read-only. Each helper reports failures itself, on stderr, prefixed
// "mledger <name>: ".

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"

namespace mledger::cli {

// Parses `argv` into `args`: `value_options` take a value, `flags` do not,
// and exactly `positionals` bare arguments are allowed. Returns false when
// the caller should return *exit_code at once: kExitOk after printing the
// help (--help), kExitUsage after printing the problem and the help.
bool parse_subcommand(const char* name, const char* help, const Argv& argv,
                      const std::set<std::string>& value_options, const std::set<std::string>& flags,
                      size_t positionals, Args* args, int* exit_code);

// The help of subcommand `sub` of a group whose help begins with a usage
// block naming each ("usage: mledger GROUP a ...\n       mledger GROUP b
// ..."): the usage lines of `sub` alone, then the rest of the group's help.
// The whole help when `sub` is not named there.
std::string subcommand_help(std::string_view group_help, std::string_view group, std::string_view sub);

// Prints "mledger <name>: <problem>" and the help; returns kExitUsage.
int usage_error(const char* name, const std::string& problem, const char* help);

// Opens the ledger at --data (default ./mledger-data) read-only; on failure
// prints why and returns null (exit with kExitFailure).
std::unique_ptr<RocksDbEventLog> open_read_only_for(const char* name, const Args& args);

// Prints "mledger <name>: <status>" and returns `exit_code`.
int report_failure(const char* name, const Status& status, int exit_code);

// --data, or the default ledger directory.
std::string data_dir(const Args& args);

}  // namespace mledger::cli
