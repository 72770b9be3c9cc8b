// The Merkle tree's signed heads and proofs as an auditor uses them: the
// real binary on real ledgers. check-proof refuses every forged proof with a
// reason (the immudb lesson, GHSA-672p-m5jq-mrh8): a wrong size, a truncated
// or lengthened path, swapped siblings, a leaf of another tree, an event
// beyond the signed head, a head signed by another key or changed after
// signing, and a replayed older head.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/support/files.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace {

using mledger::testing::read_file;
using mledger::testing::run;
using Json = nlohmann::json;

class TreeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run("exec --data " + ledger() + " " MLEDGER_SOURCE_DIR "/docs/demo/company-year.jsonl").exit_code, 0);
    first_size_ = head(ledger())["tree_size"];
    ASSERT_GT(first_size_, 10u);
    // More events, and with them a second signed head.
    ASSERT_EQ(run("exec --data " + ledger() + " " MLEDGER_SOURCE_DIR "/docs/demo/scenario.jsonl").exit_code, 0);
    ASSERT_GT(head(ledger())["tree_size"].get<uint64_t>(), first_size_);
    auto key = run("audit public-key --data " + ledger());
    ASSERT_EQ(key.exit_code, 0) << key.out;
    write("public.pem", key.out);
  }
  std::string ledger() const { return dir_.sub("ledger"); }
  Json head(const std::string& ledger, const std::string& extra = "") {
    auto r = run("audit tree-head --json --data " + ledger + " " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return Json::parse(r.out);
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_.sub(name);
    std::ofstream(path) << text;
    return path;
  }
  Json proof(const std::string& args) {
    auto r = run("audit " + args + " --json --data " + ledger());
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return Json::parse(r.out);
  }
  // check-proof's answer: exit code and its one line.
  mledger::testing::Run check(const Json& doc, const std::string& extra = "") {
    return run("audit check-proof " + write("proof.json", doc.dump()) + " --public-key " + dir_.sub("public.pem") +
               " " + extra);
  }
  void expect_refused(const Json& doc, const std::string& reason, const std::string& extra = "") {
    auto r = check(doc, extra);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("proof refused: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(reason), std::string::npos) << r.out;
  }
  mledger::testing::TempDir dir_;
  uint64_t first_size_ = 0;
};

TEST_F(TreeCli, the_signing_key_is_private_and_only_its_public_half_is_printed) {
  struct stat st {};
  ASSERT_EQ(::stat((ledger() + "/tree-head-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string pem = read_file(dir_.sub("public.pem"));
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u) << pem;
  EXPECT_EQ(pem.find("PRIVATE"), std::string::npos);
  auto heads = run("audit tree-heads --json --data " + ledger());
  ASSERT_EQ(heads.exit_code, 0);
  EXPECT_EQ(mledger::testing::lines_of(heads.out).size(), 2u) << heads.out;  // one per exec, newest first
  EXPECT_EQ(Json::parse(mledger::testing::lines_of(heads.out)[1])["tree_size"], first_size_);
}

TEST_F(TreeCli, inclusion_and_consistency_proofs_hold_offline) {
  const Json inclusion = proof("prove --seq 7");
  EXPECT_EQ(inclusion["tree_head"]["tree_size"], inclusion["tree_size"]);
  auto ok = check(inclusion);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("proof holds: event 7"), std::string::npos) << ok.out;
  const Json consistency = proof("consistency --from-size " + std::to_string(first_size_));
  auto ok2 = check(consistency);
  EXPECT_EQ(ok2.exit_code, 0) << ok2.out;
  EXPECT_NE(ok2.out.find("is a prefix of"), std::string::npos) << ok2.out;
  // A size nobody signed: no proof, a reason.
  auto none = run("audit prove --seq 1 --size " + std::to_string(first_size_ + 1) + " --data " + ledger());
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_NE(none.out.find("no tree head of size " + std::to_string(first_size_ + 1) + " was signed"),
            std::string::npos) << none.out;
}

TEST_F(TreeCli, forged_inclusion_proofs_are_refused_with_a_reason) {
  const Json good = proof("prove --seq 7");
  ASSERT_GE(good["path"].size(), 3u);
  Json p = good;
  p["tree_size"] = good["tree_size"].get<uint64_t>() + 1;
  expect_refused(p, "the proof is for a tree of size");
  p = good;
  p["path"].erase(p["path"].size() - 1);
  expect_refused(p, "shorter");
  p = good;
  p["path"].push_back(good["path"][0]);
  expect_refused(p, "longer");
  p = good;
  std::swap(p["path"][0], p["path"][1]);
  expect_refused(p, "does not lead");
  p = good;
  p["seq"] = good["tree_size"].get<uint64_t>() + 1;
  expect_refused(p, "beyond the signed head");
  p = good;
  p["seq"] = 8;  // another event's leaf at this index
  expect_refused(p, "does not lead");
  p = good;
  p["tree_head"]["root_hash"] = good["path"][0];  // changed after signing
  expect_refused(p, "signature does not verify");
  p = good;
  p["tree_head"]["extra"] = 1;
  expect_refused(p, "unknown field");
}

TEST_F(TreeCli, another_ledgers_leaf_key_and_an_older_head_are_refused) {
  const std::string other = dir_.sub("other");
  ASSERT_EQ(run("exec --data " + other + " " MLEDGER_SOURCE_DIR "/docs/demo/scenario.jsonl").exit_code, 0);
  const Json good = proof("prove --seq 3");
  Json p = good;
  auto theirs = run("audit prove --seq 3 --json --data " + other);
  ASSERT_EQ(theirs.exit_code, 0) << theirs.out;
  p["chain_hash"] = Json::parse(theirs.out)["chain_hash"];  // a leaf of another tree
  expect_refused(p, "does not lead");
  expect_refused(Json::parse(theirs.out), "signature does not verify");  // signed by another key

  // An auditor who kept the newest head refuses a proof against an older one.
  const std::string trusted = write("trusted.json", head(ledger()).dump());
  const Json old = proof("prove --seq 3 --size " + std::to_string(first_size_));
  EXPECT_EQ(check(old).exit_code, 0);  // it was true then
  expect_refused(old, "a replayed head", "--trusted-head " + trusted);
  EXPECT_EQ(check(good, "--trusted-head " + trusted).exit_code, 0);
  // A head of the trusted size with another root: proof of a fork.
  Json forked = head(ledger());
  forked["root_hash"] = good["path"][0];
  expect_refused(good, "the trusted head", "--trusted-head " + write("forked.json", forked.dump()));
}

TEST_F(TreeCli, forged_consistency_proofs_are_refused_with_a_reason) {
  const Json good = proof("consistency --from-size " + std::to_string(first_size_));
  ASSERT_GE(good["path"].size(), 2u);
  Json p = good;
  p["from_size"] = first_size_ - 1;
  expect_refused(p, "the proof is for sizes");
  p = good;
  p["path"].erase(p["path"].size() - 1);
  expect_refused(p, "consistency: ");
  p = good;
  std::swap(p["path"][0], p["path"][1]);
  expect_refused(p, "consistency: ");
  p = good;
  std::swap(p["from_head"], p["to_head"]);
  expect_refused(p, "the proof is for sizes");
}

}  // namespace

// Fork evidence (audit check-heads): the ledger's own heads hold; two copies
// of the ledger (with its key) that each took a different command sign two
// heads of one size with different roots, and that pair is named as a fork;
// a head signed by another ledger's key is refused.
TEST_F(TreeCli, check_heads_holds_for_the_ledgers_heads_and_names_a_fork_of_two_copies) {
  const std::string key = dir_.sub("public.pem");
  auto kept = run("audit tree-heads --json --data " + ledger());
  ASSERT_EQ(kept.exit_code, 0) << kept.out;
  auto ok = run("audit check-heads " + write("heads.jsonl", kept.out) + " --public-key " + key + " --data " + ledger());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("heads hold: 2 signed heads of ledger "), std::string::npos) << ok.out;

  std::vector<std::string> heads;
  for (const char* copy : {"copy-a", "copy-b"}) {
    std::filesystem::copy(ledger(), dir_.sub(copy), std::filesystem::copy_options::recursive);
    const std::string line = std::string(R"({"command_id": "fork-)") + copy + R"(", "type": "add_user", )"
        R"("account_id": "contoso-fr", "actor": {"kind": "user", "account_id": "contoso-fr", "user_id": "u-anna"}, )"
        R"("now": "2027-03-01T09:00:00Z", "data": {"user_id": "u-)" + copy + R"(", "email": ")" + copy +
        R"(@contoso.fr", "display_name": "Fork", "roles": ["mpn_partner_admin"]}})";
    auto r = run("exec --data " + dir_.sub(copy) + " " + write(std::string(copy) + ".jsonl", line + "\n"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    heads.push_back(head(dir_.sub(copy)).dump());
  }
  ASSERT_EQ(Json::parse(heads[0])["tree_size"], Json::parse(heads[1])["tree_size"]);
  auto fork = run("audit check-heads " + write("fork.jsonl", kept.out + heads[0] + "\n" + heads[1] + "\n") +
                  " --public-key " + key);
  EXPECT_EQ(fork.exit_code, 1) << fork.out;
  const std::string size = std::to_string(Json::parse(heads[0])["tree_size"].get<uint64_t>());
  EXPECT_NE(fork.out.find("FORK: line 3 and line 4 are heads of tree size " + size + " with different root hashes"),
            std::string::npos) << fork.out;

  // Another ledger's key signs what it likes: refused, no fork.
  ASSERT_EQ(run("exec --data " + dir_.sub("other") + " " MLEDGER_SOURCE_DIR "/docs/demo/scenario.jsonl").exit_code, 0);
  const Json other = head(dir_.sub("other"));
  auto refused = run("audit check-heads " + write("other.jsonl", kept.out + other.dump() + "\n") + " --public-key " + key);
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("refused: line 3: the head of size " + std::to_string(other["tree_size"].get<uint64_t>()) +
                             " is refused: the tree head's signature does not verify"),
            std::string::npos) << refused.out;
  EXPECT_EQ(refused.out.find("FORK"), std::string::npos) << refused.out;
  // Nothing to check is not a pass.
  auto empty = run("audit check-heads " + write("empty.jsonl", "") + " --public-key " + key);
  EXPECT_EQ(empty.exit_code, 1) << empty.out;
  EXPECT_NE(empty.out.find("no signed tree heads to check"), std::string::npos) << empty.out;
}
