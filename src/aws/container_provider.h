// ECS task role / EKS Pod Identity: credentials from the container endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI), with the
// authorization token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on
// every call) or AWS_CONTAINER_AUTHORIZATION_TOKEN. Only loopback,
// 169.254.170.2, 169.254.170.23 and fd00:ec2::23 are allowed hosts.
#pragma once

#include "aws/credentials.h"
#include "aws/provider_context.h"

namespace ecrhelm::aws {

class ContainerProvider final : public CredentialsProvider {
 public:
  explicit ContainerProvider(ProviderContext ctx);
  // nullopt when neither URI variable is set.
  std::optional<Credentials> load() override;
  std::string name() const override { return "container"; }

 private:
  ProviderContext ctx_;
};

// Parses the endpoint's JSON (AccessKeyId, SecretAccessKey, Token, Expiration,
// AccountId; a "Code"/"Message" pair is an error even with HTTP 200). Fuzzed.
Credentials parse_container_credentials(std::string_view json, std::string_view source);

}  // namespace ecrhelm::aws
