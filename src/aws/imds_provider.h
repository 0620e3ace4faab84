// EC2 instance role through IMDSv2 (token PUT, role name, credentials), with
// botocore's fallbacks and short timeouts so the chain never hangs off EC2.
// AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT(_MODE),
// AWS_METADATA_SERVICE_TIMEOUT, AWS_METADATA_SERVICE_NUM_ATTEMPTS.
#pragma once

#include "aws/credentials.h"
#include "aws/provider_context.h"

namespace ecrhelm::aws {

class ImdsProvider final : public CredentialsProvider {
 public:
  explicit ImdsProvider(ProviderContext ctx);
  // nullopt when disabled or no metadata service answers.
  std::optional<Credentials> load() override;
  std::string name() const override { return "imds"; }

 private:
  ProviderContext ctx_;
};

}  // namespace ecrhelm::aws
