// Metrics a Prometheus server scrapes as they are (issue 17, part 3): a
// metrics-only listener without a token, process_* metrics and the build's
// version, and an exposition `promtool check metrics` accepts.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "tests/http/server_process.h"
#include "tests/support/run_cli.h"

namespace mledger::testing {
namespace {

// `promtool check metrics` over `text`: its exit code and what it said.
Run promtool_check(const LedgerDir& ledger, const std::string& text) {
  const std::string path = ledger.dir + "/metrics.txt";
  std::ofstream(path, std::ios::binary) << text;
  return shell("promtool check metrics < " + path + " 2>&1");
}

uint16_t port_of(const std::string& line) {
  const std::string prefix = "metrics on http://127.0.0.1:";
  EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
  return line.rfind(prefix, 0) == 0 ? static_cast<uint16_t>(std::atoi(line.c_str() + prefix.size())) : 0;
}

TEST(MetricsListener, serves_metrics_alone_without_a_token_and_promtool_accepts_them) {
  LedgerDir ledger("mledger-http-metrics-listener");
  auto server = ServerProcess::start(ledger, {"--metrics-listen", "127.0.0.1:0"});
  ASSERT_NE(server, nullptr);
  const uint16_t port = port_of(server->stdout_line());
  ASSERT_NE(port, 0);
  auto client = http::HttpClient::connect("127.0.0.1", port);
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  auto scraped = (*client)->request("GET", "/metrics", {}, "");
  ASSERT_TRUE(scraped.ok());
  EXPECT_EQ(scraped->status, 200);
  const std::string& text = scraped->body;
  for (const char* family : {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
                             "process_max_fds ", "process_start_time_seconds ", "process_virtual_memory_bytes ",
                             "mledger_log_head_seq ", "mledger_aggregate_cache_streams "}) {
    EXPECT_NE(text.find(std::string("\n") + family), std::string::npos) << family << " missing";
  }
  EXPECT_NE(text.find("\nmledger_build_info{version=\""), std::string::npos);
  const mledger::testing::Run checked = promtool_check(ledger, text);
  EXPECT_EQ(checked.exit_code, 0) << checked.out;

  // Nothing else there, and no token accepted in place of one.
  auto other = (*client)->request("GET", "/v1/digest", {}, "");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 404);
  auto posted = (*client)->request("POST", "/metrics", {{"Content-Type", "text/plain"}}, "x");
  ASSERT_TRUE(posted.ok());
  EXPECT_EQ(posted->status, 405);
  // On the main listener /metrics still needs an operator's token.
  EXPECT_EQ(server->call("GET", "/metrics", "").status, 401);
  const std::string op = ledger.token(ActorKind::operator_, "op-1");
  const auto main = server->call("GET", "/metrics", op);
  EXPECT_EQ(main.status, 200);
  EXPECT_EQ(promtool_check(ledger, main.body).exit_code, 0);
  EXPECT_EQ(server->terminate(), 0);
}

TEST(MetricsListener, an_address_in_use_stops_the_start) {
  LedgerDir ledger("mledger-http-metrics-in-use");
  auto first = ServerProcess::start(ledger, {});
  ASSERT_NE(first, nullptr);
  LedgerDir other("mledger-http-metrics-in-use-2");
  const mledger::testing::Run r = run("serve --data " + other.data + " --key-file " + other.key_file +
                    " --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:" + std::to_string(first->port));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("cannot listen on 127.0.0.1:" + std::to_string(first->port) + ": Address already in use"),
            std::string::npos) << r.out;
  EXPECT_EQ(first->terminate(), 0);
}

}  // namespace
}  // namespace mledger::testing
