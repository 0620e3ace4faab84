// The default credential chain in the AWS SDKs' order: environment, shared
// profile, web identity (IRSA), container (ECS / EKS Pod Identity), IMDSv2.
// The first source that is configured wins; a configured source that fails
// is an error (botocore), not a silent skip.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/provider_context.h"

namespace ecrhelm::aws {

class ChainProvider final : public CredentialsProvider {
 public:
  explicit ChainProvider(std::vector<std::unique_ptr<CredentialsProvider>> providers);
  std::optional<Credentials> load() override;
  std::string name() const override;  // "environment, profile, web-identity, ..."

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

struct ChainOptions {
  // An explicit --profile: only that profile is used, as `aws --profile` does
  // (environment keys are then ignored).
  std::string profile;
};

std::unique_ptr<ChainProvider> make_default_chain(const ProviderContext& ctx,
                                                  const ChainOptions& opts = {});

}  // namespace ecrhelm::aws
