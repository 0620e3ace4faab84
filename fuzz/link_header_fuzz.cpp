// Fuzzes RFC 8288 Link parsing: never throws, never crashes, and a next
// link is always a non-empty substring of the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/link_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto next = ecrhelm::oci::next_link(in);  // must not throw
  if (next && (next->empty() || in.find(*next) == std::string_view::npos)) __builtin_trap();
  return 0;
}
