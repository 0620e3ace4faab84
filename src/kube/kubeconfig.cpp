#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::kube {
namespace {

inline constexpr size_t kMaxKubeconfigBytes = 4u << 20;

std::string absolute(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string scalar(const YAML::Node& n, const char* key, const std::string& where) {
  YAML::Node v = n[key];
  if (!v || v.IsNull()) return "";
  if (!v.IsScalar()) fail(ErrorKind::kInvalidInput, "{}: {} must be a string", where, key);
  return v.as<std::string>();
}

bool boolean(const YAML::Node& n, const char* key, const std::string& where) {
  YAML::Node v = n[key];
  if (!v || v.IsNull()) return false;
  std::string s = v.IsScalar() ? v.as<std::string>() : "";
  if (s == "true") return true;
  if (s == "false") return false;
  fail(ErrorKind::kInvalidInput, "{}: {} must be true or false", where, key);
}

// base64 field whose decoded bytes are PEM; the value itself is never quoted.
std::string pem_data(const YAML::Node& n, const char* key, const std::string& where) {
  std::string b64 = scalar(n, key, where);
  if (b64.empty()) return "";
  auto pem = base64_decode(b64);
  if (!pem) fail(ErrorKind::kInvalidInput, "{}: {} is not valid base64", where, key);
  return *pem;
}

ExecConfig parse_exec(const YAML::Node& n, const std::string& where, const std::string& base_dir) {
  if (!n.IsMap()) fail(ErrorKind::kInvalidInput, "{}: exec must be a mapping", where);
  ExecConfig e;
  e.api_version = scalar(n, "apiVersion", where);
  if (e.api_version != "client.authentication.k8s.io/v1" &&
      e.api_version != "client.authentication.k8s.io/v1beta1") {
    fail(
        ErrorKind::kInvalidInput,
        "{}: exec apiVersion '{}' is not supported; use client.authentication.k8s.io/v1 or v1beta1",
        where, e.api_version);
  }
  e.command = scalar(n, "command", where);
  if (e.command.empty()) fail(ErrorKind::kInvalidInput, "{}: exec has no command", where);
  // A relative command with a slash is relative to the kubeconfig (client-go).
  if (e.command.find('/') != std::string::npos) e.command = absolute(base_dir, e.command);
  if (YAML::Node args = n["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) fail(ErrorKind::kInvalidInput, "{}: exec args must be a list", where);
    for (const auto& a : args) e.args.push_back(a.as<std::string>());
  }
  if (YAML::Node env = n["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) fail(ErrorKind::kInvalidInput, "{}: exec env must be a list", where);
    for (const auto& kv : env) {
      if (!kv.IsMap())
        fail(ErrorKind::kInvalidInput, "{}: exec env entries need name and value", where);
      e.env.emplace_back(scalar(kv, "name", where), scalar(kv, "value", where));
    }
  }
  e.install_hint = scalar(n, "installHint", where);
  e.provide_cluster_info = boolean(n, "provideClusterInfo", where);
  return e;
}

// Iterates a `- name: X\n  <field>: {...}` list.
template <typename F>
void each_named(const YAML::Node& root, const char* list, const char* field,
                const std::string& path, F f) {
  YAML::Node items = root[list];
  if (!items || items.IsNull()) return;
  if (!items.IsSequence())
    fail(ErrorKind::kInvalidInput, "kubeconfig {}: {} must be a list", path, list);
  for (const auto& item : items) {
    if (!item.IsMap())
      fail(ErrorKind::kInvalidInput, "kubeconfig {}: each of {} must be a mapping", path, list);
    std::string name = scalar(item, "name", "kubeconfig " + path);
    if (name.empty())
      fail(ErrorKind::kInvalidInput, "kubeconfig {}: an entry of {} has no name", path, list);
    YAML::Node body = item[field];
    std::string where = fmt::format("kubeconfig {}: {} '{}'", path, list, name);
    if (body && !body.IsNull() && !body.IsMap())
      fail(ErrorKind::kInvalidInput, "{}: {} must be a mapping", where, field);
    f(name, body ? body : YAML::Node(YAML::NodeType::Map), where);
  }
}

}  // namespace

Kubeconfig parse_kubeconfig(std::string_view text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp's message quotes no content, only the position.
    fail(ErrorKind::kInvalidInput,
         "kubeconfig {} is not valid YAML (line {}, column {}): fix or remove it", path,
         e.mark.line + 1, e.mark.column + 1);
  }
  Kubeconfig kc;
  kc.files.push_back(path);
  if (root.IsNull()) return kc;  // an empty file is an empty config, as kubectl reads it
  if (!root.IsMap()) fail(ErrorKind::kInvalidInput, "kubeconfig {} is not a YAML mapping", path);
  std::string base_dir = dirname_of(path);
  try {
    kc.current_context = scalar(root, "current-context", "kubeconfig " + path);
    each_named(root, "clusters", "cluster", path,
               [&](const std::string& name, const YAML::Node& c, const std::string& where) {
                 KubeCluster cl;
                 cl.server = scalar(c, "server", where);
                 cl.ca_file = absolute(base_dir, scalar(c, "certificate-authority", where));
                 cl.ca_data = pem_data(c, "certificate-authority-data", where);
                 cl.insecure_skip_tls_verify = boolean(c, "insecure-skip-tls-verify", where);
                 kc.clusters.emplace(name, std::move(cl));  // a repeated name: the first wins
               });
    each_named(root, "users", "user", path,
               [&](const std::string& name, const YAML::Node& u, const std::string& where) {
                 KubeUser us;
                 us.token = Secret(scalar(u, "token", where));
                 us.token_file = absolute(base_dir, scalar(u, "tokenFile", where));
                 us.client_cert_file = absolute(base_dir, scalar(u, "client-certificate", where));
                 us.client_cert_data = pem_data(u, "client-certificate-data", where);
                 us.client_key_file = absolute(base_dir, scalar(u, "client-key", where));
                 us.client_key_data = Secret(pem_data(u, "client-key-data", where));
                 us.username = scalar(u, "username", where);
                 us.password = Secret(scalar(u, "password", where));
                 if (YAML::Node ex = u["exec"]; ex && !ex.IsNull())
                   us.exec = parse_exec(ex, where, base_dir);
                 if (YAML::Node ap = u["auth-provider"]; ap && !ap.IsNull()) {
                   us.unsupported = "auth-provider " +
                                    (ap.IsMap() ? scalar(ap, "name", where) : std::string("?"));
                 }
                 kc.users.emplace(name, std::move(us));
               });
    each_named(root, "contexts", "context", path,
               [&](const std::string& name, const YAML::Node& c, const std::string& where) {
                 KubeContext ctx;
                 ctx.cluster = scalar(c, "cluster", where);
                 ctx.user = scalar(c, "user", where);
                 ctx.namespace_ = scalar(c, "namespace", where);
                 kc.contexts.emplace(name, std::move(ctx));
               });
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::kInvalidInput, "kubeconfig {} has a malformed entry (line {}): {}", path,
         e.mark.line + 1, "expected a string");
  }
  return kc;
}

void merge_kubeconfig(Kubeconfig& into, const Kubeconfig& from) {
  for (const auto& [k, v] : from.clusters) into.clusters.emplace(k, v);
  for (const auto& [k, v] : from.users) into.users.emplace(k, v);
  for (const auto& [k, v] : from.contexts) into.contexts.emplace(k, v);
  if (into.current_context.empty()) into.current_context = from.current_context;
  into.files.insert(into.files.end(), from.files.begin(), from.files.end());
}

Kubeconfig load_kubeconfig_files(const std::vector<std::string>& paths) {
  Kubeconfig merged;
  std::vector<std::string> tried;
  for (const auto& p : paths) {
    if (p.empty()) continue;
    tried.push_back(p);
    if (!file_exists(p)) continue;
    Kubeconfig one = parse_kubeconfig(read_file(p, "kubeconfig", kMaxKubeconfigBytes), p);
    merge_kubeconfig(merged, one);
  }
  if (merged.files.empty()) {
    fail(ErrorKind::kNotFound,
         "no kubeconfig file exists among: {}; set --kubeconfig or KUBECONFIG",
         fmt::join(tried, ", "));
  }
  return merged;
}

RestConfig resolve_context(const Kubeconfig& config, const std::string& context) {
  std::string files = fmt::format("{}", fmt::join(config.files, ":"));
  std::string name = context.empty() ? config.current_context : context;
  if (name.empty()) {
    fail(ErrorKind::kInvalidInput, "kubeconfig {} has no current-context; pass --context", files);
  }
  auto ctx = config.contexts.find(name);
  if (ctx == config.contexts.end()) {
    fail(ErrorKind::kNotFound,
         "kubeconfig {} has no context '{}'; see `kubectl config get-contexts`", files, name);
  }
  auto cl = config.clusters.find(ctx->second.cluster);
  if (cl == config.clusters.end()) {
    fail(ErrorKind::kInvalidInput,
         "kubeconfig {}: context '{}' names cluster '{}', which is not defined", files, name,
         ctx->second.cluster);
  }
  RestConfig rc;
  rc.source = fmt::format("kubeconfig {}, context {}", files, name);
  rc.server = cl->second.server;
  while (!rc.server.empty() && rc.server.back() == '/') rc.server.pop_back();
  if (!rc.server.starts_with("https://") && !rc.server.starts_with("http://")) {
    fail(ErrorKind::kInvalidInput, "kubeconfig {}: cluster '{}' server '{}' must be an http(s) URL",
         files, ctx->second.cluster, rc.server);
  }
  rc.tls.ca_file = cl->second.ca_file;
  rc.tls.ca_pem = cl->second.ca_data;
  rc.tls.insecure_skip_verify = cl->second.insecure_skip_tls_verify;
  rc.namespace_ = ctx->second.namespace_;
  if (!ctx->second.user.empty()) {
    auto us = config.users.find(ctx->second.user);
    if (us == config.users.end()) {
      fail(ErrorKind::kInvalidInput,
           "kubeconfig {}: context '{}' names user '{}', which is not defined", files, name,
           ctx->second.user);
    }
    const KubeUser& u = us->second;
    if (!u.unsupported.empty() && !u.exec) {
      fail(ErrorKind::kUnsupported,
           "kubeconfig {}: user '{}' uses {}, which ecrhelm does not support; use an exec plugin "
           "or a token",
           files, ctx->second.user, u.unsupported);
    }
    rc.bearer_token = u.token;
    rc.bearer_token_file = u.token_file;
    rc.tls.client_cert_file = u.client_cert_file;
    rc.tls.client_cert_pem = u.client_cert_data;
    rc.tls.client_key_file = u.client_key_file;
    rc.tls.client_key_pem = u.client_key_data;
    rc.username = u.username;
    rc.password = u.password;
    rc.exec = u.exec;
  }
  return rc;
}

}  // namespace ecrhelm::kube
