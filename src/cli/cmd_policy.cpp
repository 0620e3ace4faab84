// `ecrhelm policy read|trust`: the seed's IAM policy and IRSA trust policy,
// filled in, validated and partition-correct, ready for
// `aws iam create-policy --policy-document file://...` and
// `aws iam create-role --assume-role-policy-document file://...`.
// The documents are built in aws/iam_policy.
#include <iostream>

#include "aws/iam_policy.h"
#include "cli/help.h"
#include "cli/runtime.h"
#include "util/yaml_output.h"

namespace ecrhelm::cli {
namespace {

void print(const nlohmann::ordered_json& doc, const std::string& output) {
  std::cout << (output == "yaml" ? to_yaml(doc) : doc.dump(2) + "\n");
}

}  // namespace

Command add_policy(CLI::App& app, GlobalFlags&) {
  struct Opts {
    aws::ReadPolicyInput read;
    aws::TrustPolicyInput trust;
    std::string output = "json";
  };
  auto opts = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "policy", "print the seed's IAM documents for the repo server's role, filled in and checked");
  sub->require_subcommand(1);

  auto* read = sub->add_subcommand(
      "read", "the ECR read policy: GetAuthorizationToken, and pulls from the repository");
  read->add_option("--account", opts->read.account_id, "AWS account ID (12 digits)")->required();
  read->add_option("--region", opts->read.region, "the registry's region (sets the partition)")
      ->required();
  read->add_option("--repository", opts->read.repository,
                   "repository name, NAMESPACE/* or '*' (every repository)")
      ->capture_default_str();
  read->add_option("-o,--output", opts->output, "json or yaml")
      ->check(output_formats({"json", "yaml"}));

  auto* trust = sub->add_subcommand(
      "trust", "the IRSA trust policy: the service account may assume the role through OIDC");
  trust->add_option("--account", opts->trust.account_id, "AWS account ID (12 digits)")->required();
  trust->add_option("--region", opts->trust.region, "the cluster's region (sets the partition)")
      ->required();
  auto* oidc = trust->add_option("--oidc-id", opts->trust.oidc_id,
                                 "the cluster's OIDC ID (end of its issuer URL)");
  auto* issuer = trust->add_option("--issuer-url", opts->trust.issuer_url,
                                   "the cluster's OIDC issuer URL, instead of --oidc-id");
  oidc->excludes(issuer);
  trust->add_option("--namespace", opts->trust.namespace_, "Argo CD's namespace")->required();
  trust->add_option("--service-account", opts->trust.service_account, "the repo server's account")
      ->capture_default_str();
  trust->add_option("-o,--output", opts->output, "json or yaml")
      ->check(output_formats({"json", "yaml"}));

  set_examples(
      read,
      {{"ecrhelm policy read --account 123456789012 --region us-west-2 --repository charts/demo",
        ""},
       {"ecrhelm policy read --account 123456789012 --region cn-north-1 -o yaml",
        "aws-cn partition"}});
  set_examples(trust,
               {{"ecrhelm policy trust --account 123456789012 --region us-west-2 --oidc-id "
                 "EXAMPLED539D4633E53DE1B71EXAMPLE --namespace argocd",
                 ""},
                {"ecrhelm policy trust --account 123456789012 --region us-west-2 --issuer-url "
                 "https://oidc.example.com --namespace argocd --service-account argocd-repo-server",
                 "a cluster outside EKS"}});
  set_examples(
      sub,
      {{"ecrhelm policy read --account 123456789012 --region us-west-2 > read-policy.json", ""},
       {"ecrhelm policy trust --account 123456789012 --region us-west-2 --oidc-id "
        "EXAMPLED539D4633E53DE1B71EXAMPLE --namespace argocd > trust-policy.json",
        ""}});
  return {sub, [opts, read]() {
            if (read->parsed()) {
              print(aws::ecr_read_policy(opts->read), opts->output);
            } else {
              print(aws::irsa_trust_policy(opts->trust), opts->output);
            }
            return 0;
          }};
}

}  // namespace ecrhelm::cli
