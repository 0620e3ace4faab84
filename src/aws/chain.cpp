#include "aws/chain.h"

#include <spdlog/spdlog.h>

#include "aws/container_provider.h"
#include "aws/env_provider.h"
#include "aws/imds_provider.h"
#include "aws/profile_provider.h"
#include "aws/web_identity_provider.h"

namespace ecrhelm::aws {
namespace {

// Web identity from the environment: resolved at load() so a missing
// variable is only an error when the chain gets this far.
class EnvWebIdentityProvider final : public CredentialsProvider {
 public:
  explicit EnvWebIdentityProvider(ProviderContext ctx) : ctx_(std::move(ctx)) {}
  std::optional<Credentials> load() override {
    auto cfg = WebIdentityProvider::from_env(*ctx_.service.env);
    if (!cfg) return std::nullopt;
    return WebIdentityProvider(ctx_, *cfg).load();
  }
  std::string name() const override { return "web-identity"; }

 private:
  ProviderContext ctx_;
};

}  // namespace

ChainProvider::ChainProvider(std::vector<std::unique_ptr<CredentialsProvider>> providers)
    : providers_(std::move(providers)) {}

std::optional<Credentials> ChainProvider::load() {
  for (auto& p : providers_) {
    auto c = p->load();
    if (c) {
      spdlog::debug("credentials: from {}", c->source);
      return c;
    }
    spdlog::debug("credentials: {} not configured", p->name());
  }
  return std::nullopt;
}

std::string ChainProvider::name() const {
  std::string out;
  for (const auto& p : providers_) {
    if (!out.empty()) out += ", ";
    out += p->name();
  }
  return out;
}

std::unique_ptr<ChainProvider> make_default_chain(const ProviderContext& ctx,
                                                  const ChainOptions& opts) {
  std::vector<std::unique_ptr<CredentialsProvider>> ps;
  if (!opts.profile.empty()) {
    ps.push_back(std::make_unique<ProfileProvider>(ctx, opts.profile));
    return std::make_unique<ChainProvider>(std::move(ps));
  }
  ps.push_back(std::make_unique<EnvProvider>(*ctx.service.env));
  ps.push_back(std::make_unique<ProfileProvider>(ctx));
  ps.push_back(std::make_unique<EnvWebIdentityProvider>(ctx));
  ps.push_back(std::make_unique<ContainerProvider>(ctx));
  ps.push_back(std::make_unique<ImdsProvider>(ctx));
  return std::make_unique<ChainProvider>(std::move(ps));
}

}  // namespace ecrhelm::aws
