// The seed's two IAM documents, filled in and checked: the ECR read policy
// for the repo server's role, and the IRSA trust policy that lets the
// argocd-repo-server service account assume that role through the cluster's
// OIDC provider. ARNs carry the region's partition (aws, aws-cn,
// aws-us-gov...). Every input is validated first; a bad one is an
// Error(kInvalidInput) naming the flag and the rule it breaks.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace ecrhelm::aws {

inline constexpr const char* kPolicyVersion = "2012-10-17";
inline constexpr const char* kIrsaAudience = "sts.amazonaws.com";
inline constexpr const char* kDefaultRepoServerAccount = "argocd-repo-server";

struct ReadPolicyInput {
  std::string account_id;
  std::string region;
  std::string repository = "*";  // a name, "*" (every repository) or "NAMESPACE/*"
};

struct TrustPolicyInput {
  std::string account_id;
  std::string region;
  std::string oidc_id;     // the last part of the EKS issuer URL (32 letters and digits)...
  std::string issuer_url;  // ...or the whole issuer URL (exactly one of the two)
  std::string namespace_;
  std::string service_account = kDefaultRepoServerAccount;
};

// Validators: each throws Error(kInvalidInput) naming `flag` and the rule.
void validate_account_id(std::string_view id, std::string_view flag = "--account");
void validate_region(std::string_view region, std::string_view flag = "--region");
void validate_repository_name(std::string_view name, std::string_view flag = "--repository");
void validate_oidc_id(std::string_view id, std::string_view flag = "--oidc-id");
void validate_namespace(std::string_view ns, std::string_view flag = "--namespace");
void validate_service_account(std::string_view sa, std::string_view flag = "--service-account");

// "arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME"
std::string ecr_repository_arn(std::string_view account_id, std::string_view region,
                               std::string_view repository);
// The OIDC provider as IAM names it: issuer URL without "https://"
// ("oidc.eks.REGION.amazonaws.com/id/ID"). Validates the issuer inputs.
std::string oidc_provider(const TrustPolicyInput& in);

// The seed's documents, key order as in the seed (Version, Statement...).
nlohmann::ordered_json ecr_read_policy(const ReadPolicyInput& in);
nlohmann::ordered_json irsa_trust_policy(const TrustPolicyInput& in);

}  // namespace ecrhelm::aws
