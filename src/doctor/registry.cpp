// 5. The registry: the chart resolved and its manifest fetched with the Argo
// CD secret's credentials, as the repo server would.
#include <fmt/format.h>

#include "doctor/checks.h"
#include "http/client.h"
#include "oci/chart_puller.h"
#include "oci/registry_client.h"
#include "oci/registry_credentials.h"

namespace ecrhelm::doctor {

namespace {

// Registry credentials as Argo CD passes them: exactly the secret's, no
// refresh and no other source.
class SecretRegistryCredentials final : public oci::RegistryCredentials {
 public:
  SecretRegistryCredentials(std::string username, Secret password)
      : creds_{std::move(username), std::move(password)} {}
  std::optional<oci::BasicCredentials> get(const std::string&) override { return creds_; }
  std::optional<oci::BasicCredentials> refresh(const std::string&) override { return std::nullopt; }
  std::string source(const std::string&) override { return "the Argo CD secret"; }

 private:
  oci::BasicCredentials creds_;
};

}  // namespace

// 5. Registry: resolve the chart and fetch its manifest with the secret's credentials.
void Doctor::check_registry() {
  const char* check = "registry.chart";
  if (!chart_ref_) return r_.skip(check, "no --chart given");
  if (!argo_creds_) return r_.skip(check, "no credentials from Argo CD (see argocd.*)");
  try {
    http::TlsOptions tls;
    tls.ca_file = o_.ca_file;
    tls.insecure_skip_verify = o_.insecure || argo_creds_->insecure;
    std::optional<http::CurlHttpClient> curl;
    if (!s_.registry_http) curl.emplace(tls);
    http::HttpClient& http = s_.registry_http ? *s_.registry_http : *curl;
    SecretRegistryCredentials creds(argo_creds_->username, argo_creds_->password);
    oci::AuthClient auth(http, creds, *s_.service.clock);
    oci::RegistryClient client(http, auth,
                               oci::RegistryOptions{o_.plain_http || argo_creds_->plain_http});
    oci::ChartPuller puller(client);
    auto chart = puller.resolve(*chart_ref_, o_.version);
    r_.ok(check, fmt::format("{}/{}:{} resolves to {} (manifest fetched with {}'s credentials)",
                             chart.ref.registry, chart.ref.repository, chart.tag, chart.digest,
                             argo_creds_->secret));
  } catch (const http::TlsVerifyError& e) {
    r_.fail(check, e.what(),
            "pass --ca-file with the CA that signed the registry's certificate (Argo CD: the "
            "repository's TLS settings)");
  } catch (const Error& e) {
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
        fix = "check the registry host and port (--plain-http for a registry without TLS)";
        break;
      default:
        fix = "run `ecrhelm -v pull` with the same reference to see the requests";
    }
    r_.fail(check, e.what(), fix);
  }
}

}  // namespace ecrhelm::doctor
