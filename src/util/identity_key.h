// IdentityKey: the name of "who these credentials are", for caches that
// share a token between callers. It is derived from every piece of credential
// material (a key id alone is not an identity: it is public), by HMAC-SHA256
// under a key that is not stored with the cache's contents, so the name
// reveals none of the material and cannot be forged without it. A per-process
// random key serves in-memory caches; a file cache keeps its key 0600 beside
// itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/secret.h"

namespace ecrhelm {

// Named fields in order; each field is length-prefixed, so no two different
// lists encode alike ("a|b" + "c" never equals "a" + "b|c").
class IdentityMaterial {
 public:
  IdentityMaterial& add(std::string_view field, std::string_view value);
  IdentityMaterial& add(std::string_view field, const Secret& value);
  // Only for IdentityKeyer: the encoding holds secrets.
  const Secret& encoded() const { return encoded_; }

 private:
  Secret encoded_;
};

inline constexpr std::size_t kIdentityKeyBytes = 32;
inline constexpr std::size_t kIdentityNameHexChars = 32;  // 128 bits of the HMAC

class IdentityKeyer {
 public:
  explicit IdentityKeyer(Secret key) : key_(std::move(key)) {}
  // A fresh random key (in-memory caches of one process).
  static IdentityKeyer random();
  // The key in `path` (hex, 0600), created atomically when missing. nullopt,
  // with a debug log, when it cannot be read or created: the caller then does
  // without its cache.
  static std::optional<IdentityKeyer> from_key_file(const std::string& path);

  // Hex name of the identity; equal only for equal material under this key.
  std::string name(const IdentityMaterial& material) const;

 private:
  Secret key_;
};

}  // namespace ecrhelm
