#include "adapters/auth/revocation_watcher.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace mledger::auth {

StatusOr<std::unique_ptr<RevocationWatcher>> RevocationWatcher::open(const std::string& path,
                                                                     int64_t now_s) {
  std::unique_ptr<RevocationWatcher> w(new RevocationWatcher(path));
  StatusOr<Version> v = w->version();
  if (!v.ok()) return Err{std::move(v).error()};
  StatusOr<RevocationList> list = RevocationList::load(path, now_s);
  if (!list.ok()) return Err{std::move(list).error()};
  w->loaded_ = *v;
  w->list_ = std::make_shared<const RevocationList>(std::move(list).value());
  return w;
}

StatusOr<RevocationWatcher::Version> RevocationWatcher::version() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return fail(StatusCode::not_found, "revocation list " + path_ + " does not exist");
    return fail(StatusCode::io_error, "inspecting revocation list " + path_ + ": " + std::strerror(err));
  }
  return Version{st.st_dev, st.st_ino, st.st_size,
                 static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

StatusOr<bool> RevocationWatcher::refresh(int64_t now_s) {
  StatusOr<Version> v = version();
  if (!v.ok()) return Err{std::move(v).error()};
  if (*v == loaded_) return false;
  if (*v == failed_) return Err{failed_status_};
  StatusOr<RevocationList> list = RevocationList::load(path_, now_s);
  if (!list.ok()) {
    failed_ = *v;
    failed_status_ = list.error();
    return Err{failed_status_};
  }
  loaded_ = *v;
  failed_ = Version{};
  failed_status_ = Status::Ok();
  auto fresh = std::make_shared<const RevocationList>(std::move(list).value());
  std::lock_guard lock(mu_);
  list_ = std::move(fresh);
  return true;
}

bool RevocationWatcher::contains(std::string_view token_id) const { return current()->contains(token_id); }

std::shared_ptr<const RevocationList> RevocationWatcher::current() const {
  std::lock_guard lock(mu_);
  return list_;
}

}  // namespace mledger::auth
