// Identities against the real kube-apiserver: RBAC limits, TokenRequest,
// rejected tokens, token files, exec credential plugins.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/objects.h"
#include "support/kube.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::kube {
namespace {

using test::admin_client;
using test::kube_testbed;
using test::make_secret;
using test::ScopedNamespace;

RestConfig config_with_token(const std::string& token) {
  RestConfig rc;
  rc.server = kube_testbed().url;
  rc.tls.ca_file = kube_testbed().ca_file;
  rc.bearer_token = Secret(token);
  rc.source = "test token";
  return rc;
}

json claims_of(const std::string& jwt) {
  auto parts = split(jwt, '.');
  std::string payload(parts.at(1));
  for (char& ch : payload) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
  while (payload.size() % 4) payload += '=';
  return json::parse(base64_decode(payload).value());
}

// A service account allowed to read secrets in `ns` only.
void grant_secret_reader(KubeClient& c, const std::string& ns, const std::string& sa) {
  c.create(resources::kServiceAccounts, ns,
           {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", sa}}}});
  static const ResourceType kRoles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
  static const ResourceType kBindings{"rbac.authorization.k8s.io", "v1", "rolebindings",
                                      "RoleBinding", true};
  c.create(
      kRoles, ns,
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "Role"},
       {"metadata", {{"name", "secret-reader"}}},
       {"rules",
        json::array(
            {{{"apiGroups", {""}}, {"resources", {"secrets"}}, {"verbs", {"get", "list"}}}})}});
  c.create(
      kBindings, ns,
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "RoleBinding"},
       {"metadata", {{"name", "secret-reader"}}},
       {"roleRef",
        {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "secret-reader"}}},
       {"subjects", json::array({{{"kind", "ServiceAccount"}, {"name", sa}, {"namespace", ns}}})}});
}

TEST(KubeAuth, TokenRequestGivesAJwtForTheAudienceAndAccount) {
  ScopedNamespace ns("tr");
  auto c = admin_client();
  c->create(resources::kServiceAccounts, ns.name(),
            {{"apiVersion", "v1"},
             {"kind", "ServiceAccount"},
             {"metadata", {{"name", "argocd-repo-server"}}}});
  ServiceAccountToken t = request_service_account_token(*c, ns.name(), "argocd-repo-server",
                                                        {"sts.amazonaws.com"}, 3600);
  json claims = claims_of(t.token.reveal());
  EXPECT_EQ(claims["sub"], "system:serviceaccount:" + ns.name() + ":argocd-repo-server");
  EXPECT_EQ(claims["aud"], json::array({"sts.amazonaws.com"}));
  EXPECT_EQ(claims["iss"], kube_testbed().issuer);
  EXPECT_GT(t.expires, std::chrono::system_clock::now() + std::chrono::minutes(50));
}

TEST(KubeAuth, ServiceAccountLimitedToOneNamespaceGetsAClear403Elsewhere) {
  ScopedNamespace mine("rbac-mine");
  ScopedNamespace other("rbac-other");
  auto admin = admin_client();
  grant_secret_reader(*admin, mine.name(), "reader");
  admin->create(resources::kSecrets, mine.name(), make_secret(mine.name(), "s", {{"k", "v"}}));
  admin->create(resources::kSecrets, other.name(), make_secret(other.name(), "s", {{"k", "v"}}));
  // The API server's own audience, so the token authenticates to it.
  auto t =
      request_service_account_token(*admin, mine.name(), "reader", {kube_testbed().issuer}, 600);
  KubeClient sa(config_with_token(t.token.reveal()));
  EXPECT_EQ(secret_data(sa.get(resources::kSecrets, mine.name(), "s")).at("k").reveal(), "v");
  try {
    sa.get(resources::kSecrets, other.name(), "s");
    FAIL() << "expected 403";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 403);
    EXPECT_EQ(e.kind(), ErrorKind::kForbidden);
    std::string msg = e.what();
    EXPECT_NE(msg.find("kube get secrets " + other.name() + "/s: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("system:serviceaccount:" + mine.name() + ":reader"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("(Forbidden); grant this identity"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(t.token.reveal()), std::string::npos);
  }
  // Allowed verbs only: it may not write where it may read.
  try {
    sa.create(resources::kSecrets, mine.name(), make_secret(mine.name(), "new", {}));
    FAIL() << "expected 403";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 403);
  }
}

TEST(KubeAuth, AnIdentityWithNoBindingsIsForbiddenNotUnauthorized) {
  std::string token(trim(read_file(kube_testbed().nobody_token_file, "token")));
  KubeClient nobody(config_with_token(token));
  try {
    nobody.list(resources::kSecrets, "default");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 403);
    EXPECT_NE(std::string(e.what()).find("User \"nobody\""), std::string::npos) << e.what();
  }
}

TEST(KubeAuth, AWrongTokenIs401NamingTheSourceNotTheToken) {
  KubeClient bad(config_with_token("not-a-real-token-0123456789"));
  try {
    bad.get(resources::kNamespaces, "", "default");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 401);
    EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    std::string msg = e.what();
    EXPECT_NE(msg.find("test token were rejected"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("not-a-real-token"), std::string::npos);
  }
}

TEST(KubeAuth, TokenFileIsReadAgainWhenItChanges) {
  test::TempDir dir;
  std::string admin(trim(read_file(kube_testbed().admin_token_file, "token")));
  std::string path = dir.write("token", "wrong-token\n");
  RestConfig rc = config_with_token("");
  rc.bearer_token = Secret();
  rc.bearer_token_file = path;
  KubeClient c(rc);
  EXPECT_THROW(c.get(resources::kNamespaces, "", "default"), ApiError);
  write_file_atomic(path, admin + "\n");  // a rotated projected token
  EXPECT_EQ(meta_string(c.get(resources::kNamespaces, "", "default"), "name"), "default");
}

// A kubeconfig whose user runs a plugin script that logs each run and prints
// an ExecCredential holding the admin token.
struct ExecFixture {
  test::TempDir dir;
  std::string log;
  std::string kubeconfig;
  ExecFixture(const std::string& api_version, const std::string& expiry, const std::string& token) {
    log = dir.file("runs.log");
    std::string script = dir.write(
        "plugin.sh",
        "#!/bin/sh\n"
        "echo \"run $1 info=$KUBERNETES_EXEC_INFO extra=$EXTRA\" >>" +
            log +
            "\n"
            "printf "
            "'{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"" +
            (expiry.empty() ? std::string() : ",\"expirationTimestamp\":\"" + expiry + "\"") +
            "}}' '" + api_version + "' \"$(cat " + dir.file("token") + ")\"\n",
        0700);
    dir.write("token", token);
    kubeconfig = dir.write("config",
                           "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
                           "clusters:\n- name: c\n  cluster:\n    server: " +
                               kube_testbed().url +
                               "\n    certificate-authority: " + kube_testbed().ca_file +
                               "\n"
                               "users:\n- name: u\n  user:\n    exec:\n      apiVersion: " +
                               api_version +
                               "\n      command: ./plugin.sh\n      args: [first]\n"
                               "      env:\n      - name: EXTRA\n        value: yes-extra\n"
                               "contexts:\n- name: x\n  context: {cluster: c, user: u}\n");
  }
  int runs() const {
    std::ifstream in(log);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }
};

TEST(KubeAuth, ExecPluginTokenIsCachedUntilItsExpiry) {
  std::string admin(trim(read_file(kube_testbed().admin_token_file, "token")));
  ExecFixture fx("client.authentication.k8s.io/v1", "2099-01-01T00:00:00Z", admin);
  KubeClient c(resolve_context(load_kubeconfig_files({fx.kubeconfig}), ""));
  for (int i = 0; i < 3; ++i) c.get(resources::kNamespaces, "", "default");
  EXPECT_EQ(fx.runs(), 1);
  std::string log = read_file(fx.log, "log");
  EXPECT_NE(log.find("run first"), std::string::npos);
  EXPECT_NE(log.find("\"apiVersion\":\"client.authentication.k8s.io/v1\""), std::string::npos);
  EXPECT_NE(log.find("extra=yes-extra"), std::string::npos);
}

TEST(KubeAuth, ExpiredExecTokenRunsThePluginEachTime) {
  std::string admin(trim(read_file(kube_testbed().admin_token_file, "token")));
  ExecFixture fx("client.authentication.k8s.io/v1beta1", "2000-01-01T00:00:00Z", admin);
  KubeClient c(resolve_context(load_kubeconfig_files({fx.kubeconfig}), ""));
  c.get(resources::kNamespaces, "", "default");
  c.get(resources::kNamespaces, "", "default");
  EXPECT_EQ(fx.runs(), 2);
}

TEST(KubeAuth, A401MakesTheExecPluginRunAgainOnce) {
  std::string admin(trim(read_file(kube_testbed().admin_token_file, "token")));
  ExecFixture fx("client.authentication.k8s.io/v1", "", "stale-token");
  KubeClient c(resolve_context(load_kubeconfig_files({fx.kubeconfig}), ""));
  EXPECT_THROW(c.get(resources::kNamespaces, "", "default"), ApiError);
  EXPECT_EQ(fx.runs(), 2);  // first try, then once more after the 401: no loop
  fx.dir.write("token", admin);
  EXPECT_EQ(meta_string(c.get(resources::kNamespaces, "", "default"), "name"), "default");
  EXPECT_EQ(fx.runs(), 3);
}

TEST(KubeAuth, ExecPluginWithTheWrongApiVersionIsAClearError) {
  ExecFixture fx("client.authentication.k8s.io/v1", "", "t");
  // The plugin answers v1 while the kubeconfig asks for v1beta1.
  std::string cfg = read_file(fx.kubeconfig, "cfg");
  auto pos = cfg.find("apiVersion: client.authentication.k8s.io/v1\n");
  cfg.replace(pos, std::string("apiVersion: client.authentication.k8s.io/v1").size(),
              "apiVersion: client.authentication.k8s.io/v1beta1");
  write_file_atomic(fx.kubeconfig, cfg);
  KubeClient c(resolve_context(load_kubeconfig_files({fx.kubeconfig}), ""));
  try {
    c.get(resources::kNamespaces, "", "default");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(
        std::string(e.what()).find("expected ExecCredential client.authentication.k8s.io/v1beta1"),
        std::string::npos)
        << e.what();
  }
}

TEST(KubeAuth, ClientCertificateDataIsTheIdentity) {
  // kube-up.sh signs a client certificate for CN=cert-user with the API
  // server's client CA; from kubeconfig *-data fields it authenticates as
  // that user (who has no RBAC: the 403 names the user).
  const auto& tb = kube_testbed();
  test::TempDir dir;
  std::string cfg = dir.write(
      "config",
      "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: c\n  cluster:\n    "
      "server: " +
          tb.url +
          "\n    certificate-authority-data: " + base64_encode(read_file(tb.ca_file, "ca")) +
          "\nusers:\n- name: u\n  user:\n    client-certificate-data: " +
          base64_encode(read_file(tb.env.at("KUBE_CLIENT_CERT_FILE"), "cert")) +
          "\n    client-key-data: " +
          base64_encode(read_file(tb.env.at("KUBE_CLIENT_KEY_FILE"), "key")) +
          "\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n");
  KubeClient c(resolve_context(load_kubeconfig_files({cfg}), ""));
  try {
    c.get(resources::kNamespaces, "", "default");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 403);
    EXPECT_NE(std::string(e.what()).find("User \"cert-user\""), std::string::npos) << e.what();
  }
  // The same from file paths.
  std::string cfg2 = dir.write("config2",
                               "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- "
                               "name: c\n  cluster:\n    server: " +
                                   tb.url + "\n    certificate-authority: " + tb.ca_file +
                                   "\nusers:\n- name: u\n  user:\n    client-certificate: " +
                                   tb.env.at("KUBE_CLIENT_CERT_FILE") +
                                   "\n    client-key: " + tb.env.at("KUBE_CLIENT_KEY_FILE") +
                                   "\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n");
  KubeClient c2(resolve_context(load_kubeconfig_files({cfg2}), ""));
  try {
    c2.get(resources::kNamespaces, "", "default");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_NE(std::string(e.what()).find("User \"cert-user\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ecrhelm::kube
