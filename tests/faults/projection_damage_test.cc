// A damaged projection store (issue 14: the write-ahead log change applies to
// it too). The projections are derived data, so damage there never stops the
// ledger: a writer carries on without them, with a warning naming the
// damage and the way out; the server, which serves them, refuses to start
// saying the same; once the directory is removed, the next open rebuilds
// them from the log. Nothing is cut short silently (docs/operations.md).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

namespace fs = std::filesystem;

// The largest write-ahead log file of the store.
std::string largest_wal(const std::string& dir) {
  std::string best;
  uintmax_t size = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log" && e.file_size() > size) {
      size = e.file_size();
      best = e.path().string();
    }
  }
  return best;
}

void flip_middle_byte(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  in.close();
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(ProjectionDamage, writers_carry_on_serve_refuses_and_removing_the_store_rebuilds_it) {
  testing::TempDir dir;
  const std::string data = dir.sub("data");
  const std::string demo = std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/";
  ASSERT_EQ(testing::run("exec --data " + data + " " + demo + "scenario.jsonl").exit_code, 0);
  const std::string wal = largest_wal(data + "/projections");
  ASSERT_FALSE(wal.empty());
  ASSERT_GT(fs::file_size(wal), 1024u) << "the demo's commits are in the store's write-ahead log";
  flip_middle_byte(wal);

  const testing::Run exec = testing::run("exec --data " + data + " " + demo + "company-year.jsonl");
  EXPECT_EQ(exec.exit_code, 0) << exec.out;
  EXPECT_NE(exec.out.find("the projections at " + data + "/projections are damaged"), std::string::npos)
      << exec.out;
  EXPECT_NE(exec.out.find("remove that directory"), std::string::npos) << exec.out;

  ASSERT_EQ(testing::run("token keygen --key-file " + dir.sub("key")).exit_code, 0);
  const testing::Run serve = testing::shell("timeout 30 " + std::string(MLEDGER_BINARY) +
                                            " serve --listen 127.0.0.1:0 --data " + data + " --key-file " +
                                            dir.sub("key") + " 2>&1");
  EXPECT_EQ(serve.exit_code, 3) << serve.out;
  EXPECT_NE(serve.out.find("are damaged"), std::string::npos) << serve.out;

  const testing::Run query = testing::run("query profile --account contoso-fr --data " + data);
  EXPECT_NE(query.exit_code, 0) << query.out;
  EXPECT_NE(query.out.find("are damaged"), std::string::npos) << query.out;

  fs::remove_all(data + "/projections");
  const testing::Run rebuilt = testing::run("query profile --account contoso-fr --data " + data);
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.out;
  EXPECT_NE(rebuilt.out.find("\"lag\":0"), std::string::npos) << rebuilt.out;
  EXPECT_EQ(testing::run("verify --data " + data).exit_code, 0);
}

}  // namespace
}  // namespace mledger
