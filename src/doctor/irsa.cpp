// 2. IRSA in the cluster: the service account's role annotation, the token
// mount in the deployment's pod template, a TokenRequest's claims (sub, aud,
// iss) and pods started after the annotation.
#include <fmt/format.h>
#include <algorithm>

#include "doctor/checks.h"
#include "kube/jwt_claims.h"
#include "kube/objects.h"
#include "kube/resource.h"

namespace ecrhelm::doctor {

namespace {

using nlohmann::json;

// The AWS_ROLE_ARN the EKS pod identity webhook put into a pod's containers
// when the pod was created; "" when none has it.
std::string pod_role_arn(const json& pod) {
  for (const auto& c : pod.value("/spec/containers"_json_pointer, json::array())) {
    for (const auto& e : c.value("env", json::array())) {
      if (e.is_object() && e.value("name", "") == "AWS_ROLE_ARN") return e.value("value", "");
    }
  }
  return "";
}

std::string lo_text(const std::vector<std::string>& s) { return s.empty() ? "none" : join(s, ","); }

}  // namespace

// 2. IRSA: the service account's role annotation.
void Doctor::check_service_account() {
  const char* check = "irsa.service-account";
  if (o_.service_account.empty()) return r_.skip(check, "no --service-account given");
  if (!need_kube(check)) return;
  try {
    auto sa = kube_->get_if_exists(kube::resources::kServiceAccounts, o_.ns, o_.service_account);
    if (!sa) {
      return r_.fail(check, fmt::format("service account {} not found", sa_name()),
                     "check -n and --service-account (Argo CD's is argocd-repo-server in "
                     "Argo CD's namespace)");
    }
    sa_ = std::move(*sa);
  } catch (const Error& e) {
    return r_.fail(check, e.what(), "grant get on serviceaccounts in " + o_.ns);
  }
  auto annotations = kube::meta_map(*sa_, "annotations");
  std::string annotate = fmt::format(
      "kubectl annotate serviceaccount {} -n {} --overwrite {}=arn:aws:iam::ACCOUNT_ID:role/"
      "ROLE_NAME",
      o_.service_account, o_.ns, kRoleArnAnnotation);
  auto it = annotations.find(kRoleArnAnnotation);
  if (it == annotations.end() || it->second.empty()) {
    return r_.fail(
        check,
        fmt::format("service account {} has no {} annotation", sa_name(), kRoleArnAnnotation),
        annotate);
  }
  auto role = aws::parse_role_arn(it->second);
  if (!role) {
    return r_.fail(check,
                   fmt::format("{} on service account {} is \"{}\", not an IAM role ARN",
                               kRoleArnAnnotation, sa_name(), it->second),
                   annotate);
  }
  if (!o_.role_arn.empty() && it->second != o_.role_arn) {
    return r_.fail(check,
                   fmt::format("service account {} names role {}, not --role-arn {}", sa_name(),
                               it->second, o_.role_arn),
                   fmt::format("kubectl annotate serviceaccount {} -n {} --overwrite {}={}",
                               o_.service_account, o_.ns, kRoleArnAnnotation, o_.role_arn));
  }
  role_arn_ = it->second;
  role_ = role;
  r_.ok(check,
        fmt::format("service account {} has {}={}", sa_name(), kRoleArnAnnotation, it->second));
}

// 2. IRSA: the deployment's pod template mounts the token.
void Doctor::check_automount() {
  const char* check = "irsa.automount";
  if (o_.deployment.empty()) return r_.skip(check, "no --deployment given");
  if (!need_kube(check)) return;
  try {
    auto d = kube_->get_if_exists(kube::resources::kDeployments, o_.ns, o_.deployment);
    if (!d) {
      return r_.fail(check, fmt::format("deployment {} not found", deploy_name()),
                     "check -n and --deployment (Argo CD's is argocd-repo-server)");
    }
    deployment_ = std::move(*d);
  } catch (const Error& e) {
    return r_.fail(check, e.what(), "grant get on deployments.apps in " + o_.ns);
  }
  const json spec = deployment_->value("/spec/template/spec"_json_pointer, json::object());
  std::string patch = fmt::format(
      "kubectl patch deployment {} -n {} --patch "
      "'{{\"spec\":{{\"template\":{{\"spec\":{{\"automountServiceAccountToken\": true}}}}}}}}'",
      o_.deployment, o_.ns);
  std::string runs_as = spec.value("serviceAccountName", spec.value("serviceAccount", ""));
  if (runs_as.empty()) runs_as = "default";
  if (!o_.service_account.empty() && runs_as != o_.service_account) {
    return r_.fail(check,
                   fmt::format("deployment {} runs as service account {}, not {}", deploy_name(),
                               runs_as, o_.service_account),
                   fmt::format("set spec.template.spec.serviceAccountName: {} on the deployment, "
                               "or pass --service-account {}",
                               o_.service_account, runs_as));
  }
  auto automount = spec.find("automountServiceAccountToken");
  if (automount != spec.end() && automount->is_boolean() && !automount->get<bool>()) {
    return r_.fail(check,
                   fmt::format("deployment {} sets automountServiceAccountToken: false in its pod "
                               "template: the AWS SDK finds no token",
                               deploy_name()),
                   patch);
  }
  if ((automount == spec.end() || !automount->is_boolean()) && sa_ &&
      !sa_->value("automountServiceAccountToken", true)) {
    return r_.fail(check,
                   fmt::format("service account {} sets automountServiceAccountToken: false and "
                               "deployment {} does not override it",
                               sa_name(), deploy_name()),
                   patch);
  }
  r_.ok(check, fmt::format("deployment {} mounts the service account token (runs as {})",
                           deploy_name(), runs_as));
}

// 2. IRSA: a token for the account, audience sts.amazonaws.com, and its claims.
void Doctor::check_token() {
  const char* check = "irsa.token";
  if (o_.service_account.empty()) return r_.skip(check, "no --service-account given");
  if (!sa_) return r_.skip(check, "no service account (see irsa.service-account)");
  kube::JwtClaims claims;
  try {
    auto t = kube::request_service_account_token(*kube_, o_.ns, o_.service_account, {kStsAudience},
                                                 kTokenRequestSeconds);
    claims = kube::decode_jwt_claims(t.token.reveal());
    sa_token_ = std::move(t.token);
  } catch (const Error& e) {
    return r_.fail(check, e.what(),
                   fmt::format("grant create on serviceaccounts/token for {} in {} (or run "
                               "doctor as a cluster admin)",
                               o_.service_account, o_.ns));
  }
  token_issuer_ = claims.iss;
  std::string want_sub = fmt::format("system:serviceaccount:{}:{}", o_.ns, o_.service_account);
  std::string trust = fmt::format(
      "ecrhelm policy trust --account ACCOUNT --region REGION --issuer-url {} --namespace {} "
      "--service-account {}",
      claims.iss.empty() ? "ISSUER" : claims.iss, o_.ns, o_.service_account);
  if (claims.sub != want_sub) {
    return r_.fail(check, fmt::format("token sub is \"{}\", not {}", claims.sub, want_sub),
                   "the API server issues tokens for another subject; check -n and "
                   "--service-account");
  }
  if (std::find(claims.aud.begin(), claims.aud.end(), kStsAudience) == claims.aud.end()) {
    return r_.fail(
        check, fmt::format("token aud is [{}], without {}", join(claims.aud, ", "), kStsAudience),
        "the API server ignored the requested audience; check its "
        "--api-audiences and TokenRequest support");
  }
  auto trim_slash = [](std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
  };
  if (!o_.issuer_url.empty() && trim_slash(claims.iss) != trim_slash(o_.issuer_url)) {
    return r_.fail(check,
                   fmt::format("token iss is {}, not --issuer-url {}: STS will not match the "
                               "role's trust policy",
                               claims.iss, o_.issuer_url),
                   "make the role trust this cluster's issuer: " + trust +
                       " (and create the IAM OIDC provider for it)");
  }
  std::string provider = claims.iss;
  if (provider.starts_with("https://")) provider = provider.substr(8);
  provider = trim_slash(provider);
  std::string account = role_ ? role_->account : "ACCOUNT";
  std::string partition = role_ ? role_->partition : "aws";
  r_.ok(check, fmt::format("iss {}, sub {}, aud {}: the role's trust policy must name Federated "
                           "arn:{}:iam::{}:oidc-provider/{} with {}:sub = {} and {}:aud = {}",
                           claims.iss, claims.sub, kStsAudience, partition, account, provider,
                           provider, want_sub, provider, kStsAudience));
}

// When the role annotation was written: the managedFields entry owning it.
std::optional<TimePoint> Doctor::annotation_time() const {
  std::optional<TimePoint> best;
  for (const auto& mf : sa_->value("/metadata/managedFields"_json_pointer, json::array())) {
    const json fields = mf.value("fieldsV1", json::object());
    auto ann = fields.value("/f:metadata/f:annotations"_json_pointer, json::object());
    if (!ann.contains(std::string("f:") + kRoleArnAnnotation)) continue;
    auto t = parse_iso8601(mf.value("time", ""));
    if (t && (!best || *t > *best)) best = t;
  }
  return best;
}

// 2. IRSA: the pods started after the annotation (the seed's rollout restart).
// A pod predates the annotation when the webhook injected another role, or
// (without the webhook's env) when it was created before the annotation was written.
void Doctor::check_rollout() {
  const char* check = "irsa.rollout";
  if (o_.deployment.empty()) return r_.skip(check, "no --deployment given");
  if (!deployment_) return r_.skip(check, "no deployment (see irsa.automount)");
  if (!role_arn_) return r_.skip(check, "no role annotation (see irsa.service-account)");
  auto annotated = annotation_time();
  std::vector<std::string> selector;
  const json match_labels =
      deployment_->value("/spec/selector/matchLabels"_json_pointer, json::object());
  for (const auto& [k, v] : match_labels.items()) {
    if (v.is_string()) selector.push_back(k + "=" + v.get<std::string>());
  }
  std::vector<json> pods;
  try {
    kube::ListOptions lo;
    lo.label_selector = join(selector, ",");
    pods = kube_->list(kube::resources::kPods, o_.ns, lo).items;
  } catch (const Error& e) {
    return r_.fail(check, e.what(), "grant list on pods in " + o_.ns);
  }
  std::string restart =
      fmt::format("kubectl rollout restart deployment {} -n {}", o_.deployment, o_.ns);
  if (pods.empty()) {
    return r_.warn(
        check,
        fmt::format("deployment {} has no pods (selector {})", deploy_name(), lo_text(selector)),
        "scale it up: kubectl scale deployment " + o_.deployment + " -n " + o_.ns +
            " --replicas=1");
  }
  std::vector<std::string> stale, unknown;
  for (const auto& p : pods) {
    if (!p.value("/metadata/deletionTimestamp"_json_pointer, json()).is_null()) continue;
    std::string name = kube::meta_string(p, "name");
    std::string injected = pod_role_arn(p);
    if (!injected.empty()) {
      if (injected != *role_arn_) stale.push_back(name + " (AWS_ROLE_ARN " + injected + ")");
      continue;
    }
    auto created = parse_iso8601(kube::meta_string(p, "creationTimestamp"));
    if (!annotated || !created) {
      unknown.push_back(name);
    } else if (*created < *annotated) {
      stale.push_back(name);
    }
  }
  std::string when = annotated ? format_iso8601(*annotated) : "time unknown";
  if (!stale.empty()) {
    return r_.fail(check,
                   fmt::format("{} of {} pods of deployment {} started before {} was set ({}): "
                               "{}",
                               stale.size(), pods.size(), deploy_name(), kRoleArnAnnotation, when,
                               join(stale, ", ")),
                   restart);
  }
  if (!unknown.empty()) {
    return r_.warn(check,
                   fmt::format("cannot tell whether pods {} started after {} was set on service "
                               "account {}: they have no AWS_ROLE_ARN and no managedFields "
                               "entry dates the annotation",
                               join(unknown, ", "), kRoleArnAnnotation, sa_name()),
                   restart + " (harmless if they already use the role)");
  }
  r_.ok(check, fmt::format("{} pods of deployment {} started after {} was set ({})", pods.size(),
                           deploy_name(), kRoleArnAnnotation, when));
}

}  // namespace ecrhelm::doctor
