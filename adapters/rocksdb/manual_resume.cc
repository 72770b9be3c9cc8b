#include "adapters/rocksdb/manual_resume.h"

namespace mledger {

namespace {

class ManualResume final : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "mledger.ManualResume"; }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status bg_error,
                            bool* auto_recovery) override {
    bg_error.PermitUncheckedError();  // only its existence matters here
    *auto_recovery = false;
  }
};

}  // namespace

std::shared_ptr<rocksdb::EventListener> make_manual_resume_listener() {
  return std::make_shared<ManualResume>();
}

}  // namespace mledger
