// Feeds arbitrary bytes to decode_jwt_claims (what `doctor` reads from a
// TokenRequest answer): it must either throw ecrhelm::Error or return claims.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kube/jwt_claims.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    auto c = ecrhelm::kube::decode_jwt_claims(input);
    if (input.size() > ecrhelm::kube::kMaxJwtBytes) std::abort();
    for (const auto& a : c.aud) (void)a.size();
  } catch (const ecrhelm::Error&) {
  }
  return 0;
}
