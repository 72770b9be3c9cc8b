#pragma once
// Base64 (RFC 4648, section 4: the standard alphabet, '=' padding, no line
// breaks), for carrying binary envelopes inside JSON lines.

#include <optional>
#include <string>
#include <string_view>

namespace mledger {

std::string base64_encode(std::string_view bytes);

// Strict: the length is a multiple of 4, only the alphabet, padding only at
// the end, unused bits zero. nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mledger
