// RestConfig: where the API server is and how to prove who we are, resolved
// the way controller-runtime does it: --kubeconfig, then $KUBECONFIG (a
// colon-separated list merged as kubectl merges it), then in-cluster (the
// pod's service-account token), then ~/.kube/config.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/client.h"
#include "util/env.h"
#include "util/secret.h"

namespace ecrhelm::kube {

// The default mount of a pod's service-account credentials.
inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// A client.authentication.k8s.io exec credential plugin (as `aws eks get-token`).
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
};

struct RestConfig {
  std::string server;  // https://host:port[/path], no trailing slash
  http::TlsOptions tls;
  Secret bearer_token;
  std::string bearer_token_file;  // re-read when it changes (projected tokens rotate)
  std::optional<ExecConfig> exec;
  std::string username;  // basic auth (old clusters)
  Secret password;
  std::string namespace_;  // the context's namespace, or the pod's; may be empty
  std::string source;      // "kubeconfig FILE, context NAME" or "in-cluster": for messages
  // client-side rate limit (controller-runtime's defaults)
  double qps = 20;
  int burst = 30;
};

struct ConfigOptions {
  std::string kubeconfig;                                // --kubeconfig
  std::string context;                                   // --context
  std::string service_account_dir = kServiceAccountDir;  // tests point it elsewhere
};

// Throws Error(kInvalidInput) for a broken kubeconfig, Error(kNotFound) when
// no configuration exists at all (with what to set).
RestConfig load_rest_config(const ConfigOptions& opts, const Env& env);

// The in-cluster configuration alone; nullopt when KUBERNETES_SERVICE_HOST/PORT
// are unset. Throws when they are set but the token or CA cannot be read.
std::optional<RestConfig> in_cluster_config(const Env& env, const std::string& service_account_dir);

}  // namespace ecrhelm::kube
