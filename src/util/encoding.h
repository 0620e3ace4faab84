// Byte encodings used on the wire: base64 (std and URL alphabets), hex, and
// the percent-encodings of SigV4 and of form bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm {

std::string base64_encode(std::string_view bytes);
// Decodes standard or URL-safe base64, padded or not; nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);
std::string hex_encode(std::string_view bytes);
// Lower- or upper-case hex, even length; nullopt on anything else.
std::optional<std::string> hex_decode(std::string_view text);

// RFC 3986 percent-encoding of everything but unreserved characters
// (A-Z a-z 0-9 - _ . ~); '/' is kept when encode_slash is false.
std::string uri_encode(std::string_view s, bool encode_slash = true);
// Decodes %XX escapes (and '+' as space when plus_as_space); nullopt on a bad escape.
std::optional<std::string> uri_decode(std::string_view s, bool plus_as_space = false);

}  // namespace ecrhelm
