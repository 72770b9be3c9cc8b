// The account export format and its offline check (adapters/audit/): an
// export written from a real RocksDB log checks intact, and each kind of
// change to it is found and named by line and seq.

#include <gtest/gtest.h>

#include <sstream>

#include "adapters/audit/account_export.h"
#include "adapters/audit/base64.h"
#include "adapters/audit/export_checker.h"
#include "adapters/audit/tree_head.h"
#include "adapters/crypto/sha256.h"
#include "adapters/capnp/event_codec.h"
#include "adapters/json/command_json.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "tests/support/fixtures.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

using Json = nlohmann::json;
using testing::user_added_request;

TEST(Base64, rfc4648_vectors_and_round_trip) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},     {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    EXPECT_EQ(base64_decode(base64_encode(all.substr(0, n))), all.substr(0, n));
  }
}

TEST(Base64, rejects_what_is_not_strict_base64) {
  for (const char* bad : {"Zg=", "Zh==", "Zm9=", "Z===", "Zm9v\n", "=Zm9", "Zg==Zg==", "Zm$v", "Zm=v"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

// A real log: seqs 1, 2 and 4 concern account a (its stream's versions 1, 2,
// 3); 3 concerns b only. head3_ is signed at tree size 3, head_ at 4, both
// with key_.
class AuditExport : public ::testing::Test {
 protected:
  void SetUp() override {
    RocksDbOptions o;
    o.path = dir_.path() + "/ledger";
    auto opened = RocksDbEventLog::open(o);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    log_ = std::move(opened.value());
    auto key = Ed25519PrivateKey::create(dir_.path() + "/key.pem");
    ASSERT_TRUE(key.ok()) << key.error().to_string();
    key_.emplace(std::move(key.value()));
    public_key_.emplace(*Ed25519PublicKey::from_pem(key_->public_pem()));
    append(user_added_request("c1", "account-a", 0, "a", 2));
    append(user_added_request("c2", "account-b", 0, "b"));
    head3_ = *sign_tree_head(*log_, *key_, Instant{1'767'600'000'000'000});
    append(user_added_request("c3", "account-a", 2, "a"));
    head_ = *sign_tree_head(*log_, *key_, Instant{1'767'600'100'000'000});
  }

  void append(AppendRequest r) {
    std::vector<AppendRequest> batch;
    batch.push_back(std::move(r));
    auto out = log_->append_batch(batch);
    ASSERT_TRUE(out.ok()) << out.error().to_string();
  }

  // The export of `account` against `head` as `mledger audit export` writes it.
  std::string export_of(const std::string& account, std::optional<TreeHead> head = std::nullopt) {
    std::string out;
    ExportSummary summary;
    Status s = export_account(*log_, account, head.value_or(head_), *key_, Instant{1'767'600'200'000'000},
                              [&](std::string_view chunk) {
                                out.append(chunk);
                                return Status::Ok();
                              },
                              &summary);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return out;
  }

  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  static std::string join(const std::vector<std::string>& ls) {
    std::string out;
    for (const auto& l : ls) out += l + "\n";
    return out;
  }

  // Checked with the ledger's public key unless `keyless`.
  ExportReport check(const std::string& text, std::optional<LogDigest> expected = {}, bool keyless = false,
                     std::optional<TreeHead> trusted = {}) {
    ExportChecker checker(expected, keyless ? std::nullopt : public_key_, trusted);
    for (const auto& l : lines(text)) {
      if (!checker.feed(l)) break;
    }
    return checker.finish();
  }

  // The export with line `n` (0-based) changed by `edit` on its JSON.
  std::string edited(const std::string& text, size_t n, const std::function<void(Json&)>& edit) {
    auto ls = lines(text);
    Json j = Json::parse(ls.at(n));
    edit(j);
    ls[n] = j.dump();
    return join(ls);
  }

  // The lines with a trailer made again (count, lines, SHA-256) as a forger
  // would, keeping its account signature: what only the signature catches.
  static std::string with_forged_trailer(std::vector<std::string> ls) {
    Json trailer = Json::parse(ls.back());
    ls.pop_back();
    const std::string before = join(ls);
    trailer["events"] = ls.size() - 1;
    trailer["lines"] = ls.size();
    trailer["sha256"] = to_hex(sha256({before}));
    return before + trailer.dump() + "\n";
  }

  // `head` signed again with `key` (after a change to it).
  static Json signed_json(TreeHead head, const Ed25519PrivateKey& key) {
    head.signature = key.sign(tree_head_message(head));
    return Json::parse(json::dump_text(tree_head_to_json(head)));
  }

  testing::TempDir dir_;
  std::unique_ptr<RocksDbEventLog> log_;
  std::optional<Ed25519PrivateKey> key_;
  std::optional<Ed25519PublicKey> public_key_;
  TreeHead head3_, head_;
};

void expect_bad(const ExportReport& r, uint64_t line, std::optional<uint64_t> seq,
                const std::string& problem_part) {
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.bad_line, line) << r.problem;
  EXPECT_EQ(r.bad_seq, seq) << r.problem;
  EXPECT_NE(r.problem.find(problem_part), std::string::npos) << r.problem;
}

TEST_F(AuditExport, an_export_checks_intact_and_states_what_it_covers) {
  const std::string text = export_of("a");
  const auto ls = lines(text);
  ASSERT_EQ(ls.size(), 5u);  // header, events 1 2 4, trailer
  const ExportReport r = check(text);
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.account, "a");
  EXPECT_EQ(r.events, 3u);
  EXPECT_EQ(r.first_seq, 1u);
  EXPECT_EQ(r.last_seq, 4u);
  EXPECT_EQ(r.links_checked, 1u);  // 1 -> 2; 2 -> 4 crosses b's event 3
  EXPECT_EQ(r.ledger, *log_->digest());
  EXPECT_EQ(r.format_version, 2u);
  EXPECT_EQ(r.proofs_checked, 3u);
  EXPECT_EQ(r.own_stream_events, 3u);
  EXPECT_TRUE(r.signatures_checked);
  EXPECT_EQ(r.tree_head, head_);
  // The line carries the stored bytes and their decoding.
  const Json e = Json::parse(ls[3]);
  EXPECT_EQ(e["seq"], 4);
  EXPECT_EQ(base64_decode(e["envelope"].get<std::string>()), *log_->read_envelope(4));
  EXPECT_EQ(e["event"], Json::parse(json::dump_text(json::event_to_json((*log_->read_global(4, 1))[0]))));
  EXPECT_EQ(Json::parse(ls[4])["events"], 3);
  EXPECT_TRUE(check(text, *log_->digest()).intact);
  // Without the key every check but the signatures runs, and says so.
  const ExportReport keyless = check(text, {}, /*keyless=*/true);
  EXPECT_TRUE(keyless.intact) << keyless.problem;
  EXPECT_FALSE(keyless.signatures_checked);
  EXPECT_EQ(keyless.proofs_checked, 3u);
}

TEST_F(AuditExport, a_changed_envelope_byte_is_named_by_line_and_seq) {
  const std::string text = export_of("a");
  const std::string changed = edited(text, 2, [](Json& j) {
    std::string bytes = *base64_decode(j["envelope"].get<std::string>());
    bytes[bytes.size() / 2] ^= 0x01;
    j["envelope"] = base64_encode(bytes);
  });
  expect_bad(check(changed), 3, 2, "envelope does not open");
}

TEST_F(AuditExport, each_stated_field_must_equal_the_envelope) {
  const std::string text = export_of("a");
  const std::string zeros(64, '0');
  expect_bad(check(edited(text, 1, [&](Json& j) { j["hash"] = zeros; })), 2, 1, "hash in the line");
  expect_bad(check(edited(text, 1, [&](Json& j) { j["prev_hash"] = std::string(64, 'f'); })), 2, 1,
             "prev_hash in the line");
  expect_bad(check(edited(text, 2, [](Json& j) { j["seq"] = 3; })), 3, 3, "holds seq 2");
  expect_bad(check(edited(text, 2, [](Json& j) { j["version"] = 7; })), 3, 2, "stream@version");
  expect_bad(check(edited(text, 2, [](Json& j) { j["type"] = "UserRemoved"; })), 3, 2, "type");
  expect_bad(check(edited(text, 2, [](Json& j) { j["event"]["data"]["email"] = "eve@evil.example"; })),
             3, 2, "event JSON differs");
  expect_bad(check(edited(text, 2, [](Json& j) { j["extra"] = 1; })), 3, 2, "unexpected field 'extra'");
  expect_bad(check(edited(text, 2, [](Json& j) { j["envelope"] = "not base64!"; })), 3, 2, "not base64");
}

TEST_F(AuditExport, order_links_account_and_digest_are_checked) {
  const std::string text = export_of("a");
  auto ls = lines(text);
  // swapped events
  std::swap(ls[1], ls[2]);
  expect_bad(check(join(ls)), 2, 2, "version 2 of the account's stream account-a follows version 0");
  // an event repeated: seqs must increase
  ls = lines(text);
  ls.insert(ls.begin() + 2, ls[1]);
  expect_bad(check(join(ls)), 3, 1, "seq 1 does not follow 1");
  // another account's event slipped in
  const auto b = lines(export_of("b"));
  ls = lines(text);
  ls.insert(ls.begin() + 3, b[1]);
  expect_bad(check(join(ls)), 4, 3, "does not concern account a");
  // an event dropped: the trailer's count no longer matches
  ls = lines(text);
  ls.erase(ls.begin() + 2);
  expect_bad(check(join(ls)), 3, 4, "version 3 of the account's stream account-a follows version 1");
  // the header's digest is not the signed head's
  expect_bad(check(edited(text, 0, [](Json& j) { j["ledger"]["seq"] = 3; })), 1, std::nullopt,
             "is not the signed head's tree size 4");
  expect_bad(check(edited(text, 0, [](Json& j) { j["ledger"]["head"] = std::string(64, 'a'); })), 1,
             std::nullopt, "the ledger head is not the last event of the signed tree");
  // a digest the auditor kept that the export does not state
  LogDigest kept = *log_->digest();
  kept.seq = 3;
  expect_bad(check(text, kept), 1, std::nullopt, "is not the digest given");
}

TEST_F(AuditExport, a_forged_event_breaks_the_adjacent_link) {
  // Event 2 re-sealed with other content and a prev_hash of its choosing:
  // its own hash is right, but it no longer follows event 1.
  RecordedEvent forged = (*log_->read_global(2, 1))[0];
  forged.metadata.command_id = "forged";
  forged.prev_hash.fill(7);
  auto bytes = codec::seal(forged);
  ASSERT_TRUE(bytes.ok());
  const std::string text = edited(export_of("a"), 2, [&](Json& j) {
    auto e = *codec::open(*bytes);
    j["envelope"] = base64_encode(*bytes);
    j["hash"] = to_hex(e.hash);
    j["prev_hash"] = to_hex(e.prev_hash);
    j["event"] = Json::parse(json::dump_text(json::event_to_json(e)));
  });
  expect_bad(check(text), 3, 2, "prev_hash is not the hash of event 1");
}

TEST_F(AuditExport, header_trailer_and_truncation) {
  const std::string text = export_of("a");
  // any change outside the event lines shows in the trailer's SHA-256
  expect_bad(check(edited(text, 0, [](Json& j) { j["exported_at"] = "2030-01-01T00:00:00Z"; })), 5,
             std::nullopt, "SHA-256");
  expect_bad(check(edited(text, 0, [](Json& j) { j["format_version"] = 3; })), 1, std::nullopt,
             "format_version 3");
  auto ls = lines(text);
  ls.pop_back();
  expect_bad(check(join(ls)), 5, std::nullopt, "without a trailer");
  ls = lines(text);
  ls.push_back("{}");
  expect_bad(check(join(ls)), 6, std::nullopt, "follows the trailer");
  expect_bad(check(""), 1, std::nullopt, "empty");
  expect_bad(check("not json\n"), 1, std::nullopt, "not a JSON object");
}

TEST_F(AuditExport, a_dropped_event_with_a_forged_trailer_is_refused_by_the_account_signature) {
  auto ls = lines(export_of("a"));
  ls.erase(ls.begin() + 3);  // event 4, the last of account-a's stream: no version gap shows
  const std::string forged = with_forged_trailer(ls);
  expect_bad(check(forged), 4, std::nullopt, "the account signature does not verify");
  // Without the key, nothing in the file tells: the signature is the proof.
  const ExportReport keyless = check(forged, {}, /*keyless=*/true);
  EXPECT_TRUE(keyless.intact) << keyless.problem;
  EXPECT_FALSE(keyless.signatures_checked);
}

TEST_F(AuditExport, an_event_of_another_account_with_a_valid_proof_is_refused) {
  auto ls = lines(export_of("a"));
  const auto b = lines(export_of("b"));
  ls.insert(ls.begin() + 3, b[1]);  // b's event 3, its path valid for the same head
  expect_bad(check(with_forged_trailer(ls)), 4, 3, "does not concern account a");
}

TEST_F(AuditExport, adversarial_inclusion_paths_are_refused) {
  const std::string text = export_of("a");
  const Json path = Json::parse(lines(text)[2])["path"];
  ASSERT_EQ(path.size(), 2u);  // leaf 1 of 4: its sibling, then the right half
  auto with_path = [&](Json p) { return edited(text, 2, [&](Json& j) { j["path"] = p; }); };
  expect_bad(check(with_path(Json::array({path[1], path[0]}))), 3, 2, "not in the signed tree");
  expect_bad(check(with_path(Json::array({path[0]}))), 3, 2, "not in the signed tree");
  expect_bad(check(with_path(Json::array({path[0], path[1], path[1]}))), 3, 2, "not in the signed tree");
  expect_bad(check(with_path(Json::array({path[0], std::string(64, 'b')}))), 3, 2, "not in the signed tree");
  expect_bad(check(with_path(Json::array())), 3, 2, "not in the signed tree");
  expect_bad(check(with_path(Json::array({"xyz"}))), 3, 2, "path must be a list");
  expect_bad(check(with_path(Json(std::vector<std::string>(65, std::string(64, 'a'))))), 3, 2,
             "at most 64 hashes");
}

TEST_F(AuditExport, heads_of_another_key_size_or_time_and_replays_and_forks_are_refused) {
  const std::string text = export_of("a");
  auto other = Ed25519PrivateKey::create(dir_.path() + "/other.pem");
  ASSERT_TRUE(other.ok());
  expect_bad(check(edited(text, 0, [&](Json& j) { j["tree_head"] = signed_json(head_, *other); })), 1,
             std::nullopt, "signature does not verify");
  // A field changed after signing.
  expect_bad(check(edited(text, 0, [&](Json& j) { j["tree_head"]["timestamp"] = "2030-01-01T00:00:00Z"; })), 1,
             std::nullopt, "signature does not verify");
  // A genuine head of another size.
  expect_bad(check(edited(text, 0, [&](Json& j) { j["tree_head"] = signed_json(head3_, *key_); })), 1,
             std::nullopt, "is not the signed head's tree size 3");
  // A genuine older export, replayed to an auditor who kept a newer head.
  const std::string older = export_of("a", head3_);
  EXPECT_TRUE(check(older).intact) << check(older).problem;
  expect_bad(check(older, {}, false, head_), 1, std::nullopt, "a replayed head");
  // A head of the trusted size with another root: the ledger forked.
  TreeHead fork = head_;
  fork.root_hash[0] ^= 1;
  fork.signature = key_->sign(tree_head_message(fork));
  expect_bad(check(text, {}, false, fork), 1, std::nullopt, "forked its history");
  EXPECT_TRUE(check(text, {}, false, head3_).intact);  // a newer head than the trusted one is fine
}

TEST_F(AuditExport, the_account_signature_covers_the_head_the_account_and_the_list) {
  const std::string text = export_of("a");
  expect_bad(check(edited(text, 4, [](Json& j) { j["account_signature"] = "AAAA"; })), 5, std::nullopt,
             "64 bytes in base64");
  // The account's signature moved onto b's export (same head): refused.
  const auto a = lines(text);
  auto b = lines(export_of("b"));
  Json trailer = Json::parse(b.back());
  trailer["account_signature"] = Json::parse(a.back())["account_signature"];
  b.back() = trailer.dump();
  expect_bad(check(join(b)), 3, std::nullopt, "the account signature does not verify");
}

}  // namespace
}  // namespace mledger
