// The Kubernetes side of the test bed: the real kube-apiserver that CTest's
// `kube_up` fixture starts once per run (scripts/testbed/kube-up.sh into
// ${build}/kube-testbed), and per-test namespaces so tests running in
// parallel never see each other's objects.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"
#include "support/objects.h"

namespace ecrhelm::test {

struct KubeTestbed {
  std::string dir;
  std::string kubeconfig;
  std::string url;
  std::string ca_file;
  std::string admin_token_file;
  std::string nobody_token_file;
  std::string issuer;
  std::map<std::string, std::string> env;  // the env file's KEY=VALUE lines
};

// The running test bed; throws (failing the test) with how to start it when it is not up.
const KubeTestbed& kube_testbed();

// A RestConfig for the admin identity (system:masters), straight from the kubeconfig.
kube::RestConfig admin_config();
std::unique_ptr<kube::KubeClient> admin_client();

// A fresh namespace "PREFIX-xxxxxx", deleted (without waiting) on destruction.
class ScopedNamespace {
 public:
  explicit ScopedNamespace(const std::string& prefix);
  ~ScopedNamespace();
  ScopedNamespace(const ScopedNamespace&) = delete;
  ScopedNamespace& operator=(const ScopedNamespace&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// Compacts etcd up to its current revision: any watch or list from an older
// resourceVersion then gets 410 Gone. Only ConfigMaps (which kube-up.sh runs
// without a watch cache) show it at once; other kinds are served from the
// API server's watch cache.
void compact_etcd();

// A ConfigMap body.
nlohmann::json make_configmap(const std::string& ns, const std::string& name,
                              const std::map<std::string, std::string>& data);

}  // namespace ecrhelm::test
