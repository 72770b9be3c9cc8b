// A server whose durable writes fail (issue: /readyz must notice it): the
// server runs with every file limited to 512 KiB (RLIMIT_FSIZE), so once its
// event log's write-ahead log reaches that size each write fails with EFBIG,
// as on a full disk. /readyz then answers 503 writer_failing with the failure
// and the count of failed writes in a row, /metrics shows the same count, and
// /healthz still answers (the process is alive).

#include <gtest/gtest.h>

#include <string>

#include "tests/http/server_process.h"

namespace mledger::testing {
namespace {

constexpr uint64_t kFileBytesMax = 512 << 10;

std::string competencies(int batch, int n) {
  nlohmann::json all = nlohmann::json::array();
  for (int k = 0; k < n; ++k) {
    all.push_back({{"command_id", "fill-" + std::to_string(batch) + "-" + std::to_string(k)},
                   {"type", "record_competency"},
                   {"account_id", "contoso-de"},
                   {"actor", {{"kind", "service"}, {"user_id", "svc-competencies"}}},
                   {"now", "2026-06-01T10:00:00Z"},
                   {"data", {{"level", "gold"}, {"competency", "cloud_platform"}}}});
  }
  return all.dump();
}

TEST(WriterFailure, readyz_answers_503_writer_failing_once_durable_writes_fail) {
  LedgerDir ledger("mledger-http-writer-failure");
  auto server = ServerProcess::start(ledger, {}, ledger.dir + "/stderr", kFileBytesMax);
  ASSERT_NE(server, nullptr);
  const std::string service = ledger.token(ActorKind::service, "svc-competencies");
  const std::string operator_ = ledger.token(ActorKind::operator_, "ops-1");
  {
    const auto ready = server->call("GET", "/readyz", "");
    ASSERT_EQ(ready.status, 200) << ready.body;
    EXPECT_NE(server->call("GET", "/metrics", operator_).body.find("\nmledger_writer_failed_writes 0\n"),
              std::string::npos);
  }

  // 100 commands a request, each event some hundred bytes: the log passes
  // 512 KiB within about 10 requests; 200 is far more than enough.
  int failed_at = -1;
  for (int batch = 0; batch < 200 && failed_at < 0; ++batch) {
    const auto r = server->call("POST", "/v1/commands", service, competencies(batch, 100));
    if (r.status == 200) continue;
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("File too large"), std::string::npos) << r.body.substr(0, 500);
    failed_at = batch;
  }
  ASSERT_GE(failed_at, 0) << "no write failed";

  auto ready = server->call("GET", "/readyz", "");
  EXPECT_EQ(ready.status, 503) << ready.body;
  auto j = body_json(ready);
  EXPECT_EQ(j.value("error", ""), "writer_failing") << ready.body;
  EXPECT_EQ(j.value("ready", true), false);
  EXPECT_EQ(j.value("writer_failed_writes", 0), 1) << ready.body;
  EXPECT_EQ(j.value("reason", "").rfind("the last write failed: io_error: ", 0), 0u) << ready.body;
  EXPECT_NE(j.value("reason", "").find("File too large"), std::string::npos) << ready.body;

  // The next write fails too (the log refuses every write after a failed
  // one): two in a row, and still not ready.
  const auto again = server->call("POST", "/v1/commands", service, competencies(1000, 1));
  EXPECT_EQ(again.status, 503) << again.body;
  ready = server->call("GET", "/readyz", "");
  EXPECT_EQ(ready.status, 503);
  j = body_json(ready);
  EXPECT_EQ(j.value("error", ""), "writer_failing") << ready.body;
  EXPECT_EQ(j.value("writer_failed_writes", 0), 2) << ready.body;
  EXPECT_EQ(j.value("reason", "").rfind("the last 2 writes failed: ", 0), 0u) << ready.body;

  const std::string metrics = server->call("GET", "/metrics", operator_).body;
  EXPECT_NE(metrics.find("\nmledger_writer_failed_writes 2\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nmledger_append_failed_batches_total 2\n"), std::string::npos);
  EXPECT_EQ(server->call("GET", "/healthz", "").status, 200) << "alive, though not ready";
  // Reads still work.
  EXPECT_EQ(server->call("GET", "/v1/projections", operator_).status, 200);
  (void)server->terminate();
}

}  // namespace
}  // namespace mledger::testing
