#include "cli/registry_session.h"

#include <spdlog/spdlog.h>

#include <iostream>

#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::cli {
namespace {

oci::CredentialOptions credential_options(const RegistryFlags& f) {
  oci::CredentialOptions o;
  o.username = f.username;
  if (f.password_stdin) {
    if (f.username.empty()) {
      throw ecrhelm::Error(ErrorKind::kInvalidInput, "--password-stdin needs --username");
    }
    std::string pw;
    std::getline(std::cin, pw);
    o.password = Secret(std::string(trim(pw)));
    if (o.password.empty()) {
      throw ecrhelm::Error(ErrorKind::kInvalidInput,
                           "--password-stdin read an empty password; pipe the password in "
                           "(e.g. aws ecr get-login-password | ecrhelm ...)");
    }
  } else if (!f.username.empty()) {
    throw ecrhelm::Error(ErrorKind::kInvalidInput,
                         "--username needs --password-stdin (passwords never go in argv)");
  }
  o.force_ecr = f.ecr;
  o.ecr_region = f.region;
  return o;
}

http::TlsOptions tls_options(const RegistryFlags& f) {
  http::TlsOptions t;
  t.ca_file = f.ca_file;
  t.insecure_skip_verify = f.insecure;
  return t;
}

}  // namespace

void add_registry_flags(CLI::App* sub, RegistryFlags& f) {
  sub->add_flag("--plain-http", f.plain_http, "use http instead of https for the registry");
  sub->add_option("--ca-file", f.ca_file,
                  "verify the registry's TLS certificate with this CA bundle")
      ->check(CLI::ExistingFile);
  sub->add_flag("--insecure-skip-tls-verify", f.insecure,
                "do not verify the registry's certificate");
  sub->add_option("--username", f.username, "registry user (with --password-stdin)");
  sub->add_flag("--password-stdin", f.password_stdin, "read the registry password from stdin");
  sub->add_flag("--ecr", f.ecr,
                "the registry is Amazon ECR under another name (VPC endpoint, proxy): log in with "
                "an ECR token");
  sub->add_option("--region", f.region, "AWS region for --ecr (default: AWS_REGION / profile)");
  sub->add_option("--chart", f.chart,
                  "Argo CD form: REF is the repository URL (no oci://) and this is the chart name");
}

Error tls_hint(const http::TlsVerifyError& e) {
  return Error(ErrorKind::kNetwork,
               fmt::format("{}; pass --ca-file with the CA bundle that signed the certificate of "
                           "{}, or --insecure-skip-tls-verify to skip verification",
                           e.what(), e.authority()));
}

int run_registry_command(const std::function<int()>& body) {
  try {
    return body();
  } catch (const http::TlsVerifyError& e) {
    throw tls_hint(e);
  }
}

oci::Reference parse_chart_ref(const std::string& ref, const RegistryFlags& f) {
  return f.chart.empty() ? oci::parse_reference(ref) : oci::from_argocd(ref, f.chart);
}

RegistrySession::RegistrySession(Runtime& rt, const RegistryFlags& f)
    : http_(tls_options(f)),
      ecr_(std::make_shared<aws::EcrTokenSource>(rt.providers(),
                                                 aws::ChainOptions{rt.flags().profile}, nullptr)),
      creds_(rt.env(), credential_options(f), ecr_),
      auth_(http_, creds_, *rt.service().clock),
      client_(http_, auth_, oci::RegistryOptions{f.plain_http}),
      puller_(client_) {
  puller_.warn = [](const std::string& m) { spdlog::warn("{}", m); };
}

}  // namespace ecrhelm::cli
