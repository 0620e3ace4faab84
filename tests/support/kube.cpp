#include "support/kube.h"

#include <cstdlib>
#include <fstream>
#include <mutex>

#include "kube/kubeconfig.h"
#include "support/testbed.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::test {

const KubeTestbed& kube_testbed() {
  static std::once_flag once;
  static KubeTestbed tb;
  std::call_once(once, [] {
    const char* d = std::getenv("ECRHELM_KUBE_TESTBED");
    tb.dir = d && *d ? d : ECRHELM_KUBE_TESTBED_DIR;
    std::ifstream in(tb.dir + "/env");
    for (std::string line; std::getline(in, line);) {
      auto eq = line.find('=');
      if (eq != std::string::npos) tb.env[line.substr(0, eq)] = line.substr(eq + 1);
    }
  });
  if (tb.env.empty()) {
    fail(ErrorKind::kNotFound,
         "no kube test bed at {}: run the tests through ctest (fixture kube_up) or "
         "scripts/testbed/kube-up.sh {}",
         tb.dir, tb.dir);
  }
  tb.kubeconfig = tb.env["KUBECONFIG"];
  tb.url = tb.env["KUBE_APISERVER_URL"];
  tb.ca_file = tb.env["KUBE_CA_FILE"];
  tb.admin_token_file = tb.env["KUBE_ADMIN_TOKEN_FILE"];
  tb.nobody_token_file = tb.env["KUBE_NOBODY_TOKEN_FILE"];
  tb.issuer = tb.env["KUBE_SERVICE_ACCOUNT_ISSUER"];
  return tb;
}

kube::RestConfig admin_config() {
  const auto& tb = kube_testbed();
  return kube::resolve_context(kube::load_kubeconfig_files({tb.kubeconfig}), "admin");
}

std::unique_ptr<kube::KubeClient> admin_client() {
  return std::make_unique<kube::KubeClient>(admin_config());
}

ScopedNamespace::ScopedNamespace(const std::string& prefix) {
  name_ = prefix + "-" + hex_encode(random_bytes(5));
  admin_client()->create(
      kube::resources::kNamespaces, "",
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name_}}}});
}

ScopedNamespace::~ScopedNamespace() {
  try {
    admin_client()->remove(kube::resources::kNamespaces, "", name_);
  } catch (...) {
  }
}

void compact_etcd() {
  const auto& tb = kube_testbed();
  // etcd's JSON gateway; its header carries the current revision.
  RunResult status = run_program({"curl", "-fsS", "-X", "POST", "-d", "{\"key\":\"AA==\"}",
                                  tb.env.at("ETCD_URL") + "/v3/kv/range"},
                                 {});
  if (status.exit_code != 0) fail(ErrorKind::kNetwork, "etcd range failed: {}", status.err);
  std::string rev = nlohmann::json::parse(status.out)["header"]["revision"].get<std::string>();
  RunResult r = run_program(
      {"curl", "-fsS", "-X", "POST", "-d", "{\"revision\":\"" + rev + "\",\"physical\":true}",
       tb.env.at("ETCD_URL") + "/v3/kv/compaction"},
      {});
  if (r.exit_code != 0) fail(ErrorKind::kNetwork, "etcd compaction failed: {}", r.err);
}

nlohmann::json make_configmap(const std::string& ns, const std::string& name,
                              const std::map<std::string, std::string>& data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", data}};
}

}  // namespace ecrhelm::test
