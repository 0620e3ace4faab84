// Kubeconfig parsing, merging and context resolution, and the order in
// which load_rest_config looks for a configuration.
#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include "support/testbed.h"
#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm::kube {
namespace {

const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster:
    server: https://prod.example:6443/
    certificate-authority: certs/ca.crt
- name: dev-cluster
  cluster:
    server: https://dev.example
    insecure-skip-tls-verify: true
    certificate-authority-data: LS0tLS1CRUdJTg==
users:
- name: prod-user
  user:
    token: prod-token
- name: dev-user
  user:
    tokenFile: tok
    client-certificate: /abs/client.crt
    client-key: rel/client.key
contexts:
- name: prod
  context: {cluster: prod-cluster, user: prod-user, namespace: argocd}
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
)";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Kubeconfig, ResolvesTheCurrentContextWithRelativePathsAnchoredAtTheFile) {
  Kubeconfig kc = parse_kubeconfig(kTwoContexts, "/home/u/.kube/config");
  RestConfig rc = resolve_context(kc, "");
  EXPECT_EQ(rc.server, "https://prod.example:6443");
  EXPECT_EQ(rc.tls.ca_file, "/home/u/.kube/certs/ca.crt");
  EXPECT_EQ(rc.bearer_token.reveal(), "prod-token");
  EXPECT_EQ(rc.namespace_, "argocd");
  EXPECT_EQ(rc.source, "kubeconfig /home/u/.kube/config, context prod");
}

TEST(Kubeconfig, ResolvesANamedContext) {
  RestConfig rc = resolve_context(parse_kubeconfig(kTwoContexts, "/k/config"), "dev");
  EXPECT_EQ(rc.server, "https://dev.example");
  EXPECT_TRUE(rc.tls.insecure_skip_verify);
  EXPECT_EQ(rc.tls.ca_pem, "-----BEGIN");
  EXPECT_EQ(rc.bearer_token_file, "/k/tok");
  EXPECT_EQ(rc.tls.client_cert_file, "/abs/client.crt");
  EXPECT_EQ(rc.tls.client_key_file, "/k/rel/client.key");
  EXPECT_TRUE(rc.namespace_.empty());
}

TEST(Kubeconfig, MergesAsKubectlFirstDefinitionWins) {
  Kubeconfig first = parse_kubeconfig(R"(
clusters:
- name: shared
  cluster: {server: https://first}
users:
- name: u
  user: {token: first-token}
contexts:
- name: c
  context: {cluster: shared, user: u}
)",
                                      "/a");
  Kubeconfig second = parse_kubeconfig(R"(
current-context: c
clusters:
- name: shared
  cluster: {server: https://second}
- name: only-second
  cluster: {server: https://only}
contexts:
- name: c2
  context: {cluster: only-second}
)",
                                       "/b");
  merge_kubeconfig(first, second);
  RestConfig rc = resolve_context(first, "");  // current-context from the second file
  EXPECT_EQ(rc.server, "https://first");
  EXPECT_EQ(rc.bearer_token.reveal(), "first-token");
  EXPECT_EQ(resolve_context(first, "c2").server, "https://only");
  EXPECT_EQ(first.files, (std::vector<std::string>{"/a", "/b"}));
}

TEST(Kubeconfig, ExecPluginsAreParsed) {
  Kubeconfig kc = parse_kubeconfig(R"(
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, demo]
      env: [{name: AWS_PROFILE, value: prod}]
      provideClusterInfo: true
clusters: [{name: c, cluster: {server: "https://x"}}]
contexts: [{name: c, context: {cluster: c, user: eks}}]
current-context: c
)",
                                   "/k/config");
  RestConfig rc = resolve_context(kc, "");
  ASSERT_TRUE(rc.exec.has_value());
  EXPECT_EQ(rc.exec->command, "aws");  // no slash: looked up on PATH
  EXPECT_EQ(rc.exec->args,
            (std::vector<std::string>{"eks", "get-token", "--cluster-name", "demo"}));
  EXPECT_EQ(rc.exec->env.at(0), std::make_pair(std::string("AWS_PROFILE"), std::string("prod")));
  EXPECT_TRUE(rc.exec->provide_cluster_info);
}

TEST(Kubeconfig, ClearErrorsNameTheFileAndTheFix) {
  EXPECT_EQ(error_of([] { parse_kubeconfig("clusters: [", "/k/bad"); }).substr(0, 40),
            "kubeconfig /k/bad is not valid YAML (lin");
  EXPECT_EQ(error_of([] { parse_kubeconfig("- a\n- b\n", "/k/list"); }),
            "kubeconfig /k/list is not a YAML mapping");
  Kubeconfig kc = parse_kubeconfig(kTwoContexts, "/k/c");
  EXPECT_EQ(error_of([&] { resolve_context(kc, "nope"); }),
            "kubeconfig /k/c has no context 'nope'; see `kubectl config get-contexts`");
  EXPECT_EQ(error_of([] {
              resolve_context(
                  parse_kubeconfig("contexts: [{name: x, context: {cluster: gone}}]", "/k/d"), "x");
            }),
            "kubeconfig /k/d: context 'x' names cluster 'gone', which is not defined");
  EXPECT_EQ(error_of([] { resolve_context(parse_kubeconfig("clusters: []", "/k/e"), ""); }),
            "kubeconfig /k/e has no current-context; pass --context");
  EXPECT_EQ(error_of([] {
              parse_kubeconfig(
                  "users: [{name: u, user: {exec: {apiVersion: "
                  "client.authentication.k8s.io/v1alpha1, command: x}}}]",
                  "/k/f");
            }),
            "kubeconfig /k/f: users 'u': exec apiVersion 'client.authentication.k8s.io/v1alpha1' "
            "is not supported; "
            "use client.authentication.k8s.io/v1 or v1beta1");
  EXPECT_EQ(error_of([] {
              resolve_context(
                  parse_kubeconfig("clusters: [{name: c, cluster: {server: https://x}}]\n"
                                   "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"
                                   "contexts: [{name: x, context: {cluster: c, user: u}}]",
                                   "/k/g"),
                  "x");
            }),
            "kubeconfig /k/g: user 'u' uses auth-provider gcp, which ecrhelm does not support; use "
            "an exec plugin or a "
            "token");
  // A secret value in a bad field is not quoted.
  std::string msg = error_of(
      [] { parse_kubeconfig("users: [{name: u, user: {client-key-data: 'sekrit!!'}}]", "/k/h"); });
  EXPECT_EQ(msg, "kubeconfig /k/h: users 'u': client-key-data is not valid base64");
}

TEST(Kubeconfig, AnEmptyFileIsAnEmptyConfig) {
  Kubeconfig kc = parse_kubeconfig("", "/k/empty");
  EXPECT_TRUE(kc.clusters.empty());
}

TEST(RestConfigLoading, FlagThenKubeconfigListThenInClusterThenHome) {
  test::TempDir dir;
  auto cfg = [&](const std::string& name, const std::string& server, const std::string& ctx) {
    return dir.write(name, "current-context: " + ctx + "\nclusters: [{name: c" + ctx +
                               ", cluster: {server: '" + server + "'}}]\ncontexts: [{name: " + ctx +
                               ", context: {cluster: c" + ctx + "}}]\n");
  };
  std::string flag = cfg("flag", "https://flag", "f");
  std::string a = cfg("a", "https://a", "a");
  std::string b = cfg("b", "https://b", "b");
  std::string home_cfg =
      dir.write("home/.kube/config",
                "current-context: h\nclusters: [{name: c, cluster: {server: "
                "'https://home'}}]\ncontexts: [{name: h, context: {cluster: c}}]\n");
  std::string sa = dir.path() + "/sa";
  dir.write("sa/token", "pod-token\n");
  dir.write("sa/namespace", "argocd\n");
  dir.write("sa/ca.crt", "pem");

  MapEnv env;
  env.set("HOME", dir.path() + "/home");
  env.set("KUBECONFIG", dir.path() + "/missing:" + b + ":" + a);
  env.set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  env.set("KUBERNETES_SERVICE_PORT", "443");
  ConfigOptions opts;
  opts.service_account_dir = sa;
  opts.kubeconfig = flag;
  EXPECT_EQ(load_rest_config(opts, env).server, "https://flag");
  opts.kubeconfig.clear();
  EXPECT_EQ(load_rest_config(opts, env).server, "https://b");  // first file's current-context
  opts.context = "a";
  EXPECT_EQ(load_rest_config(opts, env).server, "https://a");
  opts.context.clear();
  env.unset("KUBECONFIG");
  RestConfig in = load_rest_config(opts, env);
  EXPECT_EQ(in.server, "https://10.96.0.1:443");
  EXPECT_EQ(in.bearer_token_file, sa + "/token");
  EXPECT_EQ(in.tls.ca_file, sa + "/ca.crt");
  EXPECT_EQ(in.namespace_, "argocd");
  env.unset("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(load_rest_config(opts, env).server, "https://home");
  env.set("HOME", dir.path() + "/nowhere");
  EXPECT_EQ(error_of([&] { load_rest_config(opts, env); }),
            "no Kubernetes configuration: not in a cluster (KUBERNETES_SERVICE_HOST unset) and " +
                dir.path() +
                "/nowhere/.kube/config does not exist; pass --kubeconfig or set KUBECONFIG");
}

TEST(RestConfigLoading, InClusterWithoutATokenSaysWhatToMount) {
  test::TempDir dir;
  MapEnv env;
  env.set("KUBERNETES_SERVICE_HOST", "fd00::1");
  env.set("KUBERNETES_SERVICE_PORT", "443");
  EXPECT_EQ(error_of([&] { in_cluster_config(env, dir.path()); }),
            "in-cluster config: " + dir.path() +
                "/token does not exist; mount the service-account token "
                "(automountServiceAccountToken) or pass --kubeconfig");
  dir.write("token", "t");
  EXPECT_EQ(in_cluster_config(env, dir.path())->server, "https://[fd00::1]:443");
}

}  // namespace
}  // namespace ecrhelm::kube
