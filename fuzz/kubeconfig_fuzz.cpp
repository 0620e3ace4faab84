// Fuzzes the kubeconfig parser and context resolution: any bytes must give a
// Kubeconfig (every context of which resolves to a RestConfig or an Error) or
// an Error, never a crash or another exception. Merging the result into
// itself must hold as well.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kube/kubeconfig.h"
#include "util/error.h"

namespace {

void resolve(const ecrhelm::kube::Kubeconfig& config, const std::string& context) {
  try {
    ecrhelm::kube::RestConfig rc = ecrhelm::kube::resolve_context(config, context);
    (void)rc.server.size();
  } catch (const ecrhelm::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ecrhelm::kube::Kubeconfig config;
  try {
    config = ecrhelm::kube::parse_kubeconfig(in, "/fuzz/kubeconfig");
  } catch (const ecrhelm::Error&) {
    return 0;
  }
  resolve(config, "");  // current-context
  for (const auto& [name, ctx] : config.contexts) resolve(config, name);
  resolve(config, "no-such-context");
  ecrhelm::kube::Kubeconfig merged = config;
  ecrhelm::kube::merge_kubeconfig(merged, config);
  return 0;
}
