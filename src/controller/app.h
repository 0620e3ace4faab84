// The `ecrhelm controller` process assembled from its parts: the shared ECR
// token cache and generator, the two reconcilers (ExternalSecret and the
// annotation mode), the Argo CD refresher, ESO's metric families (read at
// scrape time), all on one runtime::Manager (probes, leader election,
// signals). cli/cmd_controller.cpp parses flags into AppOptions and calls run().
#pragma once

#include <optional>
#include <set>
#include <string>

#include "aws/credentials.h"
#include "aws/provider_context.h"
#include "controller/argocd_refresh.h"
#include "controller/controllers.h"
#include "controller/ecr_generator.h"
#include "controller/repo_secret_reconciler.h"
#include "kube/client.h"
#include "util/env.h"
#include "util/time.h"

namespace ecrhelm::controller {

struct AppOptions {
  ControllerOptions controllers;  // namespaces, workers, modes, resync, and .manager
  CredentialsPolicy credentials;  // --default-credentials-namespaces
  RolePolicy roles;               // --allow-role-arn-annotations, --allowed-role-arns
  ArgoRefreshOptions argocd;      // --argocd-refresh, --argocd-namespaces
};

// What the process runs with, from the caller's environment.
struct AppContext {
  kube::KubeClient& kube;
  aws::ProviderContext providers;
  aws::CredentialsProvider& default_chain;  // the controller's own AWS credentials
  const Env& env;
  const Clock& clock;
};

// Runs until SIGTERM/SIGINT or a lost Lease; returns the exit code. Throws
// Error for flags that cannot work (a bind address, leader election settings).
int run(const AppContext& ctx, const AppOptions& opts);

}  // namespace ecrhelm::controller
