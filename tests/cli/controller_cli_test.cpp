// End to end, as a platform team runs it: `ecrhelm controller` (the binary)
// against the real kube-apiserver and moto_server rotates the password in an
// Argo CD repository secret from the seed's manifests; then `ecrhelm pull`,
// using only what is in that secret, pulls the chart from docker-registry
// (whose htpasswd holds moto's ECR password, as ECR would). The controller's
// log at -v never holds a secret value, and SIGTERM stops it cleanly. With
// --leader-elect it works only while holding its Lease and releases it on
// stop; /readyz and /metrics answer on the ports it logs.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <regex>
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
                      kube_testbed().kubeconfig, "--no-annotation-mode", "--leader-elect",
                      "--leader-election-namespace", ns.name(), "--metrics-bind-address",
                      "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0"},
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
    auto lease = kube->get(kube::resources::kLeases, ns.name(), "ecrhelm-controller");
    EXPECT_FALSE(lease["spec"].value("holderIdentity", "").empty()) << lease.dump();

    std::string started = slurp(log);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(started, m, std::regex("metrics on port ([0-9]+)"))) << started;
    int metrics_port = std::stoi(m[1]);
    ASSERT_TRUE(std::regex_search(started, m, std::regex("health probes on port ([0-9]+)")));
    int health_port = std::stoi(m[1]);
    httplib::Client health("127.0.0.1", health_port);
    auto ready = health.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200) << ready->body;
    // The cache counters are published every 200 ms.
    std::string scrape;
    for (int i = 0; i < 50; ++i) {
      auto r = httplib::Client("127.0.0.1", metrics_port).Get("/metrics");
      ASSERT_TRUE(r);
      scrape = r->body;
      if (scrape.find("operation=\"GetAuthorizationToken\"} 1") != std::string::npos) break;
      std::this_thread::sleep_for(100ms);
    }
    // Label pairs sorted by name, as client_golang renders them.
    EXPECT_NE(scrape.find(
                  "ecrhelm_aws_calls_total{operation=\"GetAuthorizationToken\",service=\"ecr\"} 1"),
              std::string::npos)
        << scrape;
    // ESO's families, with ESO's names and labels, so ESO's dashboards keep working.
    std::string es_labels = "name=\"repo-2529854065\",namespace=\"" + ns.name() + "\"";
    // Value of one series, or -1 when it is absent.
    auto sample = [&scrape](const std::string& series) {
      auto at = scrape.find("\n" + series + " ");
      return at == std::string::npos ? -1.0 : std::stod(scrape.substr(at + series.size() + 2));
    };
    // One sync for the change, maybe a second for the status write's watch event.
    EXPECT_GE(sample("externalsecret_sync_calls_total{" + es_labels + "}"), 1) << scrape;
    EXPECT_EQ(sample("externalsecret_sync_calls_error{" + es_labels + "}"), -1) << scrape;
    EXPECT_NE(scrape.find("externalsecret_status_condition{condition=\"Ready\"," + es_labels +
                          ",status=\"True\"} 1"),
              std::string::npos)
        << scrape;
    EXPECT_NE(scrape.find("externalsecret_status_condition{condition=\"Ready\"," + es_labels +
                          ",status=\"False\"} 0"),
              std::string::npos)
        << scrape;
    EXPECT_GE(sample("ecrhelm_reconcile_duration_seconds_count"), 1) << scrape;
    EXPECT_NE(scrape.find("ecrhelm_ecr_token_expiry_seconds{identity=\"keys:"), std::string::npos)
        << scrape;
    EXPECT_EQ(scrape.find(kMotoPassword), std::string::npos);
    ctl.stop(std::chrono::seconds(10));  // SIGTERM; a graceful stop takes about a second
  }
  std::string out = slurp(log);
  EXPECT_NE(out.find("controller: stopped; "), std::string::npos) << out;
  EXPECT_NE(out.find("1 ECR calls"), std::string::npos) << out;
  EXPECT_NE(out.find("controller: became leader"), std::string::npos) << out;
  // Released on stop, as client-go's ReleaseOnCancel: the next replica need not wait 15 s.
  auto released = kube->get(kube::resources::kLeases, ns.name(), "ecrhelm-controller");
  EXPECT_EQ(released["spec"].value("holderIdentity", ""), "") << released.dump();
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
