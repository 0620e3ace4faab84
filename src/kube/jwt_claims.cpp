#include "kube/jwt_claims.h"

#include <nlohmann/json.hpp>

#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm::kube {
namespace {

std::optional<int64_t> int_claim(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    double v = it->get<double>();
    if (v > -9.2e18 && v < 9.2e18) return static_cast<int64_t>(v);
  }
  fail(ErrorKind::kInvalidInput, "JWT claim {} is not a number", name);
}

std::string string_claim(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return "";
  if (!it->is_string()) fail(ErrorKind::kInvalidInput, "JWT claim {} is not a string", name);
  return it->get<std::string>();
}

}  // namespace

JwtClaims decode_jwt_claims(std::string_view token) {
  if (token.size() > kMaxJwtBytes) {
    fail(ErrorKind::kInvalidInput, "JWT is larger than {} bytes", kMaxJwtBytes);
  }
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    fail(ErrorKind::kInvalidInput, "not a JWT: expected three dot-separated parts");
  }
  std::string_view payload = token.substr(first + 1, second - first - 1);
  auto bytes = base64_decode(payload);
  if (!bytes) fail(ErrorKind::kInvalidInput, "JWT payload is not base64url");
  auto j = nlohmann::json::parse(*bytes, nullptr, false);
  if (!j.is_object()) fail(ErrorKind::kInvalidInput, "JWT payload is not a JSON object");
  JwtClaims c;
  c.iss = string_claim(j, "iss");
  c.sub = string_claim(j, "sub");
  if (auto it = j.find("aud"); it != j.end()) {
    if (it->is_string()) {
      c.aud.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_string()) fail(ErrorKind::kInvalidInput, "JWT claim aud holds a non-string");
        c.aud.push_back(a.get<std::string>());
      }
    } else {
      fail(ErrorKind::kInvalidInput, "JWT claim aud is neither a string nor a list");
    }
  }
  c.exp = int_claim(j, "exp");
  c.iat = int_claim(j, "iat");
  return c;
}

}  // namespace ecrhelm::kube
