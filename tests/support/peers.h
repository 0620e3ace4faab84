// The test bed's pinned peers built from the Go module proxy (Helm 3 and 4,
// oras) by scripts/testbed/build-peer.sh, cached in /var/cache/ecrhelm/peers,
// and the environment Argo CD's repo server gives `helm`.
#pragma once

#include <map>
#include <string>

#include "support/testbed.h"

namespace ecrhelm::test {

// The path of peer `name` (helm3, helm4, oras), built on first use; throws
// std::runtime_error with the script's reason when it cannot be built.
std::string peer_binary(const std::string& name);

// A folder holding docker-credential-ecrhelm (a link to the ecrhelm under
// test), to put first on PATH.
class HelperBin {
 public:
  HelperBin();
  const std::string& path() const { return dir_.path(); }
  // PATH with this folder first.
  std::string path_env() const;

 private:
  TempDir dir_;
};

// What Argo CD's repo server gives `helm` (util/helm/cmd.go): fresh, empty
// HELM_CONFIG_HOME / HELM_CACHE_HOME / HELM_DATA_HOME (and XDG dirs) under
// `root`, the rest of the environment (`inherited`) unchanged.
std::map<std::string, std::string> repo_server_helm_env(
    const TempDir& root, std::map<std::string, std::string> inherited);

}  // namespace ecrhelm::test
