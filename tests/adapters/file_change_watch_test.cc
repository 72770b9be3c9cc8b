// FileChangeWatch: a write to the watched file, in place or by rename, calls
// `changed`; writes to other files of the directory do not; a directory that
// cannot be watched is named.

#include "adapters/system/file_change_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

class Calls {
 public:
  void count() {
    std::lock_guard lock(mu_);
    ++n_;
    cv_.notify_all();
  }
  // Waits up to 10 s for more than `seen` calls; the count then.
  int more_than(int seen) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return n_ > seen; });
    return n_;
  }
  int now() {
    std::lock_guard lock(mu_);
    return n_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

void write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "ab");
  ASSERT_NE(f, nullptr) << path;
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

TEST(FileChangeWatch, writes_and_renames_of_the_named_file_call_changed_and_others_do_not) {
  testing::TempDir dir;
  Calls calls;
  auto watch = FileChangeWatch::start(dir.path(), "ACKED-HEAD", [&] { calls.count(); });
  ASSERT_TRUE(watch.ok()) << watch.error().to_string();
  write_file(dir.sub("000012.log"), "another file");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(calls.now(), 0);
  write_file(dir.sub("ACKED-HEAD"), "created");
  const int created = calls.more_than(0);
  EXPECT_GE(created, 1);
  write_file(dir.sub("ACKED-HEAD"), "written in place");
  const int written = calls.more_than(created);
  EXPECT_GT(written, created);
  write_file(dir.sub("ACKED-HEAD.tmp"), "replacement");
  std::filesystem::rename(dir.sub("ACKED-HEAD.tmp"), dir.sub("ACKED-HEAD"));
  EXPECT_GT(calls.more_than(written), written);
  watch.value().reset();  // joins its thread
}

TEST(FileChangeWatch, a_directory_it_cannot_watch_is_named) {
  testing::TempDir dir;
  auto watch = FileChangeWatch::start(dir.sub("missing"), "ACKED-HEAD", [] {});
  ASSERT_FALSE(watch.ok());
  EXPECT_EQ(watch.error().code(), StatusCode::io_error);
  EXPECT_NE(watch.error().message().find(dir.sub("missing")), std::string::npos) << watch.error().message();
}

}  // namespace
}  // namespace mledger
