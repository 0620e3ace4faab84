// Fuzzes the credential_process output parser: any bytes must give credentials or an Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/process_provider.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    ecrhelm::aws::parse_process_output(in, "fuzz");
  } catch (const ecrhelm::Error&) {
  }
  return 0;
}
