// The claims of a service-account token (a JWT), read without verifying its
// signature: `doctor` compares them with what an IAM role's trust policy
// expects (iss, sub, aud). The token itself is never kept or printed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecrhelm::kube {

// Largest token accepted (Kubernetes tokens are ~1 KiB).
inline constexpr size_t kMaxJwtBytes = 64 * 1024;

struct JwtClaims {
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;  // a single string audience becomes one entry
  std::optional<int64_t> exp;    // Unix seconds
  std::optional<int64_t> iat;
};

// Decodes the payload (the second of three dot-separated base64url parts) as
// a JSON object. Throws Error(kInvalidInput) saying what is malformed, never
// quoting the token.
JwtClaims decode_jwt_claims(std::string_view token);

}  // namespace ecrhelm::kube
