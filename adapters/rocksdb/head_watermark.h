#pragma once
// HeadWatermark: the head of the log as acknowledged, kept outside RocksDB's
// write-ahead log (the file ACKED-HEAD in the ledger's directory).
//
// The writer advances it after each durable batch and before any caller of
// that batch is answered, so at every moment:
//   every acknowledged event's seq <= the watermark's seq <= the durable head.
// When a log opens with its head below the watermark, or with another hash at
// the watermark's seq, events that were acknowledged are missing: the log is
// damaged, whatever RocksDB's own recovery concluded.
//
// Layout: 8 KiB; two copies ("slots") at offsets 0 and 4096, each
//   magic "MLHEAD01" | counter (8, BE) | seq (8, BE) | hash (32) | SHA-256 of the 56 bytes before
// advance() overwrites the older slot and syncs (fdatasync): a write torn by a
// crash leaves the other slot whole, and the newest whole slot is the
// watermark. The blocks are written in full at creation, so an advance
// overwrites allocated space and needs no more of it (a full disk does not
// stop it). The file is created whole (temporary file, sync, rename, sync of
// the directory).
//
// Thread safety: read() anywhere; one HeadWatermark is advanced by one
// thread at a time (the log's single writer).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "domain/core/status.h"
#include "domain/ports/event_log.h"

namespace mledger {

class HeadWatermark {
 public:
  static constexpr const char* kFileName = "ACKED-HEAD";

  // The watermark in `path`: nullopt when there is no such file (a new
  // ledger, or one written before watermarks existed); corruption naming the
  // file when neither slot is whole; io_error when it cannot be read.
  [[nodiscard]] static StatusOr<std::optional<LogDigest>> read(const std::string& path);

  // Opens `path` for advancing; creates it holding `initial` when absent.
  // Fails as read() does, or with io_error when it cannot be created.
  [[nodiscard]] static StatusOr<std::unique_ptr<HeadWatermark>> open(const std::string& path,
                                                                     const LogDigest& initial);
  ~HeadWatermark();
  HeadWatermark(const HeadWatermark&) = delete;
  HeadWatermark& operator=(const HeadWatermark&) = delete;

  // Records `head` durably. On io_error the file still holds the previous
  // watermark (or `head`: the write may have reached the disk).
  [[nodiscard]] Status advance(const LogDigest& head);

  // The last watermark recorded (or read at open).
  [[nodiscard]] const LogDigest& current() const { return current_; }

 private:
  HeadWatermark(std::string path, int fd, uint64_t counter, const LogDigest& current);

  std::string path_;
  int fd_;
  uint64_t counter_;
  LogDigest current_;
};

}  // namespace mledger
