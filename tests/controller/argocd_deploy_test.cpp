// deploy/argocd/: the kustomize component that gives upstream Argo CD's repo
// server ecrhelm as its Docker credential helper, rendered by the real
// `kubectl kustomize` over the parts of Argo CD v3.5.1's install.yaml it
// patches, checked field by field (Argo CD's own init container, env, mounts
// and volumes kept), applied with a server-side dry run to the kube test bed,
// and compared with deploy/argocd/values-irsa.yaml (the community chart's
// values), which must say the same thing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "support/crds.h"
#include "support/kube.h"
#include "support/testbed.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;

// The objects of Argo CD v3.5.1's manifests/install.yaml the component
// patches, abridged to the fields that matter here.
constexpr const char* kArgoCdBase = R"(apiVersion: v1
kind: ServiceAccount
metadata:
  name: argocd-repo-server
  labels:
    app.kubernetes.io/name: argocd-repo-server
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
  labels:
    app.kubernetes.io/name: argocd-repo-server
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-repo-server
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-repo-server
    spec:
      serviceAccountName: argocd-repo-server
      automountServiceAccountToken: false
      initContainers:
      - name: copyutil
        image: quay.io/argoproj/argocd:v3.5.1
        command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
        volumeMounts:
        - mountPath: /var/run/argocd
          name: var-files
      containers:
      - name: argocd-repo-server
        image: quay.io/argoproj/argocd:v3.5.1
        args: [/usr/local/bin/argocd-repo-server]
        env:
        - name: ARGOCD_REPO_SERVER_NAME
          value: argocd-repo-server
        - name: HELM_CACHE_HOME
          value: /helm-working-dir
        volumeMounts:
        - mountPath: /tmp
          name: tmp
        - mountPath: /helm-working-dir
          name: helm-working-dir
        - mountPath: /var/run/argocd
          name: var-files
      volumes:
      - name: tmp
        emptyDir: {}
      - name: helm-working-dir
        emptyDir: {}
      - name: var-files
        emptyDir: {}
)";

// Every mapping document, as the API server's YAML decoder reads them.
std::vector<json> load_all(const std::string& text) {
  std::vector<json> out;
  for (auto& doc : parse_manifests(text))
    if (doc.is_object()) out.push_back(std::move(doc));
  return out;
}

const json* find_named(const json& list, const std::string& name) {
  for (const auto& e : list)
    if (e.value("name", "") == name) return &e;
  return nullptr;
}

std::string env_value(const json& container, const std::string& name) {
  const json* e = find_named(container["env"], name);
  return e ? e->value("value", "") : "";
}

class ArgoCdDeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string deploy = std::string(ECRHELM_SOURCE_DIR) + "/deploy/argocd";
    dir_.write("base.yaml", kArgoCdBase);
    // kustomize takes components by relative path only.
    std::string rel = std::filesystem::relative(deploy, dir_.path()).string();
    dir_.write("kustomization.yaml", "resources:\n- base.yaml\ncomponents:\n- " + rel + "\n");
    auto r = run_program({"kubectl", "kustomize", dir_.path()}, {{"HOME", dir_.path()}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    rendered_ = r.out;
    for (auto& o : load_all(r.out)) objects_[o["kind"].get<std::string>()] = o;
    ASSERT_TRUE(objects_.count("Deployment")) << r.out;
    ASSERT_TRUE(objects_.count("ServiceAccount")) << r.out;
  }
  const json& pod() { return objects_["Deployment"]["spec"]["template"]["spec"]; }

  TempDir dir_;
  std::string rendered_;
  std::map<std::string, json> objects_;
};

TEST_F(ArgoCdDeployTest, KustomizeComponentWiresTheHelperIntoTheRepoServer) {
  const json& spec = pod();
  EXPECT_EQ(objects_["ServiceAccount"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
            "arn:aws:iam::123456789012:role/argocd-repo-server-ecr");
  EXPECT_EQ(objects_["ServiceAccount"]["metadata"]["labels"]["app.kubernetes.io/name"],
            "argocd-repo-server")
      << "Argo CD's own fields are kept";
  EXPECT_EQ(spec["automountServiceAccountToken"], true) << "IRSA needs the projected token";

  const json* copyutil = find_named(spec["initContainers"], "copyutil");
  const json* init = find_named(spec["initContainers"], "ecrhelm-credential-helper");
  ASSERT_NE(copyutil, nullptr) << "Argo CD's init container is kept";
  ASSERT_NE(init, nullptr);
  const json* repo = find_named(spec["containers"], "argocd-repo-server");
  ASSERT_NE(repo, nullptr);
  EXPECT_EQ(repo->value("image", ""), "quay.io/argoproj/argocd:v3.5.1");
  EXPECT_EQ(env_value(*repo, "ARGOCD_REPO_SERVER_NAME"), "argocd-repo-server");
  EXPECT_EQ(env_value(*repo, "HELM_CACHE_HOME"), "/helm-working-dir");

  // The init container's --dir is DOCKER_CONFIG, its --install-helper folder is
  // first on PATH, and both are the same emptyDirs in both containers.
  std::string dir, install;
  for (const auto& a : (*init)["args"]) {
    std::string s = a.get<std::string>();
    if (s.rfind("--dir=", 0) == 0) dir = s.substr(6);
    if (s.rfind("--install-helper=", 0) == 0) install = s.substr(17);
  }
  EXPECT_EQ((*init)["args"][0], "credential-helper");
  EXPECT_EQ((*init)["args"][1], "configure");
  EXPECT_EQ(env_value(*repo, "DOCKER_CONFIG"), dir);
  std::string path = env_value(*repo, "PATH");
  EXPECT_EQ(path.substr(0, path.find(':')), install);
  EXPECT_NE(path.find(":/usr/local/bin:"), std::string::npos) << "Argo CD's tools stay on PATH";
  EXPECT_NE(path.find(":/usr/bin:"), std::string::npos);
  auto mount_of = [](const json& c, const std::string& where) -> std::string {
    for (const auto& m : c["volumeMounts"])
      if (m["mountPath"] == where) return m["name"];
    return "";
  };
  for (const std::string& where : {dir, install}) {
    std::string vol = mount_of(*init, where);
    ASSERT_FALSE(vol.empty()) << where;
    EXPECT_EQ(mount_of(*repo, where), vol) << where;
    const json* v = find_named(spec["volumes"], vol);
    ASSERT_NE(v, nullptr) << vol;
    EXPECT_TRUE(v->contains("emptyDir")) << v->dump();
  }
  EXPECT_EQ(mount_of(*repo, "/tmp"), "tmp") << "Argo CD's mounts are kept";
  EXPECT_NE(find_named(spec["volumes"], "helm-working-dir"), nullptr);
  EXPECT_EQ(env_value(*repo, "ECRHELM_CACHE_DIR").rfind("/tmp/", 0), 0u)
      << "the token cache lives on the repo server's /tmp emptyDir";
}

TEST_F(ArgoCdDeployTest, RenderedDeploymentIsAcceptedByTheApiServer) {
  const auto& tb = kube_testbed();
  ScopedNamespace ns("argocd-deploy");
  std::string file = dir_.write("rendered.yaml", rendered_);
  auto r = run_program({"kubectl", "--kubeconfig", tb.kubeconfig, "-n", ns.name(), "apply",
                        "--dry-run=server", "-f", file},
                       {{"HOME", dir_.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("deployment.apps/argocd-repo-server created (server dry run)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("serviceaccount/argocd-repo-server created (server dry run)"),
            std::string::npos)
      << r.out;
}

TEST_F(ArgoCdDeployTest, HelmChartValuesSayWhatThePatchSays) {
  auto values = load_all(
      read_file(std::string(ECRHELM_SOURCE_DIR) + "/deploy/argocd/values-irsa.yaml", "values"));
  ASSERT_EQ(values.size(), 1u);
  const json& rs = values[0]["repoServer"];
  const json& spec = pod();
  const json* repo = find_named(spec["containers"], "argocd-repo-server");
  ASSERT_NE(repo, nullptr);
  EXPECT_EQ(rs["serviceAccount"]["annotations"],
            objects_["ServiceAccount"]["metadata"]["annotations"]);
  EXPECT_EQ(rs["serviceAccount"]["name"], "argocd-repo-server");
  ASSERT_EQ(rs["initContainers"].size(), 1u);
  EXPECT_EQ(rs["initContainers"][0],
            *find_named(spec["initContainers"], "ecrhelm-credential-helper"));
  for (const auto& e : rs["env"]) EXPECT_EQ(e.value("value", ""), env_value(*repo, e["name"]));
  EXPECT_EQ(rs["env"].size(), 3u);
  for (const auto& m : rs["volumeMounts"]) {
    bool found = false;
    for (const auto& rm : (*repo)["volumeMounts"]) found = found || rm == m;
    EXPECT_TRUE(found) << m.dump();
  }
  for (const auto& v : rs["volumes"]) {
    const json* pv = find_named(spec["volumes"], v["name"]);
    ASSERT_NE(pv, nullptr) << v.dump();
    EXPECT_EQ(*pv, v);
  }
}

}  // namespace
}  // namespace ecrhelm::test
