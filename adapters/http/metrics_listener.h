#pragma once
// The handler of a metrics-only listener (`mledger serve --metrics-listen`):
// GET /metrics without a token, so that a Prometheus server scrapes it with
// no credentials; nothing else is served there (404 no_such_endpoint; 405
// for another method on /metrics). Everything is answered from screen().

#include "adapters/http/http_server.h"
#include "adapters/http/metrics.h"

namespace mledger::http {

class MetricsListener final : public HttpHandler {
 public:
  explicit MetricsListener(const Metrics& metrics) : metrics_(metrics) {}
  std::optional<HttpResponse> screen(HttpRequest& request) override;
  HttpResponse handle(HttpRequest& request) override;  // never reached

 private:
  const Metrics& metrics_;
};

}  // namespace mledger::http
