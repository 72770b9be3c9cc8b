#include "adapters/rocksdb/head_watermark.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "adapters/crypto/sha256.h"
#include "adapters/system/file_writes.h"

namespace mledger {

namespace {

constexpr std::string_view kMagic = "MLHEAD01";
constexpr size_t kSlotBytes = 88;  // magic 8, counter 8, seq 8, hash 32, check 32
constexpr size_t kSlotStride = 4096;
constexpr size_t kFileBytes = 2 * kSlotStride;
constexpr const char* kWhat = "head watermark";

struct Slot {
  uint64_t counter = 0;
  LogDigest head;
};

void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_be64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

std::string encode_slot(const Slot& slot) {
  std::string out(kMagic);
  put_be64(out, slot.counter);
  put_be64(out, slot.head.seq);
  out.append(as_bytes(slot.head.head));
  const Hash256 check = sha256({out});
  out.append(as_bytes(check));
  return out;
}

std::optional<Slot> decode_slot(std::string_view bytes) {
  if (bytes.size() < kSlotBytes || bytes.substr(0, 8) != kMagic) return std::nullopt;
  const Hash256 check = sha256({bytes.substr(0, 56)});
  if (as_bytes(check) != bytes.substr(56, 32)) return std::nullopt;
  Slot slot;
  slot.counter = get_be64(bytes.substr(8));
  slot.head.seq = get_be64(bytes.substr(16));
  std::memcpy(slot.head.head.data(), bytes.data() + 24, 32);
  return slot;
}

// The newest whole slot of the file's bytes; nullopt when neither is.
std::optional<Slot> newest_slot(std::string_view file) {
  std::optional<Slot> best;
  for (size_t at = 0; at + kSlotBytes <= file.size() && at < kFileBytes; at += kSlotStride) {
    auto slot = decode_slot(file.substr(at, kSlotBytes));
    if (slot && (!best || slot->counter > best->counter)) best = slot;
  }
  return best;
}

StatusOr<std::string> read_all(int fd, const std::string& path) {
  std::string bytes(kFileBytes, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err{file_io_error("reading", kWhat, path, errno)};
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

StatusOr<std::optional<Slot>> read_slot(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::optional<Slot>();
  if (fd < 0) return Err{file_io_error("opening", kWhat, path, errno)};
  auto bytes = read_all(fd, path);
  ::close(fd);
  if (!bytes.ok()) return Err{bytes.error()};
  auto slot = newest_slot(*bytes);
  if (!slot) {
    return fail(StatusCode::corruption,
                "the head watermark " + path + " is damaged (neither of its two copies checks)");
  }
  return std::optional<Slot>(*slot);
}

// Writes the whole file beside `path`, syncs it and renames it into place.
Status create_file(const std::string& path, const Slot& slot) {
  std::string bytes(kFileBytes, '\0');
  const std::string first = encode_slot(slot);
  bytes.replace(0, first.size(), first);
  return replace_file(kWhat, path, bytes, 0644, Durability::durable);
}

}  // namespace

StatusOr<std::optional<LogDigest>> HeadWatermark::read(const std::string& path) {
  auto slot = read_slot(path);
  if (!slot.ok()) return Err{slot.error()};
  if (!slot->has_value()) return std::optional<LogDigest>();
  return std::optional<LogDigest>((*slot)->head);
}

StatusOr<std::unique_ptr<HeadWatermark>> HeadWatermark::open(const std::string& path,
                                                             const LogDigest& initial) {
  auto slot = read_slot(path);
  if (!slot.ok()) return Err{slot.error()};
  if (!slot->has_value()) {
    if (Status s = create_file(path, Slot{1, initial}); !s.ok()) return Err{s};
    *slot = Slot{1, initial};
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Err{file_io_error("opening", kWhat, path, errno)};
  return std::unique_ptr<HeadWatermark>(new HeadWatermark(path, fd, (*slot)->counter, (*slot)->head));
}

HeadWatermark::HeadWatermark(std::string path, int fd, uint64_t counter, const LogDigest& current)
    : path_(std::move(path)), fd_(fd), counter_(counter), current_(current) {}

HeadWatermark::~HeadWatermark() { ::close(fd_); }

Status HeadWatermark::advance(const LogDigest& head) {
  const uint64_t counter = counter_ + 1;
  const std::string bytes = encode_slot(Slot{counter, head});
  const off_t at = static_cast<off_t>((counter % 2) * kSlotStride);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return file_io_error("writing", kWhat, path_, errno);
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return file_io_error("syncing", kWhat, path_, errno);
  counter_ = counter;
  current_ = head;
  return Status::Ok();
}

}  // namespace mledger
