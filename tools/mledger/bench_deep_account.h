#pragma once
// mledger bench deep-account: the cost of a command on an account with a long
// history, beside the same command on a new account of the same ledger.

#include "tools/mledger/args.h"

namespace mledger::cli {

// Options: --data DIR (a NEW ledger), --events N (the deep account's stream
// length), --warm N (warm commands timed per account). Returns the exit code.
int bench_deep_account(Args& args);

}  // namespace mledger::cli
