#pragma once
// Api: the ledger's HTTP/JSON API (docs/api.md) as an HttpHandler.
//
//   GET  /healthz, /readyz                      anyone (readiness.h decides /readyz)
//   GET  /v1/openapi.json                       anyone: docs/openapi.yaml as JSON
//   GET  /metrics                               operator
//   POST /v1/commands                           partner users (own account), service,
//                                               operator (the catalogue's command only)
//   GET  /v1/accounts/{id}/{read model}         the account's users, auditors
//   GET  /v1/accounts/{id}/history|state|export auditors
//   GET  /v1/digest                             auditors
//   GET  /v1/projections                        operator
//   POST /v1/projections/catch-up|rebuild|verify operator
//   POST /v1/tick                               service (the clock's commands)
//
// The route table is routes.h. Every route but health and the description needs "Authorization: Bearer TOKEN" (401 with the
// token problem's code otherwise, token_revoked when a verified token's jti
// is on the revocation list) and the right audience (403 with the rule's
// code, access.h). A request refused for any reason writes nothing.
//
// Commands: the body is one command or a JSON array of them (at most
// batch_commands_max), in the JSON form of `mledger exec`. Every command is
// parsed and checked against the token before any runs: a malformed one
// (400) or a foreign one (403) fails the whole request. A batch runs with
// Ledger::execute_batch (each command sees the ones before it). A response is
// sent only once its commands' events are durable.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "adapters/auth/bearer_token.h"
#include "adapters/auth/revocation_watcher.h"
#include "adapters/crypto/ed25519.h"
#include "adapters/http/http_server.h"
#include "adapters/http/metrics.h"
#include "adapters/ledger/ledger.h"
#include "adapters/projections/projection_engine.h"
#include "adapters/projections/projection_store.h"
#include "adapters/projections/projector.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/snapshots/read_model_snapshots.h"
#include "adapters/writer/group_commit_writer.h"
#include "domain/ports/clock.h"

namespace mledger::http {

struct ApiOptions {
  size_t batch_commands_max = 1000;
  size_t history_events_max = 1000;      // per page
  size_t history_scan_events_max = 100'000;  // events looked at per page with a time window
  size_t export_bytes_max = 256 << 20;   // larger: use `mledger audit export`
  uint64_t ready_lag_events_max = 100'000;  // projections further behind: not ready
  std::chrono::milliseconds read_wait_max{2000};  // ?min_seq= waits at most this long
};

// What the API serves from; all must outlive it.
struct ApiParts {
  Ledger& ledger;
  const GroupCommitWriter& writer;  // the ledger's writer: /readyz reads its health()
  RocksDbEventLog& log;
  ProjectionStore& store;
  ProjectionEngine& engine;
  Projector& projector;
  Clock& clock;
  const auth::SigningKey& key;
  Metrics& metrics;
  const ServerCounters& server;
  // The publisher's lag in events, when one runs in this process (shown by
  // /readyz; publishing behind does not make the server unready).
  std::function<std::optional<uint64_t>()> publish_lag;
  // Tokens refused with 401 token_revoked although they verify (null: none).
  const auth::RevocationWatcher* revocations = nullptr;
  // The key that signs the ledger's tree heads: an export's account
  // signature is made with it (null: exports answer 503).
  const Ed25519PrivateKey* tree_head_key = nullptr;
  // Where GET /v1/accounts/{id}/state starts its fold from and leaves
  // read-model snapshots (null: it folds from the account's first event).
  ReadModelSnapshots* read_model_snapshots = nullptr;
};

struct CommandsBody;  // a POST /v1/commands body, parsed

class Api final : public HttpHandler {
 public:
  Api(ApiParts parts, ApiOptions options);

  std::optional<HttpResponse> screen(HttpRequest& request) override;
  HttpResponse handle(HttpRequest& request) override;
  // A single command is decided on the worker, completed by the writer's
  // thread once durable and its answer made on the event loop
  // (Reply::answer_on_loop); every other request as handle().
  void handle_later(HttpRequest& request, const Reply& reply) override;

 private:
  struct Screened;
  // The token (401): fills s.token, or the refusal.
  std::optional<HttpResponse> authenticate(const HttpRequest& request, Screened& s);
  HttpResponse route_request(const Screened& s, const std::string& body);
  HttpResponse commands(const Screened& s, const std::string& body);
  // The body's commands, parsed, each allowed to the token; or the refusal.
  Result<CommandsBody, HttpResponse> admitted_commands(const Screened& s, const std::string& body);
  // Executes admitted commands, waiting until they are durable.
  std::vector<StatusOr<CommandResult>> execute_waiting(const CommandsBody& read);
  // The answer to admitted commands, given their results (in order).
  HttpResponse commands_answer(const std::string& route, const CommandsBody& read,
                               std::vector<StatusOr<CommandResult>>& results,
                               std::chrono::steady_clock::time_point start);
  // `r`, naming the token's principal (for the access log).
  HttpResponse answered_by(const Screened& s, HttpResponse r);
  HttpResponse read_model(const Screened& s);
  HttpResponse history(const Screened& s);
  HttpResponse state(const Screened& s);
  HttpResponse export_account(const Screened& s);
  HttpResponse digest(const Screened& s);
  // GET /v1/tree-heads/latest, /v1/proofs/inclusion, /v1/proofs/consistency.
  HttpResponse tree_proof(const Screened& s);
  HttpResponse projections_status();
  HttpResponse projections_run(const Screened& s, const std::string& body);
  HttpResponse tick(const Screened& s);
  // A partner user's token reads its account only while the ledger records
  // the user there (a removed user's token stops reading at once).
  std::optional<HttpResponse> unrecorded_reader(const Screened& s);
  HttpResponse ready();
  HttpResponse failure(const Status& status, const std::string& route);
  // A single command's infrastructure failure: 503 writer_failing while the
  // writer's last durable write failed (a full disk), else as failure().
  HttpResponse command_failure(const Status& status, const std::string& route);
  void count(const Command& command, std::string_view outcome, std::string_view code);
  void count_type(std::string_view type, std::string_view outcome, std::string_view code);

  ApiParts parts_;
  const ApiOptions options_;
  Family<Counter>& commands_;
  Family<Counter>& rejections_;
  Family<Histogram>& command_latency_;
  Family<Histogram>& request_commands_;
  Family<Counter>& auth_failures_;
};

}  // namespace mledger::http
