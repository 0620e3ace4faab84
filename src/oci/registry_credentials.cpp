#include "oci/registry_credentials.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "oci/registry_config.h"
#include "util/error.h"

namespace ecrhelm::oci {
DefaultRegistryCredentials::DefaultRegistryCredentials(const Env& env, CredentialOptions opts,
                                                       std::shared_ptr<aws::EcrTokenSource> ecr)
    : env_(env), opts_(std::move(opts)), ecr_(std::move(ecr)) {}

std::optional<aws::EcrTarget> DefaultRegistryCredentials::ecr_target(
    const std::string& host) const {
  if (!ecr_) return std::nullopt;
  if (opts_.force_ecr) {
    aws::EcrTarget t = aws::resolve_ecr_target("", opts_.ecr_region, false, env_);
    t.registry_host = host;
    return t;
  }
  return aws::ecr_target_for_host(host, opts_.ecr_region, env_);
}

std::optional<BasicCredentials> DefaultRegistryCredentials::from_ecr(const std::string& host) {
  auto target = ecr_target(host);
  if (!target) return std::nullopt;
  aws::AuthorizationToken tok = ecr_->token(*target);
  return BasicCredentials{tok.username, tok.password};
}

std::optional<BasicCredentials> DefaultRegistryCredentials::get(const std::string& host) {
  auto remember = [&](const std::string& src) {
    std::lock_guard lock(mu_);
    sources_[host] = src;
    spdlog::debug("registry {}: credentials from {}", host, src);
  };
  if (!opts_.username.empty()) {
    remember("--username/--password-stdin");
    return BasicCredentials{opts_.username, opts_.password};
  }
  std::string helm_path =
      opts_.helm_config.empty() ? helm_registry_config_path(env_) : opts_.helm_config;
  {
    auto cfg = read_registry_config(helm_path);
    if (auto c = lookup_config_auth(cfg, host)) {
      remember("helm registry config " + helm_path);
      return c;
    }
  }
  std::string docker_path =
      opts_.docker_config.empty() ? docker_config_path(env_) : opts_.docker_config;
  {
    auto cfg = read_registry_config(docker_path);
    if (auto c = lookup_config_auth(cfg, host)) {
      remember("docker config " + docker_path);
      return c;
    }
    if (auto helper = cred_helper_for(cfg, host)) {
      if (auto c = run_credential_helper(*helper, host, opts_.helper_options)) {
        remember("docker-credential-" + *helper);
        return c;
      }
    }
  }
  if (auto c = from_ecr(host)) {
    remember("Amazon ECR (AWS credential chain)");
    return c;
  }
  remember("anonymous");
  return std::nullopt;
}

std::optional<BasicCredentials> DefaultRegistryCredentials::refresh(const std::string& host) {
  {
    std::lock_guard lock(mu_);
    if (refreshed_[host]) return std::nullopt;  // one refresh per host per run: never loop
    refreshed_[host] = true;
  }
  auto c = from_ecr(host);
  if (c) {
    std::lock_guard lock(mu_);
    sources_[host] = "Amazon ECR (AWS credential chain, refreshed)";
  }
  return c;
}

std::string DefaultRegistryCredentials::source(const std::string& host) {
  std::lock_guard lock(mu_);
  auto it = sources_.find(host);
  return it == sources_.end() ? "none" : it->second;
}

}  // namespace ecrhelm::oci
