// What credential providers need from the outside world, injected so each
// provider is tested alone: environment, clock, HTTP, and STS by region.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "aws/service_call.h"
#include "aws/sts.h"

namespace ecrhelm::aws {

struct ProviderContext {
  ServiceContext service;
  // An STS client for a region ("" = region from env/profile, else global).
  std::function<std::unique_ptr<StsApi>(const std::string& region)> sts;
};

// The real thing: StsClient over ctx.service.
ProviderContext make_provider_context(const ServiceContext& service);

}  // namespace ecrhelm::aws
