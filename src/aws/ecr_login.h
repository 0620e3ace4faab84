// The use case behind `token`, `login` and the credential helper: which ECR
// registry and region are meant, then credentials from the chain, then a
// token (from the file cache when it is still in its first half of life).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "aws/chain.h"
#include "aws/ecr.h"
#include "aws/token_cache.h"

namespace ecrhelm::aws {

struct EcrTarget {
  std::string registry_host;  // "123456789012.dkr.ecr.us-west-2.amazonaws.com", "public.ecr.aws"
  std::string region;
  std::string registry_id;  // account id from the host; empty = the caller's registry
  bool is_public = false;
  bool fips = false;
};

// Region: explicit, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's.
std::optional<std::string> resolve_region(const std::string& explicit_region, const Env& env);

// From `--registry HOST` (region and account from the host), or `--region R`
// (the caller's own registry), or `--public`. Errors name the bad input.
EcrTarget resolve_ecr_target(const std::string& registry, const std::string& region, bool is_public,
                             const Env& env);

// The ECR target for a registry host: an ECR host name, or a host listed in
// ECRHELM_ECR_REGISTRIES (comma-separated: VPC endpoint names, proxies,
// test beds), whose region comes from `region` / the environment / profile.
// nullopt for any other registry.
std::optional<EcrTarget> ecr_target_for_host(const std::string& host, const std::string& region,
                                             const Env& env);

class EcrTokenSource {
 public:
  // cache may be null (no file cache).
  EcrTokenSource(ProviderContext ctx, ChainOptions opts, std::unique_ptr<TokenFileCache> cache);
  // Credentials from the (cached) chain; throws when none are found.
  Credentials credentials();
  // A token for the target, from the file cache or from ECR. from_cache tells which.
  AuthorizationToken token(const EcrTarget& target, bool* from_cache = nullptr);

 private:
  ProviderContext ctx_;
  ChainOptions opts_;
  std::unique_ptr<CachingProvider> chain_;
  std::unique_ptr<TokenFileCache> cache_;
};

}  // namespace ecrhelm::aws
