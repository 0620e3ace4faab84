// Region -> partition -> endpoint URL, as botocore's endpoint rules resolve
// them for STS, ECR and ECR Public, plus the SDKs' endpoint environment variables.
#include "aws/endpoints.h"

#include <array>

#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::aws {
namespace {

struct PartitionRule {
  std::string_view region_prefix;  // "" matches every region (the aws partition)
  Partition partition;
};

// Most specific prefix first: "us-gov-", "us-iso-", "us-isob-" and "us-isof-"
// before the plain "us-" of the aws partition. Region patterns and DNS
// suffixes are those of botocore's partitions.json.
const std::array<PartitionRule, 8>& partition_rules() {
  static const std::array<PartitionRule, 8> kRules = {{
      {"cn-", {"aws-cn", "amazonaws.com.cn"}},
      {"us-gov-", {"aws-us-gov", "amazonaws.com"}},
      {"us-iso-", {"aws-iso", "c2s.ic.gov"}},
      {"us-isob-", {"aws-iso-b", "sc2s.sgov.gov"}},
      {"eu-isoe-", {"aws-iso-e", "cloud.adc-e.uk"}},
      {"us-isof-", {"aws-iso-f", "csp.hci.ic.gov"}},
      {"eusc-", {"aws-eusc", "amazonaws.eu"}},
      {"", {"aws", "amazonaws.com"}},
  }};
  return kRules;
}

constexpr std::string_view kGlobalStsEndpoint = "https://sts.amazonaws.com";
constexpr std::string_view kEcrPublicEndpoint = "https://api.ecr-public.us-east-1.amazonaws.com";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_lower_alpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool env_true(const Env& env, std::string_view name) {
  auto v = env.get(name);
  return v && iequals(trim(*v), "true");
}

// The service's own override (AWS_ENDPOINT_URL_<SERVICE>), then the global one.
std::optional<std::string> endpoint_from_env(Service s, const Env& env) {
  if (env_true(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) return std::nullopt;
  std::string_view service_var;
  switch (s) {
    case Service::kSts:
      service_var = "AWS_ENDPOINT_URL_STS";
      break;
    case Service::kEcr:
      service_var = "AWS_ENDPOINT_URL_ECR";
      break;
    case Service::kEcrPublic:
      service_var = "AWS_ENDPOINT_URL_ECR_PUBLIC";
      break;
  }
  for (std::string_view var : {service_var, std::string_view("AWS_ENDPOINT_URL")}) {
    if (auto v = env.get_nonempty(var)) {
      std::string url(trim(*v));
      while (url.size() > 1 && url.back() == '/') url.pop_back();
      if (url.empty()) continue;
      // Only http(s) with a host: never a file:// or any other scheme libcurl knows.
      size_t host_at = url.find("://");
      std::string scheme = host_at == std::string::npos ? "" : to_lower(url.substr(0, host_at));
      if ((scheme != "http" && scheme != "https") || host_at + 3 >= url.size() ||
          url[host_at + 3] == '/') {
        fail(ErrorKind::kInvalidInput,
             "{} is not an http:// or https:// URL with a host{}; set it to e.g. "
             "https://{}.us-west-2.amazonaws.com or unset it",
             var, scheme.empty() ? "" : " (its scheme is " + scheme.substr(0, 16) + ":)",
             s == Service::kSts ? "sts" : "api.ecr");
      }
      return url;
    }
  }
  return std::nullopt;
}

}  // namespace

const Partition& partition_for_region(std::string_view region) {
  for (const auto& rule : partition_rules()) {
    if (region.starts_with(rule.region_prefix)) return rule.partition;
  }
  return partition_rules().back().partition;  // unreachable: "" matches everything
}

// Shapes accepted: "us-west-2", "us-gov-west-1", "us-iso-east-1",
// "eusc-de-east-1": two or more lowercase alphanumeric words joined by single
// hyphens, the first starting with a letter and the last all digits.
bool is_valid_region(std::string_view region) {
  constexpr size_t kMaxRegionLength = 64;
  if (region.empty() || region.size() > kMaxRegionLength) return false;
  std::vector<std::string_view> parts = split(region, '-');
  if (parts.size() < 3) return false;
  for (std::string_view part : parts) {
    if (part.empty()) return false;
    for (char c : part)
      if (!is_lower_alnum(c)) return false;
  }
  if (!is_lower_alpha(parts.front().front())) return false;
  for (char c : parts.back())
    if (!is_digit(c)) return false;
  return true;
}

std::string signing_name(Service s) {
  switch (s) {
    case Service::kSts:
      return "sts";
    case Service::kEcr:
      return "ecr";
    case Service::kEcrPublic:
      return "ecr-public";
  }
  return "";
}

std::string resolve_endpoint(Service s, std::string_view region, const Env& env,
                             const EndpointOptions& opts) {
  if (auto url = endpoint_from_env(s, env)) return *url;
  if (s == Service::kSts && (region.empty() || region == "aws-global")) {
    return std::string(kGlobalStsEndpoint);
  }
  if (s == Service::kEcrPublic) {
    // One endpoint, in us-east-1, with no FIPS variant in endpoints.json.
    return std::string(kEcrPublicEndpoint);
  }
  // The region becomes part of a host name: never build one from anything else.
  if (!is_valid_region(region)) {
    fail(ErrorKind::kInvalidInput,
         "cannot build the {} endpoint: '{}' is not a region name (e.g. us-west-2); set "
         "AWS_REGION or pass --region",
         signing_name(s), region);
  }
  const Partition& p = partition_for_region(region);
  const std::string r(region);
  switch (s) {
    case Service::kSts:
      // GovCloud's regional STS endpoints are FIPS endpoints already (botocore
      // resolves FIPS there to sts.<region>.amazonaws.com).
      if (opts.fips && p.id != "aws-us-gov") return "https://sts-fips." + r + "." + p.dns_suffix;
      return "https://sts." + r + "." + p.dns_suffix;
    case Service::kEcr:
      if (opts.fips) {
        // aws and aws-us-gov publish ecr-fips.<region>; botocore's rules build
        // api.ecr-fips.<region> for the other partitions.
        if (p.id == "aws" || p.id == "aws-us-gov")
          return "https://ecr-fips." + r + "." + p.dns_suffix;
        return "https://api.ecr-fips." + r + "." + p.dns_suffix;
      }
      return "https://api.ecr." + r + "." + p.dns_suffix;
    case Service::kEcrPublic:
      break;  // handled above
  }
  return std::string(kEcrPublicEndpoint);
}

bool fips_from_env(const Env& env) { return env_true(env, "AWS_USE_FIPS_ENDPOINT"); }

std::optional<std::string> region_from_env(const Env& env) {
  for (std::string_view var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto v = env.get_nonempty(var)) {
      std::string region(trim(*v));
      if (region.empty()) continue;
      if (!is_valid_region(region)) {
        constexpr size_t kMaxShown = 64;
        fail(ErrorKind::kInvalidInput,
             "{}='{}' is not a region name (e.g. us-west-2); fix or unset {}", var,
             region.size() > kMaxShown ? region.substr(0, kMaxShown) + "..." : region, var);
      }
      return region;
    }
  }
  return std::nullopt;
}

}  // namespace ecrhelm::aws
