#pragma once
// InfoLog: RocksDB's own diagnostic log ("info log"), kept off the ledger's
// disk.
//
// By default RocksDB writes a LOG file into the database directory, and on a
// full disk Debian's librocksdb (built with assertions) aborts the process
// when that file's writer is used again after a failed write. Every database
// mledger opens is given an InfoLog instead: messages at ERROR and above go
// to a sink (stderr by default, one line each, prefixed "rocksdb (NAME): "),
// lower levels are dropped, and nothing is written into any directory.
//
// It also keeps the first message in which RocksDB said it drops bytes of a
// file ("<file>: dropping N bytes; <why>", a WARN), so that a failed open can
// name the damaged file.
//
// Thread safety: every member may be called from any thread.

#include <rocksdb/env.h>

#include <cstdarg>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace mledger {

class InfoLog final : public rocksdb::Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;

  // `name` tells the databases apart ("ledger", "projections"); an empty
  // `sink` writes to stderr.
  [[nodiscard]] static std::shared_ptr<InfoLog> make(std::string name, Sink sink = {});

  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;

  // A line of mledger's own about this database, through the same sink.
  void note(std::string_view line);

  // The first "<file>: dropping N bytes; ..." message, or "" when there was none.
  [[nodiscard]] std::string first_damage() const;

 private:
  InfoLog(std::string name, Sink sink);
  void emit(std::string_view line);

  std::string name_;
  Sink sink_;
  mutable std::mutex mu_;
  std::string first_damage_;
};

}  // namespace mledger
