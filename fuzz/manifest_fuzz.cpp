// Fuzzes the manifest and index parsers and Helm's layer choice: only
// ecrhelm::Error may escape, and accepted documents hold their invariants.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "oci/manifest.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecrhelm;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    oci::Manifest m = oci::parse_manifest(in);
    if (!oci::is_valid_digest(m.config.digest) || m.config.size < 0) __builtin_trap();
    for (const auto& l : m.layers) {
      if (!oci::is_valid_digest(l.digest) || l.size < 0) __builtin_trap();
    }
    try {
      oci::find_chart_layers(m);
    } catch (const Error&) {
    }
  } catch (const Error&) {
  }
  try {
    oci::Index idx = oci::parse_index(in);
    for (const auto& d : idx.manifests) {
      if (!oci::is_valid_digest(d.digest) || d.size < 0) __builtin_trap();
    }
  } catch (const Error&) {
  }
  return 0;
}
