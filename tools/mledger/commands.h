#pragma once
// The subcommands of the `mledger` binary. Each takes the arguments after its
// name and returns the process exit code.

#include <string>
#include <vector>

namespace mledger::cli {

// Exit codes, the same for every subcommand (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;   // a command was rejected / the chain is broken
inline constexpr int kExitUsage = 2;      // bad arguments or malformed input; nothing written
inline constexpr int kExitFailure = 3;    // the disk or the database failed

using Argv = std::vector<std::string>;

int run_exec(const Argv& argv);
int run_history(const Argv& argv);  // = run_audit({"history", ...})
int run_audit(const Argv& argv);    // history | export | check | state
int run_audit_export(const Argv& argv);
int run_audit_check(const Argv& argv);
int run_audit_state(const Argv& argv);  // tools/mledger/cmd_audit_state.cc
// public-key | tree-heads | tree-head | prove | consistency | check-proof
// (cmd_audit_tree.cc); -1 when `what` is none of them.
int run_audit_tree(const std::string& what, const Argv& argv);
int check_heads(const Argv& argv);  // audit check-heads (cmd_audit_heads.cc)
int run_backup(const Argv& argv);
int run_restore(const Argv& argv);
int run_verify(const Argv& argv);
int run_digest(const Argv& argv);
int run_bench(const Argv& argv);
int run_bench_load(const Argv& argv);  // bench commands | bench http (cmd_bench_load.cc)
int run_tick(const Argv& argv);
int run_catalogue(const Argv& argv);
int run_schema(const Argv& argv);
int run_query(const Argv& argv);
int run_projections(const Argv& argv);
int run_audit_state(const Argv& argv);
int run_publish(const Argv& argv);
int run_tail(const Argv& argv);
int run_serve(const Argv& argv);  // tools/mledger/cmd_serve.cc
int run_token(const Argv& argv);  // keygen | issue: bearer tokens for the HTTP server

}  // namespace mledger::cli
