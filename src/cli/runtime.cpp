#include "cli/runtime.h"

namespace ecrhelm::cli {

Runtime::Runtime(const GlobalFlags& flags)
    : flags_(flags),
      service_(aws::default_service_context(http_)),
      providers_(aws::make_provider_context(service_)) {}

CLI::Validator output_formats(std::initializer_list<std::string> allowed) {
  std::vector<std::string> names(allowed);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : "|") + n;
  return CLI::Validator(
      [names, list](std::string& v) -> std::string {
        for (const auto& n : names)
          if (v == n) return "";
        return "-o must be one of " + list + ", not '" + v + "'";
      },
      list, "output format");
}

}  // namespace ecrhelm::cli
