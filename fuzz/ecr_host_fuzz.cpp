// Feeds arbitrary bytes to parse_ecr_host (it sees whatever a user, a Docker
// client or a manifest passes as a registry) and checks what it accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aws/ecr_host.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto host = ecrhelm::aws::parse_ecr_host(input);
  if (!host) return 0;
  // Whatever is accepted must be self-consistent and parse again to itself.
  if (host->is_public != (host->host == "public.ecr.aws")) std::abort();
  if (!host->is_public && host->account_id.size() != 12) std::abort();
  if (host->region.empty()) std::abort();
  auto again = ecrhelm::aws::parse_ecr_host(host->host);
  if (!again || again->host != host->host || again->region != host->region ||
      again->account_id != host->account_id || again->fips != host->fips) {
    std::abort();
  }
  return 0;
}
