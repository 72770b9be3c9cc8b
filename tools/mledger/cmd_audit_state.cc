// PLACEHOLDER on branch `audit` only, so that the `audit` dispatcher links:
// the lead implements `mledger audit state` in this file on main and replaces
// it at merge. This version must not reach main.

#include <cstdio>

#include "tools/mledger/commands.h"

namespace mledger::cli {

int run_audit_state(const Argv&) {
  std::fputs("mledger audit state: not built on this branch\n", stderr);
  return kExitUsage;
}

}  // namespace mledger::cli
