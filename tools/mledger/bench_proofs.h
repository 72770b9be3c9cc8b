#pragma once
// mledger bench proofs: the latency of the Merkle tree's proofs in process
// (what `mledger audit prove` and `audit consistency` compute, without the
// process start, the signed head and the printing): inclusion proofs of
// random events in the whole tree, and consistency proofs from random
// earlier sizes to it. Every proof is also checked against the tree's root
// (untimed), so a fast wrong proof fails the bench. Each proof's wall time
// and its thread's CPU time are both reported: on a shared machine the wall
// time's tail is mostly the scheduler's (measured: p99 about 20 ms on 2 cores
// at load 9, p50 0.09 ms); the CPU time is the proof's own work.

#include "tools/mledger/args.h"

namespace mledger::cli {

// Options: --data DIR (a ledger, e.g. from `bench append`), --queries N
// (default 10000, each kind), --json. Returns the exit code.
int bench_proofs(Args& args);

}  // namespace mledger::cli
