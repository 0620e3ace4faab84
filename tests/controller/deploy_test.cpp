// deploy/ on the real kube-apiserver: every manifest is accepted as written
// (namespaced objects moved into a per-test namespace, cluster-scoped ones
// renamed and deleted afterwards), the RBAC grants the controller exactly
// what it needs (SubjectAccessReview), the CRDs serve ESO's names and
// columns, and the seed's generator.yaml and external-secret.yaml, with only
// their placeholders filled in, are stored and read back through v1 and
// v1beta1.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "http/client.h"
#include "kube/resource.h"
#include "support/crds.h"
#include "support/kube.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;

constexpr const char* kManifestNamespace = "ecrhelm-system";
constexpr const char* kServiceAccount = "ecrhelm";

const kube::ResourceType kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles",
                                       "ClusterRole", false};
const kube::ResourceType kClusterRoleBindings{"rbac.authorization.k8s.io", "v1",
                                              "clusterrolebindings", "ClusterRoleBinding", false};
const kube::ResourceType kRoles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
const kube::ResourceType kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings",
                                       "RoleBinding", true};
const kube::ResourceType kSubjectAccessReviews{"authorization.k8s.io", "v1", "subjectaccessreviews",
                                               "SubjectAccessReview", false};
const kube::ResourceType kExternalSecretsV1{"external-secrets.io", "v1", "externalsecrets",
                                            "ExternalSecret", true};
const kube::ResourceType kExternalSecretsV1beta1{"external-secrets.io", "v1beta1",
                                                 "externalsecrets", "ExternalSecret", true};
const kube::ResourceType kEcrAuthorizationTokens{"generators.external-secrets.io", "v1alpha1",
                                                 "ecrauthorizationtokens", "ECRAuthorizationToken",
                                                 true};

// Every kind deploy/ may hold, in the order `kubectl apply` would need them.
struct KindInfo {
  const kube::ResourceType* type;
  int order;
};
const std::map<std::string, KindInfo>& known_kinds() {
  static const std::map<std::string, KindInfo> kinds = {
      {"CustomResourceDefinition", {&kube::resources::kCustomResourceDefinitions, 0}},
      {"Namespace", {&kube::resources::kNamespaces, 1}},
      {"ServiceAccount", {&kube::resources::kServiceAccounts, 2}},
      {"ClusterRole", {&kClusterRoles, 3}},
      {"Role", {&kRoles, 3}},
      {"ClusterRoleBinding", {&kClusterRoleBindings, 4}},
      {"RoleBinding", {&kRoleBindings, 4}},
      {"Deployment", {&kube::resources::kDeployments, 5}},
  };
  return kinds;
}

struct Manifest {
  std::string file;
  json object;
};

std::vector<Manifest> deploy_manifests() {
  std::vector<std::string> files;
  const std::string root = std::string(ECRHELM_SOURCE_DIR) + "/deploy";
  for (auto it = std::filesystem::recursive_directory_iterator(root);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    const auto& e = *it;
    // deploy/argocd/ patches Argo CD's own install (a kustomize component and
    // chart values, not objects to apply): tests/peers/argocd_deploy_test.cpp.
    if (e.is_directory() && e.path() == root + "/argocd") {
      it.disable_recursion_pending();
      continue;
    }
    if (e.is_regular_file() &&
        (e.path().extension() == ".yaml" || e.path().extension() == ".yml")) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Manifest> out;
  for (const auto& f : files) {
    for (auto& obj : load_manifests(f)) out.push_back({f, std::move(obj)});
  }
  return out;
}

// The seed's two files, indentation as the seed's reader types them, placeholders left in.
constexpr const char* kSeedGeneratorYaml = R"(apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata:
  name: ecr-gen
spec:
  region: <REGION>
  auth:
    secretRef:
      accessKeyIDSecretRef:
        name: "awssm-secret"
        key: "access-key"
      secretAccessKeySecretRef:
        name: "awssm-secret"
        key: "secret-access-key"
)";

constexpr const char* kSeedExternalSecretYaml = R"(apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: REPO_SECRET_NAME
spec:
  refreshInterval: "12h"
  target:
    name: REPO_SECRET_NAME
    creationPolicy: Merge
    template:
      data:
        password: TEMPLATE_EXPRESSION
  dataFrom:
  - sourceRef:
      generatorRef:
        apiVersion: generators.external-secrets.io/v1alpha1
        kind: ECRAuthorizationToken
        name: "ecr-gen"
)";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

// A GET with a custom Accept header (tables, discovery), which KubeClient does not expose.
json raw_get(const std::string& path, const std::string& accept = "application/json") {
  const auto& tb = kube_testbed();
  http::TlsOptions tls;
  tls.ca_file = tb.ca_file;
  http::CurlHttpClient client(tls);
  http::Request req;
  req.url = tb.url + path;
  req.headers.set("Accept", accept);
  req.headers.set("Authorization",
                  "Bearer " + std::string(trim(read_file(tb.admin_token_file, "admin token"))));
  auto resp = client.send(req);
  if (resp.status != 200)
    fail(ErrorKind::kRemote, "GET {}: HTTP {}: {}", path, resp.status, resp.body);
  return json::parse(resp.body);
}

// Cluster-scoped objects this test created, deleted whatever happens.
class ClusterObjects {
 public:
  ~ClusterObjects() {
    auto client = admin_client();
    for (const auto& [rt, name] : created_) {
      try {
        client->remove(*rt, "", name);
      } catch (const std::exception&) {  // best effort: the test bed is thrown away anyway
      }
    }
  }
  void add(const kube::ResourceType* rt, const std::string& name) {
    created_.emplace_back(rt, name);
  }

 private:
  std::vector<std::pair<const kube::ResourceType*, std::string>> created_;
};

class DeployTest : public ::testing::Test {
 protected:
  DeployTest() : ns_("deploy"), client_(admin_client()) {}
  const std::string& ns() const { return ns_.name(); }
  std::string suffixed(const std::string& name) const { return name + "-" + ns(); }

  // Applies deploy/ with namespaced objects in ns() and cluster-scoped ones renamed.
  void apply_deploy_dir() {
    auto manifests = deploy_manifests();
    ASSERT_FALSE(manifests.empty());
    for (const auto& m : manifests) {
      const std::string kind = m.object.value("kind", "");
      ASSERT_TRUE(known_kinds().count(kind))
          << m.file << ": kind \"" << kind << "\" is not known to this test: add it";
    }
    std::stable_sort(manifests.begin(), manifests.end(), [](const Manifest& a, const Manifest& b) {
      return known_kinds().at(a.object["kind"]).order < known_kinds().at(b.object["kind"]).order;
    });
    for (auto m : manifests) {
      json& obj = m.object;
      const std::string kind = obj["kind"];
      const kube::ResourceType& rt = *known_kinds().at(kind).type;
      SCOPED_TRACE(m.file + ": " + kind + " " + obj["metadata"].value("name", ""));
      if (kind == "CustomResourceDefinition") {
        try {
          client_->create(rt, "", obj);
        } catch (const kube::ApiError& e) {
          if (!kube::is_already_exists(e)) throw;  // installed by another test: fine
        }
        crds_.push_back(obj);
        continue;
      }
      if (kind == "Namespace") {
        EXPECT_EQ(obj["metadata"]["name"], kManifestNamespace);
        continue;  // the per-test namespace stands in for it
      }
      if (rt.namespaced) {
        EXPECT_EQ(obj["metadata"].value("namespace", ""), kManifestNamespace)
            << "every namespaced object says where it goes";
        obj["metadata"]["namespace"] = ns();
      } else {
        obj["metadata"]["name"] = suffixed(obj["metadata"]["name"]);
      }
      if (obj.contains("subjects")) {
        for (auto& s : obj["subjects"]) {
          if (s.contains("namespace")) s["namespace"] = ns();
        }
      }
      if (obj.contains("roleRef") && obj["roleRef"]["kind"] == "ClusterRole") {
        obj["roleRef"]["name"] = suffixed(obj["roleRef"]["name"]);
      }
      json created = client_->create(rt, rt.namespaced ? ns() : "", obj);
      if (!rt.namespaced) cluster_.add(&rt, created["metadata"]["name"]);
      applied_[kind].push_back(created);
    }
  }

  // Would the controller's service account be allowed this?
  bool allowed(const std::string& verb, const std::string& group, const std::string& resource,
               const std::string& where, const std::string& subresource = "") {
    json attrs = {{"verb", verb}, {"group", group}, {"resource", resource}};
    if (!where.empty()) attrs["namespace"] = where;
    if (!subresource.empty()) attrs["subresource"] = subresource;
    json sar = {
        {"apiVersion", "authorization.k8s.io/v1"},
        {"kind", "SubjectAccessReview"},
        {"spec",
         {{"user", "system:serviceaccount:" + ns() + ":" + kServiceAccount},
          {"groups",
           {"system:serviceaccounts", "system:serviceaccounts:" + ns(), "system:authenticated"}},
          {"resourceAttributes", attrs}}}};
    json out = client_->create(kSubjectAccessReviews, "", sar);
    return out["status"].value("allowed", false);
  }

  ScopedNamespace ns_;
  std::unique_ptr<kube::KubeClient> client_;
  ClusterObjects cluster_;
  std::vector<json> crds_;
  std::map<std::string, std::vector<json>> applied_;
};

TEST_F(DeployTest, EveryManifestIsAcceptedAndTheDeploymentIsHardened) {
  ASSERT_NO_FATAL_FAILURE(apply_deploy_dir());
  ASSERT_EQ(crds_.size(), 3u);
  ASSERT_EQ(applied_["ServiceAccount"].size(), 1u);
  ASSERT_EQ(applied_["Deployment"].size(), 1u);
  EXPECT_EQ(applied_["ClusterRole"].size(), 1u);
  EXPECT_EQ(applied_["ClusterRoleBinding"].size(), 1u);
  EXPECT_EQ(applied_["Role"].size(), 1u);
  EXPECT_EQ(applied_["RoleBinding"].size(), 1u);

  const json& sa = applied_["ServiceAccount"][0];
  EXPECT_EQ(sa["metadata"]["name"], kServiceAccount);
  EXPECT_EQ(sa["metadata"]["annotations"].value("eks.amazonaws.com/role-arn", ""),
            "arn:aws:iam::ACCOUNT_ID:role/ecrhelm");

  // Read back from the server: what it stored, with its defaults.
  json d = client_->get(kube::resources::kDeployments, ns(), "ecrhelm-controller");
  const json& pod = d["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"], kServiceAccount);
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  ASSERT_EQ(pod["containers"].size(), 1u);
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["args"], json({"controller", "--leader-elect", "--metrics-bind-address=:8080",
                             "--health-probe-bind-address=:8081"}));
  const json& sc = c["securityContext"];
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(sc["runAsNonRoot"], true);
  EXPECT_EQ(sc["capabilities"]["drop"], json({"ALL"}));
  EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_EQ(c["resources"]["requests"]["cpu"], "10m");
  EXPECT_EQ(c["resources"]["requests"]["memory"], "32Mi");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "64Mi");

  // The probes hit the health port, which is the one --health-probe-bind-address names.
  std::map<std::string, int> ports;
  for (const auto& p : c["ports"]) ports[p["name"]] = p["containerPort"];
  EXPECT_EQ(ports["health"], 8081);
  EXPECT_EQ(ports["metrics"], 8080);
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"], "health");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"], "health");
}

TEST_F(DeployTest, TheRbacGrantsWhatTheControllerNeedsAndNothingMore) {
  ASSERT_NO_FATAL_FAILURE(apply_deploy_dir());
  const std::string elsewhere = "argocd";  // any other namespace: the ClusterRole covers all
  const std::string eso = "external-secrets.io";
  const std::string gen = "generators.external-secrets.io";
  for (const char* verb : {"get", "list", "watch"}) {
    EXPECT_TRUE(allowed(verb, eso, "externalsecrets", elsewhere)) << verb;
    EXPECT_TRUE(allowed(verb, gen, "ecrauthorizationtokens", elsewhere)) << verb;
    EXPECT_TRUE(allowed(verb, gen, "clustergenerators", "")) << verb;
    EXPECT_TRUE(allowed(verb, "", "secrets", elsewhere)) << verb;
  }
  for (const char* verb : {"create", "update", "patch"}) {
    EXPECT_TRUE(allowed(verb, "", "secrets", elsewhere)) << verb;
  }
  EXPECT_TRUE(allowed("update", eso, "externalsecrets", elsewhere, "status"));
  EXPECT_TRUE(allowed("patch", eso, "externalsecrets", elsewhere, "status"));
  EXPECT_TRUE(allowed("create", "", "events", elsewhere));
  EXPECT_TRUE(allowed("get", "", "serviceaccounts", elsewhere));
  EXPECT_TRUE(allowed("create", "", "serviceaccounts", elsewhere, "token"));
  // --argocd-refresh: read Applications and annotate them, nothing else.
  for (const char* verb : {"get", "list", "patch"})
    EXPECT_TRUE(allowed(verb, "argoproj.io", "applications", elsewhere)) << verb;
  EXPECT_FALSE(allowed("update", "argoproj.io", "applications", elsewhere));
  EXPECT_FALSE(allowed("delete", "argoproj.io", "applications", elsewhere));
  EXPECT_FALSE(allowed("create", "argoproj.io", "applications", elsewhere));
  EXPECT_FALSE(allowed("get", "argoproj.io", "appprojects", elsewhere));
  for (const char* verb : {"get", "create", "update"}) {
    EXPECT_TRUE(allowed(verb, "coordination.k8s.io", "leases", ns())) << verb;
  }

  // Least privilege: no spec writes, no deletes, no leases elsewhere, nothing else.
  EXPECT_FALSE(allowed("update", eso, "externalsecrets", elsewhere));
  EXPECT_FALSE(allowed("patch", eso, "externalsecrets", elsewhere));
  EXPECT_FALSE(allowed("delete", eso, "externalsecrets", elsewhere));
  EXPECT_FALSE(allowed("create", gen, "ecrauthorizationtokens", elsewhere));
  EXPECT_FALSE(allowed("delete", "", "secrets", elsewhere));
  EXPECT_FALSE(allowed("deletecollection", "", "secrets", elsewhere));
  EXPECT_FALSE(allowed("create", "", "serviceaccounts", elsewhere));
  EXPECT_FALSE(allowed("update", "coordination.k8s.io", "leases", elsewhere));
  EXPECT_FALSE(allowed("delete", "coordination.k8s.io", "leases", ns()));
  EXPECT_FALSE(allowed("list", "", "configmaps", elsewhere));
  EXPECT_FALSE(allowed("create", "", "pods", elsewhere));
  EXPECT_FALSE(allowed("escalate", "rbac.authorization.k8s.io", "clusterroles", ""));
}

TEST_F(DeployTest, TheCrdsServeEsosNamesVersionsAndColumns) {
  install_crds();
  auto crd = client_->get(kube::resources::kCustomResourceDefinitions, "",
                          "externalsecrets.external-secrets.io");
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], json({"es"}));
  std::map<std::string, json> versions;
  for (const auto& v : crd["spec"]["versions"]) versions[v["name"]] = v;
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions["v1"]["served"], true);
  EXPECT_EQ(versions["v1"]["storage"], true);
  EXPECT_EQ(versions["v1beta1"]["served"], true);
  EXPECT_EQ(versions["v1beta1"]["storage"], false);
  for (const auto& [name, v] : versions) {
    EXPECT_TRUE(v["subresources"].contains("status")) << name;
  }

  // Discovery, as kubectl sees it: the short name, and the status subresource.
  json discovery = raw_get("/apis/external-secrets.io/v1");
  bool es = false;
  bool status = false;
  for (const auto& r : discovery["resources"]) {
    if (r["name"] == "externalsecrets") es = r.value("shortNames", json::array()) == json({"es"});
    if (r["name"] == "externalsecrets/status") status = true;
  }
  EXPECT_TRUE(es);
  EXPECT_TRUE(status);

  for (const char* name : {"ecrauthorizationtokens.generators.external-secrets.io",
                           "clustergenerators.generators.external-secrets.io"}) {
    auto g = client_->get(kube::resources::kCustomResourceDefinitions, "", name);
    ASSERT_EQ(g["spec"]["versions"].size(), 1u) << name;
    EXPECT_EQ(g["spec"]["versions"][0]["name"], "v1alpha1") << name;
  }
  EXPECT_EQ(client_->get(kube::resources::kCustomResourceDefinitions, "",
                         "clustergenerators.generators.external-secrets.io")["spec"]["scope"],
            "Cluster");
}

TEST_F(DeployTest, TheSeedsManifestsAreStoredAndServedThroughV1AndV1beta1) {
  install_crds();
  const std::string repo_secret = "repo-2529854065";  // the seed's example name
  auto generator = parse_manifests(replace_all(kSeedGeneratorYaml, "<REGION>", "us-west-1"));
  auto external_secret = parse_manifests(
      replace_all(replace_all(kSeedExternalSecretYaml, "REPO_SECRET_NAME", repo_secret),
                  "TEMPLATE_EXPRESSION", "\"{{ .password }}\""));
  ASSERT_EQ(generator.size(), 1u);
  ASSERT_EQ(external_secret.size(), 1u);

  client_->create(kEcrAuthorizationTokens, ns(), generator[0]);
  client_->create(kExternalSecretsV1beta1, ns(), external_secret[0]);

  json gen = client_->get(kEcrAuthorizationTokens, ns(), "ecr-gen");
  EXPECT_EQ(gen["spec"]["region"], "us-west-1");
  EXPECT_EQ(gen["spec"]["auth"]["secretRef"]["secretAccessKeySecretRef"]["key"],
            "secret-access-key");

  json beta = client_->get(kExternalSecretsV1beta1, ns(), repo_secret);
  json v1 = client_->get(kExternalSecretsV1, ns(), repo_secret);
  EXPECT_EQ(beta["apiVersion"], "external-secrets.io/v1beta1");
  EXPECT_EQ(v1["apiVersion"], "external-secrets.io/v1");
  EXPECT_EQ(v1["spec"], beta["spec"]);
  EXPECT_EQ(v1["spec"], external_secret[0]["spec"]);  // nothing dropped or defaulted
  EXPECT_EQ(v1["spec"]["target"]["template"]["data"]["password"], "{{ .password }}");
  EXPECT_EQ(v1["spec"]["refreshInterval"], "12h");
  EXPECT_EQ(v1["spec"]["dataFrom"][0]["sourceRef"]["generatorRef"]["name"], "ecr-gen");

  // Status goes through the subresource only (as ESO writes it).
  json with_status = v1;
  with_status["status"] = {{"conditions", json::array({{{"type", "Ready"},
                                                        {"status", "True"},
                                                        {"reason", "SecretSynced"},
                                                        {"message", "secret synced"}}})}};
  client_->update(kExternalSecretsV1, ns(), with_status, "status");

  // `kubectl get es`: ESO's columns, filled from the stored object.
  json table = raw_get("/apis/external-secrets.io/v1beta1/namespaces/" + ns() + "/externalsecrets",
                       "application/json;as=Table;v=v1;g=meta.k8s.io");
  std::vector<std::string> columns;
  for (const auto& c : table["columnDefinitions"]) columns.push_back(c["name"]);
  EXPECT_EQ(columns, (std::vector<std::string>{"Name", "StoreType", "Store", "Refresh Interval",
                                               "Status", "Ready"}));
  ASSERT_EQ(table["rows"].size(), 1u);
  const json& cells = table["rows"][0]["cells"];
  ASSERT_EQ(cells.size(), columns.size());
  EXPECT_EQ(cells[0], repo_secret);
  EXPECT_EQ(cells[3], "12h");
  EXPECT_EQ(cells[4], "SecretSynced");
  EXPECT_EQ(cells[5], "True");
}

TEST(Manifests, PlainScalarsAreTypedQuotedOnesStayStrings) {
  auto docs = parse_manifests(
      "a: 1\nb: \"1\"\nc: true\nd: 'true'\ne: 2.5\nf: ~\ng: 10m\nh: -3\ni: |\n  text\n---\n---\n"
      "x: [1, \"y\"]\n");
  ASSERT_EQ(docs.size(), 2u);  // the empty document is skipped
  EXPECT_EQ(docs[0]["a"], 1);
  EXPECT_EQ(docs[0]["b"], "1");
  EXPECT_EQ(docs[0]["c"], true);
  EXPECT_EQ(docs[0]["d"], "true");
  EXPECT_EQ(docs[0]["e"], 2.5);
  EXPECT_TRUE(docs[0]["f"].is_null());
  EXPECT_EQ(docs[0]["g"], "10m");
  EXPECT_EQ(docs[0]["h"], -3);
  EXPECT_EQ(docs[0]["i"], "text\n");
  EXPECT_EQ(docs[1]["x"], json({1, "y"}));
  EXPECT_THROW(parse_manifests("a: [1, 2"), Error);
}

}  // namespace
}  // namespace ecrhelm::test
