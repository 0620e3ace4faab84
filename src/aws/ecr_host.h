// Recognizes Amazon ECR registry hosts (private, FIPS, dual-stack, every
// partition, and ECR Public) in what users type: a bare host, an https:// or
// oci:// URL, or a host followed by a repository path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm::aws {

struct EcrHost {
  std::string account_id;  // 12 digits; empty for ECR Public
  std::string region;      // "us-east-1" for ECR Public
  bool fips = false;       // dkr.ecr-fips / dkr-ecr-fips
  bool is_public = false;  // public.ecr.aws
  std::string host;        // lower case, without scheme, port or path
};

// nullopt for anything that is not an ECR registry host. The pattern is the
// one amazon-ecr-credential-helper uses (ecr-login/api/client.go ecrPattern):
// ACCOUNT.dkr.ecr[-fips].REGION.SUFFIX or ACCOUNT.dkr-ecr[-fips].REGION.SUFFIX
// with SUFFIX one of amazonaws.com, amazonaws.com.cn, amazonaws.eu, on.aws,
// on.amazonwebservices.com.cn, sc2s.sgov.gov, c2s.ic.gov, cloud.adc-e.uk,
// csp.hci.ic.gov; or public.ecr.aws. A :port is ignored, user info is refused.
std::optional<EcrHost> parse_ecr_host(std::string_view host_or_url);

// "ACCOUNT.dkr.ecr[-fips].REGION.<partition DNS suffix>".
std::string ecr_registry_host(std::string_view account_id, std::string_view region, bool fips);

}  // namespace ecrhelm::aws
