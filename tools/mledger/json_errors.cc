#include "tools/mledger/json_errors.h"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

namespace mledger::cli {

namespace {

// Writes all of `bytes` to `fd`; a failure is reported to the C stream as
// an error (what a write to a closed pipe would have given).
ssize_t write_through(int fd, const char* bytes, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return done > 0 ? static_cast<ssize_t>(done) : -1;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(size);
}

ssize_t stdout_write(void* cookie, const char* bytes, size_t size) {
  const ssize_t n = write_through(STDOUT_FILENO, bytes, size);
  if (n > 0) static_cast<JsonErrors*>(cookie)->on_stdout(static_cast<size_t>(n));
  return n;
}

ssize_t stderr_write(void* cookie, const char* bytes, size_t size) {
  const ssize_t n = write_through(STDERR_FILENO, bytes, size);
  if (n > 0) static_cast<JsonErrors*>(cookie)->on_stderr(bytes, static_cast<size_t>(n));
  return n;
}

std::FILE* open_stream(JsonErrors* self, ssize_t (*write)(void*, const char*, size_t), int buffering) {
  cookie_io_functions_t io{};
  io.write = write;
  std::FILE* f = ::fopencookie(self, "w", io);
  if (f != nullptr) (void)std::setvbuf(f, nullptr, buffering, 0);
  return f;
}

}  // namespace

bool JsonErrors::start() {
  std::fflush(stdout);
  std::fflush(stderr);
  std::FILE* out = open_stream(this, stdout_write, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF);
  std::FILE* err = open_stream(this, stderr_write, _IONBF);
  if (out == nullptr || err == nullptr) {
    if (out != nullptr) std::fclose(out);
    if (err != nullptr) std::fclose(err);
    return false;
  }
  original_stdout_ = stdout;
  original_stderr_ = stderr;
  stdout = out;
  stderr = err;
  return true;
}

void JsonErrors::on_stderr(const char* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (bytes[i] != '\n') {
      if (partial_line_.size() < kLineBytesMax) partial_line_.push_back(bytes[i]);
      continue;
    }
    if (partial_line_.starts_with("mledger ")) last_report_ = partial_line_;
    partial_line_.clear();
  }
}

int JsonErrors::finish(int exit_code) {
  if (original_stdout_ == nullptr) return exit_code;
  std::fflush(stdout);
  std::fclose(stdout);
  std::fclose(stderr);
  stdout = original_stdout_;
  stderr = original_stderr_;
  original_stdout_ = nullptr;
  original_stderr_ = nullptr;
  if (exit_code != 0 && stdout_bytes_ == 0) {
    if (partial_line_.starts_with("mledger ")) last_report_ = partial_line_;
    const nlohmann::json error = {
        {"error", {{"exit_code", exit_code},
                   {"message", last_report_.empty() ? "mledger: failed (exit " + std::to_string(exit_code) + ")"
                                                    : last_report_}}}};
    std::printf("%s\n", error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
  }
  return exit_code;
}

JsonErrors::~JsonErrors() { (void)finish(0); }

}  // namespace mledger::cli
