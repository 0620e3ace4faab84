// The hard refresh of Argo CD Applications after a rotation (which sources
// use a secret and what counts as errored are tests/argocd/applications_test):
// the refresh modes and, on the real kube-apiserver with Argo CD's own Application CRD (v3.5.1),
// that errored Applications using the rotated repository are annotated once,
// while healthy ones, ones using another repository and ones elsewhere are
// not, and that a flood of rotations is not a flood of refreshes.
#include "controller/argocd_refresh.h"

#include <gtest/gtest.h>

#include "argocd/applications.h"
#include "kube/objects.h"
#include "support/crds.h"
#include "support/kube.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;
using test::admin_client;
using test::make_application;
using test::make_argocd_repo_secret;
using test::make_secret;
using test::ScopedNamespace;

constexpr const char* kCharts = "123456789012.dkr.ecr.us-east-1.amazonaws.com/charts";
constexpr const char* kOther = "123456789012.dkr.ecr.us-east-1.amazonaws.com/other";

TEST(ArgoRefreshRules, ModesParseAndPrint) {
  for (auto m : {RefreshMode::kNone, RefreshMode::kErrored, RefreshMode::kAll})
    EXPECT_EQ(parse_refresh_mode(to_string(m)), m);
  EXPECT_FALSE(parse_refresh_mode("Errored"));
  EXPECT_FALSE(parse_refresh_mode(""));
}

class ArgoRefreshOnTestbed : public ::testing::Test {
 protected:
  void SetUp() override { test::install_argocd_crds(); }

  bool annotated(const std::string& ns, const std::string& name) {
    auto a = kube_->get(argocd::kArgoApplications, ns, name);
    return kube::meta_map(a, "annotations")[argocd::kArgoRefreshAnnotation] == "hard";
  }
  // What Argo CD's application controller does after it has refreshed.
  void argo_refreshed(const std::string& ns, const std::string& name) {
    kube_->patch(argocd::kArgoApplications, ns, name, kube::PatchType::kMerge,
                 {{"metadata", {{"annotations", {{argocd::kArgoRefreshAnnotation, nullptr}}}}}});
  }

  std::unique_ptr<kube::KubeClient> kube_ = admin_client();
};

TEST_F(ArgoRefreshOnTestbed, ErroredApplicationsUsingTheRotatedRepositoryAreHardRefreshedOnce) {
  ScopedNamespace ns("argo-refresh");
  ScopedNamespace apps("argo-apps");
  const std::string n = ns.name();
  for (const auto& s :
       {make_argocd_repo_secret(n, "charts", kCharts), make_argocd_repo_secret(n, "other", kOther),
        make_secret(n, "not-argo", {{"url", kCharts}})})
    kube_->create(kube::resources::kSecrets, n, s);
  struct Case {
    std::string name;
    json body;
    bool refreshed;
  };
  std::vector<Case> cases = {
      {"errored-single", make_application(n, "errored-single", {kCharts}, false, "ComparisonError"),
       true},
      {"errored-multi",
       make_application(n, "errored-multi", {kOther, kCharts}, true, "ComparisonError"), true},
      {"healthy", make_application(n, "healthy", {kCharts}, false), false},
      {"errored-other-repo",
       make_application(n, "errored-other-repo", {kOther}, false, "ComparisonError"), false},
  };
  for (const auto& c : cases) kube_->create(argocd::kArgoApplications, n, c.body);
  // An errored app of the same repository in a namespace the refresher does not watch.
  kube_->create(argocd::kArgoApplications, apps.name(),
                make_application(apps.name(), "elsewhere", {kCharts}, false, "ComparisonError"));

  ArgoRefresher refresher(*kube_, {});
  refresher.rotated(n, "charts");
  EXPECT_EQ(refresher.run_pending(), 2u);
  for (const auto& c : cases) EXPECT_EQ(annotated(n, c.name), c.refreshed) << c.name;
  EXPECT_FALSE(annotated(apps.name(), "elsewhere"));

  // Only what is pending is looked at: nothing pending, nothing done.
  EXPECT_EQ(refresher.run_pending(), 0u);
  // A rotation of a secret that is not an Argo CD repository: nothing.
  refresher.rotated(n, "not-argo");
  EXPECT_EQ(refresher.run_pending(), 0u);
  EXPECT_FALSE(annotated(n, "healthy"));
}

TEST_F(ArgoRefreshOnTestbed, AFloodOfRotationsIsOneRefreshPerApplication) {
  ScopedNamespace ns("argo-flood");
  const std::string n = ns.name();
  kube_->create(kube::resources::kSecrets, n, make_argocd_repo_secret(n, "charts", kCharts));
  kube_->create(argocd::kArgoApplications, n,
                make_application(n, "errored", {kCharts}, false, "ComparisonError"));

  ArgoRefresher refresher(*kube_, {});
  for (int i = 0; i < 50; ++i) refresher.rotated(n, "charts");
  EXPECT_EQ(refresher.run_pending(), 1u);
  EXPECT_TRUE(annotated(n, "errored"));
  // Argo CD refreshed and removed the annotation; the app is still errored
  // (say the password was wrong too): more rotations within min_interval
  // (5 minutes) do not annotate it again.
  argo_refreshed(n, "errored");
  for (int round = 0; round < 5; ++round) {
    refresher.rotated(n, "charts");
    EXPECT_EQ(refresher.run_pending(), 0u);
  }
  EXPECT_FALSE(annotated(n, "errored"));
  auto st = refresher.stats();
  EXPECT_EQ(st.refreshed, 1u);
  EXPECT_EQ(st.rate_limited, 5u);
  EXPECT_EQ(st.passes, 6u);
}

TEST_F(ArgoRefreshOnTestbed, ModesAllAndNoneAndApplicationsInOtherNamespaces) {
  ScopedNamespace ns("argo-modes");
  ScopedNamespace apps("argo-modes-apps");
  const std::string n = ns.name();
  kube_->create(kube::resources::kSecrets, n, make_argocd_repo_secret(n, "charts", kCharts));
  kube_->create(argocd::kArgoApplications, apps.name(),
                make_application(apps.name(), "healthy", {kCharts}, false));
  kube_->create(argocd::kArgoApplications, apps.name(),
                make_application(apps.name(), "errored", {kCharts}, false, "ComparisonError"));

  ArgoRefreshOptions none;
  none.mode = RefreshMode::kNone;
  none.app_namespaces = {apps.name()};
  ArgoRefresher off(*kube_, none);
  off.rotated(n, "charts");
  EXPECT_EQ(off.run_pending(), 0u);
  EXPECT_FALSE(annotated(apps.name(), "errored"));

  ArgoRefreshOptions all;
  all.mode = RefreshMode::kAll;
  all.app_namespaces = {apps.name(), "argo-no-such-namespace"};
  ArgoRefresher every(*kube_, all);
  every.rotated(n, "charts");
  EXPECT_EQ(every.run_pending(), 2u);
  EXPECT_TRUE(annotated(apps.name(), "healthy"));
  EXPECT_TRUE(annotated(apps.name(), "errored"));
}

TEST_F(ArgoRefreshOnTestbed, TheBackgroundThreadGathersRotationsIntoOnePass) {
  ScopedNamespace ns("argo-thread");
  const std::string n = ns.name();
  kube_->create(kube::resources::kSecrets, n, make_argocd_repo_secret(n, "charts", kCharts));
  kube_->create(kube::resources::kSecrets, n, make_argocd_repo_secret(n, "other", kOther));
  kube_->create(argocd::kArgoApplications, n,
                make_application(n, "a", {kCharts}, false, "ComparisonError"));
  kube_->create(argocd::kArgoApplications, n,
                make_application(n, "b", {kOther}, false, "ComparisonError"));

  ArgoRefreshOptions o;
  o.settle = std::chrono::milliseconds(300);
  ArgoRefresher refresher(*kube_, o);
  refresher.start();
  refresher.rotated(n, "charts");
  refresher.rotated(n, "other");
  bool done = false;
  for (int i = 0; i < 100 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    done = refresher.stats().refreshed == 2;
  }
  refresher.stop();
  EXPECT_TRUE(done);
  EXPECT_TRUE(annotated(n, "a"));
  EXPECT_TRUE(annotated(n, "b"));
  EXPECT_EQ(refresher.stats().passes, 1u);
}

}  // namespace
}  // namespace ecrhelm::controller
