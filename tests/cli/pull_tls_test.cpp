// `ecrhelm pull` through a TLS front: Debian's nginx terminating https with a
// CA made at test time, proxying to docker-registry with htpasswd auth. The
// CA is trusted with --ca-file, verification is skipped with
// --insecure-skip-tls-verify, and an untrusted certificate is one clear error.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/nginx.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/fs.h"
#include "util/hasher.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kUser = "AWS";
constexpr const char* kPassword = "tls-front-password-5150";

class PullTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new RegistryServer(kUser, kPassword);
    tgz_ = make_chart_tgz("secure", "1.4.2", {{"values.yaml", "tls: true\n"}});
    pushed_ = push_chart(registry_->url(), "charts/secure", "1.4.2", tgz_, kUser, kPassword);
    ca_dir_ = new TempDir;
    ca_ = make_test_ca(*ca_dir_);
    front_ = nginx_tls_front(registry_->host(), ca_).release();
  }
  static void TearDownTestSuite() {
    delete front_;
    delete ca_dir_;
    delete registry_;
  }
  RunResult pull(const std::vector<std::string>& flags, const std::string& tag = ":1.4.2") {
    std::vector<std::string> args = {"pull",
                                     "oci://" + front_->host() + "/charts/secure" + tag,
                                     "-d",
                                     home_.path(),
                                     "--username",
                                     kUser,
                                     "--password-stdin"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = run_ecrhelm(args, {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}},
                         std::string(kPassword) + "\n");
    EXPECT_EQ(r.out.find(kPassword), std::string::npos) << "the password reached stdout";
    EXPECT_EQ(r.err.find(kPassword), std::string::npos) << "the password reached stderr";
    return r;
  }

  static RegistryServer* registry_;
  static TempDir* ca_dir_;
  static TestCa ca_;
  static NginxServer* front_;
  static std::string tgz_;
  static PushedArtifact pushed_;
  TempDir home_;
};
RegistryServer* PullTlsTest::registry_ = nullptr;
TempDir* PullTlsTest::ca_dir_ = nullptr;
TestCa PullTlsTest::ca_;
NginxServer* PullTlsTest::front_ = nullptr;
std::string PullTlsTest::tgz_;
PushedArtifact PullTlsTest::pushed_;

TEST_F(PullTlsTest, CaFileTrustsTheFrontAndDigestsMatch) {
  auto r = pull({"--ca-file", ca_.ca_file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Pulled: " + front_->host() +
                       "/charts/secure:1.4.2\nDigest: " + pushed_.manifest_digest + "\n");
  std::string got = read_file(home_.file("secure-1.4.2.tgz"), "chart");
  EXPECT_EQ(digest_of("sha256", got), pushed_.chart_digest);
  EXPECT_EQ(got, tgz_);
  // It went through nginx over TLS, not around it.
  EXPECT_NE(front_->access_log().find("GET /v2/charts/secure/manifests/1.4.2 HTTP/1.1"),
            std::string::npos)
      << front_->access_log();
}

TEST_F(PullTlsTest, ConstraintOverTlsListsTagsThroughTheFront) {
  auto r = pull({"--ca-file", ca_.ca_file, "--version", "^1.0"}, "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("charts/secure:1.4.2"), std::string::npos) << r.out;
  EXPECT_NE(front_->access_log().find("GET /v2/charts/secure/tags/list"), std::string::npos);
}

TEST_F(PullTlsTest, UntrustedCertificateIsOneClearLine) {
  auto r = pull({});
  EXPECT_EQ(r.exit_code, 5) << r.err;  // a network/TLS failure
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("TLS certificate of " + front_->host() + " is not trusted"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--ca-file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--insecure-skip-tls-verify"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(std::filesystem::is_empty(home_.path())) << "something was written";
}

TEST_F(PullTlsTest, AnotherCaIsNotTrustedEither) {
  TempDir other_dir;
  TestCa other = make_test_ca(other_dir);
  auto r = pull({"--ca-file", other.ca_file});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("is not trusted"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(home_.file("secure-1.4.2.tgz")));
}

TEST_F(PullTlsTest, InsecureSkipTlsVerifyPulls) {
  auto r = pull({"--insecure-skip-tls-verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Digest: " + pushed_.manifest_digest), std::string::npos) << r.out;
  EXPECT_EQ(read_file(home_.file("secure-1.4.2.tgz"), "chart"), tgz_);
}

TEST_F(PullTlsTest, TagsAndShowUseTheSameTlsFlags) {
  std::map<std::string, std::string> env = {{"HOME", home_.path()},
                                            {"AWS_EC2_METADATA_DISABLED", "true"}};
  std::string ref = "oci://" + front_->host() + "/charts/secure";
  auto tags =
      run_ecrhelm({"tags", ref, "--ca-file", ca_.ca_file, "--username", kUser, "--password-stdin"},
                  env, std::string(kPassword) + "\n");
  ASSERT_EQ(tags.exit_code, 0) << tags.err;
  EXPECT_EQ(tags.out, "1.4.2\n");
  auto show =
      run_ecrhelm({"show", "values", ref + ":1.4.2", "--username", kUser, "--password-stdin"}, env,
                  std::string(kPassword) + "\n");
  EXPECT_EQ(show.exit_code, 5) << show.err;
  EXPECT_NE(show.err.find("--ca-file"), std::string::npos) << show.err;
}

}  // namespace
}  // namespace ecrhelm::test
