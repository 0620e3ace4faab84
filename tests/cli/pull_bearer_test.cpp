// The Bearer token flow of the distribution spec against a fixture: a token
// service (realm) and a registry front that answers 401 with
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, checks the
// tokens it issued and proxies to docker-registry. The fixture records what
// the token service was asked and with which credentials.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "support/nginx.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/hasher.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kService = "registry.ecrhelm.test";
constexpr const char* kUser = "robot";
constexpr const char* kPassword = "bearer-basic-secret-8861";

struct TokenRequest {
  std::string service, scope, authorization;  // authorization decoded ("user:pass") or ""
};

class BearerRegistry {
 public:
  explicit BearerRegistry(const std::string& upstream) : upstream_(upstream) {
    // The token service; the front serves it too (for an https realm behind TLS).
    auto token_handler = [this](const httplib::Request& req, httplib::Response& res) {
      TokenRequest t;
      t.service = req.get_param_value("service");
      t.scope = req.get_param_value("scope");
      std::string auth = req.get_header_value("Authorization");
      if (auth.starts_with("Basic "))
        t.authorization = base64_decode(auth.substr(6)).value_or("<bad base64>");
      std::lock_guard lock(mu_);
      token_requests_.push_back(t);
      if (require_basic_ && t.authorization != std::string(kUser) + ":" + kPassword) {
        res.status = 401;
        return;
      }
      std::string token = "tok-" + std::to_string(token_requests_.size()) + "-" + t.scope;
      issued_.insert(token);
      res.set_content(nlohmann::json({{token_field_, token}, {"expires_in", 300}}).dump(),
                      "application/json");
    };
    tokens_srv_.Get("/token", token_handler);
    front_.Get("/token", token_handler);
    front_.Get(R"(/v2/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string auth = req.get_header_value("Authorization");
      if (auth.starts_with("Basic ")) basic_seen_ = true;
      bool ok = false;
      {
        std::lock_guard lock(mu_);
        ok = auth.starts_with("Bearer ") && issued_.count(auth.substr(7));
        if (ok) ++authorized_requests_;
      }
      if (!ok) {
        std::string path = req.matches[1].str();
        std::string name = path.substr(0, path.find("/manifests/"));
        name = name.substr(0, name.find("/blobs/"));
        name = name.substr(0, name.find("/tags/"));
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer realm=\"" + realm() + "\",service=\"" +
                                               kService + "\",scope=\"repository:" + name +
                                               ":pull\"");
        res.set_content(
            R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
            "application/json");
        return;
      }
      httplib::Client c("http://" + upstream_);
      httplib::Headers h;
      if (req.has_header("Accept")) h.emplace("Accept", req.get_header_value("Accept"));
      auto r = c.Get(req.path.c_str(), h);
      res.status = r ? r->status : 502;
      if (!r) return;
      res.set_content(r->body, r->get_header_value("Content-Type").c_str());
      if (r->has_header("Docker-Content-Digest"))
        res.set_header("Docker-Content-Digest", r->get_header_value("Docker-Content-Digest"));
    });
    tokens_port_ = tokens_srv_.bind_to_any_port("127.0.0.1");
    front_port_ = front_.bind_to_any_port("127.0.0.1");
    t1_ = std::thread([this] { tokens_srv_.listen_after_bind(); });
    t2_ = std::thread([this] { front_.listen_after_bind(); });
    while (!tokens_srv_.is_running() || !front_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~BearerRegistry() {
    tokens_srv_.stop();
    front_.stop();
    t1_.join();
    t2_.join();
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(front_port_); }
  std::string realm() const {
    std::lock_guard lock(realm_mu_);
    return realm_.empty() ? "http://127.0.0.1:" + std::to_string(tokens_port_) + "/token" : realm_;
  }
  void set_realm(const std::string& r) {
    std::lock_guard lock(realm_mu_);
    realm_ = r;
  }
  void require_basic(bool on) { require_basic_ = on; }
  void token_field(const std::string& f) { token_field_ = f; }
  std::vector<TokenRequest> token_requests() {
    std::lock_guard lock(mu_);
    return token_requests_;
  }
  int authorized_requests() {
    std::lock_guard lock(mu_);
    return authorized_requests_;
  }
  bool basic_seen() const { return basic_seen_; }

 private:
  std::string upstream_;
  httplib::Server tokens_srv_, front_;
  int tokens_port_ = 0, front_port_ = 0;
  std::thread t1_, t2_;
  mutable std::mutex mu_, realm_mu_;
  std::string realm_;
  std::vector<TokenRequest> token_requests_;
  std::set<std::string> issued_;
  int authorized_requests_ = 0;
  std::atomic<bool> require_basic_{false}, basic_seen_{false};
  std::string token_field_ = "token";
};

class BearerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new RegistryServer();
    for (const char* v : {"1.0.0", "1.1.0", "2.0.0"}) {
      tgz_[v] = make_chart_tgz("bearer", v);
      pushed_[v] = push_chart(registry_->url(), "charts/bearer", v, tgz_[v]);
    }
  }
  static void TearDownTestSuite() { delete registry_; }
  void SetUp() override { fixture_ = std::make_unique<BearerRegistry>(registry_->host()); }
  std::map<std::string, std::string> env() const {
    return {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  }
  std::string ref(const std::string& tag = "") const {
    return "oci://" + fixture_->host() + "/charts/bearer" + (tag.empty() ? "" : ":" + tag);
  }
  RunResult pull_with_password(std::vector<std::string> args, const std::string& password) {
    args.insert(args.begin(), "pull");
    for (const char* f : {"--plain-http", "--username", kUser, "--password-stdin", "-d"})
      args.push_back(f);
    args.push_back(home_.path());
    auto r = run_ecrhelm(args, env(), password + "\n");
    EXPECT_EQ(r.out.find(password), std::string::npos);
    EXPECT_EQ(r.err.find(password), std::string::npos) << "the password reached stderr";
    return r;
  }

  static RegistryServer* registry_;
  static std::map<std::string, std::string> tgz_;
  static std::map<std::string, PushedArtifact> pushed_;
  std::unique_ptr<BearerRegistry> fixture_;
  TempDir home_;
};
RegistryServer* BearerTest::registry_ = nullptr;
std::map<std::string, std::string> BearerTest::tgz_;
std::map<std::string, PushedArtifact> BearerTest::pushed_;

TEST_F(BearerTest, AnonymousTokenForTheScopeIsFetchedOnceAndReused) {
  // A constraint: tag list, manifest, config and chart blob, all one scope.
  auto r =
      run_ecrhelm({"pull", ref(), "--version", "^1", "--plain-http", "-d", home_.path()}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Pulled: " + fixture_->host() +
                       "/charts/bearer:1.1.0\nDigest: " + pushed_["1.1.0"].manifest_digest + "\n");
  EXPECT_EQ(read_file(home_.file("bearer-1.1.0.tgz"), "chart"), tgz_["1.1.0"]);
  auto asked = fixture_->token_requests();
  ASSERT_EQ(asked.size(), 1u) << "the token was not reused";
  EXPECT_EQ(asked[0].service, kService);
  EXPECT_EQ(asked[0].scope, "repository:charts/bearer:pull");
  EXPECT_EQ(asked[0].authorization, "") << "no credentials were given";
  EXPECT_GE(fixture_->authorized_requests(), 4);
}

TEST_F(BearerTest, BasicCredentialsGoToTheTokenServiceOnly) {
  fixture_->require_basic(true);
  auto r = pull_with_password({ref("2.0.0")}, kPassword);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(home_.file("bearer-2.0.0.tgz"), "chart"), tgz_["2.0.0"]);
  auto asked = fixture_->token_requests();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].authorization, std::string(kUser) + ":" + kPassword);
  EXPECT_EQ(asked[0].scope, "repository:charts/bearer:pull");
  EXPECT_FALSE(fixture_->basic_seen()) << "the password was sent to the registry itself";
}

TEST_F(BearerTest, TokenServiceRefusingTheCredentialsIsUnauthorized) {
  fixture_->require_basic(true);
  auto r = pull_with_password({ref("2.0.0")}, "not-the-password-4242");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("refused a token for repository:charts/bearer:pull (HTTP 401)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(home_.path()));
}

TEST_F(BearerTest, AccessTokenFieldIsAccepted) {
  fixture_->token_field("access_token");
  auto r = run_ecrhelm({"pull", ref("1.0.0"), "--plain-http", "-d", home_.path()}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(home_.file("bearer-1.0.0.tgz"), "chart"), tgz_["1.0.0"]);
  EXPECT_EQ(fixture_->token_requests().size(), 1u);
}

TEST_F(BearerTest, RealmThatIsNotHttpIsRefused) {
  for (const std::string realm : {"file:///etc/passwd", "ftp://127.0.0.1:21/token"}) {
    fixture_->set_realm(realm);
    auto r = run_ecrhelm({"pull", ref("1.0.0"), "--plain-http", "-d", home_.path()}, env());
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("Bearer realm that is not an http(s) URL: " + realm), std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_TRUE(fixture_->token_requests().empty());
  EXPECT_TRUE(std::filesystem::is_empty(home_.path()));
}

TEST_F(BearerTest, HttpsRegistryWithAnHttpRealmIsRefused) {
  // nginx terminates TLS in front of the fixture, whose realm stays http://.
  TempDir ca_dir;
  TestCa ca = make_test_ca(ca_dir);
  auto tls = nginx_tls_front(fixture_->host(), ca);
  std::string tls_ref = "oci://" + tls->host() + "/charts/bearer:1.0.0";
  auto r = run_ecrhelm({"pull", tls_ref, "--ca-file", ca.ca_file, "--username", kUser,
                        "--password-stdin", "-d", home_.path()},
                       env(), std::string(kPassword) + "\n");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("downgrades https to http; refused"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(kPassword), std::string::npos);
  EXPECT_TRUE(fixture_->token_requests().empty()) << "credentials went to an http realm";
  // An https realm on the same front is fine: nginx also serves the token path.
  fixture_->set_realm("https://" + tls->host() + "/token");
  auto ok = run_ecrhelm({"pull", tls_ref, "--ca-file", ca.ca_file, "-d", home_.path()}, env());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

}  // namespace
}  // namespace ecrhelm::test
