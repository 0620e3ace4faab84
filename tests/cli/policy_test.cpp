// `ecrhelm policy read|trust` (the binary): documents that parse as JSON (and
// YAML), partition-correct ARNs, and one-line errors with exit code 2 for
// every bad or missing input.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "support/testbed.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;

constexpr const char* kOidcId = "EXAMPLED539D4633E53DE1B71EXAMPLE";

TEST(PolicyCli, ReadPrintsTheSeedsPolicy) {
  RunResult r = run_ecrhelm({"policy", "read", "--account", "123456789012", "--region", "us-west-2",
                             "--repository", "charts/demo"},
                            {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  json p = json::parse(r.out);
  EXPECT_EQ(p["Version"], "2012-10-17");
  ASSERT_EQ(p["Statement"].size(), 2u);
  EXPECT_EQ(p["Statement"][0]["Action"], json::array({"ecr:GetAuthorizationToken"}));
  EXPECT_EQ(p["Statement"][0]["Resource"], "*");
  EXPECT_EQ(p["Statement"][1]["Resource"],
            "arn:aws:ecr:us-west-2:123456789012:repository/charts/demo");
  EXPECT_EQ(r.out.find("\"Version\""), r.out.find('"'));  // Version first, as in the seed

  RunResult all =
      run_ecrhelm({"policy", "read", "--account", "123456789012", "--region", "cn-north-1"}, {});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(json::parse(all.out)["Statement"][1]["Resource"],
            "arn:aws-cn:ecr:cn-north-1:123456789012:repository/*");
}

TEST(PolicyCli, TrustPrintsTheIrsaTrustPolicyInJsonAndYaml) {
  std::vector<std::string> a = {"policy",      "trust",         "--account", "123456789012",
                                "--region",    "us-gov-west-1", "--oidc-id", kOidcId,
                                "--namespace", "argocd"};
  RunResult r = run_ecrhelm(a, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json p = json::parse(r.out);
  const std::string provider = "oidc.eks.us-gov-west-1.amazonaws.com/id/" + std::string(kOidcId);
  const json& st = p["Statement"][0];
  EXPECT_EQ(st["Principal"]["Federated"],
            "arn:aws-us-gov:iam::123456789012:oidc-provider/" + provider);
  EXPECT_EQ(st["Action"], "sts:AssumeRoleWithWebIdentity");
  EXPECT_EQ(st["Condition"]["StringEquals"][provider + ":sub"],
            "system:serviceaccount:argocd:argocd-repo-server");
  EXPECT_EQ(st["Condition"]["StringEquals"][provider + ":aud"], "sts.amazonaws.com");

  a.insert(a.end(), {"-o", "yaml", "--service-account", "repo"});
  RunResult y = run_ecrhelm(a, {});
  ASSERT_EQ(y.exit_code, 0) << y.err;
  YAML::Node doc = YAML::Load(y.out);
  EXPECT_EQ(doc["Version"].as<std::string>(), "2012-10-17");
  EXPECT_NE(y.out.find("Version: \"2012-10-17\""), std::string::npos) << y.out;  // not a date
  EXPECT_EQ(doc["Statement"][0]["Condition"]["StringEquals"][provider + ":sub"].as<std::string>(),
            "system:serviceaccount:argocd:repo");
  EXPECT_EQ(doc["Statement"][0]["Principal"]["Federated"].as<std::string>(),
            st["Principal"]["Federated"].get<std::string>());
}

TEST(PolicyCli, TrustTakesAnIssuerUrl) {
  RunResult r = run_ecrhelm(
      {"policy", "trust", "--account", "123456789012", "--region", "eu-west-1", "--issuer-url",
       "https://oidc.eks.eu-west-1.amazonaws.com/id/" + std::string(kOidcId), "--namespace",
       "argocd"},
      {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["Statement"][0]["Principal"]["Federated"],
            "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/" +
                std::string(kOidcId));
}

TEST(PolicyCli, BadInputIsOneLineNamingTheFlagAndExit2) {
  struct Case {
    std::vector<std::string> args;
    const char* expect;
  };
  const std::vector<std::string> trust = {"policy",   "trust",     "--account",   "123456789012",
                                          "--region", "us-west-2", "--namespace", "argocd"};
  auto with = [](std::vector<std::string> base, std::initializer_list<std::string> more) {
    base.insert(base.end(), more);
    return base;
  };
  for (const Case& c : std::vector<Case>{
           {{"policy", "read", "--account", "<ACCOUNT_ID>", "--region", "us-west-2"}, "--account"},
           {{"policy", "read", "--account", "123456789012", "--region", "<REGION>"}, "--region"},
           {{"policy", "read", "--account", "123456789012", "--region", "us-west-2", "--repository",
             "Charts/Demo"},
            "--repository"},
           {with(trust, {"--oidc-id", "<OIDC_ID>"}), "--oidc-id"},
           {trust, "--oidc-id"},
           {with(trust, {"--issuer-url", "http://oidc.example.com"}), "--issuer-url"},
           {with(trust, {"--oidc-id", kOidcId, "--service-account", "Repo_Server"}),
            "--service-account"},
           {{"policy", "trust", "--account", "123456789012", "--region", "us-west-2", "--oidc-id",
             kOidcId, "--namespace", "Argo CD"},
            "--namespace"},
       }) {
    RunResult r = run_ecrhelm(c.args, {});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  }
  // Flags the parser refuses: exit 2 as well.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"policy", "read", "--region", "us-west-2"},
           {"policy"},
           with(trust, {"--oidc-id", kOidcId, "--issuer-url", "https://issuer.example.com"}),
           {"policy", "read", "--account", "123456789012", "--region", "us-west-2", "-o", "xml"},
       }) {
    RunResult r = run_ecrhelm(args, {});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace ecrhelm::test
