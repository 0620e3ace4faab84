// `ecrhelm pull`, `tags` and `show` against Debian's docker-registry (a real
// OCI registry) with htpasswd Basic auth, as ECR answers; the full ECR flow
// with moto's token; skopeo as the peer client; fixtures for what no peer
// plays (a redirecting blob store that records headers, a lying registry).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/registry.h"
#include "support/testbed.h"
#include "util/fs.h"
#include "util/hasher.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kUser = "AWS";
constexpr const char* kPassword = "123456789012-auth-token";  // moto's ECR password

class PullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new RegistryServer(kUser, kPassword);
    for (const char* v : {"0.1.0", "1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "1.3.0+build.7"}) {
      std::string tgz =
          make_chart_tgz("demo", v, {{"values.yaml", std::string("version: ") + v + "\n"}});
      pushed_[v] = push_chart(registry_->url(), "charts/demo", v, tgz, kUser, kPassword,
                              std::string("-----BEGIN PGP SIGNED MESSAGE-----\n") + v + "\n");
      tgz_[v] = tgz;
    }
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  std::map<std::string, std::string> env() const {
    return {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  }
  std::vector<std::string> auth_flags() const {
    return {"--plain-http", "--username", kUser, "--password-stdin"};
  }
  RunResult pull(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
    std::vector<std::string> all = {"pull"};
    all.insert(all.end(), args.begin(), args.end());
    for (const auto& f : auth_flags()) all.push_back(f);
    auto e = env();
    for (auto& [k, v] : extra) e[k] = v;
    return run_ecrhelm(all, e, std::string(kPassword) + "\n");
  }
  std::string ref(const std::string& tag = "") const {
    return "oci://" + registry_->host() + "/charts/demo" + (tag.empty() ? "" : ":" + tag);
  }

  static RegistryServer* registry_;
  static std::map<std::string, PushedArtifact> pushed_;
  static std::map<std::string, std::string> tgz_;
  TempDir home_;
};
RegistryServer* PullTest::registry_ = nullptr;
std::map<std::string, PushedArtifact> PullTest::pushed_;
std::map<std::string, std::string> PullTest::tgz_;

TEST_F(PullTest, ExactVersionWritesTheChartLikeHelmPull) {
  auto r = pull({ref(), "--version", "1.2.0", "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Pulled: " + registry_->host() +
                       "/charts/demo:1.2.0\nDigest: " + pushed_["1.2.0"].manifest_digest + "\n");
  EXPECT_EQ(read_file(home_.file("demo-1.2.0.tgz"), "chart"), tgz_["1.2.0"]);
  for (auto& p : std::filesystem::directory_iterator(home_.path()))
    EXPECT_EQ(p.path().filename().string().find(".part"), std::string::npos) << "temp file left";
}

TEST_F(PullTest, ConstraintPicksTheHighestMatchingTag) {
  auto r = pull({ref(), "--version", "^1.0", "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("demo:1.10.0"), std::string::npos) << r.out;  // semver order, not text
  auto r2 = pull({ref(), "--version", ">=1.2 <1.5", "-d", home_.path()});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r2.out.find("demo:1.3.0+build.7"), std::string::npos) << r2.out;
  EXPECT_TRUE(file_exists(home_.file("demo-1.3.0+build.7.tgz")));
  auto r3 = pull({ref(), "--version", ">=3", "-d", home_.path()});
  EXPECT_EQ(r3.exit_code, 4);
  EXPECT_NE(r3.err.find("no tag of"), std::string::npos) << r3.err;
}

// As in Helm (getOciURI) and Argo CD (IsVersion): a --version the loose parse
// accepts is one tag, never a range, even without its patch number.
TEST_F(PullTest, PartialVersionIsOneTagAndTheErrorSuggestsTheRange) {
  auto r = pull({ref(), "--version", "1.2", "-d", home_.path()});
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("charts/demo:1.2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("write ~1.2 for the newest 1.2.x"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  EXPECT_FALSE(file_exists(home_.file("demo-1.2.0.tgz")));
  auto range = pull({ref(), "--version", "~1.2", "-d", home_.path()});
  ASSERT_EQ(range.exit_code, 0) << range.err;
  EXPECT_NE(range.out.find("demo:1.2.0"), std::string::npos) << range.out;
}

TEST_F(PullTest, NoVersionMeansTheLatestRelease) {
  auto r = pull({ref(), "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("demo:1.10.0"), std::string::npos) << "prereleases are skipped: " << r.out;
}

TEST_F(PullTest, DigestPinsAndMustAgreeWithTheTag) {
  std::string d = pushed_["1.0.0"].manifest_digest;
  auto r = pull({ref() + "@" + d, "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(d), std::string::npos);
  auto ok = pull({ref() + "@" + d, "--version", "1.0.0", "-d", home_.path()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto bad = pull({ref() + "@" + d, "--version", "1.2.0", "-d", home_.path()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("not the pinned " + d), std::string::npos) << bad.err;
}

TEST_F(PullTest, UntarExtractsAndLeavesNoArchive) {
  auto r = pull({ref("1.0.0"), "--untar", "--untardir", "charts", "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(home_.file("charts/demo/values.yaml"), "v"), "version: 1.0.0\n");
  EXPECT_FALSE(file_exists(home_.file("charts/demo-1.0.0.tgz")));
  auto again = pull({ref("1.0.0"), "--untar", "--untardir", "charts", "-d", home_.path()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
}

TEST_F(PullTest, ProvenanceFileWithProv) {
  auto r = pull({ref("1.0.0"), "--prov", "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(home_.file("demo-1.0.0.tgz.prov"), "prov"),
            "-----BEGIN PGP SIGNED MESSAGE-----\n1.0.0\n");
}

TEST_F(PullTest, SeveralChartsInOneCommand) {
  auto r = pull({ref("0.1.0"), ref("1.0.0"), ref("1.2.0"), "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* v : {"0.1.0", "1.0.0", "1.2.0"}) {
    EXPECT_EQ(read_file(home_.file(std::string("demo-") + v + ".tgz"), "c"), tgz_[v]);
  }
}

TEST_F(PullTest, WrongPasswordIsUnauthorizedAndNamesTheSource) {
  auto r = run_ecrhelm({"pull", ref("1.0.0"), "--plain-http", "--username", kUser,
                        "--password-stdin", "-d", home_.path()},
                       env(), "wrong-password-77\n");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("HTTP 401"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--username/--password-stdin"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrong-password-77"), std::string::npos);
  EXPECT_FALSE(file_exists(home_.file("demo-1.0.0.tgz")));
}

TEST_F(PullTest, CredentialsFromHelmRegistryConfig) {
  std::string b64 = "QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu";  // AWS:<moto password>
  home_.write(".config/helm/registry/config.json",
              R"({"auths":{")" + registry_->host() + R"(":{"auth":")" + b64 + R"("}}})");
  auto r = run_ecrhelm({"pull", ref("1.0.0"), "--plain-http", "-d", home_.path()}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(PullTest, FullEcrFlowWithOnlyAwsCredentials) {
  MotoServer moto;
  auto e = env();
  e["AWS_ACCESS_KEY_ID"] = "AKIDPULL";
  e["AWS_SECRET_ACCESS_KEY"] = "pull-secret";
  e["AWS_ENDPOINT_URL"] = moto.url();
  e["AWS_REGION"] = "us-east-1";
  auto r =
      run_ecrhelm({"-v", "pull", ref("1.2.0"), "--plain-http", "--ecr", "-d", home_.path()}, e);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(home_.file("demo-1.2.0.tgz"), "c"), tgz_["1.2.0"]);
  EXPECT_NE(r.err.find("credentials from Amazon ECR"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(kPassword), std::string::npos) << "the ECR password reached the log";
  EXPECT_EQ(r.err.find("pull-secret"), std::string::npos);
}

TEST_F(PullTest, TagsListsVersionsHighestFirst) {
  auto r = run_ecrhelm(
      {"tags", ref(), "--plain-http", "--username", kUser, "--password-stdin", "-o", "json"}, env(),
      std::string(kPassword) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> expected = {"2.0.0-rc.1", "1.10.0", "1.3.0+build.7",
                                       "1.2.0",      "1.0.0",  "0.1.0"};
  EXPECT_EQ(j.get<std::vector<std::string>>(), expected);
}

TEST_F(PullTest, ShowChartAndValuesWriteNothing) {
  auto r = run_ecrhelm({"show", "chart", ref(), "--version", "1.2.0", "--plain-http", "--username",
                        kUser, "--password-stdin"},
                       env(), std::string(kPassword) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("name: demo\nversion: 1.2.0"), std::string::npos) << r.out;
  auto v = run_ecrhelm(
      {"show", "values", ref("1.0.0"), "--plain-http", "--username", kUser, "--password-stdin"},
      env(), std::string(kPassword) + "\n");
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out, "version: 1.0.0\n\n");  // the file and one newline, as helm show
  EXPECT_TRUE(std::filesystem::is_empty(home_.path()));
}

TEST_F(PullTest, BadReferenceIsAClearInputError) {
  auto r = run_ecrhelm({"pull", "oci://Bad Host/x", "--plain-http"}, env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(PullTest, SkopeoPullsTheSameArtifactWithTheSameDigest) {
  TempDir out;
  auto r = run_program(
      {"skopeo", "copy", "--src-tls-verify=false", "--src-creds",
       std::string(kUser) + ":" + kPassword, "docker://" + registry_->host() + "/charts/demo:1.2.0",
       "oci:" + out.file("layout") + ":x"},
      env());
  if (r.exit_code == 127 || r.err.find("not found") != std::string::npos)
    GTEST_SKIP() << "skopeo missing";
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto index = nlohmann::json::parse(read_file(out.file("layout/index.json"), "index"));
  EXPECT_EQ(index["manifests"][0]["digest"], pushed_["1.2.0"].manifest_digest);
  std::string chart_blob = pushed_["1.2.0"].chart_digest.substr(7);
  EXPECT_EQ(read_file(out.file("layout/blobs/sha256/" + chart_blob), "blob"), tgz_["1.2.0"]);
}

TEST_F(PullTest, SkopeoLogsInThroughTheCredentialHelper) {
  MotoServer moto;
  TempDir out;
  std::string bin = out.file("bin");
  make_dirs(bin);
  ASSERT_EQ(::symlink(ECRHELM_BINARY, (bin + "/docker-credential-ecrhelm").c_str()), 0);
  std::string authfile =
      out.write("auth.json", R"({"credHelpers":{")" + registry_->host() + R"(":"ecrhelm"}})");
  auto e = env();
  e["PATH"] = bin + ":" + std::string(std::getenv("PATH"));
  e["AWS_ACCESS_KEY_ID"] = "AKIDSKOPEO";
  e["AWS_SECRET_ACCESS_KEY"] = "skopeo-secret";
  e["AWS_ENDPOINT_URL"] = moto.url();
  e["AWS_REGION"] = "us-east-1";
  e["ECRHELM_ECR_REGISTRIES"] = registry_->host();
  auto r = run_program(
      {"skopeo", "copy", "--src-tls-verify=false", "--authfile", authfile,
       "docker://" + registry_->host() + "/charts/demo:1.0.0", "oci:" + out.file("layout") + ":x"},
      e);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto index = nlohmann::json::parse(read_file(out.file("layout/index.json"), "index"));
  EXPECT_EQ(index["manifests"][0]["digest"], pushed_["1.0.0"].manifest_digest);
  // Without the alias the helper says "not found" and skopeo is refused by the registry.
  e.erase("ECRHELM_ECR_REGISTRIES");
  auto denied = run_program(
      {"skopeo", "copy", "--src-tls-verify=false", "--authfile", authfile,
       "docker://" + registry_->host() + "/charts/demo:1.0.0", "oci:" + out.file("l2") + ":x"},
      e);
  EXPECT_NE(denied.exit_code, 0);
}

// A registry that redirects blob GETs to another origin (as ECR does to S3),
// and a blob store that records whether Authorization reached it.
class RedirectingRegistry {
 public:
  explicit RedirectingRegistry(const std::string& upstream_host) : upstream_(upstream_host) {
    store_.Get(R"(/blobs/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_header("Authorization")) auth_seen_ = true;
      ++store_hits_;
      httplib::Client c("http://" + upstream_);
      c.set_basic_auth(kUser, kPassword);
      auto r = c.Get(("/v2/charts/demo/blobs/" + req.matches[1].str()).c_str());
      res.status = r ? r->status : 502;
      if (r) res.set_content(r->body, "application/octet-stream");
    });
    front_.set_logger([](const httplib::Request&, const httplib::Response&) {});
    front_.Get(R"(/v2/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization").empty()) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Basic realm=\"front\"");
        return;
      }
      std::string path = req.path;
      auto pos = path.find("/blobs/");
      if (pos != std::string::npos) {
        res.status = 307;
        res.set_header("Location", "http://127.0.0.1:" + std::to_string(store_port_) + "/blobs/" +
                                       path.substr(pos + 7) + "?X-Amz-Signature=presigned");
        return;
      }
      httplib::Client c("http://" + upstream_);
      c.set_basic_auth(kUser, kPassword);
      httplib::Headers h;
      if (req.has_header("Accept")) h.emplace("Accept", req.get_header_value("Accept"));
      auto r = c.Get(path.c_str(), h);
      res.status = r ? r->status : 502;
      if (r) {
        res.set_content(r->body, r->get_header_value("Content-Type").c_str());
        if (r->has_header("Docker-Content-Digest"))
          res.set_header("Docker-Content-Digest", r->get_header_value("Docker-Content-Digest"));
      }
    });
    store_port_ = store_.bind_to_any_port("127.0.0.1");
    front_port_ = front_.bind_to_any_port("127.0.0.1");
    t1_ = std::thread([this] { store_.listen_after_bind(); });
    t2_ = std::thread([this] { front_.listen_after_bind(); });
    while (!store_.is_running() || !front_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~RedirectingRegistry() {
    store_.stop();
    front_.stop();
    t1_.join();
    t2_.join();
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(front_port_); }
  bool auth_seen() const { return auth_seen_; }
  int store_hits() const { return store_hits_; }

 private:
  std::string upstream_;
  httplib::Server front_, store_;
  int front_port_ = 0, store_port_ = 0;
  std::thread t1_, t2_;
  std::atomic<bool> auth_seen_{false};
  std::atomic<int> store_hits_{0};
};

TEST_F(PullTest, RedirectToAnotherOriginNeverCarriesAuthorization) {
  RedirectingRegistry front(registry_->host());
  auto r = run_ecrhelm({"pull", "oci://" + front.host() + "/charts/demo:1.0.0", "--plain-http",
                        "--username", kUser, "--password-stdin", "-d", home_.path()},
                       env(), std::string(kPassword) + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(front.store_hits(), 2);  // config + chart layer went through the store
  EXPECT_FALSE(front.auth_seen()) << "Authorization was sent to another origin";
  EXPECT_EQ(read_file(home_.file("demo-1.0.0.tgz"), "c"), tgz_["1.0.0"]);
}

// A registry that lies: the blob it serves does not match the manifest.
TEST_F(PullTest, DigestMismatchFailsAndLeavesNoFile) {
  httplib::Server liar;
  std::string good = tgz_["1.0.0"];
  std::string config = R"({"name":"demo","version":"1.0.0"})";
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x55;
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                      {"config",
                       {{"mediaType", "application/vnd.cncf.helm.config.v1+json"},
                        {"digest", digest_of("sha256", config)},
                        {"size", config.size()}}},
                      {"layers",
                       {{{"mediaType", "application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
                         {"digest", digest_of("sha256", good)},
                         {"size", good.size()}}}}};
  std::string manifest = m.dump();
  std::string mode = "corrupt";
  liar.Get(R"(/v2/charts/demo/manifests/.*)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(manifest, "application/vnd.oci.image.manifest.v1+json");
  });
  liar.Get(R"(/v2/charts/demo/blobs/(.*))",
           [&](const httplib::Request& req, httplib::Response& res) {
             if (req.matches[1].str() == digest_of("sha256", config))
               return res.set_content(config, "application/json");
             if (mode == "corrupt") return res.set_content(bad, "application/octet-stream");
             return res.set_content(good + "trailing", "application/octet-stream");  // a size lie
           });
  int port = liar.bind_to_any_port("127.0.0.1");
  std::thread t([&] { liar.listen_after_bind(); });
  while (!liar.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::string lref = "oci://127.0.0.1:" + std::to_string(port) + "/charts/demo:1.0.0";
  auto r = run_ecrhelm({"pull", lref, "--plain-http", "-d", home_.path()}, env());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("does not match its digest"), std::string::npos) << r.err;
  mode = "long";
  auto r2 = run_ecrhelm({"pull", lref, "--plain-http", "-d", home_.path()}, env());
  EXPECT_EQ(r2.exit_code, 1) << r2.err;
  EXPECT_NE(r2.err.find("larger than its manifest says"), std::string::npos) << r2.err;
  liar.stop();
  t.join();
  EXPECT_TRUE(std::filesystem::is_empty(home_.path())) << "a partial file was left";
}

}  // namespace
}  // namespace ecrhelm::test
