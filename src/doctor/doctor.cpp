// Runs the links of the chain in order (a link uses what the ones before it
// found), and what they share: the chart's reference and the cluster
// connection.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "doctor/checks.h"
#include "kube/rest_config.h"
#include "oci/reference.h"
#include "util/time.h"

namespace ecrhelm::doctor {

using nlohmann::json;

std::string in_time(TimePoint t, TimePoint now) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(t - now);
  return left.count() >= 0 ? "in " + format_duration(left) : format_duration(-left) + " ago";
}

Report run(const Options& options, Services& services) { return Doctor(options, services).run(); }

Report Doctor::run() {
  resolve_chart();
  check_aws_identity();
  if (!o_.service_account.empty() || !o_.deployment.empty() || !o_.chart.empty()) {
    connect_kube();
  }
  check_service_account();
  check_automount();
  check_token();
  check_rollout();
  check_web_identity();
  check_ecr_token();
  check_argocd();
  check_registry();
  return std::move(r_);
}

// --chart oci://HOST/REPO/CHART, or Argo CD's form: --repo-url URL --chart NAME.
void Doctor::resolve_chart() {
  if (o_.chart.empty()) return;
  if (!o_.repo_url.empty()) {
    chart_ref_ = oci::from_argocd(o_.repo_url, o_.chart);
    repo_url_ = o_.repo_url;
    if (repo_url_.starts_with(oci::kOciScheme)) repo_url_ = repo_url_.substr(6);
    while (!repo_url_.empty() && repo_url_.back() == '/') repo_url_.pop_back();
    return;
  }
  chart_ref_ = oci::parse_reference(o_.chart);
  auto slash = chart_ref_->repository.rfind('/');
  repo_url_ = slash == std::string::npos
                  ? chart_ref_->registry
                  : chart_ref_->registry + "/" + chart_ref_->repository.substr(0, slash);
}

void Doctor::connect_kube() {
  const char* check = "kube.config";
  if (kube_) {
    return r_.ok(check, fmt::format("{} ({})", kube_->config().server, kube_->config().source));
  }
  try {
    kube::ConfigOptions co;
    co.kubeconfig = o_.kubeconfig;
    co.context = o_.context;
    kube_ = std::make_unique<kube::KubeClient>(kube::load_rest_config(co, *s_.service.env));
    r_.ok(check, fmt::format("{} ({})", kube_->config().server, kube_->config().source));
  } catch (const Error& e) {
    r_.fail(check, e.what(),
            "pass --kubeconfig and --context of the cluster Argo CD runs in (or set "
            "KUBECONFIG)");
  }
}

// Skips `check` when there is no cluster connection; true when there is.
bool Doctor::need_kube(const char* check) {
  if (kube_) return true;
  r_.skip(check, "no Kubernetes connection (see kube.config)");
  return false;
}

// The chart's registry as ECR (an ECR host name, or one listed in
// ECRHELM_ECR_REGISTRIES); nullopt for other registries or without --chart.
std::optional<aws::EcrTarget> Doctor::chart_ecr_target() const {
  if (!chart_ref_) return std::nullopt;
  try {
    return aws::ecr_target_for_host(chart_ref_->registry, o_.region, *s_.service.env);
  } catch (const Error& e) {
    spdlog::debug("doctor: {} as an ECR registry: {}", chart_ref_->registry, e.what());
    return std::nullopt;
  }
}

std::string Doctor::sts_region() const {
  std::string region = aws::resolve_region(o_.region, *s_.service.env).value_or("");
  if (region.empty() && chart_ref_) {
    if (auto h = aws::parse_ecr_host(chart_ref_->registry)) region = h->region;
  }
  return region;
}

}  // namespace ecrhelm::doctor
