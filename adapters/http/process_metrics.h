#pragma once
// The process's own metrics, named as Prometheus' client libraries name them
// (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics),
// read from /proc and getrusage when /metrics is rendered:
//   process_cpu_seconds_total        user + system CPU time (counter)
//   process_resident_memory_bytes    resident set size
//   process_virtual_memory_bytes     virtual memory size
//   process_open_fds                 open file descriptors
//   process_max_fds                  the soft limit on them (RLIMIT_NOFILE)
//   process_start_time_seconds       start time, seconds since the Unix epoch

#include "adapters/http/metrics.h"

namespace mledger::http {

void register_process_metrics(Metrics& metrics);

// The user and system CPU time this process has spent, in seconds (0 when
// the system cannot say).
double process_cpu_seconds();

}  // namespace mledger::http
