#include "adapters/audit/tree_head_signer.h"

namespace mledger {

StatusOr<std::unique_ptr<TreeHeadSigner>> TreeHeadSigner::open(RocksDbEventLog& log, Ed25519PrivateKey key,
                                                               Clock& clock, TreeHeadPolicy policy) {
  std::unique_ptr<TreeHeadSigner> signer(new TreeHeadSigner(log, std::move(key), clock, policy));
  auto stored = log.tree_heads(UINT64_MAX, 1);
  if (!stored.ok()) return Err{stored.error()};
  if (!stored->empty()) {
    auto head = decode_tree_head(stored->front());
    if (!head.ok()) return Err{head.error()};
    signer->last_ = *head;
  }
  return signer;
}

TreeHeadSigner::~TreeHeadSigner() { stop(); }

StatusOr<std::optional<TreeHead>> TreeHeadSigner::sign_if_due(bool force) {
  std::lock_guard lock(mu_);
  auto size = log_.tree_size();
  if (!size.ok()) return Err{size.error()};
  const uint64_t last_size = last_ ? last_->tree_size : 0;
  if (*size == 0 || *size <= last_size) return std::optional<TreeHead>();
  const Instant now = clock_.now();
  const bool old = !last_ || now.micros_since_epoch - last_->timestamp.micros_since_epoch >=
                                 policy_.interval_s * kMicrosPerSecond;
  if (!force && !old && *size - last_size < policy_.events_max) return std::optional<TreeHead>();
  auto head = sign_tree_head(log_, key_, now);
  if (!head.ok()) return Err{head.error()};
  if (Status s = log_.store_tree_head(head->tree_size, encode_tree_head(*head)); !s.ok()) return Err{s};
  last_ = *head;
  return std::optional<TreeHead>(*head);
}

void TreeHeadSigner::start(std::function<void(const Status&)> on_failure) {
  thread_ = std::thread([this, on_failure = std::move(on_failure)] {
    std::unique_lock lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      auto signed_head = sign_if_due(false);
      if (!signed_head.ok() && on_failure) on_failure(signed_head.error());
      lock.lock();
      stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  });
}

void TreeHeadSigner::stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<TreeHead> TreeHeadSigner::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace mledger
