// The HTTP server's plumbing on its event loop: FramingStream joining a
// response's head with its body, and LoopInbox carrying answers from other
// threads.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include <kj/async-io.h>

#include "adapters/http/framing_stream.h"
#include "adapters/http/loop_inbox.h"

namespace mledger::http {
namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
// An inner stream that records each write as one string.
class RecordingStream final : public kj::AsyncIoStream {
 public:
  std::vector<std::string> writes;
  kj::Promise<size_t> tryRead(void*, size_t, size_t) override { return size_t{0}; }
  kj::Promise<void> write(const void* buffer, size_t size) override {
    writes.emplace_back(static_cast<const char*>(buffer), size);
    return kj::READY_NOW;
  }
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    std::string all;
    for (const auto& p : pieces) all.append(reinterpret_cast<const char*>(p.begin()), p.size());
    writes.push_back(all);
    return kj::READY_NOW;
  }
  kj::Promise<void> whenWriteDisconnected() override { return kj::NEVER_DONE; }
  void shutdownWrite() override {}
};
#pragma GCC diagnostic pop

TEST(LoopPlumbing, a_joined_head_leaves_with_the_body_in_one_write) {
  kj::EventLoop loop;
  kj::WaitScope wait(loop);
  auto inner = kj::heap<RecordingStream>();
  RecordingStream& record = *inner;
  FramingStream stream(kj::mv(inner), 1024);

  stream.join_next_writes();
  stream.write("HEAD\r\n\r\n", 8).wait(wait);
  EXPECT_TRUE(record.writes.empty()) << "the head waits for its body";
  stream.write("body", 4).wait(wait);
  ASSERT_EQ(record.writes.size(), 1u);
  EXPECT_EQ(record.writes[0], "HEAD\r\n\r\nbody");

  // Not joined: every write goes out as it comes.
  stream.write("next", 4).wait(wait);
  stream.write("more", 4).wait(wait);
  ASSERT_EQ(record.writes.size(), 3u);
  EXPECT_EQ(record.writes[1], "next");
  EXPECT_EQ(record.writes[2], "more");
}

MakeResponse answer_with(std::string body) {
  return kj::heap<std::function<HttpResponse()>>([body] {
    HttpResponse r;
    r.body = body;
    return r;
  });
}

TEST(LoopPlumbing, answers_posted_from_other_threads_reach_their_tickets_and_drops_reject) {
  auto io = kj::setupAsyncIo();
  LoopInbox inbox(*io.lowLevelProvider);
  auto serving = inbox.serve().eagerlyEvaluate(nullptr);

  constexpr int kTickets = 200;
  std::vector<LoopInbox::Ticket> tickets;
  for (int i = 0; i < kTickets; ++i) tickets.push_back(inbox.expect());
  auto cancelled = inbox.expect();
  cancelled.promise = nullptr;  // its client left before the answer
  auto dropped = inbox.expect();

  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&, t] {
      for (int i = t; i < kTickets; i += 4) inbox.post(tickets[i].id, answer_with("answer " + std::to_string(i)));
    });
  }
  for (auto& p : posters) p.join();
  inbox.post(cancelled.id, answer_with("nobody reads this"));
  inbox.drop(dropped.id, "left without an answer");

  for (int i = 0; i < kTickets; ++i) {
    MakeResponse make = tickets[i].promise.wait(io.waitScope);
    EXPECT_EQ((*make)().body, "answer " + std::to_string(i));
  }
  auto failure = kj::runCatchingExceptions([&] { dropped.promise.wait(io.waitScope); });
  KJ_IF_MAYBE(e, failure) {
    EXPECT_NE(std::string(e->getDescription().cStr()).find("left without an answer"), std::string::npos);
  } else {
    ADD_FAILURE() << "a dropped ticket's promise is rejected";
  }
}

}  // namespace
}  // namespace mledger::http
