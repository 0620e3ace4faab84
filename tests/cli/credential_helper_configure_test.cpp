// `ecrhelm credential-helper configure --dir D HOST...`: the Docker config an
// init container writes for Argo CD's repo server (credHelpers only, atomic,
// 0600, other keys kept), `--install-helper` copying the binary, and one-line
// errors naming the bad input.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "support/testbed.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kHostA = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
constexpr const char* kHostB = "210987654321.dkr.ecr.eu-central-1.amazonaws.com";

int mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}

class ConfigureTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> env() const {
    return {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  }
  TempDir home_;
};

TEST_F(ConfigureTest, WritesCredHelpersForEachHostKeepingOtherKeys) {
  std::string dir = home_.file("docker");
  home_.write("docker/config.json",
              R"({"auths":{"quay.io":{"auth":"eDp5"}},"credHelpers":{"gcr.io":"gcloud"},"x":1})");
  auto r = run_ecrhelm({"credential-helper", "configure", "--dir", dir, kHostA, kHostB}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(dir + "/config.json"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(read_file(dir + "/config.json", "cfg"));
  EXPECT_EQ(j["credHelpers"][kHostA], "ecrhelm");
  EXPECT_EQ(j["credHelpers"][kHostB], "ecrhelm");
  EXPECT_EQ(j["credHelpers"]["gcr.io"], "gcloud");
  EXPECT_EQ(j["auths"]["quay.io"]["auth"], "eDp5");
  EXPECT_EQ(j["x"], 1);
  EXPECT_EQ(mode_of(dir + "/config.json"), 0600);
  // Idempotent: a second run changes nothing.
  std::string before = read_file(dir + "/config.json", "cfg");
  ASSERT_EQ(run_ecrhelm({"credential-helper", "configure", "--dir", dir, kHostA}, env()).exit_code,
            0);
  EXPECT_EQ(read_file(dir + "/config.json", "cfg"), before);
}

TEST_F(ConfigureTest, CreatesTheFolderAndInstallsTheHelper) {
  std::string dir = home_.file("new/docker"), bin = home_.file("bin");
  auto r = run_ecrhelm(
      {"credential-helper", "configure", "--dir", dir, "--install-helper", bin, kHostA}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(dir + "/config.json"), 0600);
  std::string helper = bin + "/docker-credential-ecrhelm";
  EXPECT_EQ(mode_of(helper), 0755);
  EXPECT_EQ(read_file(helper, "helper", size_t(512) << 20),
            read_file(ECRHELM_BINARY, "binary", size_t(512) << 20));
  // The copy speaks the protocol: a non-ECR host is "not found" (exit 1).
  auto g = run_program({helper, "get"}, env(), "quay.io\n");
  EXPECT_EQ(g.exit_code, 1);
  EXPECT_EQ(g.out, "credentials not found in native keychain\n");
}

TEST_F(ConfigureTest, AliasHostsFromEcrhelmEcrRegistriesAreAccepted) {
  auto e = env();
  e["ECRHELM_ECR_REGISTRIES"] = "127.0.0.1:5000";
  e["AWS_REGION"] = "us-east-1";
  auto r = run_ecrhelm(
      {"credential-helper", "configure", "--dir", home_.file("d"), "127.0.0.1:5000"}, e);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_file(home_.file("d/config.json"), "cfg"));
  EXPECT_EQ(j["credHelpers"]["127.0.0.1:5000"], "ecrhelm");
}

TEST_F(ConfigureTest, BadInputIsOneLineNamingItAndNothingIsWritten) {
  struct Bad {
    std::vector<std::string> args;
    std::string names;
  };
  std::string dir = home_.file("docker");
  for (const Bad& b : std::vector<Bad>{
           {{"--dir", dir, "quay.io"}, "'quay.io' is not an Amazon ECR host"},
           {{"--dir", dir, kHostA, "ghcr.io"}, "'ghcr.io' is not an Amazon ECR host"},
           {{"--dir", dir, std::string("oci://") + kHostA}, "is not a bare host"},
           {{"--dir", dir, std::string(kHostA) + "/charts"}, "is not a bare host"},
           {{"--dir", dir}, "needs at least one registry host"},
           {{kHostA}, "needs --dir"},
       }) {
    std::vector<std::string> args = {"credential-helper", "configure"};
    args.insert(args.end(), b.args.begin(), b.args.end());
    auto r = run_ecrhelm(args, env());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(b.names), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(file_exists(dir + "/config.json")) << "nothing written for a bad host";
  }
  // A config that is not JSON is reported and left as it is.
  std::string cfg = home_.write("docker/config.json", "{not json");
  auto r = run_ecrhelm({"credential-helper", "configure", "--dir", dir, kHostA}, env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(cfg), std::string::npos) << r.err;
  EXPECT_EQ(read_file(cfg, "cfg"), "{not json");
  // Protocol actions take no hosts.
  auto p = run_ecrhelm({"credential-helper", "get", kHostA}, env(), "");
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.err.find("takes no hosts"), std::string::npos) << p.err;
}

TEST_F(ConfigureTest, LoginUseCredentialHelperWritesHelmsRegistryConfig) {
  auto e = env();
  e["HELM_REGISTRY_CONFIG"] = home_.file("helm/registry.json");
  e["DOCKER_CONFIG"] = home_.file("docker");
  auto r = run_ecrhelm({"login", "--use-credential-helper", kHostA}, e);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Login Succeeded\n");
  auto j = nlohmann::json::parse(read_file(home_.file("helm/registry.json"), "cfg"));
  EXPECT_EQ(j["credHelpers"][kHostA], "ecrhelm");
  EXPECT_FALSE(j.contains("auths"));
  EXPECT_EQ(mode_of(home_.file("helm/registry.json")), 0600);
  EXPECT_FALSE(file_exists(home_.file("docker/config.json"))) << "--helm is the default alone";
  auto both = run_ecrhelm({"login", "--helm", "--docker", "--use-credential-helper", kHostB}, e);
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(nlohmann::json::parse(
                read_file(home_.file("docker/config.json"), "c"))["credHelpers"][kHostB],
            "ecrhelm");
  auto j2 = nlohmann::json::parse(read_file(home_.file("helm/registry.json"), "cfg"));
  EXPECT_EQ(j2["credHelpers"][kHostA], "ecrhelm");
  EXPECT_EQ(j2["credHelpers"][kHostB], "ecrhelm");
  auto bad = run_ecrhelm({"login", "--helm", "--use-credential-helper", "quay.io"}, e);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'quay.io' is not an Amazon ECR host"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace ecrhelm::test
