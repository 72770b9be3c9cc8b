#include "adapters/rocksdb/info_log.h"

#include <cstdio>

namespace mledger {

std::shared_ptr<InfoLog> InfoLog::make(std::string name, Sink sink) {
  return std::shared_ptr<InfoLog>(new InfoLog(std::move(name), std::move(sink)));
}

InfoLog::InfoLog(std::string name, Sink sink)
    : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), name_(std::move(name)), sink_(std::move(sink)) {}

namespace {

// RocksDB's lines start with the source position ("[db/x.cc:982] "): not for operators.
std::string_view without_source(std::string_view line) {
  if (line.starts_with("[")) {
    const size_t end = line.find("] ");
    if (end != std::string_view::npos) line.remove_prefix(end + 2);
  }
  return line;
}

// "Error when reading DIR dir NotFound: ...": RocksDB creating a database.
bool is_missing_directory_note(std::string_view line) {
  return line.starts_with("Error when reading ") && line.find(" dir NotFound") != std::string_view::npos;
}

}  // namespace

void InfoLog::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void InfoLog::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel()) return;
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  if (n < 0) return;
  std::string_view line =
      without_source(std::string_view(buf, std::min(static_cast<size_t>(n), sizeof buf - 1)));
  while (line.ends_with('\n')) line.remove_suffix(1);
  if (line.find(": dropping ") != std::string_view::npos) {
    std::lock_guard lock(mu_);
    if (first_damage_.empty()) first_damage_ = line;
    return;  // the failed open's message carries it
  }
  // Warnings are RocksDB's routine; so is the ERROR it logs when a new
  // database's directory it is about to create was missing.
  if (level < rocksdb::InfoLogLevel::ERROR_LEVEL || is_missing_directory_note(line)) return;
  emit("rocksdb (" + name_ + "): " + std::string(line));
}

void InfoLog::note(std::string_view line) { emit("mledger (" + name_ + "): " + std::string(line)); }

std::string InfoLog::first_damage() const {
  std::lock_guard lock(mu_);
  return first_damage_;
}

void InfoLog::emit(std::string_view line) {
  if (sink_) {
    sink_(line);
    return;
  }
  // One fprintf per line: stderr is unbuffered, so lines from several
  // threads do not interleave within a line.
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

}  // namespace mledger
