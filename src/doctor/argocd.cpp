// 4. Argo CD: the repository (or repo-creds) secret Argo CD would use for
// the chart's URL by its rules, its type, url, username and password, the
// ExternalSecret that keeps it fresh, and Applications stuck on a cached
// manifest generation error.
#include <fmt/format.h>
#include <algorithm>
#include <map>

#include "argocd/applications.h"
#include "argocd/repo_secrets.h"
#include "controller/eso_types.h"
#include "doctor/checks.h"
#include "kube/objects.h"
#include "kube/resource.h"
#include "oci/reference.h"

namespace ecrhelm::doctor {

namespace {

using nlohmann::json;

const json& find_raw(const std::vector<json>& raw, const std::string& name) {
  for (const auto& s : raw)
    if (kube::meta_string(s, "name") == name) return s;
  static const json kNone = json::object();
  return kNone;
}

// The Argo CD checks in their order: check_argocd skips the rest, with the
// reason, where one cannot go on.
const char* const kChecks[] = {"argocd.secret",      "argocd.type",     "argocd.url",
                               "argocd.username",    "argocd.password", "argocd.external-secret",
                               "argocd.applications"};

}  // namespace

// 4. Argo CD: the secret Argo CD would use for the chart's URL, and its keys.
void Doctor::check_argocd() {
  auto skip_rest = [&](size_t from, const std::string& reason) {
    for (size_t i = from; i < std::size(kChecks); ++i) r_.skip(kChecks[i], reason);
  };
  if (!chart_ref_) return skip_rest(0, "no --chart given");
  if (!kube_) return skip_rest(0, "no Kubernetes connection (see kube.config)");
  std::vector<json> raw;
  try {
    kube::ListOptions lo;
    lo.label_selector = argocd::kArgoRepoSecretSelector;
    raw = kube_->list(kube::resources::kSecrets, o_.ns, lo).items;
  } catch (const Error& e) {
    r_.fail(kChecks[0], e.what(), "grant list on secrets in " + o_.ns);
    return skip_rest(1, "no secret (see argocd.secret)");
  }
  auto secrets = argocd::resolve_repo_secrets(raw);
  auto res = argocd::resolve_url(secrets, repo_url_);
  bool oci_prefixed = false;
  if (!res.repository && !res.repo_creds) {
    // A secret whose url carries oci:// never matches Argo CD's Helm OCI repoURL.
    auto again = argocd::resolve_url(secrets, std::string(oci::kOciScheme) + repo_url_);
    if (again.repository || again.repo_creds) {
      res = again;
      oci_prefixed = true;
    }
  }
  std::string create = fmt::format(
      "create a secret in {} labelled {}=repository with url: {}, type: helm, enableOCI: "
      "\"true\", username: AWS and a password (README \"Setting up ECR access for Argo CD\")",
      o_.ns, argocd::kArgoSecretTypeLabel, repo_url_);
  if (!res.repository && !res.repo_creds) {
    r_.fail(
        kChecks[0],
        fmt::format("no repository or repo-creds secret for {} in namespace {}", repo_url_, o_.ns),
        create);
    return skip_rest(1, "no secret (see argocd.secret)");
  }
  // The secret that describes the repository (type, enableOCI, url) and the
  // one whose credentials Argo CD uses.
  const auto& repo = secrets[res.repository ? *res.repository : *res.repo_creds];
  const argocd::ArgoRepoSecret* cred_secret = res.source == argocd::CredentialSource::kOwn ? &repo
                                              : res.source == argocd::CredentialSource::kRepoCreds
                                                  ? &secrets[*res.repo_creds]
                                                  : nullptr;
  std::string repo_name = o_.ns + "/" + repo.name;
  if (!cred_secret) {
    r_.fail(kChecks[0],
            fmt::format("repository secret {} for {} has no credentials and no repo-creds url "
                        "is a prefix of it",
                        repo_name, repo_url_),
            fmt::format("add username: AWS and a password to {}, or create a repo-creds secret "
                        "whose url is a prefix of {}",
                        repo_name, repo_url_));
  } else if (cred_secret == &repo) {
    r_.ok(kChecks[0], fmt::format("{} secret {} (url {}) with its own credentials",
                                  repo.secret_type, repo_name, repo.url));
  } else {
    r_.ok(kChecks[0],
          fmt::format("{}credentials from repo-creds {}/{} (url {}, the longest prefix of {})",
                      res.repository ? "repository secret " + repo_name + ", " : "", o_.ns,
                      cred_secret->name, cred_secret->url, repo_url_));
  }

  check_repo_type_and_url(repo, oci_prefixed);
  if (!cred_secret) return skip_rest(3, "no credentials (see argocd.secret)");
  if (!check_credentials(find_raw(raw, cred_secret->name), *cred_secret)) return;
  check_external_secret(cred_secret->name);
  check_applications(secrets, static_cast<size_t>(cred_secret - secrets.data()));
}

// 4. type: helm + enableOCI: "true", or type: oci; a url without oci:// for
// Helm OCI repositories (`oci_prefixed`: it matched only with oci://).
void Doctor::check_repo_type_and_url(const argocd::ArgoRepoSecret& repo, bool oci_prefixed) {
  std::string repo_name = o_.ns + "/" + repo.name;
  if (repo.type == "oci" || (repo.type == "helm" && repo.enable_oci)) {
    r_.ok(kChecks[1], repo.type == "oci" ? fmt::format("{}: type: oci", repo_name)
                                         : fmt::format("{}: type: helm, enableOCI: \"{}\"",
                                                       repo_name, repo.enable_oci_raw));
  } else if (repo.type == "helm") {
    r_.fail(
        kChecks[1],
        fmt::format("{}: type: helm but enableOCI is {}", repo_name,
                    repo.enable_oci_raw.empty() ? "not set" : "\"" + repo.enable_oci_raw + "\""),
        fmt::format("kubectl patch secret {} -n {} --type merge -p "
                    "'{{\"stringData\":{{\"enableOCI\":\"true\"}}}}'",
                    repo.name, o_.ns));
  } else {
    r_.fail(kChecks[1],
            fmt::format("{}: type is {}: Argo CD treats it as a Git repository", repo_name,
                        repo.type.empty() ? "not set" : "\"" + repo.type + "\""),
            fmt::format("kubectl patch secret {} -n {} --type merge -p "
                        "'{{\"stringData\":{{\"type\":\"helm\",\"enableOCI\":\"true\"}}}}'",
                        repo.name, o_.ns));
  }

  // The URL: no oci:// for Helm OCI repositories.
  if (oci_prefixed && repo.type != "oci") {
    r_.fail(kChecks[2],
            fmt::format("{}: url is {}: Argo CD's Helm OCI repositories take the URL without "
                        "oci://, so it never matches {}",
                        repo_name, repo.url, repo_url_),
            fmt::format("kubectl patch secret {} -n {} --type merge -p "
                        "'{{\"stringData\":{{\"url\":\"{}\"}}}}'",
                        repo.name, o_.ns, repo_url_));
  } else {
    r_.ok(kChecks[2], fmt::format("{}: url {} matches {}", repo_name, repo.url, repo_url_));
  }
}

// 4. The username and password of the secret whose credentials Argo CD
// uses (`cred_raw` is that Secret); false when its data cannot be read.
bool Doctor::check_credentials(const json& cred_raw, const argocd::ArgoRepoSecret& cred_secret) {
  std::string cred_name = o_.ns + "/" + cred_secret.name;
  std::map<std::string, Secret> data;
  try {
    data = kube::secret_data(cred_raw);
  } catch (const Error& e) {
    r_.fail(kChecks[3], fmt::format("{}: {}", cred_name, e.what()),
            "rewrite the secret's data with valid base64 (kubectl apply with stringData)");
    for (size_t i = 4; i < std::size(kChecks); ++i)
      r_.skip(kChecks[i], "unreadable secret (see argocd.username)");
    return false;
  }
  auto value = [&](const char* k) {
    auto it = data.find(k);
    return it == data.end() ? std::string() : it->second.reveal();
  };
  std::string username = value("username");
  bool is_ecr = chart_ecr_target().has_value();
  std::string set_user = fmt::format(
      "kubectl patch secret {} -n {} --type merge -p "
      "'{{\"stringData\":{{\"username\":\"AWS\"}}}}'",
      cred_secret.name, o_.ns);
  if (username == "AWS") {
    r_.ok(kChecks[3], fmt::format("{}: username: AWS", cred_name));
  } else if (username.empty()) {
    r_.fail(kChecks[3], fmt::format("{}: no username", cred_name), set_user);
  } else if (is_ecr) {
    r_.fail(kChecks[3],
            fmt::format("{}: username is \"{}\": ECR tokens are for user AWS", cred_name, username),
            set_user);
  } else {
    r_.warn(kChecks[3],
            fmt::format("{}: username is \"{}\", not AWS (fine for a registry that is not ECR)",
                        cred_name, username));
  }

  auto annotations = kube::meta_map(cred_raw, "annotations");
  auto writer = argocd::password_writer(cred_raw);
  std::string written =
      writer ? fmt::format(", last written by {} at {}", writer->manager, writer->time) : "";
  std::string rotate =
      "keep it fresh with an ExternalSecret and an ECRAuthorizationToken generator (ESO or "
      "`ecrhelm controller`), or set it once with `ecrhelm token --registry " +
      chart_ref_->registry + "`";
  if (value("password").empty()) {
    r_.fail(kChecks[4], fmt::format("{}: no password", cred_name), rotate);
  } else if (auto exp = annotations.count(argocd::kTokenExpiresAnnotation)
                            ? parse_iso8601(annotations[argocd::kTokenExpiresAnnotation])
                            : std::nullopt;
             exp && *exp <= now()) {
    r_.fail(kChecks[4],
            fmt::format("{}: the password (an ECR token) expired at {}{}", cred_name,
                        format_iso8601(*exp), written),
            rotate);
  } else {
    r_.ok(kChecks[4], fmt::format("{}: password set{}{}", cred_name, written,
                                  exp ? ", expires " + in_time(*exp, now()) : ""));
  }
  argo_creds_ =
      ArgoCredentials{cred_name, username, Secret(value("password")),
                      value("insecureOCIForceHttp") == "true", value("insecure") == "true"};
  return true;
}

// 4b. Applications whose sources use these credentials and that are stuck
// on a manifest generation error, which the repo server caches.
void Doctor::check_applications(const std::vector<argocd::ArgoRepoSecret>& secrets, size_t creds) {
  const char* check = "argocd.applications";
  std::vector<json> apps;
  try {
    apps = kube_->list(argocd::kArgoApplications, o_.ns).items;
  } catch (const Error& e) {
    if (kube::is_not_found(e)) return r_.skip(check, "no Argo CD Application CRD in the cluster");
    return r_.fail(check, e.what(), "grant list on applications.argoproj.io in " + o_.ns);
  }
  std::vector<std::string> users, stuck;
  for (const auto& app : apps) {
    auto urls = argocd::application_repo_urls(app);
    if (std::none_of(urls.begin(), urls.end(), [&](const std::string& u) {
          return argocd::url_uses_secret(secrets, creds, u);
        }))
      continue;
    users.push_back(kube::meta_string(app, "name"));
    if (argocd::application_errored(app)) stuck.push_back(users.back());
  }
  std::string cred_name = o_.ns + "/" + secrets[creds].name;
  if (users.empty()) {
    return r_.skip(
        check, fmt::format("no Application in {} uses the credentials of {}", o_.ns, cred_name));
  }
  if (stuck.empty()) {
    return r_.ok(check, fmt::format("{} Application(s) use {}, none shows an error: {}",
                                    users.size(), cred_name, join(users, ", ")));
  }
  r_.warn(check,
          fmt::format("{} of {} Application(s) using {} show a manifest generation error: {}; "
                      "the repo server caches it (60 minutes by default) and a new password "
                      "does not clear it",
                      stuck.size(), users.size(), cred_name, join(stuck, ", ")),
          fmt::format("kubectl annotate application {} -n {} argocd.argoproj.io/refresh=hard "
                      "(`ecrhelm controller` does it after each rotation: --argocd-refresh "
                      "errored, the default)",
                      join(stuck, " "), o_.ns));
}

// 4. The ExternalSecret that writes the secret, if any: Ready, next refresh.
void Doctor::check_external_secret(const std::string& secret) {
  const char* check = "argocd.external-secret";
  std::vector<json> items;
  bool have_crd = false;
  // Which of ESO's versions the API server serves: since ESO 0.17 only v1,
  // and then the seed's external-secret.yaml (v1beta1) is refused.
  bool v1beta1_served = false;
  for (const auto* rt :
       {&controller::eso::kExternalSecrets, &controller::eso::kExternalSecretsV1beta1}) {
    try {
      auto listed = kube_->list(*rt, o_.ns).items;
      if (rt == &controller::eso::kExternalSecretsV1beta1) v1beta1_served = true;
      if (!have_crd) items = std::move(listed);
      have_crd = true;
    } catch (const Error& e) {
      if (kube::is_not_found(e)) continue;
      return r_.fail(check, e.what(), "grant list on externalsecrets in " + o_.ns);
    }
  }
  if (!have_crd) return r_.skip(check, "no ExternalSecret CRD in the cluster");
  const json* es = nullptr;
  for (const auto& i : items) {
    std::string target = i.value("/spec/target/name"_json_pointer, std::string());
    if (target.empty()) target = kube::meta_string(i, "name");
    if (target == secret) es = &i;
  }
  if (!es && !v1beta1_served) {
    return r_.warn(check,
                   fmt::format("no ExternalSecret in {} targets secret {}, and this cluster serves "
                               "external-secrets.io/v1 only (ESO 0.17 and later): the seed's "
                               "external-secret.yaml (v1beta1) is refused as written",
                               o_.ns, secret),
                   "apply it with apiVersion: external-secrets.io/v1 (the spec is the same)");
  }
  if (!es) {
    return r_.skip(check, fmt::format("no ExternalSecret in {} targets secret {}", o_.ns, secret));
  }
  std::string name = o_.ns + "/" + kube::meta_string(*es, "name");
  std::string describe = fmt::format(
      "kubectl describe externalsecret {} -n {}; check that ESO or `ecrhelm "
      "controller` runs and that its generator's AWS credentials work",
      kube::meta_string(*es, "name"), o_.ns);
  const std::optional<controller::ReadyCondition> ready = controller::ready_condition(*es);
  if (!ready) {
    return r_.fail(check, fmt::format("ExternalSecret {} has no Ready condition yet", name),
                   describe);
  }
  if (ready->status != "True") {
    return r_.fail(
        check,
        fmt::format("ExternalSecret {} is not Ready: {}: {}", name, ready->reason, ready->message),
        describe);
  }
  std::string interval_text = es->value("/spec/refreshInterval"_json_pointer, std::string("1h"));
  auto interval = controller::parse_go_duration(interval_text);
  auto refreshed = parse_iso8601(es->value("/status/refreshTime"_json_pointer, std::string()));
  std::string next = "";
  if (interval && interval->count() > 0 && refreshed) {
    auto at = *refreshed + std::chrono::duration_cast<std::chrono::seconds>(*interval);
    next = fmt::format(", next refresh {} ({})", format_iso8601(at), in_time(at, now()));
  }
  std::string msg = fmt::format("ExternalSecret {} Ready ({}), refreshInterval {}{}", name,
                                ready->reason, interval_text, next);
  if (!interval || interval->count() == 0 || *interval > kEcrTokenLifetime) {
    return r_.warn(check, msg + ": ECR tokens expire after 12h",
                   "set spec.refreshInterval to 12h or less");
  }
  r_.ok(check, msg);
}

}  // namespace ecrhelm::doctor
