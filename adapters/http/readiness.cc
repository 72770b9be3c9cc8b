#include "adapters/http/readiness.h"

#include <string>

namespace mledger::http {

Readiness decide_readiness(const ReadinessInputs& in) {
  const uint64_t lag = in.head_seq > in.projected_seq ? in.head_seq - in.projected_seq : 0;
  Readiness r;
  r.body = {{"head_seq", in.head_seq}, {"projections_lag", lag}};
  if (in.publish_lag) r.body["publish_lag"] = *in.publish_lag;
  std::string why;
  if (in.draining) {
    r.code = "shutting_down";
    why = "shutting down";
  } else if (!in.log_read.ok()) {
    r.code = "storage_failed";
    why = "the log cannot be read: " + in.log_read.to_string();
  } else if (in.writer.failing()) {
    r.code = "writer_failing";
    const uint64_t n = in.writer.consecutive_failed_writes;
    why = (n == 1 ? std::string("the last write failed: ")
                  : "the last " + std::to_string(n) + " writes failed: ") +
          in.writer.last_failure.to_string();
    r.body["writer_failed_writes"] = n;
  } else if (lag > in.lag_events_max) {
    r.code = "projections_behind";
    why = "the projections are " + std::to_string(lag) + " events behind";
  }
  r.ready = why.empty();
  r.http_status = r.ready ? 200 : 503;
  r.body["ready"] = r.ready;
  if (!r.ready) {
    r.body["error"] = r.code;
    r.body["reason"] = why;
  }
  return r;
}

}  // namespace mledger::http
