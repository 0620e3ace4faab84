#include "controller/repo_secret_reconciler.h"

#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include "argocd/repo_secrets.h"
#include "aws/ecr_login.h"
#include "controller/external_secret_reconciler.h"
#include "kube/objects.h"
#include "runtime/reconciler.h"
#include "util/error.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;

// "oci://HOST/path", "HOST/path", "https://HOST/path" -> HOST
std::string host_of(std::string url) {
  for (const char* scheme : {"oci://", "https://", "http://"}) {
    if (url.rfind(scheme, 0) == 0) url = url.substr(std::string(scheme).size());
  }
  return url.substr(0, url.find('/'));
}

}  // namespace

bool RolePolicy::allowed(const std::string& role_arn) const {
  if (allow_any) return true;
  for (const auto& p : patterns) {
    if (::fnmatch(p.c_str(), role_arn.c_str(), 0) == 0) return true;
  }
  return false;
}

RepoSecretReconciler::RepoSecretReconciler(kube::KubeClient& kube, EcrGenerator& generator,
                                           const Env& env, const Clock& clock, RolePolicy roles)
    : kube_(kube), generator_(generator), env_(env), clock_(clock), roles_(std::move(roles)) {}

RepoReconcileResult RepoSecretReconciler::reconcile(const kube::SecretObject& secret) {
  const std::string& ns = secret.ref.ns;
  const std::string& name = secret.ref.name;
  RepoReconcileResult result;
  auto annotations = secret.annotations;  // a copy: a missing one reads as ""
  try {
    const auto& data = secret.data_or_throw();
    auto url = data.find("url");
    if (url == data.end() || url->second.empty()) {
      fail(ErrorKind::kInvalidInput, "secret {}/{} is labelled {} but has no url key", ns, name,
           kManagedLabel);
    }
    std::string host = host_of(url->second.reveal());
    auto target = aws::ecr_target_for_host(host, annotations[kRegionAnnotation], env_);
    if (!target) {
      fail(ErrorKind::kInvalidInput,
           "secret {}/{}: {} is not an ECR registry host; fix url or list the host in "
           "ECRHELM_ECR_REGISTRIES",
           ns, name, host);
    }
    EcrGeneratorSpec spec;
    spec.region = target->region;
    spec.role = annotations[kRoleAnnotation];
    if (!spec.role.empty() && !roles_.allowed(spec.role)) {
      throw PolicyRefused(fmt::format(
          "secret {}/{}: the role in annotation {} is not allowed; the controller assumes "
          "annotated roles only with --allow-role-arn-annotations or when one of "
          "--allowed-role-arns matches",
          ns, name, kRoleAnnotation));
    }
    if (target->is_public) spec.scope = "public";
    std::string registry_id = annotations[kRegistryIdAnnotation].empty()
                                  ? target->registry_id
                                  : annotations[kRegistryIdAnnotation];
    GeneratedData g = generator_.generate(spec, ns, registry_id, {ns, "Secret", name});

    bool same = data.count("username") && data.at("username") == g.data.at("username") &&
                data.count("password") && data.at("password") == g.data.at("password") &&
                annotations[argocd::kTokenExpiresAnnotation] == format_iso8601(g.expires);
    if (!same) {
      json body = {
          {"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"annotations", {{argocd::kTokenExpiresAnnotation, format_iso8601(g.expires)}}}}},
          {"data", kube::encode_secret_data({{"username", g.data.at("username")},
                                             {"password", g.data.at("password")}})}};
      kube_.patch(kube::resources::kSecrets, ns, name, kube::PatchType::kApply, body,
                  {kFieldManager, true});
      kube::record_event(kube_, secret.ref, {"Normal", "Updated", "Updated ECR credentials"},
                         clock_);
      result.wrote_secret = true;
      spdlog::info("controller: repository secret {}/{}: ECR credentials updated", ns, name);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(g.expires - clock_.now());
    result.requeue_after = std::max<std::chrono::milliseconds>(left / 2, kMinRequeue);
  } catch (const PolicyRefused& e) {
    // Waits for the secret or the flags to change (and the periodic resync).
    kube::record_event(kube_, secret.ref, {"Warning", "NotAllowed", e.what()}, clock_);
    throw runtime::TerminalError(e.what());
  } catch (const std::exception& e) {
    kube::record_event(kube_, secret.ref, {"Warning", "UpdateFailed", e.what()}, clock_);
    throw;
  }
  return result;
}

}  // namespace ecrhelm::controller
