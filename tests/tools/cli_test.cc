// The `mledger` binary as a user runs it: exit codes, bad input writes
// nothing, retries are idempotent, tampering is named.
// covers R-ACC-01, R-ACC-02, R-LED-01, R-LED-02

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/raw_ledger.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

namespace {

using mledger::testing::run;
using mledger::testing::write_file;

std::string enroll_line(const std::string& id, const std::string& account,
                        const std::string& phone = "0301234567",
                        const std::string& email = "alice@contoso.de") {
  return R"({"command_id":")" + id + R"(","type":"enroll_partner_account","account_id":")" +
         account + R"(","actor":{"kind":"user","account_id":")" + account +
         R"(","user_id":"u-1"},"data":{"legal_name":"Contoso","address":{"line1":"Main 1",)"
         R"("city":"Berlin","country":"DE"},"phone":")" + phone +
         R"(","primary_contact":{"first_name":"A","last_name":"M","email":")" + email + R"("}}})";
}

class Cli : public ::testing::Test {
 protected:
  std::string data() const { return "--data " + dir_.sub("ledger"); }
  std::string file(const std::string& name, const std::string& text) {
    const std::string p = dir_.sub(name);
    write_file(p, text);
    return p;
  }
  mledger::testing::TempDir dir_;
};

std::string add_user_line(const std::string& id, const std::string& account, const std::string& user) {
  return R"({"command_id":")" + id + R"(","type":"add_user","account_id":")" + account +
         R"(","actor":{"kind":"user","account_id":")" + account +
         R"(","user_id":"u-1"},"data":{"user_id":")" + user + R"(","email":")" + user +
         R"(@contoso.de","display_name":"U","roles":[]}})";
}

// An exec that folds a long account leaves a snapshot of its decision state
// behind (docs/event-log.md, "Decision state and snapshots"); a damaged one is
// named on stderr, ignored, and rebuilt; deleting them all is safe.
TEST_F(Cli, exec_leaves_a_snapshot_of_a_long_account_and_a_damaged_one_is_ignored_and_rebuilt) {
  std::string lines = enroll_line("c0", "contoso") + "\n";
  for (int i = 1; i <= 1100; ++i) {
    lines += add_user_line("c" + std::to_string(i), "contoso", "user-" + std::to_string(i)) + "\n";
  }
  ASSERT_EQ(run("exec " + data() + " " + file("long.jsonl", lines)).exit_code, 0);
  const std::filesystem::path snapshots = dir_.sub("ledger") + "/snapshots";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(snapshots)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].extension(), ".snap");
  std::filesystem::resize_file(files[0], std::filesystem::file_size(files[0]) / 2);

  auto damaged = run("exec " + data() + " " + file("one.jsonl", add_user_line("d1", "contoso", "late-1") + "\n"));
  EXPECT_EQ(damaged.exit_code, 0) << damaged.out;
  EXPECT_NE(damaged.out.find("accepted"), std::string::npos) << damaged.out;
  EXPECT_NE(damaged.out.find("snapshot(s) failed their checks and were ignored"), std::string::npos) << damaged.out;
  // That exec folded the account from the start and wrote a new snapshot.
  auto again = run("exec " + data() + " " + file("two.jsonl", add_user_line("d2", "contoso", "user-7") + "\n"));
  EXPECT_EQ(again.exit_code, 1) << again.out;  // user-7 exists: the state is right
  EXPECT_NE(again.out.find("user_already_exists"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("snapshot(s) failed"), std::string::npos) << again.out;
  std::filesystem::remove_all(snapshots);
  auto without = run("exec " + data() + " " + file("three.jsonl", add_user_line("d3", "contoso", "late-1") + "\n"));
  EXPECT_NE(without.out.find("user_already_exists"), std::string::npos) << without.out;
}

TEST_F(Cli, help_everywhere) {
  for (const char* c : {"--help", "exec --help", "history --help", "verify --help",
                        "digest --help", "bench --help", "tick --help", "catalogue --help",
                        "schema --help", "audit --help", "audit history --help",
                        "audit export --help", "audit check --help", "backup --help",
                        "restore --help"}) {
    auto r = run(c);
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("usage"), std::string::npos) << c;
  }
  EXPECT_EQ(run("frobnicate").exit_code, 2);
  EXPECT_EQ(run("exec --bogus").exit_code, 2);
}

TEST_F(Cli, R_ACC_02_accepted_and_rejected_lines_and_their_exit_code) {
  auto f = file("in.jsonl", enroll_line("c1", "contoso") + "\n\n" +
                                enroll_line("c2", "fabrikam", "+4930123") + "\n");
  auto r = run("exec " + data() + " " + f);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("line 1 c1: accepted #1 PartnerAccountEnrolled account-contoso@1"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("line 3 c2: rejected phone_number_invalid: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(R-ACC-02)"), std::string::npos) << r.out;
  auto d = run("digest --json " + data());
  EXPECT_NE(d.out.find("\"seq\":2"), std::string::npos) << d.out;
  auto h = run("history --account contoso " + data());
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("PartnerAccountEnrolled"), std::string::npos);
  EXPECT_NE(h.out.find("UserAdded"), std::string::npos);
  EXPECT_NE(run("history --account fabrikam " + data()).out.find("no events"), std::string::npos);
}

TEST_F(Cli, R_ACC_03_the_documented_demo_scenario_runs) {
  auto r = run("exec --json " + data() + " " MLEDGER_SOURCE_DIR "/docs/demo/scenario.jsonl");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(R"("command_id":"demo-0003","events":[{"event_id")"), std::string::npos) << r.out;
  auto h = run("history --account fabrikam-ru " + data());
  EXPECT_NE(h.out.find("Tverskaya St 7, 125009 Moscow, RU (validated)"), std::string::npos) << h.out;
  EXPECT_NE(run("digest " + data()).out.find("seq 10 "), std::string::npos);
}

TEST_F(Cli, R_LED_02_running_the_same_file_again_writes_nothing) {
  auto f = file("in.jsonl", enroll_line("c1", "contoso") + "\n" + enroll_line("c2", "fabrikam") + "\n");
  ASSERT_EQ(run("exec " + data() + " " + f).exit_code, 0);
  const std::string before = run("digest " + data()).out;
  auto again = run("exec --json " + data() + " " + f);
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("\"status\":\"duplicate\""), std::string::npos);
  EXPECT_EQ(run("digest " + data()).out, before);
}

TEST_F(Cli, malformed_input_names_the_line_and_writes_nothing) {
  const std::string good = enroll_line("c1", "contoso");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good + "\n{\"command_id\": \n", "line 2: malformed JSON"},
      {good + "\n" + R"({"command_id":"c9","type":"launch_rocket","account_id":"a","actor":{"kind":"user","account_id":"a","user_id":"u"},"data":{}})" + "\n",
       "line 2: field 'type'"},
      {good + "\n" + enroll_line("c3", "x").replace(0, 1, "[") + "\n", "line 2: malformed JSON"},
      {good + "\n" + enroll_line("c4", "caf\xC3") + "\n", "line 2: malformed JSON"},
      {good + "\n" + std::string(70000, ' ') + "\n", "line 2: longer than 65536 bytes"},
  };
  for (const auto& [text, expected] : cases) {
    auto r = run("exec " + data() + " " + file("bad.jsonl", text));
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("nothing was executed"), std::string::npos) << r.out;
    // Nothing written: there is no ledger at all.
    EXPECT_EQ(run("digest " + data()).exit_code, 3);
  }
}

TEST_F(Cli, R_LED_01_verify_names_the_first_tampered_event) {
  std::string lines;
  for (int i = 0; i < 4; ++i) lines += enroll_line("c" + std::to_string(i), "acct" + std::to_string(i)) + "\n";
  ASSERT_EQ(run("exec " + data() + " " + file("in.jsonl", lines)).exit_code, 0);
  auto ok = run("verify " + data());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("chain intact: 8 events"), std::string::npos) << ok.out;

  {  // change one byte of event 5 with RocksDB's own API
    mledger::testing::RawLedger raw(dir_.sub("ledger"));
    ASSERT_TRUE(raw.ok()) << raw.error();
    const std::string key("\0\0\0\0\0\0\0\5", 8);
    std::string value;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.family("events"), key, &value).ok());
    value[value.size() / 2] ^= 0x20;
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.family("events"), key, value).ok());
  }
  auto bad = run("verify " + data());
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("chain broken at seq 5"), std::string::npos) << bad.out;
  auto j = run("verify --json " + data());
  EXPECT_NE(j.out.find("\"first_bad_seq\":5"), std::string::npos) << j.out;
}

// A company's year through `mledger exec` (docs/demo/company-year.jsonl):
// enroll, verify, users and roles, Action Pack, keys, benefits, technical and
// go-to-market benefits, a merge, the renewal.
TEST_F(Cli, company_year_scenario_runs_through_exec) {
  const std::string scenario = std::string(MLEDGER_SOURCE_DIR) + "/docs/demo/company-year.jsonl";
  auto r = run("exec " + data() + " " + scenario);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("rejected"), std::string::npos) << r.out;
  for (const char* type : {"AccountVerificationAuthorized", "KeysRevealed", "KeyRedeemed",
                           "SubscriptionChangedByKey", "BenefitAssigned", "TechnicalBenefitActivated",
                           "GoToMarketOfferActivated", "AccountsMerged", "AccountMergedAway",
                           "MergeInvitationCompleted", "RenewalWindowOpened", "MembershipRenewed"}) {
    EXPECT_NE(r.out.find(type), std::string::npos) << type;
  }
  // Run again: every command is a duplicate; nothing new is written.
  auto before = run("digest " + data());
  auto again = run("exec " + data() + " " + scenario);
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(again.out.find("accepted"), std::string::npos) << again.out;
  EXPECT_EQ(run("digest " + data()).out, before.out);
  EXPECT_EQ(run("verify " + data()).exit_code, 0);
}

TEST_F(Cli, R_ORD_04_rejects_an_unpaid_wire_order_through_tick_after_30_days_once) {
  auto f = file("wire.jsonl",
                enroll_line("c1", "contoso") + "\n" +
                    R"({"command_id":"o1","type":"place_order","account_id":"contoso","actor":{"kind":"user","account_id":"contoso","user_id":"u-1"},"now":"2026-01-05T10:00:00Z","data":{"order_id":"w1","offer_id":"action_pack","payment_method":"wire","billing_address":{"line1":"Main 1","city":"Berlin","postal_code":"10115","country":"DE"}}})" "\n");
  ASSERT_EQ(run("exec " + data() + " " + f).exit_code, 0);
  auto early = run("tick --now 2026-02-03T10:00:00Z " + data());
  EXPECT_EQ(early.exit_code, 0) << early.out;
  EXPECT_NE(early.out.find("0 command(s) due"), std::string::npos) << early.out;
  auto due = run("tick --now 2026-02-04T10:00:00Z " + data());
  EXPECT_EQ(due.exit_code, 0) << due.out;
  EXPECT_NE(due.out.find("tick:expire_wire_order:contoso:order:w1: accepted"), std::string::npos) << due.out;
  EXPECT_NE(due.out.find("OrderExpired"), std::string::npos) << due.out;
  auto again = run("tick --now 2026-02-05T10:00:00Z " + data());
  EXPECT_NE(again.out.find("0 command(s) due"), std::string::npos) << again.out;
  EXPECT_EQ(run("tick --now yesterday " + data()).exit_code, 2);
}

TEST_F(Cli, catalogue_show_and_load_a_new_version) {
  // Only exec creates a ledger (catalogue show and load refuse a missing one).
  ASSERT_EQ(run("exec " + data() + " " + file("enroll.jsonl", enroll_line("c0", "contoso") + "\n")).exit_code, 0);
  auto shown = run("catalogue show " + data());
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  EXPECT_NE(shown.out.find("\"action_pack\""), std::string::npos);
  EXPECT_NE(shown.out.find("default-2026-1"), std::string::npos);
  std::string changed = shown.out;
  changed.replace(changed.find("default-2026-1"), 14, "operator-2027-1");
  changed.replace(changed.find("47500"), 5, "49900");
  auto path = file("catalogue.json", changed);
  auto load = run("catalogue load " + path + " " + data());
  EXPECT_EQ(load.exit_code, 0) << load.out;
  EXPECT_NE(load.out.find("OfferCatalogueChanged"), std::string::npos) << load.out;
  EXPECT_NE(run("catalogue show " + data()).out.find("49900"), std::string::npos);
  // the same file again: a duplicate, nothing written
  EXPECT_NE(run("catalogue load " + path + " " + data()).out.find("duplicate"), std::string::npos);
  // a malformed file: exit 2, named problem
  auto bad = run("catalogue load " + file("bad.json", R"({"version":"x","offers":[{"offer_id":1}]})") + " " + data());
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("offers"), std::string::npos) << bad.out;
}

TEST_F(Cli, schema_prints_the_wire_schema_of_this_build) {
  auto r = run("schema");
  ASSERT_EQ(r.exit_code, 0);
  std::ifstream in(std::string(MLEDGER_SOURCE_DIR) + "/adapters/capnp/mledger.capnp", std::ios::binary);
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(r.out, file.str());
  EXPECT_EQ(run("schema extra").exit_code, 2);
}

}  // namespace
