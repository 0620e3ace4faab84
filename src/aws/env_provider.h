// Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
// (and AWS_CREDENTIAL_EXPIRATION), the first link of the default chain.
#pragma once

#include "aws/credentials.h"
#include "util/env.h"

namespace ecrhelm::aws {

class EnvProvider final : public CredentialsProvider {
 public:
  explicit EnvProvider(const Env& env) : env_(env) {}
  std::optional<Credentials> load() override;
  std::string name() const override { return "environment"; }

 private:
  const Env& env_;
};

}  // namespace ecrhelm::aws
