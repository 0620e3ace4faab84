#include "controller/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace ecrhelm::controller {
namespace {

using metrics::MetricsRegistry;

TEST(MetricsControllerFamilies, RegisterEsosAndOurNames) {
  MetricsRegistry r;
  ControllerMetrics m(r);
  m.sync_calls_total.inc({"repo", "argocd"});
  m.sync_calls_error.inc({"repo", "argocd"});
  m.status_condition.set({"repo", "argocd", "Ready", "True"}, 1);
  m.token_expiry_seconds.set({"argocd", "ECRAuthorizationToken", "ecr-gen"}, 1764332221);
  m.aws_calls_total.inc({"ecr", "GetAuthorizationToken"});
  m.reconcile_duration_seconds.observe(0.02);
  const std::string text = r.render();
  for (const char* line :
       {"externalsecret_sync_calls_total{name=\"repo\",namespace=\"argocd\"} 1\n",
        "externalsecret_sync_calls_error{name=\"repo\",namespace=\"argocd\"} 1\n",
        "externalsecret_status_condition{condition=\"Ready\",name=\"repo\",namespace=\"argocd\","
        "status=\"True\"} 1\n",
        "ecrhelm_ecr_token_expiry_seconds{generator=\"ecr-gen\",generator_kind="
        "\"ECRAuthorizationToken\","
        "namespace=\"argocd\"} 1.764332221e+09\n",
        "ecrhelm_aws_calls_total{operation=\"GetAuthorizationToken\",service=\"ecr\"} 1\n",
        "ecrhelm_token_cache_hits_total 0\n",
        "# TYPE ecrhelm_reconcile_duration_seconds histogram\n",
        "ecrhelm_reconcile_duration_seconds_count 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  // A second registration (another component) gets the same families.
  ControllerMetrics again(r);
  EXPECT_EQ(again.sync_calls_total.value({"repo", "argocd"}), 1);
}

}  // namespace
}  // namespace ecrhelm::controller
