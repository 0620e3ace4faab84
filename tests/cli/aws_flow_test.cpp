// End-to-end: the ecrhelm binary against moto_server (the AWS peer), as a
// user runs it. Covers whoami (static keys, web identity), token, login,
// the credential helper, IAM-checked least privilege, and secret hygiene.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <httplib.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "support/testbed.h"
#include "util/encoding.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kRegistry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
constexpr const char* kMotoPassword = "123456789012-auth-token";  // moto's fixed ECR token
constexpr const char* kSecretKey = "SECRETKEY-leakcheck-7f3a9c";
constexpr const char* kSessionToken = "SESSIONTOKEN-leakcheck-41d2";

class AwsFlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  // An environment isolated from the machine: own HOME, no IMDS, moto endpoints.
  std::map<std::string, std::string> base_env() const {
    return {{"HOME", home_.path()},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_ENDPOINT_URL", moto_->url()},
            {"AWS_REGION", "us-east-1"},
            {"ECRHELM_CACHE_DIR", home_.file("cache")}};
  }
  std::map<std::string, std::string> key_env() const {
    auto env = base_env();
    env["AWS_ACCESS_KEY_ID"] = "AKIDLEAKCHECK";
    env["AWS_SECRET_ACCESS_KEY"] = kSecretKey;
    env["AWS_SESSION_TOKEN"] = kSessionToken;
    return env;
  }

  static MotoServer* moto_;
  TempDir home_;
};
MotoServer* AwsFlowTest::moto_ = nullptr;

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

int file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return int(st.st_mode & 0777);
}

TEST_F(AwsFlowTest, WhoamiWithStaticKeysNamesTheEnvironmentSource) {
  auto r = run_ecrhelm({"whoami"}, key_env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Account:    123456789012"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Source:     environment"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Expiration: none"), std::string::npos) << r.out;
}

TEST_F(AwsFlowTest, WhoamiJsonHasTheCallerIdentityKeys) {
  auto r = run_ecrhelm({"whoami", "-o", "json"}, key_env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["Account"], "123456789012");
  EXPECT_TRUE(j["Arn"].get<std::string>().starts_with("arn:aws:"));
  EXPECT_FALSE(j["UserId"].get<std::string>().empty());
  EXPECT_EQ(j["Source"], "environment");
}

TEST_F(AwsFlowTest, WhoamiThroughWebIdentityAssumesTheRole) {
  auto env = base_env();
  env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/argocd-repo-server-ecr";
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] =
      home_.write("token", make_jwt("system:serviceaccount:argocd:argocd-repo-server"));
  env["AWS_ROLE_SESSION_NAME"] = "repo-server";
  auto r = run_ecrhelm({"whoami"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("assumed-role/argocd-repo-server-ecr/repo-server"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Source:     web identity (environment, role "
                       "arn:aws:iam::123456789012:role/argocd-repo-server-ecr)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Expiration: 20"), std::string::npos) << r.out;

  // The kubelet rotates the token: a new file content is used by the next run.
  home_.write("token", make_jwt("system:serviceaccount:argocd:rotated"));
  auto r2 = run_ecrhelm({"whoami", "-o", "json"}, env);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r2.out.find("argocd-repo-server-ecr"), std::string::npos);
}

TEST_F(AwsFlowTest, WebIdentityWithoutTokenFileIsAClearInputError) {
  auto env = base_env();
  env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/x";
  auto r = run_ecrhelm({"whoami"}, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("AWS_WEB_IDENTITY_TOKEN_FILE"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one-line error: " << r.err;
}

TEST_F(AwsFlowTest, MissingTokenFileNamesThePath) {
  auto env = base_env();
  env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/x";
  env["AWS_WEB_IDENTITY_TOKEN_FILE"] = home_.file("nope/token");
  auto r = run_ecrhelm({"whoami"}, env);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find(home_.file("nope/token")), std::string::npos) << r.err;
}

TEST_F(AwsFlowTest, NoCredentialsAtAllSaysWhatWasTried) {
  auto r = run_ecrhelm({"whoami"}, base_env());
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("no AWS credentials found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("web-identity"), std::string::npos) << r.err;
}

TEST_F(AwsFlowTest, TokenPrintsThePasswordLikeGetLoginPassword) {
  auto r = run_ecrhelm({"token", "--region", "us-east-1"}, key_env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kMotoPassword) + "\n");
}

TEST_F(AwsFlowTest, TokenMatchesTheAwsCliPeer) {
  auto env = key_env();
  auto peer = run_program(
      {"aws", "--endpoint-url", moto_->url(), "--region", "us-east-1", "ecr", "get-login-password"},
      env);
  if (peer.exit_code != 0) GTEST_SKIP() << "aws CLI not usable: " << peer.err;
  auto ours = run_ecrhelm({"token"}, env);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, peer.out);
}

TEST_F(AwsFlowTest, TokenJsonHasTheGeneratorKeys) {
  auto r = run_ecrhelm({"token", "--registry", kRegistry, "-o", "json"}, key_env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["username"], "AWS");
  EXPECT_EQ(j["password"], kMotoPassword);
  EXPECT_EQ(j["proxy_endpoint"], std::string("https://") + kRegistry);
  EXPECT_EQ(j["expires_at"], "1420070400");  // moto's fixed expiry, as unix seconds
}

TEST_F(AwsFlowTest, TokenRejectsBadInputWithExitCode2) {
  auto r = run_ecrhelm({"token", "--registry", "registry.example.com"}, key_env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("registry.example.com"), std::string::npos) << r.err;
  auto r2 = run_ecrhelm({"token", "--region", "Not A Region"}, key_env());
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_NE(r2.err.find("Not A Region"), std::string::npos) << r2.err;
  auto env = key_env();
  env.erase("AWS_REGION");
  auto r3 = run_ecrhelm({"token"}, env);
  EXPECT_EQ(r3.exit_code, 2);
  EXPECT_NE(r3.err.find("--region"), std::string::npos) << r3.err;
  auto r4 = run_ecrhelm({"token", "-o", "yaml"}, key_env());
  EXPECT_EQ(r4.exit_code, 2);
}

TEST_F(AwsFlowTest, LoginWritesHelmConfigAtomicallyKeepingOtherEntries) {
  std::string cfg = home_.file(".config/helm/registry/config.json");
  home_.write(".config/helm/registry/config.json",
              R"({"auths":{"ghcr.io":{"auth":"b3RoZXI6a2VlcA=="}},"custom":{"keep":true}})", 0644);
  auto r = run_ecrhelm({"login", kRegistry}, key_env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Login Succeeded\n");
  auto j = nlohmann::json::parse(slurp(cfg));
  EXPECT_EQ(j["auths"][kRegistry]["auth"], base64_encode(std::string("AWS:") + kMotoPassword));
  EXPECT_EQ(j["auths"]["ghcr.io"]["auth"], "b3RoZXI6a2VlcA==");
  EXPECT_EQ(j["custom"]["keep"], true);
  EXPECT_EQ(file_mode(cfg), 0600);
}

TEST_F(AwsFlowTest, LoginToDockerAndHelperMode) {
  auto env = key_env();
  env["DOCKER_CONFIG"] = home_.file("docker");
  auto r = run_ecrhelm({"login", "--docker", kRegistry}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(slurp(home_.file("docker/config.json")));
  EXPECT_EQ(j["auths"][kRegistry]["auth"], base64_encode(std::string("AWS:") + kMotoPassword));
  EXPECT_FALSE(file_exists(home_.file(".config/helm/registry/config.json")));

  auto r2 = run_ecrhelm({"login", "--docker", "--use-credential-helper", kRegistry}, env);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  auto j2 = nlohmann::json::parse(slurp(home_.file("docker/config.json")));
  EXPECT_EQ(j2["credHelpers"][kRegistry], "ecrhelm");
  // The helper answers for the host now: its old password is not left behind.
  EXPECT_FALSE(j2["auths"].contains(kRegistry)) << j2.dump();
  EXPECT_EQ(slurp(home_.file("docker/config.json"))
                .find(base64_encode(std::string("AWS:") + kMotoPassword)),
            std::string::npos);
}

TEST_F(AwsFlowTest, LoginRefusesToOverwriteAMalformedConfig) {
  std::string cfg = home_.write(".config/helm/registry/config.json", "{not json", 0600);
  auto r = run_ecrhelm({"login", kRegistry}, key_env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(cfg), std::string::npos) << r.err;
  EXPECT_EQ(slurp(cfg), "{not json");
}

TEST_F(AwsFlowTest, CredentialHelperGetAnswersWithTheProtocolJson) {
  auto r =
      run_ecrhelm({"credential-helper", "get"}, key_env(), std::string("https://") + kRegistry);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["Username"], "AWS");
  EXPECT_EQ(j["Secret"], kMotoPassword);
  EXPECT_EQ(j["ServerURL"], std::string("https://") + kRegistry);
  // moto's tokens expired in 2015: nothing is cached, nothing reused.
  std::string cache = home_.file("cache/ecr-tokens.json");
  EXPECT_FALSE(file_exists(cache) && !nlohmann::json::parse(slurp(cache)).empty());
}

// ECR with a controllable expiry (moto's is fixed in the past): counts calls.
class FakeEcr {
 public:
  explicit FakeEcr(std::chrono::seconds lifetime) {
    server_.Post("/", [this, lifetime](const httplib::Request& req, httplib::Response& res) {
      ++calls_;
      last_target_ = req.get_header_value("X-Amz-Target");
      auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                     (std::chrono::system_clock::now() + lifetime).time_since_epoch())
                     .count();
      nlohmann::json j = {{"authorizationData",
                           {{{"authorizationToken", base64_encode("AWS:fresh-password-9c1")},
                             {"expiresAt", exp},
                             {"proxyEndpoint", std::string("https://") + kRegistry}}}}};
      res.set_content(j.dump(), "application/x-amz-json-1.1");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FakeEcr() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int calls() const { return calls_; }
  std::string last_target() const { return last_target_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> calls_{0};
  std::string last_target_;
};

TEST_F(AwsFlowTest, CredentialHelperReusesAFreshTokenFromTheFileCache) {
  FakeEcr ecr(std::chrono::hours(12));
  auto env = key_env();
  env["AWS_ENDPOINT_URL_ECR"] = ecr.url();
  auto r1 = run_ecrhelm({"credential-helper", "get"}, env, kRegistry);
  ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
  EXPECT_EQ(nlohmann::json::parse(r1.out)["Secret"], "fresh-password-9c1");
  EXPECT_EQ(ecr.calls(), 1);
  EXPECT_EQ(ecr.last_target(), "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken");
  std::string cache = home_.file("cache/ecr-tokens.json");
  EXPECT_EQ(file_mode(cache), 0600);
  EXPECT_EQ(slurp(cache).find("AKIDLEAKCHECK"), std::string::npos) << "keys are hashed";

  auto r2 = run_ecrhelm({"credential-helper", "get"}, env, kRegistry);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(nlohmann::json::parse(r2.out)["Secret"], "fresh-password-9c1");
  EXPECT_EQ(ecr.calls(), 1) << "second get must come from the cache";

  // Other credentials are another cache entry.
  env["AWS_ACCESS_KEY_ID"] = "AKIDOTHER";
  ASSERT_EQ(run_ecrhelm({"credential-helper", "get"}, env, kRegistry).exit_code, 0);
  EXPECT_EQ(ecr.calls(), 2);
  // --no-cache always asks ECR.
  ASSERT_EQ(run_ecrhelm({"credential-helper", "--no-cache", "get"}, env, kRegistry).exit_code, 0);
  EXPECT_EQ(ecr.calls(), 3);
}

TEST_F(AwsFlowTest, CredentialHelperDoesNotReuseATokenPastHalfItsLife) {
  FakeEcr ecr(std::chrono::seconds(2));  // half of its life is 1 s
  auto env = key_env();
  env["AWS_ENDPOINT_URL_ECR"] = ecr.url();
  ASSERT_EQ(run_ecrhelm({"credential-helper", "get"}, env, kRegistry).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(run_ecrhelm({"credential-helper", "get"}, env, kRegistry).exit_code, 0);
  EXPECT_EQ(ecr.calls(), 2);
}

TEST_F(AwsFlowTest, DockerCredentialHelperNameSpeaksTheProtocol) {
  std::string link = home_.file("bin/docker-credential-ecrhelm");
  make_dirs(home_.file("bin"));
  ASSERT_EQ(::symlink(ECRHELM_BINARY, link.c_str()), 0);
  auto env = key_env();
  auto r = run_program({link, "get"}, env, kRegistry);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["Secret"], kMotoPassword);
  auto miss = run_program({link, "get"}, env, "ghcr.io");
  EXPECT_EQ(miss.exit_code, 1);
  EXPECT_EQ(miss.out, "credentials not found in native keychain\n");
  auto list = run_program({link, "list"}, env);
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(list.out).is_object());
  auto bad = run_program({link, "frobnicate"}, env);
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(AwsFlowTest, NoSecretAppearsInDebugLogsOrErrors) {
  auto env = key_env();
  std::string jwt = make_jwt("system:serviceaccount:argocd:leakcheck");
  std::vector<RunResult> runs;
  runs.push_back(run_ecrhelm({"-v", "whoami"}, env));
  runs.push_back(run_ecrhelm({"-v", "whoami", "-o", "json"}, env));
  runs.push_back(run_ecrhelm({"-v", "login", kRegistry}, env));
  runs.push_back(run_ecrhelm({"-v", "--log-format", "json", "login", "--docker", kRegistry}, env));
  auto wi = base_env();
  wi["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/leak";
  wi["AWS_WEB_IDENTITY_TOKEN_FILE"] = home_.write("jwt", jwt);
  runs.push_back(run_ecrhelm({"-v", "whoami"}, wi));
  runs.push_back(run_ecrhelm({"-v", "login", kRegistry}, wi));
  // Failing paths too: a bad endpoint and a rejected registry.
  auto broken = env;
  broken["AWS_ENDPOINT_URL"] = "http://127.0.0.1:" + std::to_string(free_port());
  runs.push_back(run_ecrhelm({"-v", "token"}, broken));
  runs.push_back(run_ecrhelm({"-v", "whoami"}, broken));
  for (const auto& r : runs) {
    for (const std::string& secret :
         {std::string(kSecretKey), std::string(kSessionToken), jwt, std::string(kMotoPassword)}) {
      EXPECT_EQ(r.out.find(secret), std::string::npos) << "secret in stdout: " << r.out;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << "secret in stderr";
    }
  }
  // The token command prints the password on stdout by design, never on stderr.
  auto tok = run_ecrhelm({"-v", "token"}, env);
  ASSERT_EQ(tok.exit_code, 0);
  EXPECT_NE(tok.err.find("http POST"), std::string::npos) << "debug logging is on";
  for (const std::string& secret :
       {std::string(kSecretKey), std::string(kSessionToken), std::string(kMotoPassword)})
    EXPECT_EQ(tok.err.find(secret), std::string::npos);
}

// moto with signature and IAM checks on: the seed's least-privilege policy.
class IamCheckedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new MotoServer(/*initial_no_auth=*/3);
    AccessKey k = moto_->create_iam_user("ecr-reader", kSeedReadPolicy);
    key_id_ = k.id;
    secret_ = k.secret;
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  std::map<std::string, std::string> env(const std::string& secret) const {
    return {{"HOME", home_.path()},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_ENDPOINT_URL", moto_->url()},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ACCESS_KEY_ID", key_id_},
            {"AWS_SECRET_ACCESS_KEY", secret}};
  }
  static MotoServer* moto_;
  static std::string key_id_, secret_;
  TempDir home_;
};
MotoServer* IamCheckedTest::moto_ = nullptr;
std::string IamCheckedTest::key_id_, IamCheckedTest::secret_;

TEST_F(IamCheckedTest, SeedPolicyIsEnoughForAToken) {
  auto r = run_ecrhelm({"token"}, env(secret_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kMotoPassword) + "\n");
  auto who = run_ecrhelm({"whoami"}, env(secret_));
  ASSERT_EQ(who.exit_code, 0) << who.err;
  EXPECT_NE(who.out.find("user/ecr-reader"), std::string::npos) << who.out;
}

TEST_F(IamCheckedTest, WrongSecretIsRejectedClearly) {
  std::string wrong = "WRONGSECRET-leakcheck-5e1";
  auto r = run_ecrhelm({"-v", "token"}, env(wrong));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("SignatureDoesNotMatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GetAuthorizationToken"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos);
  EXPECT_EQ(r.out, "");
}

// The credential helper's file cache is keyed by all of the credential
// material: a token cached for the right secret key is not served to a caller
// with the same key id and another secret (ECR sees that caller and says no).
TEST_F(IamCheckedTest, TheFileCacheServesNoTokenToAnotherSecretKey) {
  EcrExpiryProxy proxy(*moto_, 12);
  auto with = [&](const std::string& secret) {
    auto e = env(secret);
    e["AWS_ENDPOINT_URL"] = proxy.url();
    e["ECRHELM_CACHE_DIR"] = home_.file("cache");
    return e;
  };
  auto ok = run_ecrhelm({"credential-helper", "get"}, with(secret_), kRegistry);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(kMotoPassword), std::string::npos);
  ASSERT_EQ(run_ecrhelm({"credential-helper", "get"}, with(secret_), kRegistry).exit_code, 0);
  EXPECT_EQ(proxy.calls("GetAuthorizationToken"), 1);  // the second came from the cache
  std::string wrong = "WRONGSECRET-filecache-leakcheck";
  auto bad = run_ecrhelm({"credential-helper", "get"}, with(wrong), kRegistry);
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  EXPECT_EQ(bad.out.find(kMotoPassword), std::string::npos);
  // The protocol's error channel is stdout.
  EXPECT_NE(bad.out.find("SignatureDoesNotMatch"), std::string::npos) << bad.out;
  EXPECT_EQ(proxy.calls("GetAuthorizationToken"), 2);
  std::string cache = read_file(home_.file("cache/ecr-tokens.json"), "cache");
  for (const std::string& s : {key_id_, secret_, wrong})
    EXPECT_EQ(cache.find(s), std::string::npos);
}

}  // namespace
}  // namespace ecrhelm::test
