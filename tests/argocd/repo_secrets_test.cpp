// Argo CD's repository-credential rules on secrets' JSON: what a secret
// says, the longest-prefix repo-creds match on normalized URLs (first of equal
// length wins), creds used only by repositories without their own, who last
// wrote the password (the output shapes of `ecrhelm repos`, and that they
// never hold a credential value, are tests/cli/repos_output_test).
#include <gtest/gtest.h>

#include "argocd/repo_secrets.h"
#include "support/objects.h"

namespace ecrhelm::argocd {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "PASSWORD-argocd-repos-unit-leakcheck";
constexpr const char* kEcrUrl = "123456789012.dkr.ecr.us-west-2.amazonaws.com/charts";

json secret(const std::string& name, const std::string& type,
            const std::map<std::string, std::string>& data, json managed = json::array()) {
  json s = test::make_secret("argocd", name, data, {{kArgoSecretTypeLabel, type}});
  s["metadata"]["managedFields"] = std::move(managed);
  return s;
}

json managed_entry(const std::string& manager, const std::string& time, json fields) {
  return {{"manager", manager}, {"operation", "Update"},    {"apiVersion", "v1"},
          {"time", time},       {"fieldsType", "FieldsV1"}, {"fieldsV1", fields}};
}

TEST(ArgoRepoSecret, ReadsTheSeedsRepositorySecret) {
  json s = secret("repo-2529854065", "repository",
                  {{"url", kEcrUrl},
                   {"type", "helm"},
                   {"enableOCI", "true"},
                   {"name", "demo"},
                   {"username", "AWS"},
                   {"password", kPassword}});
  ArgoRepoSecret r = read_repo_secret(s);
  EXPECT_EQ(r.name, "repo-2529854065");
  EXPECT_EQ(r.namespace_, "argocd");
  EXPECT_EQ(r.secret_type, "repository");
  EXPECT_EQ(r.url, kEcrUrl);
  EXPECT_EQ(r.type, "helm");
  EXPECT_TRUE(r.enable_oci);
  EXPECT_TRUE(r.username_set);
  EXPECT_TRUE(r.password_set);
  EXPECT_TRUE(r.has_own_credentials);
  ASSERT_TRUE(r.ecr);
  EXPECT_EQ(r.ecr->account_id, "123456789012");
  EXPECT_EQ(r.ecr->region, "us-west-2");
  EXPECT_TRUE(r.problems.empty());
}

TEST(ArgoRepoSecret, EnableOciFollowsGoParseBoolAndReportsNonsense) {
  for (const char* yes : {"true", "True", "TRUE", "t", "1"})
    EXPECT_TRUE(
        read_repo_secret(secret("r", "repository", {{"url", "x"}, {"enableOCI", yes}})).enable_oci)
        << yes;
  ArgoRepoSecret r =
      read_repo_secret(secret("r", "repository", {{"url", "x"}, {"enableOCI", "yes"}}));
  EXPECT_FALSE(r.enable_oci);
  EXPECT_EQ(r.enable_oci_raw, "yes");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("enableOCI"), std::string::npos);
  EXPECT_TRUE(read_repo_secret(secret("r", "repository", {{"url", "x"}})).enable_oci_raw.empty());
}

TEST(ArgoRepoSecret, EmptyValuesAreNotCredentialsAndNonEcrHostsHaveNoEcr) {
  ArgoRepoSecret r = read_repo_secret(
      secret("r", "repository",
             {{"url", "https://charts.example.com"}, {"username", ""}, {"password", ""}}));
  EXPECT_FALSE(r.username_set);
  EXPECT_FALSE(r.password_set);
  EXPECT_FALSE(r.has_own_credentials);
  EXPECT_FALSE(r.ecr);
}

TEST(ArgoRepoSecret, OtherCredentialKindsCountAsOwnCredentials) {
  // Repository.HasCredentials: an SSH key alone means no repo-creds lookup.
  ArgoRepoSecret r = read_repo_secret(
      secret("r", "repository", {{"url", "git@github.com:org/repo.git"}, {"sshPrivateKey", "k"}}));
  EXPECT_TRUE(r.has_own_credentials);
  EXPECT_FALSE(r.password_set);
  ArgoRepoSecret az = read_repo_secret(
      secret("r", "repository", {{"url", "x"}, {"useAzureWorkloadIdentity", "true"}}));
  EXPECT_TRUE(az.has_own_credentials);
}

TEST(ArgoRepoSecret, BadBase64IsAProblemNamingTheKeyNotAThrow) {
  json s = secret("r", "repository", {{"url", kEcrUrl}});
  s["data"]["password"] = "!!!not-base64-" + std::string(kPassword);
  s["data"]["type"] = "%%%";
  ArgoRepoSecret r;
  ASSERT_NO_THROW(r = read_repo_secret(s));
  ASSERT_EQ(r.problems.size(), 2u);
  std::string all = r.problems[0] + " " + r.problems[1];
  EXPECT_NE(all.find("data.password is not base64"), std::string::npos);
  EXPECT_NE(all.find("data.type is not base64"), std::string::npos);
  EXPECT_EQ(all.find(kPassword), std::string::npos);
  EXPECT_FALSE(r.password_set);
}

TEST(ArgoRepoSecret, StringDataIsReadToo) {
  json s = {
      {"metadata", {{"name", "m"}, {"labels", {{"argocd.argoproj.io/secret-type", "repo-creds"}}}}},
      {"stringData", {{"url", kEcrUrl}, {"password", kPassword}}}};
  ArgoRepoSecret r = read_repo_secret(s);
  EXPECT_EQ(r.url, kEcrUrl);
  EXPECT_TRUE(r.password_set);
  EXPECT_FALSE(r.username_set);
}

TEST(PasswordWriter, IsTheLatestManagerOwningDataPassword) {
  json managed =
      json::array({managed_entry("argocd-server", "2024-05-01T10:00:00Z",
                                 {{"f:data", {{".", json::object()}, {"f:url", json::object()}}}}),
                   managed_entry("external-secrets", "2024-05-02T09:00:00Z",
                                 {{"f:data", {{"f:password", json::object()}}}}),
                   managed_entry("kubectl-edit", "2024-05-01T12:00:00Z",
                                 {{"f:data", {{"f:password", json::object()}}}}),
                   managed_entry("kubectl-label", "2024-06-01T00:00:00Z",
                                 {{"f:metadata", {{"f:labels", json::object()}}}})});
  auto w = password_writer(secret("r", "repository", {{"url", "x"}}, managed));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->manager, "external-secrets");
  EXPECT_EQ(w->time, "2024-05-02T09:00:00Z");
  EXPECT_EQ(w->operation, "Update");
}

TEST(PasswordWriter, StringDataCountsAndNoneIsNullopt) {
  json managed = json::array({managed_entry("kubectl-client-side-apply", "2024-01-01T00:00:00Z",
                                            {{"f:stringData", {{"f:password", json::object()}}}})});
  auto w = password_writer(secret("r", "repository", {}, managed));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->manager, "kubectl-client-side-apply");
  EXPECT_FALSE(password_writer(secret("r", "repository", {})));
  EXPECT_FALSE(password_writer(json::object()));
}

TEST(NormalizeRepoUrl, AsArgoCd) {
  EXPECT_EQ(normalize_repo_url("  HTTPS://GitHub.com/Org/Repo.git "),
            "https://github.com/org/repo");
  EXPECT_EQ(normalize_repo_url("git@github.com:org/repo.git"), "git@github.com/org/repo");
  EXPECT_EQ(normalize_repo_url("ssh://git@github.com/org/repo"), "git@github.com/org/repo");
  EXPECT_EQ(normalize_repo_url(kEcrUrl), kEcrUrl);
}

TEST(MatchingRepoCreds, LongestPrefixWinsAndTheFirstOfEqualLength) {
  std::vector<ArgoRepoSecret> s = {
      read_repo_secret(secret("repo", "repository", {{"url", kEcrUrl + std::string("/app")}})),
      read_repo_secret(
          secret("short", "repo-creds", {{"url", "123456789012.dkr.ecr.us-west-2.amazonaws.com"}})),
      read_repo_secret(secret("long", "repo-creds", {{"url", kEcrUrl}})),
      read_repo_secret(secret("long-twin", "repo-creds", {{"url", kEcrUrl}})),
      read_repo_secret(secret("empty", "repo-creds", {{"url", ""}})),
  };
  EXPECT_EQ(matching_repo_creds(s, kEcrUrl + std::string("/app")), 2u);
  EXPECT_EQ(matching_repo_creds(s, "123456789012.dkr.ecr.us-west-2.amazonaws.com/other"), 1u);
  EXPECT_EQ(matching_repo_creds(s, "123456789012.DKR.ecr.us-west-2.amazonaws.com/charts.git"), 2u);
  // The repository secret's own URL is not a template, and an empty url matches nothing.
  EXPECT_FALSE(matching_repo_creds(s, "210987654321.dkr.ecr.us-west-2.amazonaws.com/charts"));
  // A plain prefix, not a path prefix: Argo CD compares strings.
  EXPECT_EQ(matching_repo_creds(s, kEcrUrl + std::string("-old")), 2u);
}

TEST(ResolveRepoSecrets, CredsAreUsedOnlyWithoutOwnCredentials) {
  std::vector<json> in = {
      secret("with-own", "repository",
             {{"url", kEcrUrl + std::string("/a")}, {"username", "AWS"}, {"password", kPassword}}),
      secret("without", "repository", {{"url", kEcrUrl + std::string("/b")}, {"type", "helm"}}),
      secret("elsewhere", "repository", {{"url", "https://charts.example.com/c"}}),
      secret("creds", "repo-creds",
             {{"url", kEcrUrl}, {"username", "AWS"}, {"password", kPassword}}),
      secret("unrelated", "cluster", {{"url", kEcrUrl}}),
  };
  auto out = resolve_repo_secrets(in);
  ASSERT_EQ(out.size(), 4u);  // the cluster secret is dropped
  EXPECT_EQ(out[0].credential_source, CredentialSource::kOwn);
  EXPECT_TRUE(out[0].credentials_secret.empty());
  EXPECT_EQ(out[1].credential_source, CredentialSource::kRepoCreds);
  EXPECT_EQ(out[1].credentials_secret, "creds");
  EXPECT_FALSE(out[1].password_set);
  EXPECT_TRUE(out[1].effective_password_set);
  EXPECT_TRUE(out[1].effective_username_set);
  EXPECT_EQ(out[2].credential_source, CredentialSource::kNone);
  EXPECT_FALSE(out[2].effective_password_set);
}

TEST(ResolveUrl, FindsTheSecretArgoCdWouldUse) {
  auto out = resolve_repo_secrets({
      secret("bare", "repository", {{"url", kEcrUrl + std::string("/b")}}),
      secret("own", "repository", {{"url", kEcrUrl + std::string("/a")}, {"password", kPassword}}),
      secret("creds", "repo-creds", {{"url", kEcrUrl}, {"password", kPassword}}),
  });
  UrlResolution own = resolve_url(out, kEcrUrl + std::string("/a.git"));
  EXPECT_EQ(own.repository, 1u);
  EXPECT_EQ(own.source, CredentialSource::kOwn);
  EXPECT_FALSE(own.repo_creds);

  UrlResolution bare = resolve_url(out, kEcrUrl + std::string("/b"));
  EXPECT_EQ(bare.repository, 0u);
  EXPECT_EQ(bare.source, CredentialSource::kRepoCreds);
  EXPECT_EQ(bare.repo_creds, 2u);

  // No repository secret at all: repo-creds still apply.
  UrlResolution none = resolve_url(out, kEcrUrl + std::string("/zzz"));
  EXPECT_FALSE(none.repository);
  EXPECT_EQ(none.repo_creds, 2u);

  UrlResolution miss = resolve_url(out, "https://charts.example.com");
  EXPECT_EQ(miss.source, CredentialSource::kNone);
}

}  // namespace
}  // namespace ecrhelm::argocd
