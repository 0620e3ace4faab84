// Partitions, regions and service endpoints, as the AWS SDKs resolve them:
// aws, aws-cn, aws-us-gov, aws-iso(-b/-e/-f), aws-eusc; FIPS; endpoint URL
// overrides from the environment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/env.h"

namespace ecrhelm::aws {

struct Partition {
  std::string id;          // "aws", "aws-cn", ...
  std::string dns_suffix;  // "amazonaws.com", "amazonaws.com.cn", ...
};

// The partition a region belongs to (by its name pattern); "aws" when unknown.
const Partition& partition_for_region(std::string_view region);
// True when the text looks like a region name ("us-west-2", "cn-north-1", "us-iso-east-1").
bool is_valid_region(std::string_view region);

enum class Service { kSts, kEcr, kEcrPublic };
std::string signing_name(Service s);  // "sts", "ecr", "ecr-public"

struct EndpointOptions {
  bool fips = false;
};

// Env overrides first: AWS_ENDPOINT_URL_STS / _ECR / _ECR_PUBLIC, then
// AWS_ENDPOINT_URL (both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true).
// Otherwise https://<svc>[-fips].<region>.<suffix> per partition (ECR is
// api.ecr.<region>, FIPS ecr-fips.<region>; ECR Public is us-east-1 only).
// Region empty for STS = the global endpoint https://sts.amazonaws.com.
std::string resolve_endpoint(Service s, std::string_view region, const Env& env,
                             const EndpointOptions& opts = {});
// AWS_USE_FIPS_ENDPOINT=true
bool fips_from_env(const Env& env);
// AWS_REGION, then AWS_DEFAULT_REGION.
std::optional<std::string> region_from_env(const Env& env);

}  // namespace ecrhelm::aws
