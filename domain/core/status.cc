#include "domain/core/status.h"

namespace mledger {

const char* to_string(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "ok";
    case StatusCode::io_error: return "io_error";
    case StatusCode::corruption: return "corruption";
    case StatusCode::invalid_argument: return "invalid_argument";
    case StatusCode::not_found: return "not_found";
    case StatusCode::limit_exceeded: return "limit_exceeded";
    case StatusCode::unavailable: return "unavailable";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(mledger::to_string(code_)) + ": " + message_;
}

}  // namespace mledger
