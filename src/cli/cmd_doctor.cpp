// `ecrhelm doctor`: walks the seed's chain link by link and says which one
// is broken and how to fix it. 1. the local AWS identity; 2. IRSA wiring in
// the cluster (service account annotation, token mount, a TokenRequest's
// claims, pods restarted after the annotation); 3. the AWS side with that
// token (web identity, ECR GetAuthorizationToken); 4. the Argo CD repository
// secret Argo CD would use for the chart (by its prefix rules) and the
// ExternalSecret that keeps it fresh; 5. the chart's manifest, fetched with
// that secret's credentials as the repo server would. Each check is skipped,
// with the reason, when its input is absent. Secrets (the password, the
// service-account token, AWS keys) are used, never printed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>

#include "argocd/applications.h"
#include "argocd/repo_secrets.h"
#include "aws/chain.h"
#include "aws/ecr.h"
#include "aws/ecr_host.h"
#include "aws/ecr_login.h"
#include "aws/sts.h"
#include "cli/doctor_report.h"
#include "cli/help.h"
#include "cli/runtime.h"
#include "controller/eso_types.h"
#include "kube/client.h"
#include "kube/jwt_claims.h"
#include "kube/objects.h"
#include "kube/rest_config.h"
#include "oci/chart_puller.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::cli {
namespace {

using nlohmann::json;

inline constexpr const char *kRoleArnAnnotation = "eks.amazonaws.com/role-arn";
inline constexpr const char *kStsAudience = "sts.amazonaws.com";
inline constexpr int64_t kTokenRequestSeconds = 600; // the API's minimum
inline constexpr auto kEcrTokenLifetime = std::chrono::hours(12);

struct DoctorOptions {
  std::string output = "text";
  std::string region;
  std::string role_arn;
  std::string ns = "argocd";
  std::string kubeconfig;
  std::string context;
  std::string service_account;
  std::string deployment;
  std::string issuer_url;
  std::string chart;
  std::string repo_url;
  std::string version;
  bool plain_http = false;
  std::string ca_file;
  bool insecure = false;
};

// "arn:PARTITION:iam::ACCOUNT:role[/PATH]/NAME"
struct RoleArn {
  std::string partition;
  std::string account;
  std::string name; // the last path segment
};

std::optional<RoleArn> parse_role_arn(std::string_view arn) {
  auto parts = split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].empty() ||
      parts[2] != "iam" || !parts[3].empty() || parts[4].size() != 12 ||
      parts[4].find_first_not_of("0123456789") != std::string::npos ||
      !parts[5].starts_with("role/")) {
    return std::nullopt;
  }
  std::string resource(parts[5].substr(5));
  if (resource.empty() || resource.back() == '/')
    return std::nullopt;
  auto slash = resource.rfind('/');
  return RoleArn{std::string(parts[1]), std::string(parts[4]),
                 slash == std::string::npos ? resource
                                            : resource.substr(slash + 1)};
}

std::string join(const std::vector<std::string> &parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i)
      out += sep;
    out += parts[i];
  }
  return out;
}

// The caller is the role: "arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION" (or
// the role ARN itself).
bool caller_is_role(const std::string &caller_arn, const RoleArn &role) {
  auto parts = split(caller_arn, ':');
  if (parts.size() != 6 || parts[4] != role.account)
    return false;
  if (parts[5].starts_with("assumed-role/")) {
    auto rest = parts[5].substr(13);
    return rest.substr(0, rest.find('/')) == role.name;
  }
  if (parts[5].starts_with("role/")) {
    auto r = parse_role_arn(caller_arn);
    return r && r->name == role.name;
  }
  return false;
}

std::string in_time(TimePoint t, TimePoint now) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(t - now);
  return left.count() >= 0 ? "in " + format_duration(left)
                           : format_duration(-left) + " ago";
}

// The fix for a failed AWS call, by what went wrong.
std::string aws_fix(ErrorKind kind, const std::string &what) {
  switch (kind) {
  case ErrorKind::kUnauthorized:
    return "the credentials were rejected: renew them (new keys, `aws sso "
           "login`, a fresh "
           "session) and run `ecrhelm whoami`";
  case ErrorKind::kForbidden:
    return fmt::format(
        "the identity may not call {}: attach the policy from `ecrhelm policy "
        "read --account ACCOUNT --region REGION` to it",
        what);
  case ErrorKind::kNetwork:
  case ErrorKind::kThrottled:
    return "check the network path to AWS (proxy, VPC endpoint, "
           "AWS_ENDPOINT_URL) and retry";
  case ErrorKind::kNotFound:
    return "configure AWS credentials (environment, --profile, IRSA's "
           "AWS_ROLE_ARN + "
           "AWS_WEB_IDENTITY_TOKEN_FILE, container or instance role)";
  case ErrorKind::kInvalidInput:
  case ErrorKind::kUnsupported:
    return "fix the AWS setting the message names (environment, ~/.aws/config, "
           "--profile)";
  default:
    return "run `ecrhelm -v whoami` to see the calls and fix what the message "
           "names";
  }
}

// Registry credentials as Argo CD passes them: exactly the secret's, no
// refresh and no other source.
class SecretRegistryCredentials final : public oci::RegistryCredentials {
public:
  SecretRegistryCredentials(std::string username, Secret password)
      : creds_{std::move(username), std::move(password)} {}
  std::optional<oci::BasicCredentials> get(const std::string &) override {
    return creds_;
  }
  std::optional<oci::BasicCredentials> refresh(const std::string &) override {
    return std::nullopt;
  }
  std::string source(const std::string &) override {
    return "the Argo CD secret";
  }

private:
  oci::BasicCredentials creds_;
};

// What the Argo CD check found and the registry check uses.
struct ArgoCredentials {
  std::string secret; // "ns/name" of the secret holding them
  std::string username;
  Secret password;
  bool plain_http = false; // insecureOCIForceHttp: "true"
  bool insecure = false;   // insecure: "true" (no TLS verification)
};

class Doctor {
public:
  Doctor(Runtime &rt, const DoctorOptions &o) : rt_(rt), o_(o) {}

  DoctorReport run() {
    resolve_chart();
    check_aws_identity();
    if (!o_.service_account.empty() || !o_.deployment.empty() ||
        !o_.chart.empty()) {
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

private:
  TimePoint now() const { return rt_.service().clock->now(); }
  std::string sa_name() const { return o_.ns + "/" + o_.service_account; }
  std::string deploy_name() const { return o_.ns + "/" + o_.deployment; }

  // --chart oci://HOST/REPO/CHART, or Argo CD's form: --repo-url URL --chart
  // NAME.
  void resolve_chart() {
    if (o_.chart.empty())
      return;
    if (!o_.repo_url.empty()) {
      chart_ref_ = oci::from_argocd(o_.repo_url, o_.chart);
      repo_url_ = o_.repo_url;
      if (repo_url_.starts_with(oci::kOciScheme))
        repo_url_ = repo_url_.substr(6);
      while (!repo_url_.empty() && repo_url_.back() == '/')
        repo_url_.pop_back();
      return;
    }
    chart_ref_ = oci::parse_reference(o_.chart);
    auto slash = chart_ref_->repository.rfind('/');
    repo_url_ = slash == std::string::npos
                    ? chart_ref_->registry
                    : chart_ref_->registry + "/" +
                          chart_ref_->repository.substr(0, slash);
  }

  // 1. Local AWS identity.
  void check_aws_identity() {
    const char *check = "aws.identity";
    try {
      auto chain =
          aws::make_default_chain(rt_.providers(), {rt_.flags().profile});
      auto creds = chain->load();
      if (!creds) {
        r_.skip(check, "no AWS credentials configured here (environment, "
                       "profile, web identity, "
                       "container, instance metadata)");
        r_.skip("aws.role", "no local AWS identity");
        return;
      }
      std::string region =
          aws::resolve_region(o_.region, rt_.env()).value_or("");
      auto id =
          aws::StsClient(rt_.service(), region).get_caller_identity(*creds);
      std::string expiry =
          creds->expiration ? ", expires " + in_time(*creds->expiration, now())
                            : "";
      r_.ok(check,
            fmt::format("{} (source: {}{})", id.arn, creds->source, expiry));
      local_creds_ = std::move(creds);
      caller_arn_ = id.arn;
    } catch (const Error &e) {
      r_.fail(check, e.what(), aws_fix(e.kind(), "sts:GetCallerIdentity"));
      r_.skip("aws.role", "no local AWS identity");
      return;
    }
    if (o_.role_arn.empty()) {
      r_.skip("aws.role", "no --role-arn given");
      return;
    }
    auto role = parse_role_arn(o_.role_arn);
    if (!role) {
      r_.fail("aws.role",
              fmt::format("--role-arn {} is not an IAM role ARN", o_.role_arn),
              "pass arn:aws:iam::ACCOUNT:role/NAME");
    } else if (caller_is_role(caller_arn_, *role)) {
      r_.ok("aws.role", fmt::format("the caller is role {}", o_.role_arn));
    } else {
      r_.fail("aws.role",
              fmt::format("the caller is {}, not role {}", caller_arn_,
                          o_.role_arn),
              "use credentials of that role: in the pod, IRSA's AWS_ROLE_ARN "
              "(see irsa.*); "
              "locally, a profile with role_arn (--profile)");
    }
  }

  void connect_kube() {
    const char *check = "kube.config";
    try {
      kube::ConfigOptions co;
      co.kubeconfig = o_.kubeconfig;
      co.context = o_.context;
      kube_ = std::make_unique<kube::KubeClient>(
          kube::load_rest_config(co, rt_.env()));
      r_.ok(check, fmt::format("{} ({})", kube_->config().server,
                               kube_->config().source));
    } catch (const Error &e) {
      r_.fail(check, e.what(),
              "pass --kubeconfig and --context of the cluster Argo CD runs in "
              "(or set "
              "KUBECONFIG)");
    }
  }

  // Skips `check` when there is no cluster connection; true when there is.
  bool need_kube(const char *check) {
    if (kube_)
      return true;
    r_.skip(check, "no Kubernetes connection (see kube.config)");
    return false;
  }

  // 2. IRSA: the service account's role annotation.
  void check_service_account() {
    const char *check = "irsa.service-account";
    if (o_.service_account.empty())
      return r_.skip(check, "no --service-account given");
    if (!need_kube(check))
      return;
    try {
      auto sa = kube_->get_if_exists(kube::resources::kServiceAccounts, o_.ns,
                                     o_.service_account);
      if (!sa) {
        return r_.fail(check,
                       fmt::format("service account {} not found", sa_name()),
                       "check -n and --service-account (Argo CD's is "
                       "argocd-repo-server in "
                       "Argo CD's namespace)");
      }
      sa_ = std::move(*sa);
    } catch (const Error &e) {
      return r_.fail(check, e.what(),
                     "grant get on serviceaccounts in " + o_.ns);
    }
    auto annotations = kube::meta_map(*sa_, "annotations");
    std::string annotate =
        fmt::format("kubectl annotate serviceaccount {} -n {} --overwrite "
                    "{}=arn:aws:iam::ACCOUNT_ID:role/"
                    "ROLE_NAME",
                    o_.service_account, o_.ns, kRoleArnAnnotation);
    auto it = annotations.find(kRoleArnAnnotation);
    if (it == annotations.end() || it->second.empty()) {
      return r_.fail(check,
                     fmt::format("service account {} has no {} annotation",
                                 sa_name(), kRoleArnAnnotation),
                     annotate);
    }
    auto role = parse_role_arn(it->second);
    if (!role) {
      return r_.fail(
          check,
          fmt::format("{} on service account {} is \"{}\", not an IAM role ARN",
                      kRoleArnAnnotation, sa_name(), it->second),
          annotate);
    }
    if (!o_.role_arn.empty() && it->second != o_.role_arn) {
      return r_.fail(
          check,
          fmt::format("service account {} names role {}, not --role-arn {}",
                      sa_name(), it->second, o_.role_arn),
          fmt::format(
              "kubectl annotate serviceaccount {} -n {} --overwrite {}={}",
              o_.service_account, o_.ns, kRoleArnAnnotation, o_.role_arn));
    }
    role_arn_ = it->second;
    role_ = role;
    r_.ok(check, fmt::format("service account {} has {}={}", sa_name(),
                             kRoleArnAnnotation, it->second));
  }

  // 2. IRSA: the deployment's pod template mounts the token.
  void check_automount() {
    const char *check = "irsa.automount";
    if (o_.deployment.empty())
      return r_.skip(check, "no --deployment given");
    if (!need_kube(check))
      return;
    try {
      auto d = kube_->get_if_exists(kube::resources::kDeployments, o_.ns,
                                    o_.deployment);
      if (!d) {
        return r_.fail(
            check, fmt::format("deployment {} not found", deploy_name()),
            "check -n and --deployment (Argo CD's is argocd-repo-server)");
      }
      deployment_ = std::move(*d);
    } catch (const Error &e) {
      return r_.fail(check, e.what(),
                     "grant get on deployments.apps in " + o_.ns);
    }
    const json spec =
        deployment_->value("/spec/template/spec"_json_pointer, json::object());
    std::string patch =
        fmt::format("kubectl patch deployment {} -n {} --patch "
                    "'{{\"spec\":{{\"template\":{{\"spec\":{{"
                    "\"automountServiceAccountToken\": true}}}}}}}}'",
                    o_.deployment, o_.ns);
    std::string runs_as =
        spec.value("serviceAccountName", spec.value("serviceAccount", ""));
    if (runs_as.empty())
      runs_as = "default";
    if (!o_.service_account.empty() && runs_as != o_.service_account) {
      return r_.fail(
          check,
          fmt::format("deployment {} runs as service account {}, not {}",
                      deploy_name(), runs_as, o_.service_account),
          fmt::format("set spec.template.spec.serviceAccountName: {} on the "
                      "deployment, "
                      "or pass --service-account {}",
                      o_.service_account, runs_as));
    }
    auto automount = spec.find("automountServiceAccountToken");
    if (automount != spec.end() && automount->is_boolean() &&
        !automount->get<bool>()) {
      return r_.fail(
          check,
          fmt::format("deployment {} sets automountServiceAccountToken: false "
                      "in its pod "
                      "template: the AWS SDK finds no token",
                      deploy_name()),
          patch);
    }
    if ((automount == spec.end() || !automount->is_boolean()) && sa_ &&
        !sa_->value("automountServiceAccountToken", true)) {
      return r_.fail(
          check,
          fmt::format(
              "service account {} sets automountServiceAccountToken: false and "
              "deployment {} does not override it",
              sa_name(), deploy_name()),
          patch);
    }
    r_.ok(check,
          fmt::format(
              "deployment {} mounts the service account token (runs as {})",
              deploy_name(), runs_as));
  }

  // 2. IRSA: a token for the account, audience sts.amazonaws.com, and its
  // claims.
  void check_token() {
    const char *check = "irsa.token";
    if (o_.service_account.empty())
      return r_.skip(check, "no --service-account given");
    if (!sa_)
      return r_.skip(check, "no service account (see irsa.service-account)");
    kube::JwtClaims claims;
    try {
      auto t = kube::request_service_account_token(
          *kube_, o_.ns, o_.service_account, {kStsAudience},
          kTokenRequestSeconds);
      claims = kube::decode_jwt_claims(t.token.reveal());
      sa_token_ = std::move(t.token);
    } catch (const Error &e) {
      return r_.fail(
          check, e.what(),
          fmt::format(
              "grant create on serviceaccounts/token for {} in {} (or run "
              "doctor as a cluster admin)",
              o_.service_account, o_.ns));
    }
    token_issuer_ = claims.iss;
    std::string want_sub =
        fmt::format("system:serviceaccount:{}:{}", o_.ns, o_.service_account);
    std::string trust = fmt::format(
        "ecrhelm policy trust --account ACCOUNT --region REGION --issuer-url "
        "{} --namespace {} "
        "--service-account {}",
        claims.iss.empty() ? "ISSUER" : claims.iss, o_.ns, o_.service_account);
    if (claims.sub != want_sub) {
      return r_.fail(
          check,
          fmt::format("token sub is \"{}\", not {}", claims.sub, want_sub),
          "the API server issues tokens for another subject; check -n and "
          "--service-account");
    }
    if (std::find(claims.aud.begin(), claims.aud.end(), kStsAudience) ==
        claims.aud.end()) {
      return r_.fail(check,
                     fmt::format("token aud is [{}], without {}",
                                 join(claims.aud, ", "), kStsAudience),
                     "the API server ignored the requested audience; check its "
                     "--api-audiences and TokenRequest support");
    }
    auto trim_slash = [](std::string s) {
      while (!s.empty() && s.back() == '/')
        s.pop_back();
      return s;
    };
    if (!o_.issuer_url.empty() &&
        trim_slash(claims.iss) != trim_slash(o_.issuer_url)) {
      return r_.fail(
          check,
          fmt::format(
              "token iss is {}, not --issuer-url {}: STS will not match the "
              "role's trust policy",
              claims.iss, o_.issuer_url),
          "make the role trust this cluster's issuer: " + trust +
              " (and create the IAM OIDC provider for it)");
    }
    std::string provider = claims.iss;
    if (provider.starts_with("https://"))
      provider = provider.substr(8);
    provider = trim_slash(provider);
    std::string account = role_ ? role_->account : "ACCOUNT";
    std::string partition = role_ ? role_->partition : "aws";
    r_.ok(
        check,
        fmt::format(
            "iss {}, sub {}, aud {}: the role's trust policy must name "
            "Federated "
            "arn:{}:iam::{}:oidc-provider/{} with {}:sub = {} and {}:aud = {}",
            claims.iss, claims.sub, kStsAudience, partition, account, provider,
            provider, want_sub, provider, kStsAudience));
  }

  // When the role annotation was written: the managedFields entry owning it.
  std::optional<TimePoint> annotation_time() const {
    std::optional<TimePoint> best;
    for (const auto &mf :
         sa_->value("/metadata/managedFields"_json_pointer, json::array())) {
      const json fields = mf.value("fieldsV1", json::object());
      auto ann = fields.value("/f:metadata/f:annotations"_json_pointer,
                              json::object());
      if (!ann.contains(std::string("f:") + kRoleArnAnnotation))
        continue;
      auto t = parse_iso8601(mf.value("time", ""));
      if (t && (!best || *t > *best))
        best = t;
    }
    return best;
  }

  // 2. IRSA: the pods started after the annotation (the seed's rollout
  // restart). The AWS_ROLE_ARN the EKS pod identity webhook put into a pod's
  // containers when the pod was created; "" when none has it.
  static std::string pod_role_arn(const json &pod) {
    for (const auto &c :
         pod.value("/spec/containers"_json_pointer, json::array())) {
      for (const auto &e : c.value("env", json::array())) {
        if (e.is_object() && e.value("name", "") == "AWS_ROLE_ARN")
          return e.value("value", "");
      }
    }
    return "";
  }

  // A pod predates the annotation when the webhook injected another role, or
  // (without the webhook's env) when it was created before the annotation was
  // written.
  void check_rollout() {
    const char *check = "irsa.rollout";
    if (o_.deployment.empty())
      return r_.skip(check, "no --deployment given");
    if (!deployment_)
      return r_.skip(check, "no deployment (see irsa.automount)");
    if (!role_arn_)
      return r_.skip(check, "no role annotation (see irsa.service-account)");
    auto annotated = annotation_time();
    std::vector<std::string> selector;
    const json match_labels = deployment_->value(
        "/spec/selector/matchLabels"_json_pointer, json::object());
    for (const auto &[k, v] : match_labels.items()) {
      if (v.is_string())
        selector.push_back(k + "=" + v.get<std::string>());
    }
    std::vector<json> pods;
    try {
      kube::ListOptions lo;
      lo.label_selector = join(selector, ",");
      pods = kube_->list(kube::resources::kPods, o_.ns, lo).items;
    } catch (const Error &e) {
      return r_.fail(check, e.what(), "grant list on pods in " + o_.ns);
    }
    std::string restart = fmt::format(
        "kubectl rollout restart deployment {} -n {}", o_.deployment, o_.ns);
    if (pods.empty()) {
      return r_.warn(check,
                     fmt::format("deployment {} has no pods (selector {})",
                                 deploy_name(), lo_text(selector)),
                     "scale it up: kubectl scale deployment " + o_.deployment +
                         " -n " + o_.ns + " --replicas=1");
    }
    std::vector<std::string> stale, unknown;
    for (const auto &p : pods) {
      if (!p.value("/metadata/deletionTimestamp"_json_pointer, json())
               .is_null())
        continue;
      std::string name = kube::meta_string(p, "name");
      std::string injected = pod_role_arn(p);
      if (!injected.empty()) {
        if (injected != *role_arn_)
          stale.push_back(name + " (AWS_ROLE_ARN " + injected + ")");
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
      return r_.fail(
          check,
          fmt::format(
              "{} of {} pods of deployment {} started before {} was set ({}): "
              "{}",
              stale.size(), pods.size(), deploy_name(), kRoleArnAnnotation,
              when, join(stale, ", ")),
          restart);
    }
    if (!unknown.empty()) {
      return r_.warn(
          check,
          fmt::format(
              "cannot tell whether pods {} started after {} was set on service "
              "account {}: they have no AWS_ROLE_ARN and no managedFields "
              "entry dates the annotation",
              join(unknown, ", "), kRoleArnAnnotation, sa_name()),
          restart + " (harmless if they already use the role)");
    }
    r_.ok(check,
          fmt::format("{} pods of deployment {} started after {} was set ({})",
                      pods.size(), deploy_name(), kRoleArnAnnotation, when));
  }

  static std::string lo_text(const std::vector<std::string> &s) {
    return s.empty() ? "none" : join(s, ",");
  }

  // 3. AWS side: the service account's token gets credentials for the role.
  void check_web_identity() {
    const char *check = "aws.web-identity";
    if (!sa_token_)
      return r_.skip(check, "no service-account token (see irsa.token)");
    if (!role_arn_)
      return r_.skip(check, "no role annotation (see irsa.service-account)");
    std::string region = sts_region();
    try {
      aws::WebIdentityParams p;
      p.role_arn = *role_arn_;
      p.session_name = "ecrhelm-doctor";
      p.web_identity_token = *sa_token_;
      auto creds = aws::StsClient(rt_.service(), region)
                       .assume_role_with_web_identity(p);
      std::string expiry = creds.expiration
                               ? ", expire " + in_time(*creds.expiration, now())
                               : "";
      r_.ok(check,
            fmt::format(
                "AssumeRoleWithWebIdentity for {} with the token of {} gave "
                "credentials{}",
                *role_arn_, sa_name(), expiry));
      creds.source = fmt::format("web identity ({})", sa_name());
      web_creds_ = std::move(creds);
    } catch (const Error &e) {
      if (e.kind() == ErrorKind::kNetwork) {
        return r_.warn(
            check, fmt::format("STS is not reachable from here: {}", e.what()),
            "run doctor where STS is reachable, or check from the pod with "
            "`ecrhelm whoami`");
      }
      std::string trust = fmt::format(
          "the role's trust policy must allow this cluster's issuer and "
          "service account: "
          "ecrhelm policy trust --account {} --region REGION --issuer-url {} "
          "--namespace {} "
          "--service-account {} (and an IAM OIDC provider for the issuer)",
          role_ ? role_->account : "ACCOUNT",
          token_issuer_.empty() ? "ISSUER" : token_issuer_, o_.ns,
          o_.service_account);
      r_.fail(check, e.what(), trust);
    }
  }

  // The chart's registry as ECR (an ECR host name, or one listed in
  // ECRHELM_ECR_REGISTRIES); nullopt for other registries or without --chart.
  std::optional<aws::EcrTarget> chart_ecr_target() const {
    if (!chart_ref_)
      return std::nullopt;
    try {
      return aws::ecr_target_for_host(chart_ref_->registry, o_.region,
                                      rt_.env());
    } catch (const Error &e) {
      spdlog::debug("doctor: {} as an ECR registry: {}", chart_ref_->registry,
                    e.what());
      return std::nullopt;
    }
  }

  std::string sts_region() const {
    std::string region = aws::resolve_region(o_.region, rt_.env()).value_or("");
    if (region.empty() && chart_ref_) {
      if (auto h = aws::parse_ecr_host(chart_ref_->registry))
        region = h->region;
    }
    return region;
  }

  // 3. AWS side: ECR GetAuthorizationToken with the role's (else the local)
  // credentials.
  void check_ecr_token() {
    const char *check = "aws.ecr-token";
    const aws::Credentials *creds = web_creds_     ? &*web_creds_
                                    : local_creds_ ? &*local_creds_
                                                   : nullptr;
    if (!creds) {
      return r_.skip(
          check, "no AWS credentials (see aws.identity and aws.web-identity)");
    }
    std::string region, registry_id;
    if (auto t = chart_ecr_target(); t && !t->is_public) {
      region = t->region;
      registry_id = t->registry_id;
    }
    if (region.empty())
      region = aws::resolve_region(o_.region, rt_.env()).value_or("");
    if (region.empty()) {
      return r_.skip(check, "no region: pass --region or an ECR --chart");
    }
    try {
      auto tok = aws::EcrClient(rt_.service(), region)
                     .get_authorization_token(*creds, registry_id);
      std::string msg = fmt::format(
          "GetAuthorizationToken in {} with {} credentials: token for {}",
          region, creds->source, tok.proxy_endpoint);
      if (tok.expires_at <= now()) {
        return r_.warn(check,
                       msg + fmt::format(" already expired at {}",
                                         format_iso8601(tok.expires_at)),
                       "check this machine's clock (ECR tokens live 12 hours)");
      }
      r_.ok(check, msg + fmt::format(", expires {} ({})",
                                     format_iso8601(tok.expires_at),
                                     in_time(tok.expires_at, now())));
    } catch (const Error &e) {
      r_.fail(check, e.what(), aws_fix(e.kind(), "ecr:GetAuthorizationToken"));
    }
  }

  // 4. Argo CD: the secret Argo CD would use for the chart's URL, and its keys.
  void check_argocd() {
    static const char *kChecks[] = {
        "argocd.secret",      "argocd.type",     "argocd.url",
        "argocd.username",    "argocd.password", "argocd.external-secret",
        "argocd.applications"};
    auto skip_rest = [&](size_t from, const std::string &reason) {
      for (size_t i = from; i < std::size(kChecks); ++i)
        r_.skip(kChecks[i], reason);
    };
    if (!chart_ref_)
      return skip_rest(0, "no --chart given");
    if (!kube_)
      return skip_rest(0, "no Kubernetes connection (see kube.config)");
    std::vector<json> raw;
    try {
      kube::ListOptions lo;
      lo.label_selector = argocd::kArgoRepoSecretSelector;
      raw = kube_->list(kube::resources::kSecrets, o_.ns, lo).items;
    } catch (const Error &e) {
      r_.fail(kChecks[0], e.what(), "grant list on secrets in " + o_.ns);
      return skip_rest(1, "no secret (see argocd.secret)");
    }
    auto secrets = argocd::resolve_repo_secrets(raw);
    auto res = argocd::resolve_url(secrets, repo_url_);
    bool oci_prefixed = false;
    if (!res.repository && !res.repo_creds) {
      // A secret whose url carries oci:// never matches Argo CD's Helm OCI
      // repoURL.
      auto again = argocd::resolve_url(secrets, std::string(oci::kOciScheme) +
                                                    repo_url_);
      if (again.repository || again.repo_creds) {
        res = again;
        oci_prefixed = true;
      }
    }
    std::string create =
        fmt::format("create a secret in {} labelled {}=repository with url: "
                    "{}, type: helm, enableOCI: "
                    "\"true\", username: AWS and a password (README \"Setting "
                    "up ECR access for Argo CD\")",
                    o_.ns, argocd::kArgoSecretTypeLabel, repo_url_);
    if (!res.repository && !res.repo_creds) {
      r_.fail(kChecks[0],
              fmt::format(
                  "no repository or repo-creds secret for {} in namespace {}",
                  repo_url_, o_.ns),
              create);
      return skip_rest(1, "no secret (see argocd.secret)");
    }
    // The secret that describes the repository (type, enableOCI, url) and the
    // one whose credentials Argo CD uses.
    const auto &repo =
        secrets[res.repository ? *res.repository : *res.repo_creds];
    const argocd::ArgoRepoSecret *cred_secret =
        res.source == argocd::CredentialSource::kOwn ? &repo
        : res.source == argocd::CredentialSource::kRepoCreds
            ? &secrets[*res.repo_creds]
            : nullptr;
    std::string repo_name = o_.ns + "/" + repo.name;
    if (!cred_secret) {
      r_.fail(kChecks[0],
              fmt::format("repository secret {} for {} has no credentials and "
                          "no repo-creds url "
                          "is a prefix of it",
                          repo_name, repo_url_),
              fmt::format("add username: AWS and a password to {}, or create a "
                          "repo-creds secret "
                          "whose url is a prefix of {}",
                          repo_name, repo_url_));
    } else if (cred_secret == &repo) {
      r_.ok(kChecks[0],
            fmt::format("{} secret {} (url {}) with its own credentials",
                        repo.secret_type, repo_name, repo.url));
    } else {
      r_.ok(kChecks[0],
            fmt::format("{}credentials from repo-creds {}/{} (url {}, the "
                        "longest prefix of {})",
                        res.repository ? "repository secret " + repo_name + ", "
                                       : "",
                        o_.ns, cred_secret->name, cred_secret->url, repo_url_));
    }

    // type: helm + enableOCI: "true", or type: oci.
    if (repo.type == "oci" || (repo.type == "helm" && repo.enable_oci)) {
      r_.ok(kChecks[1], repo.type == "oci"
                            ? fmt::format("{}: type: oci", repo_name)
                            : fmt::format("{}: type: helm, enableOCI: \"{}\"",
                                          repo_name, repo.enable_oci_raw));
    } else if (repo.type == "helm") {
      r_.fail(kChecks[1],
              fmt::format("{}: type: helm but enableOCI is {}", repo_name,
                          repo.enable_oci_raw.empty()
                              ? "not set"
                              : "\"" + repo.enable_oci_raw + "\""),
              fmt::format("kubectl patch secret {} -n {} --type merge -p "
                          "'{{\"stringData\":{{\"enableOCI\":\"true\"}}}}'",
                          repo.name, o_.ns));
    } else {
      r_.fail(
          kChecks[1],
          fmt::format("{}: type is {}: Argo CD treats it as a Git repository",
                      repo_name,
                      repo.type.empty() ? "not set" : "\"" + repo.type + "\""),
          fmt::format("kubectl patch secret {} -n {} --type merge -p "
                      "'{{\"stringData\":{{\"type\":\"helm\",\"enableOCI\":"
                      "\"true\"}}}}'",
                      repo.name, o_.ns));
    }

    // The URL: no oci:// for Helm OCI repositories.
    if (oci_prefixed && repo.type != "oci") {
      r_.fail(kChecks[2],
              fmt::format("{}: url is {}: Argo CD's Helm OCI repositories take "
                          "the URL without "
                          "oci://, so it never matches {}",
                          repo_name, repo.url, repo_url_),
              fmt::format("kubectl patch secret {} -n {} --type merge -p "
                          "'{{\"stringData\":{{\"url\":\"{}\"}}}}'",
                          repo.name, o_.ns, repo_url_));
    } else {
      r_.ok(kChecks[2], fmt::format("{}: url {} matches {}", repo_name,
                                    repo.url, repo_url_));
    }

    if (!cred_secret)
      return skip_rest(3, "no credentials (see argocd.secret)");
    const auto &cred_raw = find_raw(raw, cred_secret->name);
    std::string cred_name = o_.ns + "/" + cred_secret->name;
    std::map<std::string, Secret> data;
    try {
      data = kube::secret_data(cred_raw);
    } catch (const Error &e) {
      r_.fail(kChecks[3], fmt::format("{}: {}", cred_name, e.what()),
              "rewrite the secret's data with valid base64 (kubectl apply with "
              "stringData)");
      return skip_rest(4, "unreadable secret (see argocd.username)");
    }
    auto value = [&](const char *k) {
      auto it = data.find(k);
      return it == data.end() ? std::string() : it->second.reveal();
    };
    std::string username = value("username");
    bool is_ecr = chart_ecr_target().has_value();
    std::string set_user =
        fmt::format("kubectl patch secret {} -n {} --type merge -p "
                    "'{{\"stringData\":{{\"username\":\"AWS\"}}}}'",
                    cred_secret->name, o_.ns);
    if (username == "AWS") {
      r_.ok(kChecks[3], fmt::format("{}: username: AWS", cred_name));
    } else if (username.empty()) {
      r_.fail(kChecks[3], fmt::format("{}: no username", cred_name), set_user);
    } else if (is_ecr) {
      r_.fail(kChecks[3],
              fmt::format("{}: username is \"{}\": ECR tokens are for user AWS",
                          cred_name, username),
              set_user);
    } else {
      r_.warn(kChecks[3], fmt::format("{}: username is \"{}\", not AWS (fine "
                                      "for a registry that is not ECR)",
                                      cred_name, username));
    }

    auto annotations = kube::meta_map(cred_raw, "annotations");
    auto writer = argocd::password_writer(cred_raw);
    std::string written = writer ? fmt::format(", last written by {} at {}",
                                               writer->manager, writer->time)
                                 : "";
    std::string rotate = "keep it fresh with an ExternalSecret and an "
                         "ECRAuthorizationToken generator (ESO or "
                         "`ecrhelm controller`), or set it once with `ecrhelm "
                         "token --registry " +
                         chart_ref_->registry + "`";
    if (value("password").empty()) {
      r_.fail(kChecks[4], fmt::format("{}: no password", cred_name), rotate);
    } else if (auto exp =
                   annotations.count(argocd::kTokenExpiresAnnotation)
                       ? parse_iso8601(
                             annotations[argocd::kTokenExpiresAnnotation])
                       : std::nullopt;
               exp && *exp <= now()) {
      r_.fail(kChecks[4],
              fmt::format("{}: the password (an ECR token) expired at {}{}",
                          cred_name, format_iso8601(*exp), written),
              rotate);
    } else {
      r_.ok(kChecks[4],
            fmt::format("{}: password set{}{}", cred_name, written,
                        exp ? ", expires " + in_time(*exp, now()) : ""));
    }
    argo_creds_ = ArgoCredentials{
        cred_name, username, Secret(value("password")),
        value("insecureOCIForceHttp") == "true", value("insecure") == "true"};
    check_external_secret(cred_secret->name);
    check_applications(secrets,
                       static_cast<size_t>(cred_secret - secrets.data()));
  }

  // 4b. Applications whose sources use these credentials and that are stuck
  // on a manifest generation error, which the repo server caches.
  void check_applications(const std::vector<argocd::ArgoRepoSecret> &secrets,
                          size_t creds) {
    const char *check = "argocd.applications";
    std::vector<json> apps;
    try {
      apps = kube_->list(argocd::kArgoApplications, o_.ns).items;
    } catch (const Error &e) {
      if (kube::is_not_found(e))
        return r_.skip(check, "no Argo CD Application CRD in the cluster");
      return r_.fail(check, e.what(),
                     "grant list on applications.argoproj.io in " + o_.ns);
    }
    std::vector<std::string> users, stuck;
    for (const auto &app : apps) {
      auto urls = argocd::application_repo_urls(app);
      if (std::none_of(urls.begin(), urls.end(), [&](const std::string &u) {
            return argocd::url_uses_secret(secrets, creds, u);
          }))
        continue;
      users.push_back(kube::meta_string(app, "name"));
      if (argocd::application_errored(app))
        stuck.push_back(users.back());
    }
    std::string cred_name = o_.ns + "/" + secrets[creds].name;
    if (users.empty()) {
      return r_.skip(
          check, fmt::format("no Application in {} uses the credentials of {}",
                             o_.ns, cred_name));
    }
    if (stuck.empty()) {
      return r_.ok(
          check,
          fmt::format("{} Application(s) use {}, none shows an error: {}",
                      users.size(), cred_name, join(users, ", ")));
    }
    r_.warn(check,
            fmt::format("{} of {} Application(s) using {} show a manifest "
                        "generation error: {}; "
                        "the repo server caches it (60 minutes by default) and "
                        "a new password "
                        "does not clear it",
                        stuck.size(), users.size(), cred_name,
                        join(stuck, ", ")),
            fmt::format("kubectl annotate application {} -n {} "
                        "argocd.argoproj.io/refresh=hard "
                        "(`ecrhelm controller` does it after each rotation: "
                        "--argocd-refresh "
                        "errored, the default)",
                        join(stuck, " "), o_.ns));
  }

  static const json &find_raw(const std::vector<json> &raw,
                              const std::string &name) {
    for (const auto &s : raw)
      if (kube::meta_string(s, "name") == name)
        return s;
    static const json kNone = json::object();
    return kNone;
  }

  // 4. The ExternalSecret that writes the secret, if any: Ready, next refresh.
  void check_external_secret(const std::string &secret) {
    const char *check = "argocd.external-secret";
    std::vector<json> items;
    bool have_crd = false;
    // Which of ESO's versions the API server serves: since ESO 0.17 only v1,
    // and then the seed's external-secret.yaml (v1beta1) is refused.
    bool v1beta1_served = false;
    for (const auto *rt : {&controller::eso::kExternalSecrets,
                           &controller::eso::kExternalSecretsV1beta1}) {
      try {
        auto listed = kube_->list(*rt, o_.ns).items;
        if (rt == &controller::eso::kExternalSecretsV1beta1)
          v1beta1_served = true;
        if (!have_crd)
          items = std::move(listed);
        have_crd = true;
      } catch (const Error &e) {
        if (kube::is_not_found(e))
          continue;
        return r_.fail(check, e.what(),
                       "grant list on externalsecrets in " + o_.ns);
      }
    }
    if (!have_crd)
      return r_.skip(check, "no ExternalSecret CRD in the cluster");
    const json *es = nullptr;
    for (const auto &i : items) {
      std::string target =
          i.value("/spec/target/name"_json_pointer, std::string());
      if (target.empty())
        target = kube::meta_string(i, "name");
      if (target == secret)
        es = &i;
    }
    if (!es && !v1beta1_served) {
      return r_.warn(
          check,
          fmt::format(
              "no ExternalSecret in {} targets secret {}, and this cluster "
              "serves "
              "external-secrets.io/v1 only (ESO 0.17 and later): the seed's "
              "external-secret.yaml (v1beta1) is refused as written",
              o_.ns, secret),
          "apply it with apiVersion: external-secrets.io/v1 (the spec is the "
          "same)");
    }
    if (!es) {
      return r_.skip(check,
                     fmt::format("no ExternalSecret in {} targets secret {}",
                                 o_.ns, secret));
    }
    std::string name = o_.ns + "/" + kube::meta_string(*es, "name");
    std::string describe = fmt::format(
        "kubectl describe externalsecret {} -n {}; check that ESO or `ecrhelm "
        "controller` runs and that its generator's AWS credentials work",
        kube::meta_string(*es, "name"), o_.ns);
    const std::optional<controller::ReadyCondition> ready =
        controller::ready_condition(*es);
    if (!ready) {
      return r_.fail(
          check,
          fmt::format("ExternalSecret {} has no Ready condition yet", name),
          describe);
    }
    if (ready->status != "True") {
      return r_.fail(check,
                     fmt::format("ExternalSecret {} is not Ready: {}: {}", name,
                                 ready->reason, ready->message),
                     describe);
    }
    std::string interval_text =
        es->value("/spec/refreshInterval"_json_pointer, std::string("1h"));
    auto interval = controller::parse_go_duration(interval_text);
    auto refreshed = parse_iso8601(
        es->value("/status/refreshTime"_json_pointer, std::string()));
    std::string next = "";
    if (interval && interval->count() > 0 && refreshed) {
      auto at = *refreshed +
                std::chrono::duration_cast<std::chrono::seconds>(*interval);
      next = fmt::format(", next refresh {} ({})", format_iso8601(at),
                         in_time(at, now()));
    }
    std::string msg =
        fmt::format("ExternalSecret {} Ready ({}), refreshInterval {}{}", name,
                    ready->reason, interval_text, next);
    if (!interval || interval->count() == 0 || *interval > kEcrTokenLifetime) {
      return r_.warn(check, msg + ": ECR tokens expire after 12h",
                     "set spec.refreshInterval to 12h or less");
    }
    r_.ok(check, msg);
  }

  // 5. Registry: resolve the chart and fetch its manifest with the secret's
  // credentials.
  void check_registry() {
    const char *check = "registry.chart";
    if (!chart_ref_)
      return r_.skip(check, "no --chart given");
    if (!argo_creds_)
      return r_.skip(check, "no credentials from Argo CD (see argocd.*)");
    try {
      http::TlsOptions tls;
      tls.ca_file = o_.ca_file;
      tls.insecure_skip_verify = o_.insecure || argo_creds_->insecure;
      http::CurlHttpClient http(tls);
      SecretRegistryCredentials creds(argo_creds_->username,
                                      argo_creds_->password);
      oci::AuthClient auth(http, creds, *rt_.service().clock);
      oci::RegistryClient client(
          http, auth,
          oci::RegistryOptions{o_.plain_http || argo_creds_->plain_http});
      oci::ChartPuller puller(client);
      auto chart = puller.resolve(*chart_ref_, o_.version);
      r_.ok(check, fmt::format("{}/{}:{} resolves to {} (manifest fetched with "
                               "{}'s credentials)",
                               chart.ref.registry, chart.ref.repository,
                               chart.tag, chart.digest, argo_creds_->secret));
    } catch (const http::TlsVerifyError &e) {
      r_.fail(check, e.what(),
              "pass --ca-file with the CA that signed the registry's "
              "certificate (Argo CD: the "
              "repository's TLS settings)");
    } catch (const Error &e) {
      std::string fix;
      switch (e.kind()) {
      case ErrorKind::kUnauthorized:
      case ErrorKind::kForbidden:
        fix = fmt::format(
            "the registry rejected {}'s credentials: the password is stale or "
            "not a token for this registry; see argocd.password and "
            "argocd.external-secret",
            argo_creds_->secret);
        break;
      case ErrorKind::kNotFound:
        fix = fmt::format(
            "check --chart and --version: `ecrhelm tags oci://{}/{}` lists the "
            "versions",
            chart_ref_->registry, chart_ref_->repository);
        break;
      case ErrorKind::kNetwork:
        fix = "check the registry host and port (--plain-http for a registry "
              "without TLS)";
        break;
      default:
        fix =
            "run `ecrhelm -v pull` with the same reference to see the requests";
      }
      r_.fail(check, e.what(), fix);
    }
  }

  Runtime &rt_;
  const DoctorOptions &o_;
  DoctorReport r_;
  std::optional<oci::Reference> chart_ref_;
  std::string repo_url_; // Argo CD's repoURL for the chart (no oci://)
  std::optional<aws::Credentials> local_creds_;
  std::string caller_arn_;
  std::unique_ptr<kube::KubeClient> kube_;
  std::optional<json> sa_;
  std::optional<json> deployment_;
  std::optional<std::string> role_arn_;
  std::optional<RoleArn> role_;
  std::optional<Secret> sa_token_;
  std::string token_issuer_;
  std::optional<aws::Credentials> web_creds_;
  std::optional<ArgoCredentials> argo_creds_;
};

} // namespace

Command add_doctor(CLI::App &app, GlobalFlags &g) {
  auto o = std::make_shared<DoctorOptions>();
  auto *sub =
      app.add_subcommand("doctor", "check the chain the seed sets up, link by "
                                   "link (AWS identity, IRSA wiring, ECR, the "
                                   "Argo CD repository secret, the chart) and "
                                   "say how to fix what is broken");
  sub->add_option("-o,--output", o->output, "text or json")
      ->check(output_formats({"text", "json"}));
  sub->add_option("--region", o->region,
                  "AWS region (default: AWS_REGION, profile, ECR host)");
  sub->add_option("--role-arn", o->role_arn,
                  "the IAM role the repo server should use "
                  "(arn:aws:iam::ACCOUNT:role/NAME)");
  sub->add_option("-n,--namespace", o->ns, "Argo CD's namespace")
      ->capture_default_str();
  sub->add_option(
      "--kubeconfig", o->kubeconfig,
      "kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  sub->add_option("--context", o->context, "kubeconfig context");
  sub->add_option("--service-account", o->service_account,
                  "the repo server's service account (IRSA checks), e.g. "
                  "argocd-repo-server");
  sub->add_option(
      "--deployment", o->deployment,
      "the repo server's deployment (IRSA checks), e.g. argocd-repo-server");
  sub->add_option("--issuer-url", o->issuer_url,
                  "the OIDC issuer the role's trust policy names (compared "
                  "with the token's iss)");
  sub->add_option("--chart", o->chart,
                  "oci://HOST/REPO/CHART, or the chart name with --repo-url "
                  "(Argo CD checks and "
                  "the registry check)");
  sub->add_option("--repo-url", o->repo_url,
                  "Argo CD's repoURL (no oci://) when --chart is a chart name");
  sub->add_option("--version", o->version,
                  "exact version or constraint (default: highest)");
  sub->add_flag("--plain-http", o->plain_http,
                "use http instead of https for the registry");
  sub->add_option("--ca-file", o->ca_file,
                  "CA bundle for the registry's TLS certificate")
      ->check(CLI::ExistingFile);
  sub->add_flag("--insecure-skip-tls-verify", o->insecure,
                "do not verify the registry's certificate");
  set_examples(
      sub,
      {{"ecrhelm doctor", "the local AWS identity"},
       {"ecrhelm doctor --role-arn "
        "arn:aws:iam::123456789012:role/argocd-repo-server-ecr "
        "--service-account argocd-repo-server --deployment argocd-repo-server",
        "IRSA wiring"},
       {"ecrhelm doctor --chart "
        "oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo -o "
        "json",
        "down to the chart"}});
  return {sub, [&g, o]() {
            Runtime rt(g);
            DoctorReport report = Doctor(rt, *o).run();
            if (o->output == "json") {
              std::cout << report.json().dump(2) << "\n";
            } else {
              std::cout << report.text();
            }
            return report.failed() ? kDoctorFailedExitCode : 0;
          }};
}

} // namespace ecrhelm::cli
