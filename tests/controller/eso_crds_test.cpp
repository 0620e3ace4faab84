// `ecrhelm controller` (the binary) where a user already installed External
// Secrets Operator's own CRDs (tests/data/eso-crds/, copied from ESO) instead
// of ours: with v0.16.2's it reconciles the seed's v1beta1 manifests; with
// v2.9.0's (the newest; v1beta1 no longer served since v0.17) the API server
// refuses the seed's v1beta1 ExternalSecret and the external-secrets.io/v1 twin
// is reconciled. ESO's status schema accepts the status ecrhelm writes.
//
// CRDs are cluster-wide and ESO's have the names of ours, so these tests run
// on their own kube-apiserver (CTest fixture kube_eso, ECRHELM_KUBE_TESTBED)
// and one at a time (RESOURCE_LOCK eso_crds): the suite's shared API server
// keeps ecrhelm's CRDs for every other test running in parallel.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "controller/eso_types.h"
#include "kube/objects.h"
#include "support/crds.h"
#include "support/kube.h"
#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kMotoPassword = "123456789012-auth-token";  // moto's fixed ECR token
constexpr const char* kRepoUrl = "123456789012.dkr.ecr.us-east-1.amazonaws.com/charts";
constexpr const char* kSecretKey = "SECRETKEY-eso-crds-leakcheck";
constexpr auto kWait = 60s;

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

template <typename F>
bool eventually(F pred, std::chrono::milliseconds limit = kWait) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

std::string data_of(const json& secret, const std::string& key) {
  auto d = kube::secret_data(secret);
  auto it = d.find(key);
  return it == d.end() ? "<absent>" : it->second.reveal();
}

const json* ready_condition(const json& es) {
  if (!es.contains("status") || !es["status"].contains("conditions")) return nullptr;
  for (const auto& c : es["status"]["conditions"]) {
    if (c.value("type", "") == "Ready") return &c;
  }
  return nullptr;
}

// ESO's ExternalSecret and ECRAuthorizationToken CRDs at one release.
void install_eso_crds(const std::string& version) {
  const std::string dir = std::string(ECRHELM_SOURCE_DIR) + "/tests/data/eso-crds/" + version;
  install_crd_files({dir + "/external-secrets.io_externalsecrets.yaml",
                     dir + "/generators.external-secrets.io_ecrauthorizationtokens.yaml"});
}

class EsoCrdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kube_testbed().env.count("KUBE_TESTBED_VERSION") &&
        kube_testbed().env.at("KUBE_TESTBED_VERSION") == "oldest") {
      // TESTBED.md: v1.20.2 refuses v0.16.2's ExternalSecret CRD
      // (status.binding.name.default: Invalid value: "null").
      GTEST_SKIP() << "ESO's CRDs need a current kube-apiserver; this is the oldest test bed";
    }
    kube_ = admin_client();
    ns_ = std::make_unique<ScopedNamespace>("esocrd");
    kube_->create(kube::resources::kSecrets, ns(),
                  make_secret(ns(), "awssm-secret",
                              {{"access-key", "AKIDESOCRDS"}, {"secret-access-key", kSecretKey}}));
    // An Argo CD repository secret as `argocd repo add --type helm --enable-oci` writes it.
    kube_->create(kube::resources::kSecrets, ns(),
                  make_secret(ns(), "repo-ecr",
                              {{"name", "ecr-charts"},
                               {"project", "default"},
                               {"type", "helm"},
                               {"url", kRepoUrl},
                               {"enableOCI", "true"},
                               {"username", "AWS"},
                               {"password", "expired-token"}},
                              {{"argocd.argoproj.io/secret-type", "repository"}}));
  }
  void TearDown() override {
    if (ctl_) ctl_->stop(5000ms);
    if (ctl_ && HasFailure()) std::cerr << "--- controller log\n" << slurp(log_) << "\n";
  }
  const std::string& ns() const { return ns_->name(); }

  // `ecrhelm controller` for this namespace only, AWS = moto.
  void start_controller() {
    auto env = moto_.env(home_.path());
    env["PATH"] = "/usr/bin:/bin";
    log_ = home_.file("controller.log");
    ctl_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{ECRHELM_BINARY, "-v", "controller", "--namespace", ns(),
                                 "--kubeconfig", kube_testbed().kubeconfig, "--no-annotation-mode",
                                 "--metrics-bind-address", "127.0.0.1:0",
                                 "--health-probe-bind-address", "127.0.0.1:0"},
        env, log_);
  }

  // The seed's manifests merged a fresh password into the repository secret,
  // kept every other key, and the ExternalSecret (read through `rt`) is Ready.
  void expect_reconciled(const kube::ResourceType& rt) {
    ASSERT_TRUE(eventually([&] {
      return data_of(kube_->get(kube::resources::kSecrets, ns(), "repo-ecr"), "password") ==
             kMotoPassword;
    })) << "the password was not rotated";
    json s = kube_->get(kube::resources::kSecrets, ns(), "repo-ecr");
    EXPECT_EQ(data_of(s, "url"), kRepoUrl);
    EXPECT_EQ(data_of(s, "type"), "helm");
    EXPECT_EQ(data_of(s, "enableOCI"), "true");
    EXPECT_EQ(data_of(s, "username"), "AWS");
    EXPECT_EQ(data_of(s, "name"), "ecr-charts");
    EXPECT_EQ(kube::meta_map(s, "labels")["argocd.argoproj.io/secret-type"], "repository");
    json es;
    ASSERT_TRUE(eventually([&] {
      es = kube_->get(rt, ns(), "repo-ecr");
      const json* c = ready_condition(es);
      return c && c->value("reason", "") == "SecretSynced";
    })) << es.dump();
    // What ESO's status schema kept of what ecrhelm wrote.
    EXPECT_EQ(ready_condition(es)->value("status", ""), "True");
    EXPECT_EQ(es["status"]["binding"]["name"], "repo-ecr");
    EXPECT_FALSE(es["status"].value("refreshTime", "").empty());
    EXPECT_FALSE(es["status"].value("syncedResourceVersion", "").empty());
    EXPECT_EQ(es.dump().find(kMotoPassword), std::string::npos);
    EXPECT_EQ(es.dump().find(kSecretKey), std::string::npos);
    std::string log = slurp(log_);
    EXPECT_EQ(log.find(kMotoPassword), std::string::npos);
    EXPECT_EQ(log.find(kSecretKey), std::string::npos);
  }

  std::unique_ptr<kube::KubeClient> kube_;
  std::unique_ptr<ScopedNamespace> ns_;
  MotoServer moto_;
  TempDir home_;
  std::string log_;
  std::unique_ptr<ChildProcess> ctl_;
};

TEST_F(EsoCrdsTest, WithEso0162CrdsTheControllerReconcilesTheSeedsV1beta1Manifests) {
  install_eso_crds("v0.16.2");
  kube_->create(controller::eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  // v0.16.2 still serves v1beta1: the seed's manifest is accepted as written.
  kube_->create(controller::eso::kExternalSecretsV1beta1, ns(),
                seed_external_secret(ns(), "repo-ecr"));
  start_controller();
  expect_reconciled(controller::eso::kExternalSecretsV1beta1);
  // ESO's schema defaulted what the seed left out (ours has no defaults).
  json es = kube_->get(controller::eso::kExternalSecrets, ns(), "repo-ecr");
  EXPECT_EQ(es["spec"]["target"].value("deletionPolicy", ""), "Retain");
}

TEST_F(EsoCrdsTest, WithEso290CrdsTheSeedsV1beta1IsRefusedAndItsV1TwinIsReconciled) {
  install_eso_crds("v2.9.0");
  kube_->create(controller::eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  // v1beta1 is `served: false`: the API server has no such resource. Right
  // after a CRD update the old version may still be served for a moment.
  int refused_status = 0;
  ASSERT_TRUE(eventually([&] {
    try {
      json probe = seed_external_secret(ns(), "probe-v1beta1");
      kube_->create(controller::eso::kExternalSecretsV1beta1, ns(), probe);
      kube_->remove(controller::eso::kExternalSecretsV1beta1, ns(), "probe-v1beta1");
      return false;
    } catch (const kube::ApiError& e) {
      refused_status = e.status();
      return true;
    }
  })) << "the API server still accepts external-secrets.io/v1beta1";
  EXPECT_EQ(refused_status, 404);
  try {
    kube_->create(controller::eso::kExternalSecretsV1beta1, ns(),
                  seed_external_secret(ns(), "repo-ecr"));
    ADD_FAILURE() << "the seed's v1beta1 ExternalSecret was accepted";
  } catch (const kube::ApiError& e) {
    EXPECT_EQ(e.status(), 404) << e.what();
    EXPECT_TRUE(kube::is_not_found(e));
  }
  // doctor names the problem and the fix.
  {
    auto env = moto_.env(home_.path());
    // The chart's registry is ECR's real name: its check must reach nothing
    // off this machine (a closed local port as the proxy; the test bed is exempt).
    env["HTTPS_PROXY"] = "http://127.0.0.1:9";
    env["NO_PROXY"] = "127.0.0.1,localhost";
    // Argo CD's doctor view of a project-less repository secret of its own.
    const std::string url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/doctor";
    kube_->create(kube::resources::kSecrets, ns(),
                  make_secret(ns(), "repo-doctor",
                              {{"type", "helm"},
                               {"url", url},
                               {"enableOCI", "true"},
                               {"username", "AWS"},
                               {"password", "expired-token"}},
                              {{"argocd.argoproj.io/secret-type", "repository"}}));
    auto d = run_ecrhelm({"doctor", "-o", "json", "-n", ns(), "--kubeconfig",
                          kube_testbed().kubeconfig, "--chart", "oci://" + url + "/demo"},
                         env);
    auto results = json::parse(d.out, nullptr, false);
    ASSERT_TRUE(results.is_array()) << d.out << d.err;
    const json* check = nullptr;
    for (const auto& r : results)
      if (r.value("check", "") == "argocd.external-secret") check = &r;
    ASSERT_NE(check, nullptr) << d.out;
    EXPECT_EQ(check->value("status", ""), "warn") << check->dump();
    EXPECT_EQ(check->value("message", ""),
              "no ExternalSecret in " + ns() +
                  " targets secret repo-doctor, and this cluster serves external-secrets.io/v1 "
                  "only (ESO 0.17 and later): the seed's external-secret.yaml (v1beta1) is "
                  "refused as written");
    EXPECT_EQ((*check)["fix"],
              "apply it with apiVersion: external-secrets.io/v1 (the spec is the same)");
    EXPECT_EQ((d.out + d.err).find(kSecretKey), std::string::npos);
  }
  // The same manifest through external-secrets.io/v1.
  json v1 = seed_external_secret(ns(), "repo-ecr");
  v1["apiVersion"] = "external-secrets.io/v1";
  kube_->create(controller::eso::kExternalSecrets, ns(), v1);
  start_controller();
  expect_reconciled(controller::eso::kExternalSecrets);
}

}  // namespace
}  // namespace ecrhelm::test
