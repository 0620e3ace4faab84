// What `ecrhelm repos` prints for resolved secrets: the JSON document's
// shape (credentials of repositories, usedBy of repo-creds, ECR hosts) and
// the table, wide or not, and that neither ever holds a credential value.
#include "cli/repos_output.h"

#include <gtest/gtest.h>

#include "support/objects.h"
#include "util/encoding.h"

namespace ecrhelm::cli {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "PASSWORD-repos-output-unit-leakcheck";
constexpr const char* kEcrUrl = "123456789012.dkr.ecr.us-west-2.amazonaws.com/charts";

json secret(const std::string& name, const std::string& type,
            const std::map<std::string, std::string>& data) {
  return test::make_secret("argocd", name, data, {{argocd::kArgoSecretTypeLabel, type}});
}

TEST(ReposOutput, JsonAndTableShowWhereCredentialsComeFromNeverTheirValue) {
  std::vector<json> in = {
      secret("with-own", "repository",
             {{"url", kEcrUrl + std::string("/a")}, {"username", "AWS"}, {"password", kPassword}}),
      secret("without", "repository", {{"url", kEcrUrl + std::string("/b")}, {"type", "helm"}}),
      secret("elsewhere", "repository", {{"url", "https://charts.example.com/c"}}),
      secret("creds", "repo-creds",
             {{"url", kEcrUrl}, {"username", "AWS"}, {"password", kPassword}}),
      secret("unrelated", "cluster", {{"url", kEcrUrl}}),
  };
  auto out = argocd::resolve_repo_secrets(in);
  ASSERT_EQ(out.size(), 4u);  // the cluster secret is dropped
  json doc = repos_json(out, "argocd");
  EXPECT_EQ(doc["namespace"], "argocd");
  ASSERT_EQ(doc["items"].size(), 4u);
  EXPECT_EQ(doc["items"][1]["credentials"]["source"], "repo-creds");
  EXPECT_EQ(doc["items"][1]["credentials"]["secret"], "creds");
  EXPECT_EQ(doc["items"][1]["credentials"]["passwordSet"], true);
  EXPECT_EQ(doc["items"][1]["passwordSet"], false);
  EXPECT_EQ(doc["items"][0]["ecr"]["region"], "us-west-2");
  EXPECT_TRUE(doc["items"][2]["ecr"].is_null());
  EXPECT_EQ(doc["items"][3]["usedBy"], json::array({"without"}));
  EXPECT_FALSE(doc["items"][3].contains("credentials"));

  for (bool wide : {false, true}) {
    std::string table = repos_table(out, wide);
    EXPECT_NE(table.find("repo-creds creds"), std::string::npos) << table;
    EXPECT_EQ(table.find(kPassword), std::string::npos);
    EXPECT_EQ(table.find(base64_encode(kPassword)), std::string::npos);
    EXPECT_EQ(table.find("ECR-ACCOUNT") != std::string::npos, wide);
  }
  EXPECT_EQ(doc.dump().find(kPassword), std::string::npos);
  EXPECT_EQ(doc.dump().find(base64_encode(kPassword)), std::string::npos);
}

}  // namespace
}  // namespace ecrhelm::cli
