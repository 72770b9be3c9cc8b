#pragma once
// mledger bench history: the latency of reading one account's whole history
// (what `mledger audit history` does), beside reading as many consecutive
// events of the log (the same decoding and hash checks, no index).

#include "tools/mledger/args.h"

namespace mledger::cli {

// Options: --data DIR (a ledger, e.g. from `bench append`), --queries N,
// --json. Returns the exit code.
int bench_history(Args& args);

}  // namespace mledger::cli
