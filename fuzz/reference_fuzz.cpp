// Fuzzes OCI reference parsing: no crash, and every accepted reference
// prints to a string that parses back to the same reference.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "oci/reference.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecrhelm;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    oci::Reference ref = oci::parse_reference(in);
    if (oci::parse_reference(ref.to_string()) != ref) __builtin_trap();
    if (!ref.digest.empty() && oci::digest_problem(ref.digest)) __builtin_trap();
  } catch (const Error&) {
  }
  // Argo CD form: repoURL and chart separated by the first newline.
  size_t nl = in.find('\n');
  if (nl != std::string_view::npos) {
    try {
      oci::Reference ref = oci::from_argocd(in.substr(0, nl), in.substr(nl + 1));
      if (!ref.tag.empty() || !ref.digest.empty()) __builtin_trap();
    } catch (const Error&) {
    }
  }
  if (oci::to_tag(in).find('+') != std::string::npos) __builtin_trap();
  return 0;
}
