// The account export format and its offline check (adapters/audit/): an
// export written from a real RocksDB log checks intact, and each kind of
// change to it is found and named by line and seq.

#include <gtest/gtest.h>

#include <sstream>

#include "adapters/audit/account_export.h"
#include "adapters/audit/base64.h"
#include "adapters/audit/export_checker.h"
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

// A real log: seqs 1, 2 and 4 concern account a; 3 concerns b only.
class AuditExport : public ::testing::Test {
 protected:
  void SetUp() override {
    RocksDbOptions o;
    o.path = dir_.path();
    auto opened = RocksDbEventLog::open(o);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    log_ = std::move(opened.value());
    append(user_added_request("c1", "account-a", 0, "a", 2));
    append(user_added_request("c2", "account-b", 0, "b"));
    append(user_added_request("c3", "account-a", 2, "a"));
  }

  void append(AppendRequest r) {
    std::vector<AppendRequest> batch;
    batch.push_back(std::move(r));
    auto out = log_->append_batch(batch);
    ASSERT_TRUE(out.ok()) << out.error().to_string();
  }

  // The export of `account` as `mledger audit export` writes it.
  std::string export_of(const std::string& account) {
    ExportWriter writer;
    std::string out;
    writer.header(account, *log_->digest(), Instant{1'767'600'000'000'000}, out);
    auto events = log_->read_account(account, 0, 100);
    EXPECT_TRUE(events.ok());
    for (const auto& e : *events) {
      auto envelope = log_->read_envelope(e.seq);
      EXPECT_TRUE(envelope.ok());
      EXPECT_TRUE(writer.event(*envelope, out).ok());
    }
    writer.trailer(out);
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

  static ExportReport check(const std::string& text, std::optional<LogDigest> expected = {}) {
    ExportChecker checker(expected);
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

  testing::TempDir dir_;
  std::unique_ptr<RocksDbEventLog> log_;
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
  // The line carries the stored bytes and their decoding.
  const Json e = Json::parse(ls[3]);
  EXPECT_EQ(e["seq"], 4);
  EXPECT_EQ(base64_decode(e["envelope"].get<std::string>()), *log_->read_envelope(4));
  EXPECT_EQ(e["event"], Json::parse(json::dump_text(json::event_to_json((*log_->read_global(4, 1))[0]))));
  EXPECT_EQ(Json::parse(ls[4])["events"], 3);
  EXPECT_TRUE(check(text, *log_->digest()).intact);
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
  expect_bad(check(join(ls)), 3, 1, "does not follow 2");
  // another account's event slipped in
  const auto b = lines(export_of("b"));
  ls = lines(text);
  ls.insert(ls.begin() + 3, b[1]);
  expect_bad(check(join(ls)), 4, 3, "does not concern account a");
  // an event dropped: the trailer's count no longer matches
  ls = lines(text);
  ls.erase(ls.begin() + 2);
  expect_bad(check(join(ls)), 4, std::nullopt, "says 3 events");
  // the header's digest is older than the events
  expect_bad(check(edited(text, 0, [](Json& j) { j["ledger"]["seq"] = 3; })), 4, 4, "beyond");
  // the last event is the head, but the digest's head hash is another
  expect_bad(check(edited(text, 0, [](Json& j) { j["ledger"]["head"] = std::string(64, 'a'); })), 4, 4,
             "head hash");
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
  expect_bad(check(edited(text, 0, [](Json& j) { j["format_version"] = 2; })), 1, std::nullopt,
             "format_version 2");
  auto ls = lines(text);
  ls.pop_back();
  expect_bad(check(join(ls)), 5, std::nullopt, "without a trailer");
  ls = lines(text);
  ls.push_back("{}");
  expect_bad(check(join(ls)), 6, std::nullopt, "follows the trailer");
  expect_bad(check(""), 1, std::nullopt, "empty");
  expect_bad(check("not json\n"), 1, std::nullopt, "not a JSON object");
}

}  // namespace
}  // namespace mledger
