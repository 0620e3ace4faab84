// IRSA: STS AssumeRoleWithWebIdentity with the projected service-account
// token. The token file is re-read on every call (the kubelet rotates it).
#pragma once

#include <optional>
#include <string>

#include "aws/credentials.h"
#include "aws/provider_context.h"

namespace ecrhelm::aws {

struct WebIdentityConfig {
  std::string role_arn;
  std::string token_file;
  std::string session_name;  // empty: "ecrhelm-<unix time>"
  std::string region;        // STS region; empty: from the environment/profile
  std::string origin;        // "environment" or "profile NAME", for messages
};

class WebIdentityProvider final : public CredentialsProvider {
 public:
  WebIdentityProvider(ProviderContext ctx, WebIdentityConfig cfg);
  // AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME);
  // nullopt when neither is set; throws when only one is.
  static std::optional<WebIdentityConfig> from_env(const Env& env);
  std::optional<Credentials> load() override;
  std::string name() const override { return "web-identity"; }

 private:
  ProviderContext ctx_;
  WebIdentityConfig cfg_;
};

}  // namespace ecrhelm::aws
