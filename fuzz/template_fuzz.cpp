// Fuzzes the Go text/template engine an ExternalSecret's template.data runs
// through: any bytes must parse and execute against the generator's output
// (ESO's ECRAuthorizationToken keys) to a string or a TemplateError/Error,
// never a crash, a hang, another exception or output past the cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gotemplate/template.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::json kData = {
      {"username", "AWS"},
      {"password", "cGFzc3dvcmQ="},
      {"proxy_endpoint", "https://1.dkr.ecr.us-east-1.amazonaws.com"},
      {"expires_at", "1700000000"},
      {"list", nlohmann::json::array({1, "two", nullptr})},
      {"map", {{"a", 1}, {"b", {{"c", true}}}}}};
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    std::string out = ecrhelm::gotemplate::render_template("password", text, kData);
    if (out.size() > ecrhelm::gotemplate::kTemplateMaxOutput) std::abort();
  } catch (const ecrhelm::Error&) {
  }
  return 0;
}
