// Media damage in the event log's write-ahead log (issue 14, part 1): a
// ledger killed under load, then one of its files damaged as a failing disk
// would. Damage is found and named, never skipped: the log refuses to open
// (read-write, read-only, `mledger verify`, `mledger serve`), says which file
// and what to do, and changes nothing; an incomplete last record that was
// never acknowledged (what a crash in the middle of a write leaves) still
// opens.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "adapters/rocksdb/head_watermark.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/faults/appender_process.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

namespace fs = std::filesystem;

std::string newest_wal(const std::string& dir) {
  std::string newest;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".log" && name > fs::path(newest).filename().string()) newest = e.path().string();
  }
  return newest;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

StatusOr<std::unique_ptr<RocksDbEventLog>> open_log(const std::string& dir, bool read_only,
                                                   std::string* said = nullptr) {
  RocksDbOptions o;
  o.path = dir;
  o.read_only = read_only;
  o.create_if_missing = false;
  o.info_sink = [said](std::string_view line) {
    if (said != nullptr) *said += std::string(line) + "\n";
  };
  return RocksDbEventLog::open(o);
}

// Every acknowledged command is in the log, and the chain verifies.
void expect_all_present(RocksDbEventLog& log, const std::set<std::string>& acks) {
  auto report = log.verify_chain({});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->first_bad_seq) << report->problem;
  for (const auto& id : acks) {
    auto found = log.find_command("account:" + id.substr(4), id);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    EXPECT_TRUE(found->has_value()) << "acknowledged command lost: " << id;
  }
}

// Opening refuses the damage, names `wal` and the way out, and every
// reader refuses it too; the damaged file is left as it was.
void expect_refused(const std::string& dir, const std::string& wal, const std::string& what) {
  const std::string before = read_bytes(wal);
  const std::string wal_name = fs::path(wal).filename().string();
  for (bool read_only : {false, true}) {
    auto log = open_log(dir, read_only);
    ASSERT_FALSE(log.ok()) << (read_only ? "read-only: " : "read-write: ") << "the damaged log opened";
    EXPECT_EQ(log.error().code(), StatusCode::corruption) << log.error().to_string();
    const std::string& m = log.error().message();
    EXPECT_NE(m.find("is damaged: " + what), std::string::npos) << m;
    EXPECT_NE(m.find(wal_name), std::string::npos) << "does not name " << wal_name << ": " << m;
    EXPECT_NE(m.find("restore the ledger from a backup"), std::string::npos) << m;
  }
  EXPECT_EQ(read_bytes(wal), before) << "the damaged write-ahead log was changed";

  const testing::Run verify = testing::run("verify --data " + dir);
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_NE(verify.out.find(wal_name), std::string::npos) << verify.out;
  const std::string key = dir + "-key";
  ASSERT_EQ(testing::run("token keygen --key-file " + key).exit_code, 0);
  const testing::Run serve = testing::shell("timeout 30 " + std::string(MLEDGER_BINARY) +
                                            " serve --listen 127.0.0.1:0 --data " + dir +
                                            " --key-file " + key + " 2>&1");
  EXPECT_NE(serve.exit_code, 0) << serve.out;
  EXPECT_NE(serve.exit_code, 124) << "serve started on a damaged ledger: " << serve.out;
  EXPECT_NE(serve.out.find("is damaged: " + what), std::string::npos) << serve.out;
  fs::remove(key);
}

TEST(WalDamage, a_flipped_byte_in_the_write_ahead_log_refuses_to_open_and_names_the_file) {
  testing::TempDir dir;
  const auto acks = testing::run_and_kill(dir.path(), "flip", 300);
  const std::string wal = newest_wal(dir.path());
  ASSERT_FALSE(wal.empty());
  std::string bytes = read_bytes(wal);
  ASSERT_GT(bytes.size(), 4096u) << "the write-ahead log holds the acknowledged appends";
  const std::string original = bytes;
  // The middle of the file, away from the padding at the end of a 32 KiB
  // block (a few zero bytes RocksDB never reads).
  size_t at = bytes.size() / 2;
  if (at % 32768 > 32768 - 64) at -= 64;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
  write_bytes(wal, bytes);

  expect_refused(dir.path(), wal, "its write-ahead log does not read whole");

  // Nothing was lost by refusing: with the byte put back, all is there.
  write_bytes(wal, original);
  auto log = open_log(dir.path(), false);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  expect_all_present(**log, acks);
}

TEST(WalDamage, a_write_ahead_log_cut_short_is_refused_when_it_held_acknowledged_events) {
  testing::TempDir dir;
  const auto acks = testing::run_and_kill(dir.path(), "cut", 300);
  auto mark = HeadWatermark::read(dir.sub(HeadWatermark::kFileName));
  ASSERT_TRUE(mark.ok()) << mark.error().to_string();
  ASSERT_TRUE(mark->has_value());
  EXPECT_GE((*mark)->seq, 2 * acks.size()) << "two events per acknowledged command";
  const std::string wal = newest_wal(dir.path());
  const std::string bytes = read_bytes(wal);
  ASSERT_GT(bytes.size(), 4096u);
  // The second half is gone, as if the disk lost synced blocks: the last
  // record left is incomplete, which alone a crash could explain.
  write_bytes(wal, bytes.substr(0, bytes.size() / 2));

  expect_refused(dir.path(), wal, "acknowledged events are missing");
}

TEST(WalDamage, an_incomplete_last_record_never_acknowledged_is_dropped_and_the_log_opens) {
  testing::TempDir dir;
  const auto acks = testing::run_and_kill(dir.path(), "torn", 100);
  const std::string wal = newest_wal(dir.path());
  ASSERT_FALSE(wal.empty());
  // A record header announcing 1000 bytes, then 10 of them: a write cut off
  // by the crash before it completed (so before it was acknowledged).
  std::string torn = {'\x12', '\x34', '\x56', '\x78', '\xe8', '\x03', '\x01'};
  torn += std::string(10, 'x');
  std::ofstream(wal, std::ios::binary | std::ios::app) << torn;

  std::string said;
  auto log = open_log(dir.path(), false, &said);
  ASSERT_TRUE(log.ok()) << log.error().to_string();
  EXPECT_NE(said.find("recovered from a crash in the middle of a write"), std::string::npos) << said;
  expect_all_present(**log, acks);
  log.value().reset();
  auto again = open_log(dir.path(), true);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  expect_all_present(**again, acks);
}

}  // namespace
}  // namespace mledger
