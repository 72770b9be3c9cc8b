// GET /readyz's decision (adapters/http/readiness.h): each reason to be
// unready has its code and 503, in order of precedence; a writer whose last
// durable write failed makes the server unready until a write succeeds.

#include <gtest/gtest.h>

#include "adapters/http/readiness.h"

namespace mledger::http {
namespace {

ReadinessInputs healthy() {
  ReadinessInputs in;
  in.head_seq = 100;
  in.projected_seq = 90;
  in.lag_events_max = 1000;
  return in;
}

WriterHealth failing_writer(uint64_t writes) {
  WriterHealth h;
  h.consecutive_failed_writes = writes;
  h.last_failure = Status(StatusCode::io_error, "No space left on device");
  h.failing_since_batch = 7;
  return h;
}

TEST(Readiness, healthy_is_200_with_the_lags_and_no_error) {
  ReadinessInputs in = healthy();
  in.publish_lag = 5;
  const Readiness r = decide_readiness(in);
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, nlohmann::json({{"head_seq", 100}, {"projections_lag", 10},
                                    {"publish_lag", 5}, {"ready", true}}));
}

TEST(Readiness, a_failing_writer_is_503_writer_failing_with_the_failure) {
  ReadinessInputs in = healthy();
  in.writer = failing_writer(1);
  Readiness r = decide_readiness(in);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_STREQ(r.code, "writer_failing");
  EXPECT_EQ(r.body["error"], "writer_failing");
  EXPECT_EQ(r.body["ready"], false);
  EXPECT_EQ(r.body["writer_failed_writes"], 1);
  EXPECT_EQ(r.body["reason"], "the last write failed: io_error: No space left on device");

  in.writer = failing_writer(3);
  r = decide_readiness(in);
  EXPECT_EQ(r.body["writer_failed_writes"], 3);
  EXPECT_EQ(r.body["reason"], "the last 3 writes failed: io_error: No space left on device");
}

TEST(Readiness, a_writer_that_wrote_again_is_ready) {
  ReadinessInputs in = healthy();
  in.writer = WriterHealth{};  // what GroupCommitWriter::health() reports after a success
  EXPECT_TRUE(decide_readiness(in).ready);
  EXPECT_FALSE(decide_readiness(in).body.contains("writer_failed_writes"));
}

TEST(Readiness, each_reason_has_its_code_and_the_first_wins) {
  ReadinessInputs in = healthy();
  in.projected_seq = 0;
  in.head_seq = 5000;
  Readiness r = decide_readiness(in);
  EXPECT_STREQ(r.code, "projections_behind");
  EXPECT_EQ(r.body["reason"], "the projections are 5000 events behind");

  in.writer = failing_writer(2);
  EXPECT_STREQ(decide_readiness(in).code, "writer_failing") << "a failing writer before a lag";

  in.log_read = Status(StatusCode::io_error, "disk gone");
  in.head_seq = 0;
  r = decide_readiness(in);
  EXPECT_STREQ(r.code, "storage_failed");
  EXPECT_EQ(r.body["reason"], "the log cannot be read: io_error: disk gone");

  in.draining = true;
  r = decide_readiness(in);
  EXPECT_STREQ(r.code, "shutting_down");
  EXPECT_EQ(r.body["reason"], "shutting down");
  EXPECT_EQ(r.http_status, 503);
}

TEST(Readiness, publishing_behind_never_makes_it_unready) {
  ReadinessInputs in = healthy();
  in.publish_lag = 10'000'000;
  EXPECT_TRUE(decide_readiness(in).ready);
}

}  // namespace
}  // namespace mledger::http
