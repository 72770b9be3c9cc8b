#pragma once
// Secret files (the bearer-token key, the tree-head signing key): created
// with mode 0600 and never overwritten, read only when nobody but the owner
// may read them. A secret's bytes never appear in an error message.

#include <string>
#include <string_view>

#include "domain/core/status.h"

namespace mledger {

// Creates `path` (and its missing folders) holding `bytes`, mode exactly
// 0600 whatever the umask, synced with its directory entry. invalid_argument
// "WHAT PATH already exists; refusing to overwrite it" when it exists
// (O_EXCL); io_error otherwise (a partly written file is removed). `what`
// names the kind of file ("key file").
[[nodiscard]] Status write_new_secret_file(std::string_view what, const std::string& path,
                                           std::string_view bytes);

// Reads `path`, without its trailing whitespace. not_found when it does not
// exist; invalid_argument when it is not a regular file, is readable by group
// or others, or is larger than bytes_max; io_error when it cannot be read.
// The buffers that held it are cleansed; the caller cleanses the result.
[[nodiscard]] StatusOr<std::string> read_secret_file(std::string_view what, const std::string& path,
                                                     size_t bytes_max);

// Copies the secret file `from` into the new file `to`: read as
// read_secret_file() reads (so `from` must be mode 0600 or stricter),
// written as write_new_secret_file() writes (mode 0600, never over an
// existing file, synced), its trailing whitespace as one newline (a text
// file such as a PEM key); the bytes are cleansed. Errors as those two.
[[nodiscard]] Status copy_secret_file(std::string_view what, const std::string& from, const std::string& to,
                                      size_t bytes_max);

// The same for a file that need not be secret (a public key, a proof file):
// every check but the mode.
[[nodiscard]] StatusOr<std::string> read_small_file(std::string_view what, const std::string& path,
                                                    size_t bytes_max);

}  // namespace mledger
