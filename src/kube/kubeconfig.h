// Kubeconfig files: parsing one (clusters, users, contexts, current-context,
// relative paths resolved against the file's folder) and merging several as
// kubectl does (the first file to define a name wins, and the first
// non-empty current-context wins), then resolving a context to a RestConfig.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kube/rest_config.h"

namespace ecrhelm::kube {

struct KubeCluster {
  std::string server;
  std::string ca_file;
  std::string ca_data;  // decoded PEM
  bool insecure_skip_tls_verify = false;
};

struct KubeUser {
  Secret token;
  std::string token_file;
  std::string client_cert_file;
  std::string client_cert_data;  // decoded PEM
  std::string client_key_file;
  Secret client_key_data;  // decoded PEM
  std::string username;
  Secret password;
  std::optional<ExecConfig> exec;
  std::string unsupported;  // e.g. "auth-provider gcp": refused when used
};

struct KubeContext {
  std::string cluster;
  std::string user;
  std::string namespace_;
};

struct Kubeconfig {
  std::map<std::string, KubeCluster> clusters;
  std::map<std::string, KubeUser> users;
  std::map<std::string, KubeContext> contexts;
  std::string current_context;
  std::vector<std::string> files;  // where it came from, for messages
};

// Parses one file's text; `path` names it in errors and anchors relative paths.
Kubeconfig parse_kubeconfig(std::string_view text, const std::string& path);

// `into` keeps what it has; `from` adds what `into` lacks.
void merge_kubeconfig(Kubeconfig& into, const Kubeconfig& from);

// Reads and merges the files (missing files in a KUBECONFIG list are skipped,
// as kubectl does; a list with none existing is an error).
Kubeconfig load_kubeconfig_files(const std::vector<std::string>& paths);

// The RestConfig of `context` (empty = current-context).
RestConfig resolve_context(const Kubeconfig& config, const std::string& context);

}  // namespace ecrhelm::kube
