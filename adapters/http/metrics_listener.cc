#include "adapters/http/metrics_listener.h"

#include <cassert>

namespace mledger::http {

std::optional<HttpResponse> MetricsListener::screen(HttpRequest& request) {
  if (request.path != "/metrics") {
    return error_response(404, "no_such_endpoint", "only GET /metrics is served on the metrics listener");
  }
  if (request.method != "GET") {
    HttpResponse r = error_response(405, "method_not_allowed", "/metrics allows GET", "/metrics");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_.render();
  r.route = "/metrics";
  return r;
}

HttpResponse MetricsListener::handle(HttpRequest&) {
  assert(false && "screen() answers every request of the metrics listener");
  return error_response(500, "internal", "the metrics listener has no handler");
}

}  // namespace mledger::http
