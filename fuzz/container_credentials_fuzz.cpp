// Fuzzes the container / IMDS credentials document parser (the JSON the ECS
// agent, EKS Pod Identity agent and IMDS answer with).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/container_provider.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    auto c = ecrhelm::aws::parse_container_credentials(in, "container (fuzz)");
    if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() ||
        !c.expiration) {
      __builtin_trap();  // the parser promised complete credentials
    }
  } catch (const ecrhelm::Error&) {
  }
  return 0;
}
