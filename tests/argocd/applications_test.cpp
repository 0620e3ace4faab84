// Argo CD's Application rules: which sources use a repository secret (Argo
// CD's URL normalization and repo-creds longest-prefix rule, single and
// multi-source), and what counts as errored.
#include "argocd/applications.h"

#include <gtest/gtest.h>

#include "support/objects.h"

namespace ecrhelm::argocd {
namespace {

using nlohmann::json;
using test::make_application;
using test::make_argocd_repo_secret;

constexpr const char* kCharts = "123456789012.dkr.ecr.us-east-1.amazonaws.com/charts";
constexpr const char* kOther = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other";
constexpr const char* kCredsPrefix = "210987654321.dkr.ecr.us-east-1.amazonaws.com";

std::vector<ArgoRepoSecret> resolve(const std::vector<json>& secrets) {
  return resolve_repo_secrets(secrets);
}

TEST(ArgoApplications, RepoUrlsOfSingleAndMultiSourceApplications) {
  EXPECT_EQ(application_repo_urls(make_application("a", "x", {kCharts}, false)),
            std::vector<std::string>{kCharts});
  EXPECT_EQ(application_repo_urls(make_application("a", "x", {kOther, kCharts, kOther}, true)),
            (std::vector<std::string>{kOther, kCharts}));
  EXPECT_TRUE(application_repo_urls(json::object()).empty());
  EXPECT_TRUE(application_repo_urls(json{{"spec", {{"source", "not an object"}}}}).empty());
  EXPECT_TRUE(application_repo_urls(json{{"spec", {{"sources", {{{"repoURL", 7}}}}}}}).empty());
}

TEST(ArgoApplications, ARepositorySecretIsUsedByItsNormalizedUrlOnly) {
  auto resolved = resolve({make_argocd_repo_secret("a", "charts", kCharts),
                           make_argocd_repo_secret("a", "other", kOther)});
  EXPECT_TRUE(url_uses_secret(resolved, 0, kCharts));
  // Argo CD's normalization: case and a trailing ".git" do not matter.
  EXPECT_TRUE(url_uses_secret(resolved, 0,
                              std::string(" ") + "123456789012.DKR.ecr.us-east-1."
                                                 "amazonaws.com/charts.git"));
  EXPECT_FALSE(url_uses_secret(resolved, 0, kOther));
  EXPECT_FALSE(url_uses_secret(resolved, 0, std::string(kCharts) + "/demo"));
  EXPECT_TRUE(url_uses_secret(resolved, 1, kOther));
  EXPECT_FALSE(url_uses_secret(resolved, 7, kCharts));
}

TEST(ArgoApplications, RepoCredsServeUrlsUnderTheirPrefixUnlessARepositoryHasItsOwn) {
  const std::string under = std::string(kCredsPrefix) + "/team-a";
  const std::string own = std::string(kCredsPrefix) + "/team-b";
  auto resolved =
      resolve({make_argocd_repo_secret("a", "creds", kCredsPrefix, "repo-creds"),
               make_argocd_repo_secret("a", "longer", under, "repo-creds"),
               make_argocd_repo_secret("a", "team-b", own, "repository", true),
               make_argocd_repo_secret("a", "team-c", std::string(kCredsPrefix) + "/team-c",
                                       "repository", false)});
  // The longest prefix wins: team-a's charts take "longer", not "creds".
  EXPECT_TRUE(url_uses_secret(resolved, 1, under + "/x"));
  EXPECT_FALSE(url_uses_secret(resolved, 0, under + "/x"));
  EXPECT_TRUE(url_uses_secret(resolved, 0, std::string(kCredsPrefix) + "/team-z"));
  // A repository secret with credentials of its own does not take repo-creds.
  EXPECT_FALSE(url_uses_secret(resolved, 0, own));
  // One without credentials does.
  EXPECT_TRUE(url_uses_secret(resolved, 0, std::string(kCredsPrefix) + "/team-c"));
  EXPECT_FALSE(url_uses_secret(resolved, 0, kCharts));
}

TEST(ArgoApplications, ErroredMeansAComparisonErrorOrACachedGenerationError) {
  EXPECT_TRUE(application_errored(make_application("a", "x", {kCharts}, false, "ComparisonError")));
  // The repo server's cached error, whatever the condition type.
  EXPECT_TRUE(
      application_errored(make_application("a", "x", {kCharts}, false, "InvalidSpecError")));
  json warning = make_application("a", "x", {kCharts}, false);
  warning["status"]["conditions"] = {{{"type", "SyncError"}, {"message", "hook failed"}}};
  EXPECT_FALSE(application_errored(warning));
  EXPECT_FALSE(application_errored(make_application("a", "x", {kCharts}, false)));
  EXPECT_FALSE(application_errored(json{{"status", {{"conditions", "bad"}}}}));
}

}  // namespace
}  // namespace ecrhelm::argocd
