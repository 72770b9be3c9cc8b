// The CLI without traps (issue 17, part 4): a mistyped --data is an error,
// not a new empty ledger; output folders are created; a held ledger names
// its holder; --json failures are JSON; a port in use is said plainly.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace {

using mledger::testing::run;
using mledger::testing::shell;
namespace fs = std::filesystem;

std::string demo(const std::string& name) { return std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/" + name; }

class CliTraps : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run("token keygen --key-file " + dir_.sub("key")).exit_code, 0);
    ASSERT_EQ(run("exec --data " + ledger() + " " + demo("scenario.jsonl")).exit_code, 0);
  }
  std::string ledger() const { return dir_.sub("ledger"); }
  std::string missing() const { return dir_.sub("typo/ledger"); }
  // Every subcommand that reads or maintains a ledger, pointed at `data`.
  std::vector<std::string> ledger_commands(const std::string& data) const {
    const std::string d = " --data " + data;
    const std::string catalogue = dir_.sub("catalogue.json");
    mledger::testing::write_file(catalogue, "{}");
    return {"tick" + d, "verify" + d, "digest" + d, "history --account contoso-de" + d,
            "audit history --account contoso-de" + d, "audit state --account contoso-de --at-seq 1" + d,
            "audit export --account contoso-de --out " + dir_.sub("x.jsonl") + d,
            "backup " + dir_.sub("backup") + d, "catalogue show" + d,
            "query profile --account contoso-de" + d, "projections list" + d, "projections status" + d,
            "projections catch-up" + d, "projections rebuild" + d, "projections verify" + d,
            "bench replay" + d, "bench rebuild" + d, "bench history" + d,
            "publish --brokers 127.0.0.1:1" + d, "serve --listen 127.0.0.1:0 --key-file " + dir_.sub("key") + d};
  }
  mledger::testing::TempDir dir_;
};

TEST_F(CliTraps, every_command_but_exec_refuses_a_missing_ledger_with_exit_3_and_creates_nothing) {
  for (const std::string& c : ledger_commands(missing())) {
    const auto r = run(c);
    EXPECT_EQ(r.exit_code, 3) << c << "\n" << r.out;
    EXPECT_NE(r.out.find("no ledger at " + missing()), std::string::npos) << c << "\n" << r.out;
    EXPECT_FALSE(fs::exists(dir_.sub("typo"))) << c << " created " << dir_.sub("typo");
  }
}

TEST_F(CliTraps, with_json_a_failure_is_one_json_object_on_stdout) {
  for (const std::string& c : ledger_commands(missing())) {
    if (c.starts_with("serve")) continue;  // serve has no --json
    const auto r = shell(std::string(MLEDGER_BINARY) + " " + c + " --json 2>/dev/null");
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << c << ": stdout is not one JSON document: '" << r.out << "'";
    EXPECT_EQ(j["error"]["exit_code"], 3) << c;
    EXPECT_EQ(r.exit_code, 3) << c;
    EXPECT_NE(j["error"]["message"].get<std::string>().find("no ledger at " + missing()), std::string::npos) << c;
  }
  const auto usage = shell(std::string(MLEDGER_BINARY) + " query --json --data " + ledger() + " 2>/dev/null");
  const auto j = nlohmann::json::parse(usage.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << usage.out;
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(j["error"]["exit_code"], 2);
  EXPECT_EQ(j["error"]["message"], "mledger query: name one read model (see --list)");
  // A success prints its own JSON and nothing more.
  const auto ok = shell(std::string(MLEDGER_BINARY) + " digest --json --data " + ledger() + " 2>/dev/null");
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_FALSE(nlohmann::json::parse(ok.out, nullptr, false).contains("error")) << ok.out;
}

TEST_F(CliTraps, exec_and_serve_init_create_a_ledger_with_its_parent_folders) {
  const std::string deep = dir_.sub("a/b/c");
  const auto r = run("exec --data " + deep + " " + demo("scenario.jsonl"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("Error when reading"), std::string::npos) << "RocksDB's noise about a new directory: " << r.out;
  EXPECT_EQ(run("verify --data " + deep).exit_code, 0);
}

TEST_F(CliTraps, output_files_and_folders_get_their_missing_parent_folders) {
  const auto key = run("token keygen --key-file " + dir_.sub("k/e/y/key"));
  EXPECT_EQ(key.exit_code, 0) << key.out;
  EXPECT_TRUE(fs::exists(dir_.sub("k/e/y/key")));
  const auto exported =
      run("audit export --account contoso-de --out " + dir_.sub("exports/2026/fr.jsonl") + " --data " + ledger());
  EXPECT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_EQ(run("audit check " + dir_.sub("exports/2026/fr.jsonl")).exit_code, 0);
  const auto backup = run("backup " + dir_.sub("backups/ledger-1") + " --data " + ledger());
  EXPECT_EQ(backup.exit_code, 0) << backup.out;
  const auto restored = run("restore " + dir_.sub("backups/ledger-1") + " --data " + dir_.sub("restored/x/ledger"));
  EXPECT_EQ(restored.exit_code, 0) << restored.out;
  const auto revoked = run("token revoke --revoked-tokens " + dir_.sub("lists/revoked") + " --jti j1 --exp 4102444800");
  EXPECT_EQ(revoked.exit_code, 0) << revoked.out;
}

TEST_F(CliTraps, a_writer_beside_the_process_holding_the_ledger_names_it_and_what_to_use) {
  // Hold the ledger's LOCK as RocksDB does (a POSIX record lock): this test
  // process is then "the server".
  const int fd = ::open((ledger() + "/LOCK").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(fd, F_SETLK, &lock), 0);
  for (const std::string& c : {"exec " + demo("company-year.jsonl"), std::string("tick")}) {
    const auto r = run(c + " --data " + ledger());
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_NE(r.out.find("is in use by another mledger process (process " + std::to_string(::getpid())),
              std::string::npos) << r.out;
    EXPECT_NE(r.out.find("POST /v1/commands"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Resource temporarily unavailable"), std::string::npos) << r.out;
  }
  // Readers run beside it.
  EXPECT_EQ(run("verify --data " + ledger()).exit_code, 0);
  ::close(fd);
  EXPECT_EQ(run("exec --data " + ledger() + " " + demo("company-year.jsonl")).exit_code, 0);
}

TEST_F(CliTraps, serve_on_a_port_in_use_says_so_without_internals) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(s, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const auto r = run("serve --listen " + listen + " --key-file " + dir_.sub("key") + " --data " + ledger());
  ::close(s);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("cannot listen on " + listen + ": Address already in use"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("::bind"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("c++"), std::string::npos) << r.out;
}

}  // namespace
