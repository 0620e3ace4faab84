// src/doctor/: the checks of `ecrhelm doctor`, one file per link of the
// chain the seed sets up, walked in order: aws (the local identity, then the
// role's web identity and ECR GetAuthorizationToken), irsa (the service
// account's role annotation, the token mount, a TokenRequest's claims, pods
// restarted after the annotation), argocd (the repository secret Argo CD
// would use for the chart, by its rules, and the ExternalSecret keeping it
// fresh), registry (the chart's manifest fetched with that secret's
// credentials, as the repo server would), plus the report they fill. Each
// check says which link is broken and how to fix it, or why it was skipped.
// Secrets (the password, the service-account token, AWS keys) are used,
// never reported. `cli/cmd_doctor.cpp` keeps the flags and the printing.
#pragma once

#include <memory>
#include <string>

#include "aws/provider_context.h"
#include "aws/service_call.h"
#include "doctor/report.h"
#include "http/client.h"
#include "kube/client.h"

namespace ecrhelm::doctor {

// What to check; each check is skipped, with the reason, when its input is empty.
struct Options {
  std::string region;
  std::string role_arn;
  std::string ns = "argocd";
  std::string kubeconfig;
  std::string context;
  std::string service_account;
  std::string deployment;
  std::string issuer_url;
  std::string chart;     // oci://HOST/REPO/CHART, or a chart name with repo_url
  std::string repo_url;  // Argo CD's repoURL (no oci://)
  std::string version;
  bool plain_http = false;
  std::string ca_file;
  bool insecure = false;
};

// What the checks talk to.
struct Services {
  aws::ServiceContext& service;     // STS and ECR calls (HTTP, env, clock)
  aws::ProviderContext& providers;  // the local credential chain
  std::string profile;              // --profile
  // The cluster; when null, one is made from kubeconfig/context (kube.config).
  std::unique_ptr<kube::KubeClient> kube;
  // The registry's HTTP; when null, libcurl with the options' TLS settings.
  http::HttpClient* registry_http = nullptr;
};

Report run(const Options& options, Services& services);

}  // namespace ecrhelm::doctor
