// Media damage in the table files of the index families (issue 14, part 1):
// a single byte flipped at many places of the `streams`, `by_account` and
// `commands` files of a ledger. Before, `verify` read only the events and
// passed some of them, which `history` then failed on. Now every flip is
// found by the log's open or by verify (chain, then every family and every
// table file's checksums), and named: the family, or the damaged file; a
// backup of the damaged ledger is refused.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/raw_ledger.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

namespace fs = std::filesystem;

constexpr int kFlipsPerFamily = 40;
constexpr size_t kFooterBytes = 53;  // unused padding there is not checked by format 5

// The largest table file of each family, from RocksDB's own metadata.
std::map<std::string, std::string> table_files(const std::string& dir) {
  testing::RawLedger raw(dir, /*read_only=*/true);
  EXPECT_TRUE(raw.ok()) << raw.error();
  std::vector<rocksdb::LiveFileMetaData> live;
  if (raw.ok()) raw.db()->GetLiveFilesMetaData(&live);
  std::map<std::string, std::string> out;
  std::map<std::string, uint64_t> size;
  for (const auto& f : live) {
    if (f.size > size[f.column_family_name]) {
      size[f.column_family_name] = f.size;
      out[f.column_family_name] = dir + f.name;
    }
  }
  return out;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// "" when the damage was found and named (family or file); else what verify said.
std::string found_and_named(const std::string& dir, const std::string& family, const std::string& file) {
  RocksDbOptions o;
  o.path = dir;
  o.read_only = true;
  o.create_if_missing = false;
  o.max_open_files = 4096;  // as the CLI's readers open it
  o.info_sink = [](std::string_view) {};
  auto log = RocksDbEventLog::open(o);
  const std::string name = fs::path(file).filename().string();
  if (!log.ok()) {
    const std::string& m = log.error().message();
    return m.find(name) != std::string::npos || m.find(family) != std::string::npos ? "" : "open: " + m;
  }
  auto chain = (*log)->verify_chain({});
  if (!chain.ok()) return "chain: " + chain.error().to_string();
  if (chain->first_bad_seq) return "";  // the chain names the seq
  auto storage = (*log)->verify_storage({});
  if (!storage.ok()) return "storage: " + storage.error().to_string();
  if (storage->whole()) return "verify passed";
  if (storage->family == family || storage->problem.find(name) != std::string::npos) return "";
  return "named " + storage->family + " " + storage->key + ": " + storage->problem;
}

TEST(SstDamage, every_flipped_byte_in_the_index_families_is_found_and_named) {
  testing::TempDir dir;
  const std::string data = dir.sub("data");
  for (const char* f : {"scenario.jsonl", "company-year.jsonl"}) {
    const testing::Run r =
        testing::run("exec --data " + data + " " + std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/" + f);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  const auto files = table_files(data);
  int flips = 0;
  for (const char* family : {"streams", "by_account", "commands"}) {
    ASSERT_TRUE(files.contains(family)) << family;
    const std::string file = files.at(family);
    const std::string original = read_bytes(file);
    ASSERT_GT(original.size(), kFooterBytes + kFlipsPerFamily);
    const size_t span = original.size() - kFooterBytes;
    for (int k = 0; k < kFlipsPerFamily; ++k) {
      const size_t at = span * k / kFlipsPerFamily;
      std::string damaged = original;
      damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
      write_bytes(file, damaged);
      EXPECT_EQ(found_and_named(data, family, file), "") << family << " byte " << at << " of " << file;
      ++flips;
    }
    write_bytes(file, original);
  }
  EXPECT_EQ(flips, 3 * kFlipsPerFamily);

  // As an operator sees it: exit 1, naming the family.
  const std::string file = files.at("by_account");
  std::string damaged = read_bytes(file);
  const std::string original = damaged;
  damaged[damaged.size() / 3] = static_cast<char>(damaged[damaged.size() / 3] ^ 0x01);
  write_bytes(file, damaged);
  const testing::Run verify = testing::run("verify --data " + data);
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_TRUE(verify.out.find("by_account") != std::string::npos ||
              verify.out.find(fs::path(file).filename().string()) != std::string::npos)
      << verify.out;
  const testing::Run backup = testing::run("backup " + dir.sub("backup") + " --data " + data);
  EXPECT_EQ(backup.exit_code, 1) << backup.out;
  EXPECT_NE(backup.out.find("nothing backed up"), std::string::npos) << backup.out;
  write_bytes(file, original);
  EXPECT_EQ(testing::run("verify --data " + data).exit_code, 0);
}

}  // namespace
}  // namespace mledger
