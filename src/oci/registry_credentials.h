// Where registry credentials come from, first match wins: explicit flags,
// Helm's registry config, Docker's config (auths, credHelpers, credsStore),
// then, for an Amazon ECR host, a fresh ECR token from the AWS chain; else
// anonymous. refresh() is the one retry after a registry rejected them.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aws/ecr_login.h"
#include "oci/docker_credentials.h"
#include "util/env.h"

namespace ecrhelm::oci {

class RegistryCredentials {
 public:
  virtual ~RegistryCredentials() = default;
  // Credentials for a registry host ("host[:port]"), or nullopt: anonymous.
  virtual std::optional<BasicCredentials> get(const std::string& host) = 0;
  // After the registry rejected what get() gave (401, or ECR's "authorization
  // token has expired" 403): fresh credentials, or nullopt when there is
  // nothing fresher to try.
  virtual std::optional<BasicCredentials> refresh(const std::string& host) = 0;
  // Where get()'s answer came from, for messages ("helm registry config", ...).
  virtual std::string source(const std::string& host) = 0;
};

struct CredentialOptions {
  std::string username;       // --username
  Secret password;            // --password-stdin
  std::string helm_config;    // empty: helm_registry_config_path(env)
  std::string docker_config;  // empty: docker_config_path(env)
  bool force_ecr = false;     // --ecr: the host is ECR behind another name
  std::string ecr_region;     // region for force_ecr / explicit
  CredentialHelperOptions helper_options;
};

class DefaultRegistryCredentials final : public RegistryCredentials {
 public:
  // ecr may be null: then ECR hosts are treated like any other registry.
  DefaultRegistryCredentials(const Env& env, CredentialOptions opts,
                             std::shared_ptr<aws::EcrTokenSource> ecr);
  std::optional<BasicCredentials> get(const std::string& host) override;
  std::optional<BasicCredentials> refresh(const std::string& host) override;
  std::string source(const std::string& host) override;

 private:
  std::optional<aws::EcrTarget> ecr_target(const std::string& host) const;
  std::optional<BasicCredentials> from_ecr(const std::string& host);

  const Env& env_;
  CredentialOptions opts_;
  std::shared_ptr<aws::EcrTokenSource> ecr_;
  std::mutex mu_;
  std::map<std::string, std::string> sources_;
  std::map<std::string, bool> refreshed_;
};

}  // namespace ecrhelm::oci
