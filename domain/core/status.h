#pragma once
// Status: the outcome of an infrastructure operation (disk, network, codec).
// A Status must be looked at: it is [[nodiscard]], and ignoring one on purpose
// is spelled `(void)status.ok();` with a comment saying why.

#include <string>
#include <utility>

#include "domain/core/result.h"

namespace mledger {

enum class StatusCode {
  ok,
  io_error,          // the disk or the network failed; the operation may not have happened
  corruption,        // stored bytes do not decode or do not verify
  invalid_argument,  // the caller passed something out of contract
  not_found,
  limit_exceeded,    // a configured *_max was reached; nothing was done
  unavailable,       // shutting down or not started
};

const char* to_string(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

template <class T>
using StatusOr = Result<T, Status>;

inline Err<Status> fail(StatusCode code, std::string message) {
  return Err<Status>{Status(code, std::move(message))};
}

}  // namespace mledger
