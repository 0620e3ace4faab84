// Fuzzes credential lookup over parsed Docker config.json files: the host is
// the first line of the input, the JSON the rest. Only ecrhelm::Error may
// escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "oci/docker_credentials.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ecrhelm;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view host = nl == std::string_view::npos ? std::string_view() : in.substr(0, nl);
  std::string_view text = nl == std::string_view::npos ? in : in.substr(nl + 1);
  auto config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return 0;
  oci::normalize_registry_host(host);
  oci::cred_helper_for(config, host);
  try {
    oci::lookup_config_auth(config, host);
  } catch (const Error&) {
  }
  return 0;
}
