// Fuzzes the AWS error-body parser (Query XML, moto XML, JSON __type).
#include <cstddef>
#include <cstdint>
#include <string>

#include "aws/service_call.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ecrhelm::http::Response r;
  r.status = 400;
  r.body.assign(reinterpret_cast<const char*>(data), size);
  auto e = ecrhelm::aws::parse_aws_error(r);
  if (e) ecrhelm::aws::is_retryable(r, e);
  return 0;
}
