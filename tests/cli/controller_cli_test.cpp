// End to end, as a platform team runs it: `ecrhelm controller` (the binary)
// against the real kube-apiserver and moto_server rotates the password in an
// Argo CD repository secret from the seed's manifests; then `ecrhelm pull`,
// using only what is in that secret, pulls the chart from docker-registry
// (whose htpasswd holds moto's ECR password, as ECR would). The controller's
// log at -v never holds a secret value, and SIGTERM stops it cleanly.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "kube/objects.h"
#include "support/crds.h"
#include "support/kube.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kMotoPassword = "123456789012-auth-token";
constexpr const char* kSecretKey = "SECRETKEY-controller-cli-leakcheck";
const kube::ResourceType kEsV1beta1{"external-secrets.io", "v1beta1", "externalsecrets",
                                    "ExternalSecret", true};
const kube::ResourceType kGenerators{"generators.external-secrets.io", "v1alpha1",
                                     "ecrauthorizationtokens", "ECRAuthorizationToken", true};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(ControllerCli, RotatesTheSeedsSecretAndPullWorksWithWhatItWrote) {
  install_crds();
  MotoServer moto;
  RegistryServer registry("AWS", kMotoPassword);
  push_chart(registry.url(), "charts/demo", "1.2.3", make_chart_tgz("demo", "1.2.3"), "AWS",
             kMotoPassword);
  ScopedNamespace ns("argocd");
  auto kube = admin_client();
  const std::string url = registry.host() + "/charts";
  kube->create(kube::resources::kSecrets, ns.name(),
               make_secret(ns.name(), "awssm-secret",
                           {{"access-key", "AKIDCLI"}, {"secret-access-key", kSecretKey}}));
  kube->create(kube::resources::kSecrets, ns.name(),
               make_secret(ns.name(), "repo-2529854065",
                           {{"type", "helm"},
                            {"url", url},
                            {"enableOCI", "true"},
                            {"username", "AWS"},
                            {"name", "demo"},
                            {"password", "stale"}},
                           {{"argocd.argoproj.io/secret-type", "repository"}}));
  kube->create(kGenerators, ns.name(),
               {{"apiVersion", "generators.external-secrets.io/v1alpha1"},
                {"kind", "ECRAuthorizationToken"},
                {"metadata", {{"name", "ecr-gen"}}},
                {"spec",
                 {{"region", "us-east-1"},
                  {"auth",
                   {{"secretRef",
                     {{"accessKeyIDSecretRef", {{"name", "awssm-secret"}, {"key", "access-key"}}},
                      {"secretAccessKeySecretRef",
                       {{"name", "awssm-secret"}, {"key", "secret-access-key"}}}}}}}}}});
  kube->create(
      kEsV1beta1, ns.name(),
      {{"apiVersion", "external-secrets.io/v1beta1"},
       {"kind", "ExternalSecret"},
       {"metadata", {{"name", "repo-2529854065"}}},
       {"spec",
        {{"refreshInterval", "12h"},
         {"target",
          {{"name", "repo-2529854065"},
           {"creationPolicy", "Merge"},
           {"template", {{"data", {{"password", "{{ .password }}"}}}}}}},
         {"dataFrom", json::array({{{"sourceRef",
                                     {{"generatorRef",
                                       {{"apiVersion", "generators.external-secrets.io/v1alpha1"},
                                        {"kind", "ECRAuthorizationToken"},
                                        {"name", "ecr-gen"}}}}}}})}}}});

  TempDir home;
  std::string log = home.file("controller.log");
  {
    ChildProcess ctl({ECRHELM_BINARY, "-v", "controller", "--namespace", ns.name(), "--kubeconfig",
                      kube_testbed().kubeconfig, "--no-annotation-mode"},
                     {{"HOME", home.path()},
                      {"PATH", "/usr/bin:/bin"},
                      {"AWS_ENDPOINT_URL", moto.url()},
                      {"AWS_REGION", "us-east-1"},
                      {"AWS_EC2_METADATA_DISABLED", "true"}},
                     log);
    bool rotated = false;
    for (int i = 0; i < 300 && !rotated; ++i) {
      auto s = kube->get(kube::resources::kSecrets, ns.name(), "repo-2529854065");
      rotated = kube::secret_data(s).at("password").reveal() == kMotoPassword;
      if (!rotated) std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(rotated) << slurp(log);
    ctl.stop(std::chrono::seconds(10));  // SIGTERM; a graceful stop takes about a second
  }
  std::string out = slurp(log);
  EXPECT_NE(out.find("controller: stopped; "), std::string::npos) << out;
  EXPECT_NE(out.find("1 ECR calls"), std::string::npos) << out;
  EXPECT_EQ(out.find(kMotoPassword), std::string::npos);
  EXPECT_EQ(out.find(kSecretKey), std::string::npos);

  // Argo CD's side: only what the secret holds.
  auto s = kube->get(kube::resources::kSecrets, ns.name(), "repo-2529854065");
  auto data = kube::secret_data(s);
  EXPECT_EQ(data.at("url").reveal(), url);
  EXPECT_EQ(data.at("enableOCI").reveal(), "true");
  RunResult pull =
      run_ecrhelm({"pull", "oci://" + data.at("url").reveal() + "/" + data.at("name").reveal(),
                   "--version", "1.2.3", "--plain-http", "--username", data.at("username").reveal(),
                   "--password-stdin", "-d", home.path()},
                  {{"HOME", home.path()}}, data.at("password").reveal() + "\n");
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_TRUE(file_exists(home.file("demo-1.2.3.tgz")));
  EXPECT_EQ((pull.out + pull.err).find(kMotoPassword), std::string::npos);
}

}  // namespace
}  // namespace ecrhelm::test
