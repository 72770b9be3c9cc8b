#pragma once
// A RocksDB status as the ledger's Status, naming what was being done.

#include <rocksdb/status.h>

#include <string>
#include <string_view>

#include "domain/core/status.h"

namespace mledger {

inline Status from_rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  const StatusCode code = s.IsCorruption() ? StatusCode::corruption
                          : s.IsNotFound() ? StatusCode::not_found
                          : s.IsInvalidArgument() ? StatusCode::invalid_argument
                                                  : StatusCode::io_error;
  return Status(code, std::string(what) + ": " + s.ToString());
}

}  // namespace mledger
