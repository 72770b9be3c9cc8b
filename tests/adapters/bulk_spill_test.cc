// BulkSpill: a bulk load's records set aside in bucket files and read back
// in the order added; damage, a bound and what a killed run left behind.

#include "adapters/projections/bulk_spill.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

struct Read {
  std::vector<std::pair<uint64_t, std::string>> events;  // seq, envelope
  std::vector<SpilledDocuments> documents;
  std::vector<std::string> order;  // "e<seq>" or "d<account>"
};

Status read_bucket(const BulkSpill& spill, uint64_t bucket, Read& out) {
  return spill.read(
      bucket,
      [&](uint64_t seq, std::string_view envelope) {
        out.events.emplace_back(seq, std::string(envelope));
        out.order.push_back("e" + std::to_string(seq));
        return true;
      },
      [&](SpilledDocuments&& d) {
        out.order.push_back("d" + d.account);
        out.documents.push_back(std::move(d));
        return true;
      });
}

std::string bucket_file(const std::string& dir, uint64_t bucket) { return dir + "/bucket-" + std::to_string(bucket); }

TEST(BulkSpill, gives_back_each_buckets_records_in_the_order_added) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("spill");
  auto spill = BulkSpill::create(dir, uint64_t{1} << 30);
  ASSERT_TRUE(spill.ok()) << spill.error().to_string();
  const AccountDocuments docs = {{std::string("acct-1\0", 7), "header"},
                                 {std::string("acct-1\0users\0u-1", 16), std::string("\x01\0x", 3)}};
  // Enough events to pass the write buffer several times over.
  const std::string big(1000, 'z');
  ASSERT_TRUE((*spill)->add_event(3, 10, "ten").ok());
  ASSERT_TRUE((*spill)->add_documents(3, 2, "acct-1", 10, docs).ok());
  for (uint64_t seq = 11; seq < 11 + 3 * kSpillBufferBytes / big.size(); ++seq) {
    ASSERT_TRUE((*spill)->add_event(3, seq, big + std::to_string(seq)).ok());
  }
  ASSERT_TRUE((*spill)->add_event(5, 11, "in another bucket").ok());
  ASSERT_TRUE((*spill)->flush().ok());
  EXPECT_EQ((*spill)->bytes_in(0, kSpillBuckets), (*spill)->bytes());
  EXPECT_EQ((*spill)->bytes_in(5, 6), 5 + 8 + 17 + 8u);

  Read three, five, empty;
  ASSERT_TRUE(read_bucket(**spill, 3, three).ok());
  ASSERT_TRUE(read_bucket(**spill, 5, five).ok());
  ASSERT_TRUE(read_bucket(**spill, 4, empty).ok());
  ASSERT_GT(three.events.size(), 3u);
  EXPECT_EQ(three.order[0], "e10");
  EXPECT_EQ(three.order[1], "dacct-1");
  EXPECT_EQ(three.events[0].second, "ten");
  for (size_t i = 1; i < three.events.size(); ++i) {
    EXPECT_EQ(three.events[i].first, 10 + i);
    EXPECT_EQ(three.events[i].second, big + std::to_string(10 + i));
  }
  ASSERT_EQ(three.documents.size(), 1u);
  EXPECT_EQ(three.documents[0].projection, 2u);
  EXPECT_EQ(three.documents[0].through_seq, 10u);
  EXPECT_EQ(three.documents[0].documents, docs);
  ASSERT_EQ(five.events.size(), 1u);
  EXPECT_EQ(five.events[0], std::make_pair(uint64_t{11}, std::string("in another bucket")));
  EXPECT_TRUE(empty.order.empty());
}

// Every partition falls in one bucket, the buckets in partition order.
TEST(BulkSpill, buckets_split_the_partitions_in_equal_ranges) {
  EXPECT_EQ(spill_bucket(0), 0u);
  EXPECT_EQ(spill_bucket(kAccountPartitions - 1), kSpillBuckets - 1);
  EXPECT_EQ(spill_bucket_begin(kSpillBuckets), kAccountPartitions);
  for (uint64_t b = 0; b < kSpillBuckets; ++b) {
    EXPECT_EQ(spill_bucket(spill_bucket_begin(b)), b);
    EXPECT_EQ(spill_bucket(spill_bucket_begin(b + 1) - 1), b);
  }
}

TEST(BulkSpill, a_damaged_or_cut_file_is_named_as_corruption) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("spill");
  auto spill = BulkSpill::create(dir, uint64_t{1} << 30);
  ASSERT_TRUE(spill.ok());
  ASSERT_TRUE((*spill)->add_event(1, 7, std::string(100, 'e')).ok());
  ASSERT_TRUE((*spill)->add_documents(2, 0, "acct-9", 7, {{std::string("acct-9\0", 7), "h"}}).ok());
  ASSERT_TRUE((*spill)->flush().ok());
  for (uint64_t bucket : {1u, 2u}) {
    const std::string file = bucket_file(dir, bucket);
    std::string bytes;
    {
      std::ifstream in(file, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    ASSERT_GT(bytes.size(), 30u);
    std::string flipped = bytes;
    flipped[20] = static_cast<char>(flipped[20] ^ 0x10);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << flipped;
    Read r;
    Status s = read_bucket(**spill, bucket, r);
    EXPECT_EQ(s.code(), StatusCode::corruption) << bucket;
    EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(file), std::string::npos) << s.message();
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 3);
    Read cut;
    s = read_bucket(**spill, bucket, cut);
    EXPECT_EQ(s.code(), StatusCode::corruption);
    EXPECT_NE(s.message().find("ends inside a record"), std::string::npos) << s.message();
  }
}

TEST(BulkSpill, refuses_to_pass_its_bound_and_writes_nothing_for_the_refused_record) {
  testing::TempDir tmp;
  auto spill = BulkSpill::create(tmp.sub("spill"), 100);
  ASSERT_TRUE(spill.ok());
  ASSERT_TRUE((*spill)->add_event(0, 1, std::string(60, 'a')).ok());
  Status s = (*spill)->add_event(0, 2, std::string(60, 'b'));
  EXPECT_EQ(s.code(), StatusCode::limit_exceeded);
  EXPECT_NE(s.message().find("bound"), std::string::npos) << s.message();
  ASSERT_TRUE((*spill)->flush().ok());
  Read r;
  ASSERT_TRUE(read_bucket(**spill, 0, r).ok());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].first, 1u);
}

TEST(BulkSpill, starts_empty_over_what_a_killed_run_left_and_is_removed_with_its_files) {
  testing::TempDir tmp;
  const std::string dir = tmp.sub("spill");
  std::filesystem::create_directories(dir);
  std::ofstream(bucket_file(dir, 4)) << "left by a killed run";
  {
    auto spill = BulkSpill::create(dir, 1 << 20);
    ASSERT_TRUE(spill.ok());
    EXPECT_FALSE(std::filesystem::exists(bucket_file(dir, 4)));
    Read r;
    ASSERT_TRUE(read_bucket(**spill, 4, r).ok());
    EXPECT_TRUE(r.order.empty());
    ASSERT_TRUE((*spill)->add_event(4, 1, "x").ok());
    ASSERT_TRUE((*spill)->flush().ok());
    EXPECT_TRUE(std::filesystem::exists(bucket_file(dir, 4)));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace mledger
