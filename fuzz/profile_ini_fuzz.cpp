// Fuzzes the shared config/credentials INI parser and profile merge: any bytes must give
// sections or an Error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aws/profile_file.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    ecrhelm::aws::parse_ini(in, "fuzz");
  } catch (const ecrhelm::Error&) {
  }
  try {
    // The same bytes as a config file and as a credentials file.
    auto set = ecrhelm::aws::ProfileSet::from_text(in, in);
    for (const auto& name : set.names()) {
      if (const auto* p = set.find(name)) p->get("region");
    }
  } catch (const ecrhelm::Error&) {
  }
  return 0;
}
