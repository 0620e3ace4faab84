// Fuzzes the ECR / ECR Public GetAuthorizationToken answer parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/ecr.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    ecrhelm::aws::parse_ecr_authorization(in);
  } catch (const ecrhelm::Error&) {
  }
  try {
    ecrhelm::aws::parse_ecr_public_authorization(in);
  } catch (const ecrhelm::Error&) {
  }
  return 0;
}
