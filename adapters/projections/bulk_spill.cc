#include "adapters/projections/bulk_spill.h"

#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "adapters/system/file_writes.h"

namespace mledger {

namespace {

constexpr std::string_view kWhat = "bulk load spill";
enum RecordKind : uint8_t { kEvent = 1, kDocuments = 2 };
constexpr size_t kHeaderBytes = 5;           // kind, body length
constexpr uint32_t kRecordBytesMax = 1u << 30;  // a record's body, at most
constexpr size_t kReadBytes = size_t{1} << 20;

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

// Reads a T at `at` and moves past it; false when too few bytes are left.
template <class T>
bool take(std::string_view& in, T& value) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&value, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

bool take_bytes(std::string_view& in, std::string& out) {
  uint32_t n = 0;
  if (!take(in, n) || in.size() < n) return false;
  out.assign(in.data(), n);
  in.remove_prefix(n);
  return true;
}

void put_bytes(std::string& out, std::string_view bytes) {
  put(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

// A checksum against damage to the files between writing and reading (not
// against tampering: the events' own hashes were checked as the log was
// read): four 64-bit lanes of multiply-xorshift, mixed at the end.
uint64_t checksum(std::string_view bytes) {
  constexpr uint64_t kMul = 0xff51afd7ed558ccdull;
  uint64_t lane[4] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, bytes.size()};
  size_t i = 0;
  for (; i + 32 <= bytes.size(); i += 32) {
    for (int k = 0; k < 4; ++k) {
      uint64_t w;
      std::memcpy(&w, bytes.data() + i + 8 * k, 8);
      lane[k] = (lane[k] ^ w) * kMul;
      lane[k] ^= lane[k] >> 29;
    }
  }
  for (int k = 0; i < bytes.size(); ++i, k = (k + 1) & 3) {
    lane[k] = (lane[k] ^ static_cast<uint8_t>(bytes[i])) * kMul;
  }
  uint64_t h = 0;
  for (uint64_t l : lane) h = (h ^ l ^ (l >> 31)) * kMul;
  return h ^ (h >> 32);
}

StatusOr<SpilledDocuments> parse_documents(std::string_view body) {
  SpilledDocuments d;
  uint64_t sum = 0;
  if (body.size() < sizeof sum) return fail(StatusCode::corruption, "short documents record");
  std::memcpy(&sum, body.data() + body.size() - sizeof sum, sizeof sum);
  body.remove_suffix(sizeof sum);
  if (checksum(body) != sum) return fail(StatusCode::corruption, "documents record fails its checksum");
  uint32_t n = 0;
  bool ok = take(body, d.projection) && take(body, d.through_seq) && take_bytes(body, d.account) && take(body, n);
  for (uint32_t i = 0; ok && i < n; ++i) {
    auto& [key, value] = d.documents.emplace_back();
    ok = take_bytes(body, key) && take_bytes(body, value);
  }
  if (!ok || !body.empty()) return fail(StatusCode::corruption, "documents record of the wrong length");
  return d;
}

}  // namespace

BulkSpill::BulkSpill(std::string directory, uint64_t bytes_max)
    : directory_(std::move(directory)), bytes_max_(bytes_max), buckets_(kSpillBuckets) {}

StatusOr<std::unique_ptr<BulkSpill>> BulkSpill::create(std::string directory, uint64_t bytes_max) {
  std::error_code ec;
  std::filesystem::remove_all(directory, ec);
  if (ec) return Err{file_io_error("removing the old", kWhat, directory, ec.value())};
  if (Status s = make_directories(kWhat, directory); !s.ok()) return Err{s};
  return std::unique_ptr<BulkSpill>(new BulkSpill(std::move(directory), bytes_max));
}

BulkSpill::~BulkSpill() {
  for (Bucket& b : buckets_) {
    if (b.fd >= 0) ::close(b.fd);
  }
  std::error_code ec;
  std::filesystem::remove_all(directory_, ec);  // best effort: the next run removes it too
}

std::string BulkSpill::path(uint64_t bucket) const { return directory_ + "/bucket-" + std::to_string(bucket); }

Status BulkSpill::reserve(uint64_t bucket, size_t bytes) {
  assert(bucket < kSpillBuckets);
  if (bytes_ + bytes > bytes_max_) {
    return Status(StatusCode::limit_exceeded, "the bulk load's spill in " + directory_ + " would pass its bound of " +
                                                  std::to_string(bytes_max_ >> 20) + " MiB");
  }
  bytes_ += bytes;
  buckets_[bucket].bytes += bytes;
  return Status::Ok();
}

Status BulkSpill::write_out(uint64_t bucket) {
  Bucket& b = buckets_[bucket];
  if (b.buffer.empty()) return Status::Ok();
  const std::string p = path(bucket);
  if (b.fd < 0) {
    b.fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (b.fd < 0) return file_io_error("creating", kWhat, p, errno);
  }
  if (Status s = write_all(b.fd, b.buffer, kWhat, p); !s.ok()) return s;
  b.buffer.clear();
  if (b.buffer.capacity() > 2 * kSpillBufferBytes) b.buffer.shrink_to_fit();
  return Status::Ok();
}

Status BulkSpill::add_event(uint64_t bucket, uint64_t seq, std::string_view event) {
  const size_t body = sizeof seq + event.size() + sizeof(uint64_t);
  if (body > kRecordBytesMax) {
    return Status(StatusCode::limit_exceeded, "event " + std::to_string(seq) + " is too large to spill");
  }
  if (Status s = reserve(bucket, kHeaderBytes + body); !s.ok()) return s;
  ++events_;
  event_bytes_ += kHeaderBytes + body;
  std::string& out = buckets_[bucket].buffer;
  put(out, static_cast<uint8_t>(kEvent));
  put(out, static_cast<uint32_t>(body));
  put(out, seq);
  out.append(event);
  put(out, checksum(event) ^ seq);
  return out.size() >= kSpillBufferBytes ? write_out(bucket) : Status::Ok();
}

Status BulkSpill::add_documents(uint64_t bucket, uint32_t projection, std::string_view account,
                                uint64_t through_seq, const AccountDocuments& documents) {
  std::string body;
  put(body, projection);
  put(body, through_seq);
  put_bytes(body, account);
  put(body, static_cast<uint32_t>(documents.size()));
  for (const auto& [key, value] : documents) {
    put_bytes(body, key);
    put_bytes(body, value);
  }
  put(body, checksum(body));
  if (body.size() > kRecordBytesMax) {
    return Status(StatusCode::limit_exceeded, "the documents of account " + std::string(account) +
                                                  " are too large to spill (" + std::to_string(body.size()) +
                                                  " bytes)");
  }
  if (Status s = reserve(bucket, kHeaderBytes + body.size()); !s.ok()) return s;
  std::string& out = buckets_[bucket].buffer;
  put(out, static_cast<uint8_t>(kDocuments));
  put(out, static_cast<uint32_t>(body.size()));
  out.append(body);
  return out.size() >= kSpillBufferBytes ? write_out(bucket) : Status::Ok();
}

uint64_t BulkSpill::bytes_in(uint64_t first, uint64_t end) const {
  uint64_t sum = 0;
  for (uint64_t b = first; b < end && b < kSpillBuckets; ++b) sum += buckets_[b].bytes;
  return sum;
}

Status BulkSpill::flush() {
  for (uint64_t b = 0; b < kSpillBuckets; ++b) {
    if (Status s = write_out(b); !s.ok()) return s;
  }
  return Status::Ok();
}

// Reads more of the file into `buffer` (dropping what was consumed before
// `at`), at least `wanted` bytes past `at` unless it ends; false at its end.
StatusOr<bool> BulkSpill::refill(int fd, const std::string& path, std::string& buffer, size_t& at,
                                 size_t wanted) const {
  buffer.erase(0, at);
  at = 0;
  const size_t old = buffer.size();
  buffer.resize(old + std::max(kReadBytes, wanted));
  ssize_t n;
  do {
    n = ::read(fd, buffer.data() + old, buffer.size() - old);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    buffer.resize(old);
    return Err{file_io_error("reading", kWhat, path, err)};
  }
  buffer.resize(old + static_cast<size_t>(n));
  return n > 0;
}

Status BulkSpill::read(uint64_t bucket, const std::function<bool(uint64_t, std::string_view)>& on_event,
                       const std::function<bool(SpilledDocuments&&)>& on_documents) const {
  if (buckets_[bucket].fd < 0) return Status::Ok();  // nothing was spilled there
  const std::string p = path(bucket);
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_io_error("opening", kWhat, p, errno);
  std::string buffer;
  size_t at = 0;  // the next record's first byte in buffer
  Status status;
  auto corrupt = [&](const std::string& what) { return Status(StatusCode::corruption, p + ": " + what); };
  for (bool more = true; status.ok();) {
    std::string_view rest(buffer.data() + at, buffer.size() - at);
    uint8_t kind = 0;
    uint32_t length = 0;
    if (rest.size() >= kHeaderBytes) {
      std::memcpy(&kind, rest.data(), 1);
      std::memcpy(&length, rest.data() + 1, 4);
      if (length > kRecordBytesMax) {
        status = corrupt("a record of " + std::to_string(length) + " bytes");
        break;
      }
    }
    if (rest.size() < kHeaderBytes || rest.size() < kHeaderBytes + length) {
      if (!more) {
        if (!rest.empty()) status = corrupt("ends inside a record");
        break;
      }
      auto read = refill(fd, p, buffer, at, kHeaderBytes + length);
      if (!read.ok()) status = read.error();
      more = read.ok() && *read;
      continue;
    }
    at += kHeaderBytes + length;
    auto go_on = deliver(kind, rest.substr(kHeaderBytes, length), on_event, on_documents);
    if (!go_on.ok()) status = corrupt(go_on.error().message());
    if (!go_on.ok() || !*go_on) break;
  }
  ::close(fd);
  return status;
}

StatusOr<bool> BulkSpill::deliver(uint8_t kind, std::string_view body,
                                  const std::function<bool(uint64_t, std::string_view)>& on_event,
                                  const std::function<bool(SpilledDocuments&&)>& on_documents) {
  if (kind == kDocuments) {
    auto d = parse_documents(body);
    if (!d.ok()) return Err{d.error()};
    return on_documents(std::move(d.value()));
  }
  if (kind != kEvent) return fail(StatusCode::corruption, "a record of unknown kind " + std::to_string(kind));
  uint64_t seq = 0, sum = 0;
  if (!take(body, seq) || body.size() < sizeof sum) return fail(StatusCode::corruption, "a short event record");
  std::memcpy(&sum, body.data() + body.size() - sizeof sum, sizeof sum);
  body.remove_suffix(sizeof sum);
  if ((checksum(body) ^ seq) != sum) {
    return fail(StatusCode::corruption, "event " + std::to_string(seq) + " fails its checksum");
  }
  return on_event(seq, body);
}

}  // namespace mledger
