#include "util/crypto.h"

// SHA-256 through OpenSSL's SHA256_* functions, not EVP: an EVP digest or
// MAC makes OpenSSL 3 fetch its algorithm from a provider, and the first
// fetch of a process costs about 3 M instructions, 11% of a whole
// credential-helper call served from the cache (bench/startup.sh,
// callgrind). The functions are deprecated for new code in OpenSSL 3 and
// kept; HMAC is RFC 2104 over them, checked against EVP's in the tests.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm {

namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

void sha256_into(std::string_view a, std::string_view b, Digest& out) {
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, a.data(), a.size()) != 1 ||
      SHA256_Update(&ctx, b.data(), b.size()) != 1 || SHA256_Final(out.data(), &ctx) != 1) {
    fail(ErrorKind::kInternal, "SHA-256 failed in OpenSSL");
  }
}

std::string_view view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace

std::string sha256(std::string_view data) {
  Digest d;
  sha256_into(data, {}, d);
  return std::string(view(d));
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  constexpr size_t kBlock = SHA256_CBLOCK;  // 64 bytes
  std::array<char, kBlock> k{};
  if (key.size() > kBlock) {
    Digest kd;
    sha256_into(key, {}, kd);
    std::copy(kd.begin(), kd.end(), k.begin());
  } else {
    std::copy(key.begin(), key.end(), k.begin());
  }
  std::array<char, kBlock> ipad;
  std::array<char, kBlock> opad;
  for (size_t i = 0; i < kBlock; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  Digest inner;
  sha256_into({ipad.data(), kBlock}, data, inner);
  Digest outer;
  sha256_into({opad.data(), kBlock}, view(inner), outer);
  return std::string(view(outer));
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(n)) != 1) {
    fail(ErrorKind::kInternal, "OpenSSL RAND_bytes failed");
  }
  return out;
}

}  // namespace ecrhelm
