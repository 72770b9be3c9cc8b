// RocksDbEventLog's backups (BackupEngine): a backup is the log as it was
// when taken, restores into a new directory, and refuses what it cannot do.

#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

using testing::user_added_request;

std::unique_ptr<RocksDbEventLog> open_at(const std::string& path, bool read_only) {
  RocksDbOptions o;
  o.path = path;
  o.read_only = read_only;
  o.create_if_missing = !read_only;
  auto log = RocksDbEventLog::open(o);
  EXPECT_TRUE(log.ok()) << log.error().to_string();
  return log.ok() ? std::move(log.value()) : nullptr;
}

void append(EventLog& log, AppendRequest r) {
  std::vector<AppendRequest> batch;
  batch.push_back(std::move(r));
  auto out = log.append_batch(batch);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
}

TEST(RocksDbBackup, a_backup_restores_the_log_as_it_was_when_taken) {
  testing::TempDir dir;
  LogDigest at_backup;
  {
    auto log = open_at(dir.sub("ledger"), false);
    append(*log, user_added_request("c1", "account-a", 0, "a", 3));
    at_backup = *log->digest();
    ASSERT_TRUE(log->create_backup(dir.sub("backup")).ok());
    append(*log, user_added_request("c2", "account-b", 0, "b"));  // after the backup
    // one backup per directory
    Status again = log->create_backup(dir.sub("backup"));
    EXPECT_EQ(again.code(), StatusCode::invalid_argument) << again.to_string();
  }
  ASSERT_TRUE(RocksDbEventLog::restore_backup(dir.sub("backup"), dir.sub("restored")).ok());
  auto restored = open_at(dir.sub("restored"), true);
  EXPECT_EQ(*restored->digest(), at_backup);
  auto report = restored->verify_chain({});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->first_bad_seq) << report->problem;
  EXPECT_EQ(report->digest, at_backup);
  EXPECT_EQ(restored->read_account("a", 0, 10)->size(), 3u);
  EXPECT_TRUE(restored->read_account("b", 0, 10)->empty());
}

TEST(RocksDbBackup, refuses_a_read_only_log_and_a_directory_without_a_backup) {
  testing::TempDir dir;
  {
    auto log = open_at(dir.sub("ledger"), false);
    append(*log, user_added_request("c1", "account-a", 0, "a"));
  }
  auto read_only = open_at(dir.sub("ledger"), true);
  Status s = read_only->create_backup(dir.sub("backup"));
  EXPECT_EQ(s.code(), StatusCode::invalid_argument) << s.to_string();
  std::filesystem::create_directories(dir.sub("empty"));
  Status none = RocksDbEventLog::restore_backup(dir.sub("empty"), dir.sub("restored"));
  EXPECT_EQ(none.code(), StatusCode::not_found) << none.to_string();
}

TEST(RocksDbBackup, read_envelope_returns_the_stored_bytes) {
  testing::TempDir dir;
  auto log = open_at(dir.sub("ledger"), false);
  append(*log, user_added_request("c1", "account-a", 0, "a", 2));
  std::string scanned;
  ASSERT_TRUE(log->scan_envelopes(2, [&](uint64_t, std::string_view bytes) {
                   scanned = bytes;
                   return false;
                 }).ok());
  auto envelope = log->read_envelope(2);
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(*envelope, scanned);
  EXPECT_EQ(log->read_envelope(3).error().code(), StatusCode::not_found);
}

}  // namespace
}  // namespace mledger
