// Hashes and MACs from OpenSSL: what SigV4 and digest checks need.
#pragma once

#include <string>
#include <string_view>

namespace ecrhelm {

std::string sha256(std::string_view data);  // raw 32 bytes
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
// Cryptographically random bytes (for temp names, session names, jitter seeds).
std::string random_bytes(size_t n);

}  // namespace ecrhelm
