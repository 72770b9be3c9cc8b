// The head watermark file (adapters/rocksdb/head_watermark.h): absent, new,
// advanced, one copy torn, both damaged.

#include "adapters/rocksdb/head_watermark.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "adapters/crypto/sha256.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

LogDigest digest_at(uint64_t seq) { return LogDigest{seq, sha256({std::to_string(seq)})}; }

void damage_at(const std::string& path, size_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x20));
}

TEST(HeadWatermark, absent_is_no_watermark_and_open_creates_it_at_the_given_head) {
  testing::TempDir dir;
  const std::string path = dir.sub(HeadWatermark::kFileName);
  auto none = HeadWatermark::read(path);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto mark = HeadWatermark::open(path, digest_at(7));
  ASSERT_TRUE(mark.ok()) << mark.error().to_string();
  EXPECT_EQ((*mark)->current(), digest_at(7));
  auto read = HeadWatermark::read(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(**read, digest_at(7));
}

TEST(HeadWatermark, advances_durably_and_a_reopen_continues_from_the_newest) {
  testing::TempDir dir;
  const std::string path = dir.sub(HeadWatermark::kFileName);
  {
    auto mark = HeadWatermark::open(path, LogDigest{});
    ASSERT_TRUE(mark.ok());
    for (uint64_t s = 1; s <= 5; ++s) ASSERT_TRUE((*mark)->advance(digest_at(s)).ok());
  }
  auto mark = HeadWatermark::open(path, digest_at(99));  // `initial` only for a new file
  ASSERT_TRUE(mark.ok());
  EXPECT_EQ((*mark)->current(), digest_at(5));
  ASSERT_TRUE((*mark)->advance(digest_at(6)).ok());
  EXPECT_EQ(**HeadWatermark::read(path), digest_at(6));
}

TEST(HeadWatermark, a_torn_newest_copy_leaves_the_one_before_and_two_damaged_copies_are_corruption) {
  testing::TempDir dir;
  const std::string path = dir.sub(HeadWatermark::kFileName);
  auto mark = HeadWatermark::open(path, LogDigest{});
  ASSERT_TRUE(mark.ok());
  ASSERT_TRUE((*mark)->advance(digest_at(1)).ok());  // counter 2: slot 0
  ASSERT_TRUE((*mark)->advance(digest_at(2)).ok());  // counter 3: slot 1
  damage_at(path, 4096 + 20);                        // the newest copy's seq
  EXPECT_EQ(**HeadWatermark::read(path), digest_at(1));
  damage_at(path, 30);
  auto damaged = HeadWatermark::read(path);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code(), StatusCode::corruption);
  EXPECT_NE(damaged.error().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace mledger
