#include "support/peers.h"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "util/fs.h"

namespace ecrhelm::test {

std::string peer_binary(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  std::map<std::string, std::string> env;
  for (const char* keep : {"HOME", "ECRHELM_TESTBED_CACHE", "ECRHELM_GO", "GOPROXY", "GOFLAGS",
                           "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"})
    if (const char* v = std::getenv(keep)) env[keep] = v;
  auto r =
      run_program({std::string(ECRHELM_SOURCE_DIR) + "/scripts/testbed/build-peer.sh", name}, env);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  std::string path = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  if (r.exit_code != 0 || path.empty() || ::access(path.c_str(), X_OK) != 0) {
    throw std::runtime_error("peer " + name + " is not available (scripts/testbed/build-peer.sh " +
                             name + "): " + r.err);
  }
  cache[name] = path;
  return path;
}

HelperBin::HelperBin() {
  std::string link = dir_.file("docker-credential-ecrhelm");
  if (::symlink(ECRHELM_BINARY, link.c_str()) != 0) throw std::runtime_error("cannot link " + link);
}

std::string HelperBin::path_env() const {
  const char* p = std::getenv("PATH");
  return path() + ":" + (p ? p : "/usr/bin:/bin");
}

std::map<std::string, std::string> repo_server_helm_env(const TempDir& root,
                                                        std::map<std::string, std::string> env) {
  for (const char* d :
       {"helm-config", "helm-cache", "helm-data", "xdg-config", "xdg-cache", "xdg-data"})
    make_dirs(root.file(d));
  env["HELM_CONFIG_HOME"] = root.file("helm-config");
  env["HELM_CACHE_HOME"] = root.file("helm-cache");
  env["HELM_DATA_HOME"] = root.file("helm-data");
  env["XDG_CONFIG_HOME"] = root.file("xdg-config");
  env["XDG_CACHE_HOME"] = root.file("xdg-cache");
  env["XDG_DATA_HOME"] = root.file("xdg-data");
  return env;
}

}  // namespace ecrhelm::test
