// The real Helm 3 and Helm 4 (and oras) consume what ecrhelm writes, and
// ecrhelm reads what Helm publishes: `login --helm` then `helm pull`;
// credHelpers in Helm's registry config and in Docker's config (helm run as
// Argo CD's repo server runs it, with no password stored anywhere); charts made
// by `helm package` + `helm push` pulled by ecrhelm with the same bytes, and
// `show chart|values` printing what Helm prints. The registry is Debian's
// docker-registry with htpasswd (ECR's Basic challenge) holding moto's ECR
// password; ECRHELM_ECR_REGISTRIES names it as ECR.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "support/peers.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kUser = "AWS";
constexpr const char* kPassword = "123456789012-auth-token";  // moto's ECR password
constexpr const char* kSecretKey = "SECRETKEY-peers-leakcheck-9b1e";

// Every string that must never reach an output.
std::vector<std::string> secrets() {
  return {kPassword, kSecretKey, base64_encode(std::string(kUser) + ":" + kPassword)};
}

void expect_no_secret(const RunResult& r, const std::string& what) {
  for (const auto& s : secrets()) {
    EXPECT_EQ(r.out.find(s), std::string::npos) << what << " stdout leaks a secret";
    EXPECT_EQ(r.err.find(s), std::string::npos) << what << " stderr leaks a secret";
  }
}

// No file below `root` holds the password in any form.
void expect_no_password_on_disk(const std::string& root) {
  for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.file_size() > (8 << 20)) continue;
    std::string data = read_file(e.path().string(), "file", 8 << 20);
    for (const auto& s : secrets())
      EXPECT_EQ(data.find(s), std::string::npos) << e.path() << " holds the password";
  }
}

// `helm pull -d DIR` wants DIR to exist.
std::string out_dir(const std::string& dir) {
  make_dirs(dir);
  return dir;
}

std::string pulled_line(const RunResult& r) {
  std::string all = r.out + r.err;
  auto p = all.find("Pulled: ");
  if (p == std::string::npos) return "";
  return all.substr(p, all.find('\n', p) - p);
}

class HelmPeers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new MotoServer();
    registry_ = new RegistryServer(kUser, kPassword);
    work_ = new TempDir();
    // Charts made and pushed by Helm itself: `helm create` + `helm package` +
    // `helm push` (Helm's config blob, annotations and media types).
    std::string auth_cfg = work_->write(
        "push-auth.json",
        nlohmann::json{{"auths",
                        {{registry_->host(),
                          {{"auth", base64_encode(std::string(kUser) + ":" + kPassword)}}}}}}
            .dump());
    struct Made {
      const char* helm;
      const char* name;
      const char* version;
    };
    for (Made m : {Made{"helm3", "demo", "1.0.0"}, Made{"helm3", "demo", "1.1.0"},
                   Made{"helm4", "demo4", "0.2.0"}}) {
      std::string helm = peer_binary(m.helm);
      std::string dir = work_->file(std::string("make-") + m.name + "-" + m.version);
      make_dirs(dir);
      std::map<std::string, std::string> env = {{"HOME", work_->path()},
                                                {"HELM_REGISTRY_CONFIG", auth_cfg}};
      auto c = run_program({helm, "create", dir + "/" + m.name}, env);
      ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
      auto p = run_program({helm, "package", dir + "/" + m.name, "--version", m.version,
                            "--app-version", std::string("app-") + m.version, "-d", dir},
                           env);
      ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
      std::string tgz = dir + "/" + m.name + "-" + m.version + ".tgz";
      auto push = run_program(
          {helm, "push", tgz, "oci://" + registry_->host() + "/charts", "--plain-http"}, env);
      ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
      made_[std::string(m.name) + "-" + m.version] = read_file(tgz, "chart", 16 << 20);
    }
  }
  static void TearDownTestSuite() {
    delete work_;
    delete registry_;
    delete moto_;
    work_ = nullptr;
    registry_ = nullptr;
    moto_ = nullptr;
  }

  // ecrhelm's (and the helper's) environment: static keys against moto, the
  // local registry named as ECR, no token cache (nothing on disk).
  std::map<std::string, std::string> aws_env(const std::string& home) const {
    auto env = moto_->env(home);
    env["AWS_ACCESS_KEY_ID"] = "AKIDPEERS";
    env["AWS_SECRET_ACCESS_KEY"] = kSecretKey;
    env["ECRHELM_ECR_REGISTRIES"] = registry_->host();
    env["ECRHELM_NO_CACHE"] = "1";
    return env;
  }
  std::string ref(const std::string& chart = "demo") const {
    return "oci://" + registry_->host() + "/charts/" + chart;
  }

  static MotoServer* moto_;
  static RegistryServer* registry_;
  static TempDir* work_;
  static std::map<std::string, std::string> made_;
};
MotoServer* HelmPeers::moto_ = nullptr;
RegistryServer* HelmPeers::registry_ = nullptr;
TempDir* HelmPeers::work_ = nullptr;
std::map<std::string, std::string> HelmPeers::made_;

class HelmEach : public HelmPeers, public ::testing::WithParamInterface<const char*> {
 protected:
  std::string helm() const { return peer_binary(GetParam()); }
};

TEST_P(HelmEach, LoginHelmThenHelmPullGetsTheBytesEcrhelmPulls) {
  TempDir home;
  auto env = aws_env(home.path());
  env["HELM_REGISTRY_CONFIG"] = home.file("registry.json");
  auto login = run_ecrhelm({"login", "--helm", registry_->host()}, env);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  expect_no_secret(login, "ecrhelm login");
  struct stat st {};
  ASSERT_EQ(::stat(home.file("registry.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto h =
      run_program({helm(), "pull", ref(), "--version", "1.1.0", "--plain-http", "-d",
                   out_dir(home.file("helm"))},
                  {{"HOME", home.path()}, {"HELM_REGISTRY_CONFIG", home.file("registry.json")}});
  ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
  expect_no_secret(h, "helm pull");
  auto e = run_ecrhelm(
      {"pull", ref(), "--version", "1.1.0", "--plain-http", "-d", out_dir(home.file("ecrhelm"))},
      env);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  expect_no_secret(e, "ecrhelm pull");
  std::string theirs = read_file(home.file("helm/demo-1.1.0.tgz"), "helm's chart", 16 << 20);
  EXPECT_EQ(read_file(home.file("ecrhelm/demo-1.1.0.tgz"), "ecrhelm's chart", 16 << 20), theirs);
  EXPECT_EQ(theirs, made_["demo-1.1.0"]) << "the bytes helm package made";
  EXPECT_EQ(pulled_line(h), pulled_line(e));
}

TEST_P(HelmEach, CredHelpersInHelmsRegistryConfigNeedNoPassword) {
  TempDir home;
  HelperBin bin;
  auto env = aws_env(home.path());
  env["HELM_REGISTRY_CONFIG"] = home.file("registry.json");
  auto login = run_ecrhelm({"login", "--helm", "--use-credential-helper", registry_->host()}, env);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  auto cfg = nlohmann::json::parse(read_file(home.file("registry.json"), "cfg"));
  EXPECT_EQ(cfg["credHelpers"][registry_->host()], "ecrhelm");
  EXPECT_FALSE(cfg.contains("auths")) << cfg.dump();

  env["PATH"] = bin.path_env();
  auto h = run_program({helm(), "pull", ref(), "--version", "1.0.0", "--plain-http", "-d",
                        out_dir(home.file("out"))},
                       env);
  ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
  expect_no_secret(h, "helm pull");
  EXPECT_EQ(read_file(home.file("out/demo-1.0.0.tgz"), "chart", 16 << 20), made_["demo-1.0.0"]);
  expect_no_password_on_disk(home.path());

  // Control: the same config without the helper on PATH is refused.
  env.erase("PATH");
  auto denied = run_program({helm(), "pull", ref(), "--version", "1.0.0", "--plain-http", "-d",
                             out_dir(home.file("out2"))},
                            env);
  EXPECT_NE(denied.exit_code, 0) << denied.out << denied.err;
}

// Argo CD's repo server runs `helm pull` for a `type: helm` + enableOCI
// repository without username/password in fresh HELM_CONFIG_HOME /
// HELM_CACHE_HOME / HELM_DATA_HOME, inheriting DOCKER_CONFIG. Helm's registry
// client falls back from its (empty) registry config to the Docker config
// (oras-go credentials.NewStoreWithFallbacks), so credHelpers there is enough.
TEST_P(HelmEach, AsArgoCdRunsItHelmFallsBackToDockerConfigCredHelpers) {
  TempDir home, docker, helmtmp;
  HelperBin bin;
  auto env = aws_env(home.path());
  auto conf = run_ecrhelm(
      {"credential-helper", "configure", "--dir", docker.path(), registry_->host()}, env);
  ASSERT_EQ(conf.exit_code, 0) << conf.err;
  env["DOCKER_CONFIG"] = docker.path();
  env["PATH"] = bin.path_env();
  auto h = run_program({helm(), "pull", ref(), "--version", "1.1.0", "--plain-http", "-d",
                        out_dir(home.file("out"))},
                       repo_server_helm_env(helmtmp, env));
  ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
  expect_no_secret(h, "helm pull");
  EXPECT_EQ(read_file(home.file("out/demo-1.1.0.tgz"), "chart", 16 << 20), made_["demo-1.1.0"]);
  // No registry config was written by Helm or by us: the Docker config did it.
  EXPECT_FALSE(file_exists(helmtmp.file("helm-config/registry/config.json")));
  expect_no_password_on_disk(home.path());
  expect_no_password_on_disk(docker.path());
  expect_no_password_on_disk(helmtmp.path());

  // Control: without DOCKER_CONFIG the same run is refused by the registry.
  env.erase("DOCKER_CONFIG");
  TempDir helmtmp2;
  auto denied = run_program({helm(), "pull", ref(), "--version", "1.1.0", "--plain-http", "-d",
                             out_dir(home.file("out2"))},
                            repo_server_helm_env(helmtmp2, env));
  EXPECT_NE(denied.exit_code, 0) << denied.out << denied.err;
}

TEST_P(HelmEach, HelmPushedChartsAreShownAsHelmShowsThem) {
  TempDir home;
  auto env = aws_env(home.path());
  for (const std::string chart : {"demo", "demo4"}) {
    std::string version = chart == "demo" ? "1.0.0" : "0.2.0";
    for (const std::string what : {"chart", "values"}) {
      auto h = run_program(
          {helm(), "show", what, ref(chart), "--version", version, "--plain-http"},
          {{"HOME", home.path()}, {"HELM_REGISTRY_CONFIG", work_->file("push-auth.json")}});
      ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
      auto e = run_ecrhelm({"show", what, ref(chart), "--version", version, "--plain-http"}, env);
      ASSERT_EQ(e.exit_code, 0) << e.err;
      EXPECT_EQ(e.out, h.out) << "show " << what << " " << chart;
      expect_no_secret(e, "ecrhelm show");
    }
    auto e = run_ecrhelm(
        {"pull", ref(chart), "--version", version, "--plain-http", "-d", out_dir(home.file("e"))},
        env);
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(read_file(home.file("e/" + chart + "-" + version + ".tgz"), "chart", 16 << 20),
              made_[chart + "-" + version]);
  }
}

// The whole IRSA path of deploy/argocd/, as the repo server runs it: AWS
// credentials only from web identity (AWS_ROLE_ARN + the projected token
// file) against moto's STS; DOCKER_CONFIG and the helper binary written by
// `credential-helper configure --install-helper` (the init container's
// command); the token cache where the Deployment puts it; helm run in fresh
// HELM_* / XDG dirs with the version constraint Argo CD passes through.
TEST_P(HelmEach, IrsaPathOfDeployArgocdWithNoStoredPassword) {
  TempDir home, pod, helmtmp;
  std::string jwt = make_jwt("system:serviceaccount:argocd:argocd-repo-server");
  std::string token_file = pod.write("token", jwt);
  auto env = moto_->env(home.path());
  env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/argocd-repo-server-ecr";
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = token_file;
  env["ECRHELM_ECR_REGISTRIES"] = registry_->host();
  auto init = run_ecrhelm({"credential-helper", "configure", "--dir", pod.file("docker"),
                           "--install-helper", pod.file("bin"), registry_->host()},
                          env);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  env["DOCKER_CONFIG"] = pod.file("docker");
  env["ECRHELM_CACHE_DIR"] = pod.file("tmp/ecrhelm");
  const char* path = std::getenv("PATH");
  env["PATH"] = pod.file("bin") + ":" + (path ? path : "/usr/bin:/bin");
  auto h = run_program({helm(), "pull", ref(), "--version", ">=1.0.0 <2.0.0", "--plain-http", "-d",
                        out_dir(home.file("out"))},
                       repo_server_helm_env(helmtmp, env));
  ASSERT_EQ(h.exit_code, 0) << h.out << h.err;
  EXPECT_NE(pulled_line(h).find("/charts/demo:1.1.0"), std::string::npos) << h.out << h.err;
  EXPECT_EQ(read_file(home.file("out/demo-1.1.0.tgz"), "chart", 16 << 20), made_["demo-1.1.0"]);
  for (const auto& r : {init, h}) {
    expect_no_secret(r, "irsa path");
    EXPECT_EQ((r.out + r.err).find(jwt), std::string::npos) << "the web identity token leaks";
  }
  // Nothing holds the password. (moto's token expired in 2015, so the
  // helper's token cache under ECRHELM_CACHE_DIR keeps nothing here; with a
  // live token it is a 0600 file: aws_flow_test.)
  expect_no_password_on_disk(pod.path());
  expect_no_password_on_disk(helmtmp.path());
  expect_no_password_on_disk(home.path());
}

INSTANTIATE_TEST_SUITE_P(Helm, HelmEach, ::testing::Values("helm3", "helm4"),
                         [](const auto& p) { return std::string(p.param); });

// oras (v1.3.6) reads Docker's config and calls docker-credential-ecrhelm.
TEST_F(HelmPeers, OrasListsTagsAndFetchesTheChartThroughTheHelper) {
  std::string oras = peer_binary("oras");
  TempDir home, docker;
  HelperBin bin;
  auto env = aws_env(home.path());
  ASSERT_EQ(run_ecrhelm(
                {"credential-helper", "configure", "--dir", docker.path(), registry_->host()}, env)
                .exit_code,
            0);
  env["DOCKER_CONFIG"] = docker.path();
  env["PATH"] = bin.path_env();
  std::string repo = registry_->host() + "/charts/demo";
  auto tags = run_program({oras, "repo", "tags", repo, "--plain-http"}, env);
  ASSERT_EQ(tags.exit_code, 0) << tags.out << tags.err;
  EXPECT_TRUE(tags.out == "1.0.0\n1.1.0\n" || tags.out == "1.1.0\n1.0.0\n") << tags.out;
  expect_no_secret(tags, "oras repo tags");

  auto m = run_program({oras, "manifest", "fetch", repo + ":1.1.0", "--plain-http"}, env);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  auto manifest = nlohmann::json::parse(m.out);
  std::string layer = manifest["layers"][0]["digest"];
  EXPECT_EQ(manifest["layers"][0]["mediaType"],
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
  auto b = run_program(
      {oras, "blob", "fetch", "--plain-http", "-o", home.file("chart.tgz"), repo + "@" + layer},
      env);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(read_file(home.file("chart.tgz"), "chart", 16 << 20), made_["demo-1.1.0"]);
  auto pull =
      run_program({oras, "pull", "--plain-http", "-o", home.file("pulled"), repo + ":1.1.0"}, env);
  EXPECT_EQ(pull.exit_code, 0) << pull.out << pull.err;
  for (const auto& r : {m, b, pull}) expect_no_secret(r, "oras");
  expect_no_password_on_disk(home.path());

  env.erase("PATH");
  auto denied = run_program({oras, "repo", "tags", repo, "--plain-http"}, env);
  EXPECT_NE(denied.exit_code, 0) << "without the helper the registry refuses oras";
}

}  // namespace
}  // namespace ecrhelm::test
