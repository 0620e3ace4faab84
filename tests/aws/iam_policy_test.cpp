// The seed's IAM read policy and IRSA trust policy: the seed's statements
// exactly, ARNs in the region's partition, and every input checked with a
// message that names the flag and the rule.
#include <gtest/gtest.h>

#include <functional>

#include "aws/iam_policy.h"
#include "util/error.h"

namespace ecrhelm::aws {
namespace {

using nlohmann::ordered_json;

constexpr const char* kAccount = "123456789012";
constexpr const char* kOidcId = "EXAMPLED539D4633E53DE1B71EXAMPLE";

// The message of the Error(kInvalidInput) that f throws; fails the test otherwise.
template <typename F>
std::string invalid_input(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(ReadPolicy, IsTheSeedsPolicyFilledIn) {
  ordered_json p = ecr_read_policy({kAccount, "us-west-2", "charts/demo"});
  ordered_json want = ordered_json::parse(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
      {"Effect": "Allow",
       "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
       "Resource": "arn:aws:ecr:us-west-2:123456789012:repository/charts/demo"}
    ]})");
  EXPECT_EQ(p, want) << p.dump(2);
  EXPECT_EQ(p.begin().key(), "Version");  // the seed's key order
}

TEST(ReadPolicy, WildcardsAndPartitions) {
  EXPECT_EQ(ecr_read_policy({kAccount, "us-east-1", "*"})["Statement"][1]["Resource"],
            "arn:aws:ecr:us-east-1:123456789012:repository/*");
  EXPECT_EQ(ecr_read_policy({kAccount, "cn-north-1", "team-a/*"})["Statement"][1]["Resource"],
            "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team-a/*");
  EXPECT_EQ(ecr_read_policy({kAccount, "us-gov-west-1", "x1"})["Statement"][1]["Resource"],
            "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/x1");
  ReadPolicyInput defaults;
  EXPECT_EQ(defaults.repository, "*");
}

TEST(ReadPolicy, RejectsEachBadInputNamingTheRule) {
  for (const char* account : {"12345678901", "1234567890123", "12345678901a", "", "<ACCOUNT_ID>"}) {
    std::string m = invalid_input([&] { ecr_read_policy({account, "us-west-2", "*"}); });
    EXPECT_NE(m.find("--account"), std::string::npos) << m;
    EXPECT_NE(m.find("12 digits"), std::string::npos) << m;
  }
  for (const char* region : {"", "uswest2", "US-WEST-2", "us-west", "<REGION>", "us--west-2"}) {
    std::string m = invalid_input([&] { ecr_read_policy({kAccount, region, "*"}); });
    EXPECT_NE(m.find("--region"), std::string::npos) << m;
  }
  for (const char* repo : {"Charts", "a", "charts//demo", "-charts", "charts/", "charts demo",
                           "charts/*/x", "<REPOSITORY_NAME>", "charts..x", "/*"}) {
    std::string m = invalid_input([&] { ecr_read_policy({kAccount, "us-west-2", repo}); });
    EXPECT_NE(m.find("--repository"), std::string::npos) << m;
    EXPECT_NE(m.find("2-256"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(ecr_read_policy({kAccount, "us-west-2", "a.b_c-d/e1"}));
  EXPECT_NO_THROW(ecr_read_policy({kAccount, "us-west-2", std::string(256, 'a')}));
  invalid_input([&] { ecr_read_policy({kAccount, "us-west-2", std::string(257, 'a')}); });
}

TEST(TrustPolicy, IsTheSeedsTrustPolicyFilledIn) {
  TrustPolicyInput in;
  in.account_id = kAccount;
  in.region = "us-west-2";
  in.oidc_id = kOidcId;
  in.namespace_ = "argocd";
  ordered_json p = irsa_trust_policy(in);
  const std::string provider = "oidc.eks.us-west-2.amazonaws.com/id/" + std::string(kOidcId);
  ordered_json want = {
      {"Version", "2012-10-17"},
      {"Statement",
       ordered_json::array(
           {{{"Effect", "Allow"},
             {"Principal", {{"Federated", "arn:aws:iam::123456789012:oidc-provider/" + provider}}},
             {"Action", "sts:AssumeRoleWithWebIdentity"},
             {"Condition",
              {{"StringEquals",
                {{provider + ":sub", "system:serviceaccount:argocd:argocd-repo-server"},
                 {provider + ":aud", "sts.amazonaws.com"}}}}}}})}};
  EXPECT_EQ(p, want) << p.dump(2);
}

TEST(TrustPolicy, PartitionsAndIssuerUrls) {
  TrustPolicyInput cn{kAccount, "cn-northwest-1", kOidcId, "", "gitops", "repo-server"};
  ordered_json p = irsa_trust_policy(cn);
  const std::string provider =
      "oidc.eks.cn-northwest-1.amazonaws.com.cn/id/" + std::string(kOidcId);
  EXPECT_EQ(p["Statement"][0]["Principal"]["Federated"],
            "arn:aws-cn:iam::123456789012:oidc-provider/" + provider);
  EXPECT_EQ(p["Statement"][0]["Condition"]["StringEquals"][provider + ":sub"],
            "system:serviceaccount:gitops:repo-server");

  TrustPolicyInput gov{kAccount, "us-gov-east-1", "", "", "argocd", "argocd-repo-server"};
  gov.issuer_url = "https://oidc.eks.us-gov-east-1.amazonaws.com/id/" + std::string(kOidcId) + "/";
  EXPECT_EQ(irsa_trust_policy(gov)["Statement"][0]["Principal"]["Federated"],
            "arn:aws-us-gov:iam::123456789012:oidc-provider/oidc.eks.us-gov-east-1.amazonaws.com/"
            "id/" +
                std::string(kOidcId));

  // A self-managed cluster's issuer (the ESO-less path on any cluster with an OIDC issuer).
  TrustPolicyInput self{kAccount, "eu-west-1",         "", "https://issuer.example.com/cluster-1",
                        "argocd", "argocd-repo-server"};
  EXPECT_EQ(oidc_provider(self), "issuer.example.com/cluster-1");
}

TEST(TrustPolicy, RejectsEachBadInputNamingTheRule) {
  auto base = [] {
    return TrustPolicyInput{kAccount, "us-west-2", kOidcId, "", "argocd", "argocd-repo-server"};
  };
  struct Case {
    std::function<void(TrustPolicyInput&)> change;
    const char* flag;
  };
  for (const auto& c : std::vector<Case>{
           {[](auto& in) { in.account_id = "1234"; }, "--account"},
           {[](auto& in) { in.region = "west"; }, "--region"},
           {[](auto& in) { in.oidc_id = "<OIDC_ID>"; }, "--oidc-id"},
           {[](auto& in) { in.oidc_id = "ABC"; }, "--oidc-id"},
           {[](auto& in) { in.oidc_id = ""; }, "--oidc-id"},
           {[](auto& in) { in.issuer_url = "https://x"; }, "--issuer-url"},
           {[](auto& in) {
              in.oidc_id = "";
              in.issuer_url = "http://oidc.eks.us-west-2.amazonaws.com/id/X";
            },
            "--issuer-url"},
           {[](auto& in) {
              in.oidc_id = "";
              in.issuer_url = "https://issuer.example.com/?q=1";
            },
            "--issuer-url"},
           {[](auto& in) {
              in.oidc_id = "";
              in.issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/" + std::string(kOidcId);
            },
            "us-east-1"},
           {[](auto& in) { in.namespace_ = ""; }, "--namespace"},
           {[](auto& in) { in.namespace_ = "Argo_CD"; }, "--namespace"},
           {[](auto& in) { in.namespace_ = std::string(64, 'a'); }, "--namespace"},
           {[](auto& in) { in.service_account = "Repo Server"; }, "--service-account"},
           {[](auto& in) { in.service_account = "-x"; }, "--service-account"},
       }) {
    TrustPolicyInput in = base();
    c.change(in);
    std::string m = invalid_input([&] { irsa_trust_policy(in); });
    EXPECT_NE(m.find(c.flag), std::string::npos) << m;
  }
  TrustPolicyInput ok = base();
  ok.service_account = "argocd.repo-server";
  EXPECT_NO_THROW(irsa_trust_policy(ok));
  ok.namespace_ = std::string(63, 'a');
  EXPECT_NO_THROW(irsa_trust_policy(ok));
}

TEST(Validators, LongInputIsCutShortInTheMessage) {
  std::string m = invalid_input([] { validate_account_id(std::string(500, '9')); });
  EXPECT_LT(m.size(), 200u) << m;
}

}  // namespace
}  // namespace ecrhelm::aws
