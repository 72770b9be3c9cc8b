#include "adapters/system/file_change_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "adapters/system/file_writes.h"

namespace mledger {

namespace {

constexpr uint32_t kWatched = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO;
constexpr size_t kEventBufferBytes = 16 << 10;  // many events per read; a longer queue is read in turns

// True when one of the events in `buffer` names `name`, or reports an overflow.
bool names_file(const char* buffer, ssize_t bytes, const std::string& name) {
  bool hit = false;
  for (ssize_t at = 0; at < bytes;) {
    inotify_event event;
    std::memcpy(&event, buffer + at, sizeof event);
    if ((event.mask & IN_Q_OVERFLOW) != 0) hit = true;
    if (event.len > 0 && name == buffer + at + sizeof event) hit = true;
    at += static_cast<ssize_t>(sizeof event + event.len);
  }
  return hit;
}

}  // namespace

struct FileChangeWatch::Impl {
  int inotify = -1;
  int stop = -1;  // an eventfd: written by the destructor
  std::string name;
  std::function<void()> changed;
  std::thread thread;

  ~Impl() {
    if (inotify >= 0) ::close(inotify);
    if (stop >= 0) ::close(stop);
  }

  void run() {
    alignas(inotify_event) char buffer[kEventBufferBytes];
    for (;;) {
      pollfd fds[2] = {{inotify, POLLIN, 0}, {stop, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if ((fds[1].revents & POLLIN) != 0) return;
      const ssize_t n = ::read(inotify, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return;
      if (names_file(buffer, n, name)) changed();
    }
  }
};

StatusOr<std::unique_ptr<FileChangeWatch>> FileChangeWatch::start(const std::string& dir, const std::string& name,
                                                                   std::function<void()> changed) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->changed = std::move(changed);
  impl->inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (impl->inotify < 0) return Err{file_io_error("watching", "directory", dir, errno)};
  impl->stop = ::eventfd(0, EFD_CLOEXEC);
  if (impl->stop < 0) return Err{file_io_error("watching", "directory", dir, errno)};
  if (::inotify_add_watch(impl->inotify, dir.c_str(), kWatched | IN_ONLYDIR) < 0) {
    return Err{file_io_error("watching", "directory", dir, errno)};
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<FileChangeWatch>(new FileChangeWatch(std::move(impl)));
}

FileChangeWatch::FileChangeWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FileChangeWatch::~FileChangeWatch() {
  const uint64_t one = 1;
  (void)!::write(impl_->stop, &one, sizeof one);
  impl_->thread.join();
}

}  // namespace mledger
