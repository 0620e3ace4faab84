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

#include <csignal>
#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include "argocd/applications.h"
#include "controller/eso_types.h"
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
std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The seed's awssm-secret (moto takes any key) and generator.yaml.
void create_generator(kube::KubeClient& kube, const std::string& ns) {
  kube.create(kube::resources::kSecrets, ns,
              make_secret(ns, "awssm-secret",
                          {{"access-key", "AKIDCLI"}, {"secret-access-key", kSecretKey}}));
  kube.create(controller::eso::kEcrAuthorizationTokens, ns, seed_generator(ns));
}

// An Argo CD repository secret as Argo CD creates it, with a stale password,
// and the seed's external-secret.yaml merging the generator's into it.
void create_repo_and_external_secret(kube::KubeClient& kube, const std::string& ns,
                                     const std::string& name, const std::string& url) {
  kube.create(kube::resources::kSecrets, ns,
              make_secret(ns, name,
                          {{"type", "helm"},
                           {"url", url},
                           {"enableOCI", "true"},
                           {"username", "AWS"},
                           {"name", "demo"},
                           {"password", "stale"}},
                          {{"argocd.argoproj.io/secret-type", "repository"}}));
  kube.create(controller::eso::kExternalSecretsV1beta1, ns, seed_external_secret(ns, name));
}

// `ecrhelm -v controller` for namespace `ns` with leader election in `ns`,
// metrics and probes on free loopback ports (it logs them), AWS = moto.
std::unique_ptr<ChildProcess> start_controller(const MotoServer& moto, const std::string& ns,
                                               const TempDir& home, const std::string& log) {
  auto env = moto.env(home.path());
  env["PATH"] = "/usr/bin:/bin";
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{ECRHELM_BINARY, "-v", "controller", "--namespace", ns,
                               "--kubeconfig", kube_testbed().kubeconfig, "--no-annotation-mode",
                               "--leader-elect", "--leader-election-namespace", ns,
                               "--metrics-bind-address", "127.0.0.1:0",
                               "--health-probe-bind-address", "127.0.0.1:0"},
      env, log);
}

// Waits up to `limit` for the secret's password to be moto's ECR password.
bool wait_rotated(kube::KubeClient& kube, const std::string& ns, const std::string& name,
                  std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto s = kube.get(kube::resources::kSecrets, ns, name);
    if (kube::secret_data(s).at("password").reveal() == kMotoPassword) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// The first capture of `re` in the log at `path`, waiting up to `limit` for it.
std::optional<std::string> wait_log(const std::string& path, const std::string& re,
                                    std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::regex pattern(re);
  do {
    std::string text = slurp(path);
    std::smatch m;
    if (std::regex_search(text, m, pattern)) return m.size() > 1 ? m[1].str() : m[0].str();
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
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
  create_generator(*kube, ns.name());
  create_repo_and_external_secret(*kube, ns.name(), "repo-2529854065", url);
  // Argo CD's side: an Application stuck on the repo server's cached error
  // (the stale password), a healthy one, and an errored one of another repository.
  install_argocd_crds();
  const auto& apps = argocd::kArgoApplications;
  kube->create(apps, ns.name(),
               make_application(ns.name(), "stuck", {url}, false, "ComparisonError"));
  kube->create(apps, ns.name(), make_application(ns.name(), "healthy", {url}));
  kube->create(
      apps, ns.name(),
      make_application(ns.name(), "unrelated", {url + "-other"}, false, "ComparisonError"));
  auto refresh_of = [&](const std::string& app) {
    return kube::meta_map(kube->get(apps, ns.name(), app),
                          "annotations")[argocd::kArgoRefreshAnnotation];
  };

  TempDir home;
  std::string log = home.file("controller.log");
  {
    auto ctl = start_controller(moto, ns.name(), home, log);
    ASSERT_TRUE(wait_rotated(*kube, ns.name(), "repo-2529854065", 30s)) << slurp(log);
    // Rotations are gathered for 2 s, then the stuck Application is hard-refreshed.
    for (int i = 0; i < 100 && refresh_of("stuck").empty(); ++i) std::this_thread::sleep_for(100ms);
    EXPECT_EQ(refresh_of("stuck"), "hard") << slurp(log);
    EXPECT_EQ(refresh_of("healthy"), "");
    EXPECT_EQ(refresh_of("unrelated"), "");
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
    // The cache counters are read when /metrics is scraped.
    std::string scrape;
    for (int i = 0; i < 50; ++i) {
      auto r = httplib::Client("127.0.0.1", metrics_port).Get("/metrics");
      ASSERT_TRUE(r);
      scrape = r->body;
      if (scrape.find("operation=\"GetAuthorizationToken\"} 1") != std::string::npos &&
          scrape.find("\necrhelm_argocd_refreshes_total 1") != std::string::npos)
        break;
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
    EXPECT_EQ(sample("ecrhelm_argocd_refreshes_total"), 1) << scrape;
    // The token's expiry per generator; no label value is credential material.
    EXPECT_NE(scrape.find("ecrhelm_ecr_token_expiry_seconds{generator=\"ecr-gen\","
                          "generator_kind=\"ECRAuthorizationToken\",namespace=\"" +
                          ns.name() + "\"}"),
              std::string::npos)
        << scrape;
    for (const char* s : {kMotoPassword, kSecretKey, "AKIDCLI"})
      EXPECT_EQ(scrape.find(s), std::string::npos) << s << " in\n" << scrape;
    ctl->stop(std::chrono::seconds(10));  // SIGTERM; a graceful stop takes about a second
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

// Two replicas with --leader-elect, as a Deployment with replicas: 2 runs
// them: only the Lease holder reconciles; when it dies without releasing the
// Lease (SIGKILL), the standby takes over once the Lease expires and keeps
// the secrets fresh.
TEST(ControllerCli, TwoReplicasOnlyTheLeaderWritesAndTheStandbyTakesOverWhenItDies) {
  install_crds();
  MotoServer moto;
  ScopedNamespace ns("argocd");
  auto kube = admin_client();
  create_generator(*kube, ns.name());
  create_repo_and_external_secret(*kube, ns.name(), "repo-first", "127.0.0.1:1/charts");

  TempDir home;
  auto start = [&](const std::string& log) { return start_controller(moto, ns.name(), home, log); };
  const std::string log_a = home.file("a.log"), log_b = home.file("b.log");
  auto a = start(log_a);
  ASSERT_TRUE(wait_log(log_a, "controller: became leader", 30s)) << slurp(log_a);
  ASSERT_TRUE(wait_rotated(*kube, ns.name(), "repo-first", 30s)) << slurp(log_a);
  auto id_a = wait_log(log_a, "waiting for lease \\S+ as (\\S+)", 1s);
  ASSERT_TRUE(id_a);

  auto b = start(log_b);
  auto id_b = wait_log(log_b, "waiting for lease \\S+ as (\\S+)", 10s);
  auto port_b = wait_log(log_b, "metrics on port ([0-9]+)", 10s);
  ASSERT_TRUE(id_b && port_b) << slurp(log_b);
  EXPECT_NE(*id_a, *id_b);
  // A second ExternalSecret while both run: the leader writes it, the standby
  // (which retries the Lease every 2 s) does nothing.
  create_repo_and_external_secret(*kube, ns.name(), "repo-second", "127.0.0.1:1/charts");
  ASSERT_TRUE(wait_rotated(*kube, ns.name(), "repo-second", 30s)) << slurp(log_a);
  std::this_thread::sleep_for(3s);
  auto scrape = httplib::Client("127.0.0.1", std::stoi(*port_b)).Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_NE(scrape->body.find("\necrhelm_reconcile_duration_seconds_count 0\n"), std::string::npos)
      << scrape->body;
  EXPECT_EQ(slurp(log_b).find("became leader"), std::string::npos) << slurp(log_b);
  auto lease = kube->get(kube::resources::kLeases, ns.name(), "ecrhelm-controller");
  EXPECT_EQ(lease["spec"].value("holderIdentity", ""), *id_a) << lease.dump();

  // The leader dies without releasing the Lease; the standby waits for it to
  // expire (15 s), takes it and reconciles everything, including an object
  // created while no one led.
  ::kill(a->pid(), SIGKILL);
  a->stop();
  create_repo_and_external_secret(*kube, ns.name(), "repo-third", "127.0.0.1:1/charts");
  ASSERT_TRUE(wait_log(log_b, "controller: became leader", 40s)) << slurp(log_b);
  EXPECT_TRUE(wait_rotated(*kube, ns.name(), "repo-third", 30s)) << slurp(log_b);
  lease = kube->get(kube::resources::kLeases, ns.name(), "ecrhelm-controller");
  EXPECT_EQ(lease["spec"].value("holderIdentity", ""), *id_b) << lease.dump();
  EXPECT_GE(lease["spec"].value("leaseTransitions", 0), 1) << lease.dump();
  b->stop(std::chrono::seconds(10));
  for (const auto& log : {log_a, log_b}) {
    EXPECT_EQ(slurp(log).find(kMotoPassword), std::string::npos);
    EXPECT_EQ(slurp(log).find(kSecretKey), std::string::npos);
  }
}

}  // namespace
}  // namespace ecrhelm::test
