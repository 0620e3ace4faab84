// Fuzzes WWW-Authenticate parsing: never throws, never crashes, and keeps
// within its limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/auth_challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecrhelm::oci;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto challenges = parse_www_authenticate(in);  // must not throw
  if (challenges.size() > kMaxChallenges) __builtin_trap();
  for (const auto& c : challenges) {
    if (c.scheme.empty() || c.params.size() > kMaxChallengeParams) __builtin_trap();
    for (char ch : c.scheme) {
      if (ch >= 'A' && ch <= 'Z') __builtin_trap();
    }
    for (const auto& [k, v] : c.params) {
      for (char ch : k) {
        if (ch >= 'A' && ch <= 'Z') __builtin_trap();
      }
    }
  }
  return 0;
}
