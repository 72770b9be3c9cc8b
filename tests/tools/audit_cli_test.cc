// The auditor's and the operator's commands as a user runs them: audit
// history windows, export and offline check, tampering found by verify (the
// stored byte changed with RocksDB's own `ldb`) and by check, backup and
// restore. Each runs the real binary on a real ledger (the company-year demo).
// covers R-LED-01

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include <sys/stat.h>

#include <filesystem>

#include "domain/core/time.h"
#include "tests/support/files.h"
#include "tests/support/raw_ledger.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using mledger::testing::run;
using Json = nlohmann::json;

using mledger::testing::lines_of;
using mledger::testing::read_file;
using mledger::testing::shell;

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run("exec " + data() + " " MLEDGER_SOURCE_DIR "/docs/demo/company-year.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  std::string ledger() const { return dir_.sub("ledger"); }
  std::string data() const { return "--data " + ledger(); }
  // `audit history --json` of an account: one JSON object per event.
  std::vector<Json> history_json(const std::string& account, const std::string& extra = "") {
    auto r = run("audit history --json --account " + account + " " + extra + " " + data());
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::vector<Json> out;
    for (const auto& l : lines_of(r.out)) out.push_back(Json::parse(l));
    return out;
  }
  mledger::testing::TempDir dir_;
};

TEST_F(AuditCli, history_lists_the_events_recorded_in_a_window) {
  const auto all = history_json("contoso-fr");
  ASSERT_GT(all.size(), 10u);
  // A window from one command's recording time (inclusive) to a later one's
  // (exclusive): exactly the events recorded in between.
  const std::string from = all[2]["recorded_at"], to = all[6]["recorded_at"];
  ASSERT_LT(*mledger::parse_rfc3339(from), *mledger::parse_rfc3339(to));
  std::vector<uint64_t> expected;
  for (const auto& e : all) {
    const auto at = *mledger::parse_rfc3339(e["recorded_at"].get<std::string>());
    if (at >= *mledger::parse_rfc3339(from) && at < *mledger::parse_rfc3339(to)) {
      expected.push_back(e["seq"]);
    }
  }
  std::vector<uint64_t> got;
  for (const auto& e : history_json("contoso-fr", "--from " + from + " --to " + to)) {
    got.push_back(e["seq"]);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.front(), all[2]["seq"].get<uint64_t>());
  EXPECT_LT(got.back(), all[6]["seq"].get<uint64_t>());
  // --limit counts listed events
  EXPECT_EQ(history_json("contoso-fr", "--from " + from + " --limit 1").size(), 1u);
  // the text form carries actor, time, stream@version, command id and hash
  auto text = run("audit history --account contoso-fr --to " + to + " " + data());
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("by user:u-anna@contoso-fr  cmd=year-001"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("account-contoso-fr@1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("state after event #"), std::string::npos) << text.out;
  // `mledger history` is the same command
  EXPECT_EQ(run("history --account contoso-fr " + data()).out,
            run("audit history --account contoso-fr " + data()).out);
}

TEST_F(AuditCli, history_usage_errors_name_the_problem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"audit history " + data(), "--account is required"},
      {"audit history --account contoso-fr --from yesterday " + data(), "--from 'yesterday'"},
      {"audit history --account contoso-fr --to 2026-13-01T00:00:00Z " + data(), "--to '2026-13-01"},
      {"audit history --account contoso-fr --from 2027-01-01T00:00:00Z --to 2026-01-01T00:00:00Z " + data(),
       "--from must be before --to"},
      {"audit history --account contoso-fr --limit many " + data(), "--limit"},
      {"audit history --account contoso-fr --limit 0 " + data(), "--limit must be at least 1"},
      {"audit", "usage"},
      {"audit frobnicate", "unknown subcommand 'frobnicate'"},
  };
  for (const auto& [args, expected] : cases) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(expected), std::string::npos) << args << "\n" << r.out;
  }
}

TEST_F(AuditCli, export_then_check_offline_and_against_the_ledger) {
  const std::string out = dir_.sub("contoso-fr.jsonl");
  auto e = run("audit export --account contoso-fr --out " + out + " " + data());
  ASSERT_EQ(e.exit_code, 0) << e.out;
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  const auto lines = lines_of(read_file(out));
  const auto history = history_json("contoso-fr");
  ASSERT_EQ(lines.size(), history.size() + 2);
  // Each exported hash is the ledger's own (how an auditor closes the links
  // the file alone cannot prove).
  for (size_t i = 0; i < history.size(); ++i) {
    const Json line = Json::parse(lines[i + 1]);
    EXPECT_EQ(line["seq"], history[i]["seq"]);
    EXPECT_EQ(line["hash"], history[i]["hash"]);
    EXPECT_EQ(line["prev_hash"], history[i]["prev_hash"]);
  }
  auto c = run("audit check " + out);
  EXPECT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("export intact: account contoso-fr, " + std::to_string(history.size()) + " events"),
            std::string::npos) << c.out;
  // against a digest the auditor kept
  const Json d = Json::parse(run("digest --json " + data()).out);
  const std::string kept = std::to_string(d["seq"].get<uint64_t>()) + ":" + d["head"].get<std::string>();
  EXPECT_EQ(run("audit check " + out + " --digest " + kept).exit_code, 0);
  auto other = run("audit check " + out + " --digest 1:" + std::string(64, '0'));
  EXPECT_EQ(other.exit_code, 1) << other.out;
  EXPECT_NE(other.out.find("line 1"), std::string::npos) << other.out;
  EXPECT_EQ(run("audit check " + out + " --digest 12").exit_code, 2);
  // Without the ledger's public key the output says what was not checked;
  // with it, both signatures verify.
  EXPECT_NE(c.out.find("signatures were NOT checked"), std::string::npos) << c.out;
  const std::string pem = dir_.sub("ledger.pem");
  mledger::testing::write_file(pem, run("audit public-key " + data()).out);
  auto signed_check = run("audit check " + out + " --public-key " + pem + " --json");
  EXPECT_EQ(signed_check.exit_code, 0) << signed_check.out;
  const Json verdict = Json::parse(signed_check.out);
  EXPECT_EQ(verdict["signatures_checked"], true);
  EXPECT_EQ(verdict["proofs_checked"], history.size());
  EXPECT_EQ(verdict["format_version"], 2);
  EXPECT_FALSE(verdict.contains("not_checked"));
  // The export is against the latest signed head: its size is the ledger's.
  EXPECT_EQ(verdict["tree_head"]["tree_size"], d["seq"]);
  // --trusted-head needs the key; a bad key file is a usage error.
  EXPECT_EQ(run("audit check " + out + " --trusted-head " + pem).exit_code, 2);
  EXPECT_EQ(run("audit check " + out + " --public-key " + out).exit_code, 2);

  // an existing file is kept unless --force
  const std::string before = read_file(out);
  auto again = run("audit export --account contoso-fr --out " + out + " " + data());
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find("exists"), std::string::npos) << again.out;
  EXPECT_EQ(read_file(out), before);
  EXPECT_EQ(run("audit export --force --account contoso-fr --out " + out + " " + data()).exit_code, 0);
}

TEST_F(AuditCli, a_kept_digest_is_found_again_with_digest_seq) {
  const std::string kept = run("digest " + data()).out;  // "seq 83 head ..."
  const std::string seq = kept.substr(4, kept.find(' ', 4) - 4);
  ASSERT_EQ(run("exec " + data() + " " MLEDGER_SOURCE_DIR "/docs/demo/scenario.jsonl").exit_code, 0);
  EXPECT_NE(run("digest " + data()).out, kept);  // the ledger moved on
  auto again = run("digest --seq " + seq + " " + data());
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(again.out, kept);
  EXPECT_EQ(run("digest --seq 100000 " + data()).exit_code, 1);
  EXPECT_EQ(run("digest --seq 0 " + data()).exit_code, 1);
  EXPECT_EQ(run("digest --seq x " + data()).exit_code, 2);
}

TEST_F(AuditCli, the_documented_example_export_checks_intact) {
  const std::string example = MLEDGER_SOURCE_DIR "/docs/examples/fabrikam-export.jsonl";
  auto r = run("audit check " + example +
               " --digest 2:560091d07f38c2d0a3a608a185f393c69bcafa22b7ede659b0a9c14f61ead442");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("export intact: account fabrikam, 2 events"), std::string::npos) << r.out;
  // Version 2, with the key of the ledger that made it (docs/audit.md).
  const std::string v2 = MLEDGER_SOURCE_DIR "/docs/examples/fabrikam-export-v2.jsonl";
  const std::string pem = MLEDGER_SOURCE_DIR "/docs/examples/fabrikam-ledger.pem";
  auto r2 = run("audit check " + v2 + " --public-key " + pem +
                " --digest 2:e94b50e4fdefb0c0b1940273b50b39ead149e956b24946ac0a53aa5665bec5a1");
  EXPECT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_NE(r2.out.find("signatures verify"), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find("2 inclusion proofs hold against the tree head of size 2 of ledger ce455e2159c96350"),
            std::string::npos) << r2.out;
}

TEST_F(AuditCli, export_and_check_refuse_bad_input_and_write_nothing) {
  const std::string out = dir_.sub("x.jsonl");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"audit export --account nobody --out " + out + " " + data(), "no events concern account nobody"},
      {"audit export --out " + out + " " + data(), "--account is required"},
      {"audit export --account contoso-fr " + data(), "--out is required"},
      {"audit export --account contoso-fr --out " + dir_.path() + " " + data(), "is a directory"},
      {"audit check " + dir_.sub("missing.jsonl"), "cannot read"},
      {"audit check", "missing argument"},
  };
  for (const auto& [args, expected] : cases) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(expected), std::string::npos) << args << "\n" << r.out;
    EXPECT_FALSE(fs::exists(out)) << args;
    EXPECT_FALSE(fs::exists(out + ".tmp")) << args;
  }
}

TEST_F(AuditCli, check_names_the_seq_of_a_byte_flipped_in_the_export) {
  const std::string out = dir_.sub("export.jsonl");
  ASSERT_EQ(run("audit export --account contoso-fr --out " + out + " " + data()).exit_code, 0);
  auto lines = lines_of(read_file(out));
  const uint64_t seq = Json::parse(lines[5])["seq"];
  // One byte of the file: a character in the middle of the 5th event's envelope.
  const size_t at = lines[5].find("\"envelope\":\"") + 12 + 40;
  lines[5][at] = lines[5][at] == 'A' ? 'B' : 'A';
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  mledger::testing::write_file(out, text);
  auto c = run("audit check " + out);
  EXPECT_EQ(c.exit_code, 1) << c.out;
  EXPECT_NE(c.out.find("line 6 (seq " + std::to_string(seq) + ")"), std::string::npos) << c.out;
}

// ldb prints and reads values as "0x" + upper-case hex.
std::string with_byte_flipped(const std::string& hex_value, size_t byte) {
  std::string v = hex_value;
  const size_t at = 2 + 2 * byte;
  const int b = std::stoi(v.substr(at, 2), nullptr, 16) ^ 0x01;
  static const char* kDigits = "0123456789ABCDEF";
  v[at] = kDigits[b >> 4];
  v[at + 1] = kDigits[b & 15];
  return v;
}

TEST_F(AuditCli, verify_names_the_seq_whose_stored_byte_ldb_changed) {
  ASSERT_EQ(shell("command -v ldb >/dev/null").exit_code, 0) << "ldb missing (package rocksdb-tools)";
  const std::string ldb = "ldb --db=" + ledger() + " --column_family=events --key_hex --value_hex ";
  const std::string key = "0x0000000000000028";  // event 40
  auto got = shell(ldb + "get " + key);
  ASSERT_EQ(got.exit_code, 0) << got.out;
  const std::string original = got.out.substr(0, got.out.find_last_not_of("\n") + 1);
  ASSERT_EQ(original.substr(0, 2), "0x");
  const size_t bytes = (original.size() - 2) / 2;
  // One byte at a time, anywhere in the stored envelope: the segment table,
  // the hashes, the body, the last byte.
  for (size_t byte : {size_t{2}, size_t{40}, size_t{80}, bytes / 2, bytes - 1}) {
    ASSERT_EQ(shell(ldb + "put " + key + " " + with_byte_flipped(original, byte)).exit_code, 0);
    auto bad = run("verify " + data());
    EXPECT_EQ(bad.exit_code, 1) << "byte " << byte << "\n" << bad.out;
    EXPECT_NE(bad.out.find("chain broken at seq 40"), std::string::npos) << "byte " << byte << "\n" << bad.out;
    ASSERT_EQ(shell(ldb + "put " + key + " " + original).exit_code, 0);
    auto good = run("verify " + data());
    EXPECT_EQ(good.exit_code, 0) << good.out;
  }
}

TEST_F(AuditCli, backup_and_restore_round_trip_with_equal_digests) {
  const std::string backup = dir_.sub("backup"), restored = dir_.sub("restored");
  auto b = run("backup " + backup + " " + data());
  ASSERT_EQ(b.exit_code, 0) << b.out;
  const std::string digest = run("digest " + data()).out;
  EXPECT_NE(b.out.find(digest.substr(0, digest.size() - 1)), std::string::npos) << b.out << digest;
  const Json manifest = Json::parse(read_file(backup + "/mledger-backup.json"));
  EXPECT_EQ(manifest["format"], "mledger-backup");
  auto r = run("restore " + backup + " --data " + restored);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("equal"), std::string::npos) << r.out;
  EXPECT_EQ(run("digest --data " + restored).out, digest);
  EXPECT_EQ(run("verify --data " + restored).exit_code, 0);
  EXPECT_EQ(run("audit history --account contoso-fr --data " + restored).out,
            run("audit history --account contoso-fr " + data()).out);
  // refusals: a non-empty target, a non-empty backup directory, no --data
  auto twice = run("restore " + backup + " --data " + restored);
  EXPECT_EQ(twice.exit_code, 2) << twice.out;
  EXPECT_NE(twice.out.find("not empty"), std::string::npos) << twice.out;
  EXPECT_EQ(run("backup " + backup + " " + data()).exit_code, 2);
  EXPECT_EQ(run("restore " + backup).exit_code, 2);
  EXPECT_EQ(run("restore " + dir_.sub("nothing") + " --data " + dir_.sub("r2")).exit_code, 2);
  EXPECT_EQ(run("backup " + dir_.sub("b2") + " --data " + dir_.sub("no-ledger")).exit_code, 3);
}

// The tree-head signing key goes with the backup (mode 0600, its public half
// in the manifest) and comes back with the restore: the restored ledger signs
// heads that the public key auditors already hold verifies. A backup whose
// key is not the one its manifest records is refused.
TEST_F(AuditCli, backup_and_restore_keep_the_tree_head_signing_key) {
  const std::string backup = dir_.sub("backup"), restored = dir_.sub("restored");
  const std::string public_pem = run("audit public-key " + data()).out;
  ASSERT_EQ(run("backup " + backup + " " + data()).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat((backup + "/tree-head-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const Json manifest = Json::parse(read_file(backup + "/mledger-backup.json"));
  EXPECT_EQ(manifest["tree_head_public_key"], public_pem);
  auto r = run("restore " + backup + " --data " + restored);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("tree-head signing key restored"), std::string::npos) << r.out;
  ASSERT_EQ(::stat((restored + "/tree-head-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(run("audit public-key --data " + restored).out, public_pem);
  // The restored ledger goes on: its new head checks with the old public key.
  auto more = run("tick --data " + restored + " --now 2028-06-01T00:00:00Z");
  ASSERT_EQ(more.exit_code, 0) << more.out;
  mledger::testing::write_file(dir_.sub("public.pem"), public_pem);
  mledger::testing::write_file(dir_.sub("heads.jsonl"), run("audit tree-heads --json --data " + restored).out);
  auto check = run("audit check-heads " + dir_.sub("heads.jsonl") + " --public-key " + dir_.sub("public.pem") +
                   " --data " + restored);
  EXPECT_EQ(check.exit_code, 0) << check.out;

  // Another key in the backup's place is refused, and nothing is restored.
  const std::string other = dir_.sub("other"), target = dir_.sub("target");
  ASSERT_EQ(run("exec --data " + other + " " MLEDGER_SOURCE_DIR "/docs/demo/scenario.jsonl").exit_code, 0);
  fs::remove(backup + "/tree-head-key.pem");
  fs::copy_file(other + "/tree-head-key.pem", backup + "/tree-head-key.pem");
  auto refused = run("restore " + backup + " --data " + target);
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("is not the tree-head key the manifest records"), std::string::npos) << refused.out;
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(AuditCli, restore_catches_a_corrupted_backup_and_leaves_nothing) {
  const std::string backup = dir_.sub("backup"), target = dir_.sub("restored");
  ASSERT_EQ(run("backup " + backup + " " + data()).exit_code, 0);
  // flip one byte in the largest backed-up table file
  fs::path largest;
  for (const auto& f : fs::directory_iterator(backup + "/shared_checksum")) {
    if (largest.empty() || f.file_size() > fs::file_size(largest)) largest = f.path();
  }
  ASSERT_FALSE(largest.empty());
  std::string bytes = read_file(largest.string());
  bytes[bytes.size() / 3] ^= 0x01;
  mledger::testing::write_file(largest.string(), bytes);
  auto r = run("restore " + backup + " --data " + target);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("does not verify"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(AuditCli, restore_refuses_a_ledger_whose_digest_is_not_the_manifests) {
  const std::string backup = dir_.sub("backup"), target = dir_.sub("restored");
  ASSERT_EQ(run("backup " + backup + " " + data()).exit_code, 0);
  Json manifest = Json::parse(read_file(backup + "/mledger-backup.json"));
  manifest["ledger"]["seq"] = manifest["ledger"]["seq"].get<uint64_t>() + 1;
  mledger::testing::write_file(backup + "/mledger-backup.json", manifest.dump());
  fs::create_directories(target);  // an empty target is allowed, and left empty
  auto r = run("restore " + backup + " --data " + target);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("differs from the manifest's"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(target));
}

TEST_F(AuditCli, backup_says_so_when_a_writer_holds_the_ledger) {
  mledger::testing::Run r;
  {
    mledger::testing::RawLedger held(ledger());
    ASSERT_TRUE(held.ok()) << held.error();
    r = run("backup " + dir_.sub("backup") + " " + data());
  }
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("open for writing by another process"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_.sub("backup")) && !fs::is_empty(dir_.sub("backup")));
}

}  // namespace
