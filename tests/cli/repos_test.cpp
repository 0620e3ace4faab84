// `ecrhelm repos` (the binary) against the real kube-apiserver: the secrets
// are made as Argo CD makes them (label, url, type: helm, enableOCI: "true",
// username: AWS, password), a password rotated by another field manager as
// ESO does it; the output follows Argo CD's repo-creds rules, never holds the
// password at any -o or with -v, and a 403 is one line with exit code 3.
#include <gtest/gtest.h>

#include "kube/client.h"
#include "support/kube.h"
#include "support/testbed.h"
#include "util/encoding.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;

constexpr const char* kPassword = "eyJwYXlsb2FkIjoiUkVQT1MtQ0xJLWxlYWtjaGVjayJ9";
constexpr const char* kCredsPassword = "CREDS-PASSWORD-repos-cli-leakcheck";
constexpr const char* kRotated = "ROTATED-PASSWORD-repos-cli-leakcheck";
const std::string kRegistry = "123456789012.dkr.ecr.us-west-2.amazonaws.com";

const std::map<std::string, std::string> kRepoLabel = {
    {"argocd.argoproj.io/secret-type", "repository"}};
const std::map<std::string, std::string> kCredsLabel = {
    {"argocd.argoproj.io/secret-type", "repo-creds"}};

class ReposCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ns_ = std::make_unique<ScopedNamespace>("argocd");
    auto kube = admin_client();
    const std::string& ns = ns_->name();
    // The seed's repository secret, as Argo CD writes it for an ECR Helm OCI repository.
    kube->create(kube::resources::kSecrets, ns,
                 make_secret(ns, "repo-2529854065",
                             {{"type", "helm"},
                              {"url", kRegistry + "/charts"},
                              {"name", "charts"},
                              {"enableOCI", "true"},
                              {"username", "AWS"},
                              {"password", kPassword}},
                             kRepoLabel));
    // A repository with no credentials of its own, below two repo-creds URLs.
    kube->create(
        kube::resources::kSecrets, ns,
        make_secret(ns, "repo-bare",
                    {{"type", "helm"}, {"url", kRegistry + "/team-a/app"}, {"enableOCI", "true"}},
                    kRepoLabel));
    kube->create(kube::resources::kSecrets, ns,
                 make_secret(ns, "creds-registry",
                             {{"type", "helm"},
                              {"url", kRegistry},
                              {"enableOCI", "true"},
                              {"username", "AWS"},
                              {"password", kCredsPassword}},
                             kCredsLabel));
    kube->create(kube::resources::kSecrets, ns,
                 make_secret(ns, "creds-team-a",
                             {{"type", "helm"},
                              {"url", kRegistry + "/team-a"},
                              {"enableOCI", "true"},
                              {"username", "AWS"},
                              {"password", kCredsPassword}},
                             kCredsLabel));
    // Not Argo CD's: neither label value nor any label.
    kube->create(kube::resources::kSecrets, ns,
                 make_secret(ns, "cluster-x", {{"url", kRegistry}},
                             {{"argocd.argoproj.io/secret-type", "cluster"}}));
    kube->create(kube::resources::kSecrets, ns,
                 make_secret(ns, "awssm-secret", {{"access-key", "AKID"}}));
    // ESO-style rotation: another field manager merges a new password.
    kube::PatchOptions po;
    po.field_manager = "external-secrets";
    kube->patch(kube::resources::kSecrets, ns, "repo-2529854065", kube::PatchType::kMerge,
                {{"data", {{"password", base64_encode(kRotated)}}}}, po);
  }

  std::vector<std::string> args(const std::string& output) const {
    return {"repos", "-n", ns_->name(), "--kubeconfig", kube_testbed().kubeconfig, "-o", output};
  }

  std::unique_ptr<ScopedNamespace> ns_;
};

const json& item(const json& doc, const std::string& name) {
  for (const auto& i : doc["items"])
    if (i["name"] == name) return i;
  static const json kNone;
  ADD_FAILURE() << "no item " << name << " in " << doc.dump(2);
  return kNone;
}

TEST_F(ReposCli, ListsTheSecretsAsArgoCdResolvesThem) {
  RunResult r = run_ecrhelm(args("json"), {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(r.out);
  EXPECT_EQ(doc["namespace"], ns_->name());
  ASSERT_EQ(doc["items"].size(), 4u)
      << doc.dump(2);  // the cluster and plain secrets are not listed

  const json& seed = item(doc, "repo-2529854065");
  EXPECT_EQ(seed["secretType"], "repository");
  EXPECT_EQ(seed["url"], kRegistry + "/charts");
  EXPECT_EQ(seed["type"], "helm");
  EXPECT_EQ(seed["enableOCI"], true);
  EXPECT_EQ(seed["ecr"]["account"], "123456789012");
  EXPECT_EQ(seed["ecr"]["region"], "us-west-2");
  EXPECT_EQ(seed["usernameSet"], true);
  EXPECT_EQ(seed["passwordSet"], true);
  EXPECT_EQ(seed["credentials"]["source"], "own");
  ASSERT_TRUE(seed["passwordWriter"].is_object()) << seed.dump(2);
  EXPECT_EQ(seed["passwordWriter"]["manager"], "external-secrets");
  EXPECT_EQ(seed["passwordWriter"]["operation"], "Update");
  EXPECT_FALSE(seed["passwordWriter"]["time"].get<std::string>().empty());

  // Longest prefix: team-a's creds, not the registry-wide ones.
  const json& bare = item(doc, "repo-bare");
  EXPECT_EQ(bare["passwordSet"], false);
  EXPECT_EQ(bare["credentials"]["source"], "repo-creds");
  EXPECT_EQ(bare["credentials"]["secret"], "creds-team-a");
  EXPECT_EQ(bare["credentials"]["passwordSet"], true);
  EXPECT_TRUE(bare["passwordWriter"].is_null());

  EXPECT_EQ(item(doc, "creds-team-a")["usedBy"], json::array({"repo-bare"}));
  EXPECT_EQ(item(doc, "creds-registry")["usedBy"], json::array());
  EXPECT_EQ(item(doc, "creds-registry")["secretType"], "repo-creds");
  // The creds' password was written at creation, by the creating client.
  EXPECT_TRUE(item(doc, "creds-registry")["passwordWriter"].is_object());
}

TEST_F(ReposCli, TableShowsWhichCredentialsEachRepositoryUses) {
  RunResult r = run_ecrhelm(args("table"), {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NAME"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("repo-creds creds-team-a"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cluster-x"), std::string::npos) << r.out;
  RunResult wide = run_ecrhelm(args("wide"), {});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_NE(wide.out.find("external-secrets"), std::string::npos) << wide.out;
  EXPECT_NE(wide.out.find("123456789012"), std::string::npos) << wide.out;
  RunResult yaml = run_ecrhelm(args("yaml"), {});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_NE(yaml.out.find("secretType: repo-creds"), std::string::npos) << yaml.out;
  EXPECT_NE(yaml.out.find("account: \"123456789012\""), std::string::npos) << yaml.out;
}

TEST_F(ReposCli, NoPasswordInAnyOutputOrLog) {
  for (const std::string out : {"table", "wide", "json", "yaml"}) {
    for (bool verbose : {false, true}) {
      std::vector<std::string> a = args(out);
      if (verbose) a.insert(a.begin(), "-v");
      RunResult r = run_ecrhelm(a, {});
      ASSERT_EQ(r.exit_code, 0) << out << ": " << r.err;
      EXPECT_FALSE(r.out.empty());
      for (const std::string secret : {kPassword, kCredsPassword, kRotated}) {
        for (const std::string& form : {secret, base64_encode(secret)}) {
          EXPECT_EQ(r.out.find(form), std::string::npos) << out << " stdout";
          EXPECT_EQ(r.err.find(form), std::string::npos) << out << " stderr";
        }
      }
      if (verbose) {
        EXPECT_NE(r.err.find("repos:"), std::string::npos) << r.err;
      }
    }
  }
}

TEST_F(ReposCli, ForbiddenIsOneLineAndExitCode3) {
  std::vector<std::string> a = args("json");
  a.push_back("--context");
  a.push_back("nobody");
  RunResult r = run_ecrhelm(a, {});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("forbidden"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(ns_->name()), std::string::npos) << r.err;
}

TEST(ReposCliInput, BadFlagsAndMissingNamespace) {
  const auto& tb = kube_testbed();
  RunResult bad = run_ecrhelm({"repos", "--kubeconfig", tb.kubeconfig, "-o", "xml"}, {});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("table|wide|json|yaml"), std::string::npos) << bad.err;

  RunResult missing = run_ecrhelm({"repos", "--kubeconfig", "/nonexistent/kubeconfig"}, {});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("/nonexistent/kubeconfig"), std::string::npos) << missing.err;

  // An empty namespace lists nothing, successfully.
  ScopedNamespace empty("argocd-empty");
  RunResult none =
      run_ecrhelm({"repos", "-n", empty.name(), "--kubeconfig", tb.kubeconfig, "-o", "json"}, {});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(json::parse(none.out)["items"], json::array());
  RunResult table = run_ecrhelm({"repos", "-n", empty.name(), "--kubeconfig", tb.kubeconfig}, {});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(table.out.empty()) << table.out;
  EXPECT_NE(table.err.find("No Argo CD repository"), std::string::npos) << table.err;
}

}  // namespace
}  // namespace ecrhelm::test
