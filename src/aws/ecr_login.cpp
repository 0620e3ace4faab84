#include "aws/ecr_login.h"

#include <spdlog/spdlog.h>

#include "aws/ecr_host.h"
#include "aws/endpoints.h"
#include "aws/profile_file.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::aws {

std::optional<std::string> resolve_region(const std::string& explicit_region, const Env& env) {
  if (!explicit_region.empty()) return explicit_region;
  if (auto r = region_from_env(env)) return r;
  return region_from_profile(env);
}

EcrTarget resolve_ecr_target(const std::string& registry, const std::string& region, bool is_public,
                             const Env& env) {
  EcrTarget t;
  if (!region.empty() && !is_valid_region(region)) {
    fail(ErrorKind::kInvalidInput, "--region '{}' is not a region name (e.g. us-west-2)", region);
  }
  if (!registry.empty()) {
    auto host = parse_ecr_host(registry);
    if (!host) {
      fail(ErrorKind::kInvalidInput,
           "registry '{}' is not an Amazon ECR host; expected ACCOUNT.dkr.ecr.REGION.amazonaws.com "
           "or public.ecr.aws",
           registry);
    }
    t.registry_host = host->host;
    t.is_public = host->is_public;
    t.fips = host->fips;
    t.registry_id = host->account_id;
    t.region = host->is_public ? "us-east-1" : host->region;
    if (!region.empty() && !host->is_public && region != host->region) {
      fail(ErrorKind::kInvalidInput,
           "--region {} does not match registry {} (region {}); drop --region or fix it", region,
           registry, host->region);
    }
    return t;
  }
  if (is_public) {
    t.is_public = true;
    t.region = "us-east-1";
    t.registry_host = "public.ecr.aws";
    return t;
  }
  auto r = resolve_region(region, env);
  if (!r) {
    fail(
        ErrorKind::kInvalidInput,
        "no AWS region: pass --region or --registry HOST, or set AWS_REGION (or a profile region)");
  }
  if (!is_valid_region(*r)) {
    fail(ErrorKind::kInvalidInput,
         "region '{}' (from the environment or profile) is not a region name", *r);
  }
  t.region = *r;
  return t;
}

std::optional<EcrTarget> ecr_target_for_host(const std::string& host, const std::string& region,
                                             const Env& env) {
  if (parse_ecr_host(host)) return resolve_ecr_target(host, region, false, env);
  auto aliases = env.get_nonempty("ECRHELM_ECR_REGISTRIES");
  if (!aliases) return std::nullopt;
  std::string bare = to_lower(host);  // "https://HOST/v2/" or "HOST", as helpers are called
  if (auto p = bare.find("://"); p != std::string::npos) bare = bare.substr(p + 3);
  bare = bare.substr(0, bare.find('/'));
  for (auto a : split(*aliases, ',')) {
    if (!iequals(trim(a), bare)) continue;
    EcrTarget t = resolve_ecr_target("", region, false, env);
    t.registry_host = bare;
    return t;
  }
  return std::nullopt;
}

EcrTokenSource::EcrTokenSource(ProviderContext ctx, ChainOptions opts,
                               std::unique_ptr<TokenFileCache> cache)
    : ctx_(std::move(ctx)), opts_(std::move(opts)), cache_(std::move(cache)) {
  chain_ = std::make_unique<CachingProvider>(make_default_chain(ctx_, opts_), *ctx_.service.clock);
}

Credentials EcrTokenSource::credentials() { return require(*chain_); }

AuthorizationToken EcrTokenSource::token(const EcrTarget& target, bool* from_cache) {
  const Env& env = *ctx_.service.env;
  IdentityMaterial who;
  TimePoint now = ctx_.service.clock->now();
  if (cache_) {
    who = chain_identity_material(env, target.is_public ? "public.ecr.aws" : target.registry_host,
                                  target.region, opts_.profile);
    if (auto hit = cache_->get(who, now)) {
      spdlog::debug("ecr token for {} from cache {}", target.registry_host, cache_->path());
      if (from_cache) *from_cache = true;
      return *hit;
    }
  }
  if (from_cache) *from_cache = false;
  Credentials creds = credentials();
  ServiceContext sctx = ctx_.service;
  if (target.fips) sctx.endpoint_options.fips = true;
  AuthorizationToken tok;
  if (target.is_public) {
    tok = EcrPublicClient(sctx).get_authorization_token(creds, "");
  } else {
    tok = EcrClient(sctx, target.region).get_authorization_token(creds, target.registry_id);
  }
  if (cache_) cache_->put(who, tok, now);
  return tok;
}

}  // namespace ecrhelm::aws
