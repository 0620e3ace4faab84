#include "aws/iam_policy.h"

#include <regex>

#include "aws/endpoints.h"
#include "util/error.h"

namespace ecrhelm::aws {
namespace {

using nlohmann::ordered_json;

// What the user typed, quoted for a message (long input cut short).
std::string shown(std::string_view v) {
  constexpr size_t kMaxShown = 80;
  std::string s(v.substr(0, kMaxShown));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return "'" + s + (v.size() > kMaxShown ? "...'" : "'");
}

bool matches(std::string_view s, const std::regex& re) {
  return std::regex_match(s.begin(), s.end(), re);
}

// DNS-1123 label (namespaces): lower-case alphanumerics and '-', 63 at most.
const std::regex& dns_label() {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return re;
}

constexpr std::string_view kHttps = "https://";

}  // namespace

void validate_account_id(std::string_view id, std::string_view flag) {
  static const std::regex re("[0-9]{12}");
  if (!matches(id, re)) {
    fail(ErrorKind::kInvalidInput,
         "{} {}: an AWS account ID is exactly 12 digits (e.g. 123456789012)", flag, shown(id));
  }
}

void validate_region(std::string_view region, std::string_view flag) {
  if (!is_valid_region(region)) {
    fail(ErrorKind::kInvalidInput,
         "{} {}: not a region name (lower-case words joined by '-', ending in a number, "
         "e.g. us-west-2, cn-north-1, us-gov-west-1)",
         flag, shown(region));
  }
}

void validate_repository_name(std::string_view name, std::string_view flag) {
  if (name == "*") return;
  // ECR's rule (CreateRepository repositoryName): 2-256 characters,
  // (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*
  static const std::regex re("(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*");
  std::string_view base = name;
  bool prefix = name.size() > 2 && name.ends_with("/*");
  if (prefix) base.remove_suffix(2);
  if (base.size() < 2 || base.size() > 256 || !matches(base, re)) {
    fail(ErrorKind::kInvalidInput,
         "{} {}: an ECR repository name is 2-256 characters: lower-case letters, digits and "
         "'.', '_', '-' between them, '/' between path parts (e.g. charts/my-app); or '*' for "
         "every repository, or NAMESPACE/* for those below a namespace",
         flag, shown(name));
  }
}

void validate_oidc_id(std::string_view id, std::string_view flag) {
  static const std::regex re("[0-9A-Za-z]{32}");
  if (!matches(id, re)) {
    fail(ErrorKind::kInvalidInput,
         "{} {}: an EKS OIDC ID is 32 letters and digits, the last part of the cluster's "
         "issuer URL (aws eks describe-cluster --query cluster.identity.oidc.issuer); or give "
         "--issuer-url",
         flag, shown(id));
  }
}

void validate_namespace(std::string_view ns, std::string_view flag) {
  if (ns.empty() || ns.size() > 63 || !matches(ns, dns_label())) {
    fail(ErrorKind::kInvalidInput,
         "{} {}: a namespace is a DNS-1123 label: 1-63 lower-case letters, digits or '-', "
         "starting and ending with a letter or digit (e.g. argocd)",
         flag, shown(ns));
  }
}

void validate_service_account(std::string_view sa, std::string_view flag) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  if (sa.empty() || sa.size() > 253 || !matches(sa, re)) {
    fail(ErrorKind::kInvalidInput,
         "{} {}: a service account name is a DNS-1123 subdomain: at most 253 lower-case "
         "letters, digits, '-' or '.', starting and ending with a letter or digit "
         "(e.g. argocd-repo-server)",
         flag, shown(sa));
  }
}

std::string ecr_repository_arn(std::string_view account_id, std::string_view region,
                               std::string_view repository) {
  return fmt::format("arn:{}:ecr:{}:{}:repository/{}", partition_for_region(region).id, region,
                     account_id, repository);
}

std::string oidc_provider(const TrustPolicyInput& in) {
  validate_region(in.region);
  const Partition& partition = partition_for_region(in.region);
  if (!in.oidc_id.empty() && !in.issuer_url.empty()) {
    fail(ErrorKind::kInvalidInput, "--oidc-id and --issuer-url: give one of them, not both");
  }
  if (in.issuer_url.empty()) {
    if (in.oidc_id.empty()) {
      fail(ErrorKind::kInvalidInput,
           "no OIDC provider: give --oidc-id ID (from the cluster's issuer URL) or "
           "--issuer-url URL");
    }
    validate_oidc_id(in.oidc_id);
    return fmt::format("oidc.eks.{}.{}/id/{}", in.region, partition.dns_suffix, in.oidc_id);
  }
  // An OIDC issuer is an https URL with no query, fragment or user info (OIDC Discovery 1.0).
  std::string_view url = in.issuer_url;
  while (url.size() > kHttps.size() && url.ends_with('/')) url.remove_suffix(1);
  static const std::regex re(
      "https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)*");
  if (!matches(url, re)) {
    fail(ErrorKind::kInvalidInput,
         "--issuer-url {}: an OIDC issuer is an https:// URL with a host and an optional path, "
         "no query or fragment (e.g. https://oidc.eks.us-west-2.amazonaws.com/id/"
         "EXAMPLED539D4633E53DE1B71EXAMPLE)",
         shown(in.issuer_url));
  }
  std::string provider(url.substr(kHttps.size()));
  // An EKS issuer names its region: it must be --region's, or the ARN would be wrong.
  static const std::regex eks("oidc\\.eks\\.([a-z0-9-]+)\\.[a-z0-9.-]+/id/([^/]*)");
  std::smatch m;
  if (std::regex_match(provider, m, eks)) {
    if (m[1].str() != in.region) {
      fail(ErrorKind::kInvalidInput,
           "--issuer-url {}: this EKS issuer is in region {}, not --region {}: give "
           "--region {}",
           shown(in.issuer_url), m[1].str(), in.region, m[1].str());
    }
    validate_oidc_id(m[2].str(), "--issuer-url's OIDC ID");
  }
  return provider;
}

ordered_json ecr_read_policy(const ReadPolicyInput& in) {
  validate_account_id(in.account_id);
  validate_region(in.region);
  validate_repository_name(in.repository);
  ordered_json auth = {{"Effect", "Allow"},
                       {"Action", ordered_json::array({"ecr:GetAuthorizationToken"})},
                       {"Resource", "*"}};
  ordered_json pull = {
      {"Effect", "Allow"},
      {"Action", ordered_json::array({"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                      "ecr:BatchCheckLayerAvailability"})},
      {"Resource", ecr_repository_arn(in.account_id, in.region, in.repository)}};
  return {{"Version", kPolicyVersion}, {"Statement", ordered_json::array({auth, pull})}};
}

ordered_json irsa_trust_policy(const TrustPolicyInput& in) {
  validate_account_id(in.account_id);
  std::string provider = oidc_provider(in);
  validate_namespace(in.namespace_);
  validate_service_account(in.service_account);
  const Partition& partition = partition_for_region(in.region);
  ordered_json condition = {{"StringEquals",
                             {{provider + ":sub", fmt::format("system:serviceaccount:{}:{}",
                                                              in.namespace_, in.service_account)},
                              {provider + ":aud", kIrsaAudience}}}};
  ordered_json statement = {{"Effect", "Allow"},
                            {"Principal",
                             {{"Federated", fmt::format("arn:{}:iam::{}:oidc-provider/{}",
                                                        partition.id, in.account_id, provider)}}},
                            {"Action", "sts:AssumeRoleWithWebIdentity"},
                            {"Condition", condition}};
  return {{"Version", kPolicyVersion}, {"Statement", ordered_json::array({statement})}};
}

}  // namespace ecrhelm::aws
