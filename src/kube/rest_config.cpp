#include "kube/rest_config.h"

#include "kube/kubeconfig.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::kube {

std::optional<RestConfig> in_cluster_config(const Env& env,
                                            const std::string& service_account_dir) {
  auto host = env.get_nonempty("KUBERNETES_SERVICE_HOST");
  auto port = env.get_nonempty("KUBERNETES_SERVICE_PORT");
  if (!host || !port) return std::nullopt;
  RestConfig rc;
  rc.source = "in-cluster (service account in " + service_account_dir + ")";
  // An IPv6 service address needs brackets (client-go's net.JoinHostPort).
  std::string h = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  rc.server = "https://" + h + ":" + *port;
  rc.bearer_token_file = service_account_dir + "/token";
  if (!file_exists(rc.bearer_token_file)) {
    fail(ErrorKind::kNotFound,
         "in-cluster config: {} does not exist; mount the service-account token "
         "(automountServiceAccountToken) or pass --kubeconfig",
         rc.bearer_token_file);
  }
  std::string ca = service_account_dir + "/ca.crt";
  if (file_exists(ca)) rc.tls.ca_file = ca;
  std::string ns_file = service_account_dir + "/namespace";
  if (file_exists(ns_file))
    rc.namespace_ = std::string(trim(read_file(ns_file, "service-account namespace", 4096)));
  return rc;
}

RestConfig load_rest_config(const ConfigOptions& opts, const Env& env) {
  if (!opts.kubeconfig.empty()) {
    if (!file_exists(opts.kubeconfig)) {
      fail(ErrorKind::kNotFound, "--kubeconfig {} does not exist", opts.kubeconfig);
    }
    return resolve_context(load_kubeconfig_files({opts.kubeconfig}), opts.context);
  }
  if (auto list = env.get_nonempty("KUBECONFIG")) {
    std::vector<std::string> paths;
    for (auto p : split(*list, ':')) paths.emplace_back(p);
    return resolve_context(load_kubeconfig_files(paths), opts.context);
  }
  if (opts.context.empty()) {
    if (auto rc = in_cluster_config(env, opts.service_account_dir)) return *rc;
  }
  std::string home_config = env.home() + "/.kube/config";
  if (!file_exists(home_config)) {
    fail(
        ErrorKind::kNotFound,
        "no Kubernetes configuration: not in a cluster (KUBERNETES_SERVICE_HOST unset) and {} does "
        "not exist; pass --kubeconfig or set KUBECONFIG",
        home_config);
  }
  return resolve_context(load_kubeconfig_files({home_config}), opts.context);
}

}  // namespace ecrhelm::kube
