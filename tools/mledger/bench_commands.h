#pragma once
// The workload of `mledger bench commands` (embedded) and `mledger bench http`
// (over the server): the same commands through both paths, so their ratio is
// what the network layer costs.
//
// `accounts` partner accounts bench-NNNNNN, each enrolled by its own global
// admin u-admin-NNNNNN; then `add_user` commands, the n-th of a run for
// account a adding user u-RUN-n. A batch is `batch` such commands for one
// account (one partner's bulk import: a partner user's token reaches one
// account).

#include <cstdint>
#include <string>
#include <vector>

namespace mledger::cli {

std::string bench_account_id(uint64_t account);
std::string bench_admin_id(uint64_t account);
// Enrollment with a fixed command id: running it again writes nothing.
std::string bench_enroll_json(uint64_t account);
std::string bench_add_user_json(uint64_t account, const std::string& run, uint64_t n);

// Latency percentiles of a sorted sample, in milliseconds.
double percentile_ms(const std::vector<double>& sorted_seconds, double p);

}  // namespace mledger::cli
