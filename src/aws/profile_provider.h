// Credentials from a named profile of the shared files: static keys,
// role_arn with source_profile (chained, cycle-checked) or credential_source
// (Environment, Ec2InstanceMetadata, EcsContainer), web_identity_token_file,
// credential_process. SSO profiles get a clear "not supported yet" error.
#pragma once

#include <string>

#include "aws/credentials.h"
#include "aws/provider_context.h"

namespace ecrhelm::aws {

class ProfileProvider final : public CredentialsProvider {
 public:
  // profile empty: the selected profile (AWS_PROFILE / AWS_DEFAULT_PROFILE / default).
  ProfileProvider(ProviderContext ctx, std::string profile = "");
  // nullopt when the profile does not exist or holds no credential settings
  // (unless AWS_PROFILE named it explicitly: then a missing profile is an error).
  std::optional<Credentials> load() override;
  std::string name() const override;

 private:
  ProviderContext ctx_;
  std::string profile_;
};

}  // namespace ecrhelm::aws
