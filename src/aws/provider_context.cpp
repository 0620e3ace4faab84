#include "aws/provider_context.h"

#include "aws/profile_file.h"

namespace ecrhelm::aws {

ProviderContext make_provider_context(const ServiceContext& service) {
  ProviderContext ctx;
  ctx.service = service;
  ctx.sts = [service](const std::string& region) -> std::unique_ptr<StsApi> {
    std::string r = region;
    if (r.empty()) r = region_from_env(*service.env).value_or("");
    if (r.empty()) r = region_from_profile(*service.env).value_or("");
    return std::make_unique<StsClient>(service, r);
  };
  return ctx;
}

}  // namespace ecrhelm::aws
