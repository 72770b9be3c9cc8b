#pragma once
// Readiness (GET /readyz, docs/api.md): whether a load balancer should send
// this server requests, decided from what the server knows now. A pure
// function of its inputs: no I/O, no clock; the Api gathers them.
//
// Not ready, first reason wins, each with its code:
//   shutting_down       the server is draining
//   storage_failed      the log cannot be read (its digest failed)
//   writer_failing      the writer's most recent durable write failed and
//                       none succeeded since (disk full, a RocksDB error)
//   projections_behind  the projections are more than lag_events_max behind
// Publishing behind (publish_lag) is shown but never makes it unready.

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "adapters/writer/group_commit_writer.h"
#include "domain/core/status.h"

namespace mledger::http {

struct ReadinessInputs {
  bool draining = false;
  Status log_read;            // the log's digest: ok, or why it cannot be read
  uint64_t head_seq = 0;      // the log's head (0 when it cannot be read)
  uint64_t projected_seq = 0; // the projections hold events up to this one
  uint64_t lag_events_max = 0;
  WriterHealth writer;
  std::optional<uint64_t> publish_lag;  // when a publisher runs in this process
};

struct Readiness {
  bool ready = false;
  // Empty when ready; else one of the codes above.
  const char* code = "";
  // 200 {"head_seq","projections_lag",["publish_lag"],"ready":true}, or 503
  // with "ready":false, "error" (the code), "reason" (for people) and, for
  // writer_failing, "writer_failed_writes" (in a row).
  int http_status = 200;
  nlohmann::json body;
};

[[nodiscard]] Readiness decide_readiness(const ReadinessInputs& in);

}  // namespace mledger::http
