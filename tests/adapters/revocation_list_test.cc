// The revocation list (adapters/auth/revocation_list.h, revocation_watcher.h):
// its file format (entries, comments, expired entries dropped, a malformed
// line refused whole naming the line), its limits, adding to the file
// (created 0600, idempotent, comments kept, expired entries dropped, a
// malformed file left alone), and reloading when the file changes (a bad
// version keeps the list in force).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <filesystem>
#include <string>

#include "adapters/auth/revocation_list.h"
#include "adapters/auth/revocation_watcher.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace mledger::auth {
namespace {

using mledger::testing::read_file;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

constexpr int64_t kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z

RevocationList parsed(const std::string& text, int64_t now_s = kNow) {
  auto list = RevocationList::parse(text, "revoked.txt", now_s);
  EXPECT_TRUE(list.ok()) << list.error().to_string();
  return list.ok() ? std::move(list).value() : RevocationList();
}

Status parse_error(const std::string& text) {
  auto list = RevocationList::parse(text, "revoked.txt", kNow);
  EXPECT_FALSE(list.ok()) << "accepted: " << text;
  return list.ok() ? Status::Ok() : list.error();
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(RevocationList, entries_comments_blank_lines_and_spacing) {
  const RevocationList list = parsed(
      "# revoked by ops, 2026-01-01\n"
      "\n"
      "jti-a 1767229200\n"
      "   jti-b\t\t1767229200   \n"
      "  # an indented comment\n"
      "jti-c 1767229200\r\n"
      "jti-d 1767229200");  // no final newline
  EXPECT_EQ(list.size(), 4u);
  for (const char* id : {"jti-a", "jti-b", "jti-c", "jti-d"}) EXPECT_TRUE(list.contains(id)) << id;
  EXPECT_FALSE(list.contains("jti-e"));
  EXPECT_FALSE(list.contains("#"));
  EXPECT_FALSE(list.contains("jti-a 1767229200"));
  EXPECT_EQ(parsed("").size(), 0u);
  EXPECT_EQ(parsed("\n\n# nothing\n").size(), 0u);
}

TEST(RevocationList, expired_entries_are_dropped_and_a_jti_twice_keeps_the_later_exp) {
  const RevocationList list = parsed("old " + std::to_string(kNow - 1) + "\n" +  //
                                     "edge " + std::to_string(kNow) + "\n" +     // exp == now: expired
                                     "live " + std::to_string(kNow + 1) + "\n" +
                                     "twice " + std::to_string(kNow - 5) + "\n" +
                                     "twice " + std::to_string(kNow + 100) + "\n");
  EXPECT_FALSE(list.contains("old"));
  EXPECT_FALSE(list.contains("edge"));
  EXPECT_TRUE(list.contains("live"));
  EXPECT_TRUE(list.contains("twice"));
  EXPECT_EQ(list.entries().at("twice"), kNow + 100);
  EXPECT_EQ(list.size(), 2u);
}

TEST(RevocationList, a_malformed_line_refuses_the_whole_list_naming_the_line) {
  struct Case {
    std::string line;
    std::string says;
  };
  const Case cases[] = {
      {"jti-only", "expected 'JTI EXP'"},
      {"jti 1767229200 extra", "more than two fields"},
      {"jti soon", "Unix seconds"},
      {"jti -5", "Unix seconds"},
      {"jti 0", "from 1 to"},
      {"jti 9223372036854775808", "from 1 to"},
      {"jti 12345678901234567890", "Unix seconds"},
      {std::string(129, 'j') + " 1767229200", "1..128 bytes"},
      {"j\xc3\xa9ti 1767229200", "printable ASCII"},
      {std::string("j\0ti 1767229200", 15), "NUL"},
  };
  for (const Case& c : cases) {
    const Status s = parse_error("# header\nok-1 1767229200\n" + c.line + "\nok-2 1767229200\n");
    EXPECT_EQ(s.code(), StatusCode::invalid_argument) << c.line;
    EXPECT_NE(s.message().find("revocation list revoked.txt line 3: "), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
  }
  // An expired entry is checked too, not skipped unread.
  EXPECT_NE(parse_error("jti 12x\n").message().find("line 1"), std::string::npos);
}

TEST(RevocationList, limits_on_entries_and_bytes) {
  std::string text;
  for (size_t i = 0; i < kRevokedTokensMax; ++i) text += "j" + std::to_string(i) + " 1767229200\n";
  EXPECT_EQ(parsed(text).size(), kRevokedTokensMax);
  // Expired entries count: the file is what is limited.
  const Status over = parse_error(text + "# a comment\nexpired 5\n");
  EXPECT_EQ(over.code(), StatusCode::limit_exceeded);
  EXPECT_NE(over.message().find("line " + std::to_string(kRevokedTokensMax + 2)), std::string::npos)
      << over.message();
  EXPECT_NE(over.message().find("more than 100000 entries"), std::string::npos) << over.message();

  const Status large = parse_error(std::string(kRevocationFileBytesMax + 1, '\n'));
  EXPECT_EQ(large.code(), StatusCode::limit_exceeded);
  EXPECT_NE(large.message().find("larger than 16777216 bytes"), std::string::npos) << large.message();
}

TEST(RevocationList, load_names_the_path) {
  mledger::testing::TempDir dir;
  const std::string path = dir.sub("revoked");
  auto missing = RevocationList::load(path, kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::not_found);
  EXPECT_NE(missing.error().message().find(path), std::string::npos);

  auto directory = RevocationList::load(dir.path(), kNow);
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message().find("not a regular file"), std::string::npos);

  write_file(path, "a 1767229200\nb\n");
  auto bad = RevocationList::load(path, kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().rfind("revocation list " + path + " line 2: ", 0), 0u)
      << bad.error().message();

  std::filesystem::resize_file(path, kRevocationFileBytesMax + 1);
  auto large = RevocationList::load(path, kNow);
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.error().code(), StatusCode::limit_exceeded);

  write_file(path, "a 1767229200\n");
  auto good = RevocationList::load(path, kNow);
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->contains("a"));
}

TEST(RevocationFile, add_creates_0600_then_appends_once) {
  mledger::testing::TempDir dir;
  const std::string path = dir.sub("revoked");
  ::umask(022);
  auto first = add_to_revocation_file(path, {"jti-1", kNow + 60}, kNow);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_TRUE(first->added);
  EXPECT_EQ(first->entries, 1u);
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(read_file(path), "jti-1 " + std::to_string(kNow + 60) + "\n");

  auto again = add_to_revocation_file(path, {"jti-1", kNow + 60}, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->added);
  EXPECT_EQ(read_file(path), "jti-1 " + std::to_string(kNow + 60) + "\n") << "no duplicate line";

  auto second = add_to_revocation_file(path, {"jti-2", kNow + 90}, kNow);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->added);
  EXPECT_EQ(second->entries, 2u);
  EXPECT_EQ(read_file(path), "jti-1 " + std::to_string(kNow + 60) + "\njti-2 " + std::to_string(kNow + 90) + "\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto list = RevocationList::load(path, kNow);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->contains("jti-1") && list->contains("jti-2"));
}

TEST(RevocationFile, add_keeps_comments_and_mode_and_drops_expired_entries) {
  mledger::testing::TempDir dir;
  const std::string path = dir.sub("revoked");
  write_file(path, "# ops\n\nold 100\nlive " + std::to_string(kNow + 10) + "\n  # kept\n");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto added = add_to_revocation_file(path, {"new", kNow + 20}, kNow);
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_TRUE(added->added);
  EXPECT_EQ(added->dropped, 1u);
  EXPECT_EQ(added->entries, 2u);
  EXPECT_EQ(read_file(path), "# ops\n\nlive " + std::to_string(kNow + 10) + "\n  # kept\nnew " +
                                 std::to_string(kNow + 20) + "\n");
  EXPECT_EQ(mode_of(path), 0640u);

  // A jti listed with an expired exp is listed again with the new one.
  write_file(path, "again 100\n");
  auto relisted = add_to_revocation_file(path, {"again", kNow + 5}, kNow);
  ASSERT_TRUE(relisted.ok());
  EXPECT_TRUE(relisted->added);
  EXPECT_EQ(read_file(path), "again " + std::to_string(kNow + 5) + "\n");
}

TEST(RevocationFile, a_malformed_file_or_bad_entry_is_refused_and_left_alone) {
  mledger::testing::TempDir dir;
  const std::string path = dir.sub("revoked");
  const std::string bad = "ok 1767229200\nnot a valid line\n";
  write_file(path, bad);
  auto refused = add_to_revocation_file(path, {"new", kNow + 20}, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::invalid_argument);
  EXPECT_NE(refused.error().message().find(path + " line 2"), std::string::npos) << refused.error().message();
  EXPECT_EQ(read_file(path), bad);

  for (const std::string& id : {std::string(""), std::string("has space"), std::string("#hash"),
                               std::string(129, 'x')}) {
    auto r = add_to_revocation_file(dir.sub("other"), {id, kNow + 20}, kNow);
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.error().code(), StatusCode::invalid_argument);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.sub("other"))) << "a refused entry creates no file";
}

TEST(RevocationWatcher, reloads_a_changed_file_and_keeps_the_list_when_a_version_is_bad) {
  mledger::testing::TempDir dir;
  const std::string path = dir.sub("revoked");
  EXPECT_EQ(RevocationWatcher::open(path, kNow).error().code(), StatusCode::not_found);
  write_file(path, "a 1767229200\n");
  auto opened = RevocationWatcher::open(path, kNow);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  RevocationWatcher& w = **opened;
  EXPECT_TRUE(w.contains("a"));
  auto unchanged = w.refresh(kNow);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_FALSE(*unchanged);

  // Renamed over, as `mledger token revoke` writes it: a new inode, always seen.
  ASSERT_TRUE(add_to_revocation_file(path, {"b", kNow + 60}, kNow).ok());
  auto reloaded = w.refresh(kNow);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(*reloaded);
  EXPECT_TRUE(w.contains("a") && w.contains("b"));

  // A bad version: the same error until the file changes, the list in force stays.
  write_file(path + ".new", "a 1767229200\nb\n");
  std::filesystem::rename(path + ".new", path);
  for (int i = 0; i < 2; ++i) {
    auto bad = w.refresh(kNow);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find(path + " line 2"), std::string::npos);
    EXPECT_TRUE(w.contains("a") && w.contains("b"));
  }
  std::filesystem::remove(path);
  EXPECT_EQ(w.refresh(kNow).error().code(), StatusCode::not_found);
  EXPECT_TRUE(w.contains("b"));

  write_file(path, "c 1767229200\n");
  auto fixed = w.refresh(kNow);
  ASSERT_TRUE(fixed.ok()) << fixed.error().to_string();
  EXPECT_TRUE(*fixed);
  EXPECT_TRUE(w.contains("c"));
  EXPECT_FALSE(w.contains("a"));
}

}  // namespace
}  // namespace mledger::auth
