#include "adapters/auth/revocation_list.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <vector>

#include "adapters/system/file_writes.h"

namespace mledger::auth {

namespace {

constexpr size_t kExpiryDigitsMax = 19;
constexpr int kOpenAttemptsMax = 100;  // the file renamed under us this often: give up

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// One line of the file: a comment (or blank), or an entry, or the problem.
struct Line {
  bool entry = false;
  RevokedToken token;
  std::string problem;  // non-empty: malformed
};

Line parse_line(std::string_view raw) {
  Line out;
  const std::string_view line = trim(raw);
  if (line.empty() || line.front() == '#') return out;
  size_t gap = 0;
  while (gap < line.size() && !is_blank(line[gap])) ++gap;
  const std::string_view id = line.substr(0, gap);
  const std::string_view exp = trim(line.substr(gap));
  if (exp.empty()) {
    out.problem = "expected 'JTI EXP' (the token id and its expiry in Unix seconds)";
    return out;
  }
  if (std::string p = revoked_token_id_problem(id); !p.empty()) {
    out.problem = p;
    return out;
  }
  const bool digits = exp.size() <= kExpiryDigitsMax &&
                      exp.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits) {
    out.problem = exp.find_first_of(" \t") != std::string_view::npos
                      ? "expected 'JTI EXP', found more than two fields"
                      : "EXP must be the token's expiry in Unix seconds (1 to 19 digits)";
    return out;
  }
  const unsigned long long value = std::stoull(std::string(exp));
  if (value == 0 || value > static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())) {
    out.problem = "EXP must be from 1 to 9223372036854775807";
    return out;
  }
  out.entry = true;
  out.token = RevokedToken{std::string(id), static_cast<int64_t>(value)};
  return out;
}

Status line_error(const std::string& source, size_t line_no, const std::string& what) {
  return Status(StatusCode::invalid_argument,
                "revocation list " + source + " line " + std::to_string(line_no) + ": " + what);
}

Status too_many(const std::string& source, size_t line_no) {
  return Status(StatusCode::limit_exceeded, "revocation list " + source + " line " + std::to_string(line_no) +
                                                ": more than " + std::to_string(kRevokedTokensMax) +
                                                " entries (kRevokedTokensMax)");
}

Status too_large(const std::string& source) {
  return Status(StatusCode::limit_exceeded, "revocation list " + source + " is larger than " +
                                                std::to_string(kRevocationFileBytesMax) +
                                                " bytes (kRevocationFileBytesMax)");
}

// Calls on_line(line_no, text, parsed) for each line; the first problem ends it.
template <class F>
Status each_line(std::string_view text, const std::string& source, F&& on_line) {
  if (text.size() > kRevocationFileBytesMax) return too_large(source);
  size_t line_no = 0, entries = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (raw.find('\0') != std::string_view::npos) return line_error(source, line_no, "holds a NUL byte");
    Line parsed = parse_line(raw);
    if (!parsed.problem.empty()) return line_error(source, line_no, parsed.problem);
    if (parsed.entry && ++entries > kRevokedTokensMax) return too_many(source, line_no);
    on_line(line_no, raw, parsed);
  }
  return Status::Ok();
}

constexpr std::string_view kWhat = "revocation list";

Status io_error(const std::string& doing, const std::string& path, int err) {
  return file_io_error(doing, kWhat, path, err);
}

// Reads the open regular file `fd` whole, within kRevocationFileBytesMax.
StatusOr<std::string> read_all(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Err{io_error("inspecting", path, errno)};
  if (!S_ISREG(st.st_mode)) {
    return fail(StatusCode::invalid_argument, "revocation list " + path + " is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kRevocationFileBytesMax) return Err{too_large(path)};
  std::string bytes(kRevocationFileBytesMax + 1, '\0');
  size_t have = 0;
  while (have < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + have, bytes.size() - have, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err{io_error("reading", path, errno)};
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > kRevocationFileBytesMax) return Err{too_large(path)};  // it grew meanwhile
  bytes.resize(have);
  return bytes;
}

// Opens `path` (creating it 0600 when missing) and locks it; retries when the
// file was replaced between the open and the lock.
StatusOr<int> open_locked(const std::string& path) {
  if (Status s = make_parent_directories(kWhat, path); !s.ok()) return Err{s};
  for (int attempt = 0; attempt < kOpenAttemptsMax; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT) {
      fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0 && errno == EEXIST) continue;  // made by another meanwhile
      if (fd >= 0 && ::fchmod(fd, 0600) != 0) {
        const int err = errno;
        ::close(fd);
        return Err{io_error("setting the mode of", path, err)};
      }
    }
    if (fd < 0) return Err{io_error("opening", path, errno)};
    if (::flock(fd, LOCK_EX) != 0) {
      const int err = errno;
      ::close(fd);
      return Err{io_error("locking", path, err)};
    }
    struct stat held {}, now {};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino) {
      return fd;
    }
    ::close(fd);  // renamed over (or removed) before we held the lock: take the new one
  }
  return fail(StatusCode::io_error, "revocation list " + path + " keeps being replaced; try again");
}

}  // namespace

std::string revoked_token_id_problem(std::string_view id) {
  if (id.empty() || id.size() > kRevokedTokenIdBytesMax) {
    return "JTI must be 1.." + std::to_string(kRevokedTokenIdBytesMax) + " bytes";
  }
  if (id.front() == '#') return "JTI must not start with '#'";
  for (char c : id) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return "JTI must be printable ASCII without spaces";
    }
  }
  return "";
}

StatusOr<RevocationList> RevocationList::parse(std::string_view text, const std::string& source,
                                               int64_t now_s) {
  RevocationList list;
  Status s = each_line(text, source, [&](size_t, std::string_view, const Line& line) {
    if (!line.entry || line.token.expires_at_s <= now_s) return;
    int64_t& exp = list.expiry_[line.token.token_id];
    exp = std::max(exp, line.token.expires_at_s);
  });
  if (!s.ok()) return Err{std::move(s)};
  return list;
}

StatusOr<RevocationList> RevocationList::load(const std::string& path, int64_t now_s) {
  // O_NONBLOCK: a FIFO must not hang the open (read_all refuses it).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return fail(StatusCode::not_found, "revocation list " + path + " does not exist");
    return Err{io_error("opening", path, err)};
  }
  StatusOr<std::string> text = read_all(fd, path);
  ::close(fd);
  if (!text.ok()) return Err{std::move(text).error()};
  return parse(*text, path, now_s);
}

bool RevocationList::contains(std::string_view token_id) const {
  return expiry_.find(std::string(token_id)) != expiry_.end();
}

StatusOr<RevocationAdded> add_to_revocation_file(const std::string& path, const RevokedToken& token,
                                                 int64_t now_s) {
  if (std::string p = revoked_token_id_problem(token.token_id); !p.empty()) {
    return fail(StatusCode::invalid_argument, "cannot list this token: " + p);
  }
  if (token.expires_at_s <= 0) return fail(StatusCode::invalid_argument, "EXP must be positive");
  StatusOr<int> locked = open_locked(path);
  if (!locked.ok()) return Err{std::move(locked).error()};
  const int fd = *locked;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }  // releases the lock
  } closer{fd};
  StatusOr<std::string> text = read_all(fd, path);
  if (!text.ok()) return Err{std::move(text).error()};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Err{io_error("inspecting", path, errno)};

  RevocationAdded result;
  std::string rewritten;
  bool listed = false;
  Status s = each_line(*text, path, [&](size_t, std::string_view raw, const Line& line) {
    if (line.entry && line.token.expires_at_s <= now_s) {
      ++result.dropped;
      return;
    }
    if (line.entry) {
      ++result.entries;
      listed = listed || line.token.token_id == token.token_id;
    }
    rewritten.append(raw);
    rewritten.push_back('\n');
  });
  if (!s.ok()) return Err{std::move(s)};
  if (!listed && token.expires_at_s > now_s) {
    if (result.entries + 1 > kRevokedTokensMax) return Err{too_many(path, result.entries + 1)};
    rewritten += token.token_id + " " + std::to_string(token.expires_at_s) + "\n";
    if (rewritten.size() > kRevocationFileBytesMax) return Err{too_large(path)};
    result.added = true;
    ++result.entries;
  }
  if (!result.added && result.dropped == 0) return result;  // nothing changes
  // Whole or not at all, durably; the file's lock is held.
  if (Status w = replace_file(kWhat, path, rewritten, st.st_mode & 07777, Durability::durable); !w.ok()) {
    return Err{std::move(w)};
  }
  return result;
}

}  // namespace mledger::auth
