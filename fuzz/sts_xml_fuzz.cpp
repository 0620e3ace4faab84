// Fuzzes the STS XML answer parsers and the ARN parsers: any bytes must give
// a result or an Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/arn.h"
#include "aws/sts.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    ecrhelm::aws::parse_caller_identity(in);
  } catch (const ecrhelm::Error&) {
  }
  try {
    ecrhelm::aws::parse_assumed_credentials(in, "AssumeRoleWithWebIdentityResult");
  } catch (const ecrhelm::Error&) {
  }
  ecrhelm::aws::account_from_arn(in);
  if (auto role = ecrhelm::aws::parse_role_arn(in)) ecrhelm::aws::caller_is_role(in, *role);
  return 0;
}
