// Tenant isolation on the real kube-apiserver, with moto's signature and IAM
// checks on and ECR tokens that live 12 hours (the expiry proxy): a namespace
// that holds another's access key id with a wrong secret gets no token; the
// controller's own credentials go only where the flags allow; a template that fails on the data
// leaves no secret in status, Events or logs.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>

#include "aws/credentials.h"
#include "aws/provider_context.h"
#include "controller/controllers.h"
#include "controller/ecr_generator.h"
#include "controller/external_secret_reconciler.h"
#include "controller/repo_secret_reconciler.h"
#include "controller/token_cache.h"
#include "kube/objects.h"
#include "support/crds.h"
#include "support/kube.h"
#include "support/testbed.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;
using test::admin_client;
using test::make_secret;
using test::ScopedNamespace;
using namespace std::chrono_literals;

constexpr const char* kMotoPassword = "123456789012-auth-token";
constexpr const char* kRepoUrl = "123456789012.dkr.ecr.us-east-1.amazonaws.com/charts";
constexpr const char* kControllerSecret = "CONTROLLER-SECRET-isolation-leakcheck";

json repo_secret(const std::string& ns, const std::string& name, bool managed = false) {
  std::map<std::string, std::string> labels = {{"argocd.argoproj.io/secret-type", "repository"}};
  if (managed) labels[kManagedLabel] = "true";
  return make_secret(ns, name,
                     {{"type", "helm"},
                      {"url", kRepoUrl},
                      {"enableOCI", "true"},
                      {"username", "AWS"},
                      {"password", "old-password"}},
                     labels);
}

std::string data_of(const json& secret, const std::string& key) {
  auto d = kube::secret_data(secret);
  auto it = d.find(key);
  return it == d.end() ? "<absent>" : it->second.reveal();
}

template <typename F>
bool eventually(F pred) {
  for (int i = 0; i < 300; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

json ready_condition(const json& es) {
  auto st = es.find("status");
  if (st == es.end() || !st->is_object()) return json::object();
  for (const auto& c : st->value("conditions", json::array()))
    if (c.is_object() && c.value("type", "") == "Ready") return c;
  return json::object();
}

class TenantIsolationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::install_crds();
    moto_ = new test::MotoServer(/*initial_no_auth=*/3);
    team_a_ = new test::AccessKey(moto_->create_iam_user("team-a", test::kSeedReadPolicy));
    proxy_ = new test::EcrExpiryProxy(*moto_, 12);
  }
  static void TearDownTestSuite() {
    delete proxy_;
    delete team_a_;
    delete moto_;
  }

  void SetUp() override {
    log_sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    saved_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", log_sink_));
    a_ = std::make_unique<ScopedNamespace>("tenant-a");
    b_ = std::make_unique<ScopedNamespace>("tenant-b");
    kube_ = admin_client();
    env_.set("AWS_ENDPOINT_URL", proxy_->url());
    env_.set("AWS_REGION", "us-east-1");
    env_.set("AWS_EC2_METADATA_DISABLED", "true");
    env_.set("HOME", home_.path());
    service_ = aws::default_service_context(http_);
    service_.env = &env_;
    providers_ = aws::make_provider_context(service_);
    aws::Credentials own;  // the controller's own identity: rejected by moto's checks
    own.access_key_id = team_a_->id;
    own.secret_access_key = Secret(kControllerSecret);
    own.source = "test";
    chain_ = std::make_unique<aws::StaticProvider>(own);
  }
  void TearDown() override {
    if (ctl_) ctl_->stop();
    spdlog::set_default_logger(saved_logger_);
  }

  void start(CredentialsPolicy policy = {}, RolePolicy roles = {}) {
    generator_ = std::make_unique<EcrGenerator>(*kube_, providers_, *chain_, cache_, policy);
    es_ = std::make_unique<ExternalSecretReconciler>(*kube_, *generator_);
    repos_ = std::make_unique<RepoSecretReconciler>(*kube_, *generator_, env_,
                                                    SystemClock::instance(), roles);
    ControllerOptions o;
    o.namespaces = {a(), b()};
    o.workers = 2;
    ctl_ = std::make_unique<Controllers>(*kube_, *es_, *repos_, o);
    ctl_->start();
  }
  // The seed's manifests in `ns`, with these keys in awssm-secret.
  void apply_seed(const std::string& ns, const std::string& key_id, const std::string& secret) {
    kube_->create(
        kube::resources::kSecrets, ns,
        make_secret(ns, "awssm-secret", {{"access-key", key_id}, {"secret-access-key", secret}}));
    kube_->create(eso::kEcrAuthorizationTokens, ns, test::seed_generator(ns));
    kube_->create(kube::resources::kSecrets, ns, repo_secret(ns, "repo"));
    json es = test::seed_external_secret(ns, "repo");
    es["apiVersion"] = "external-secrets.io/v1";
    kube_->create(eso::kExternalSecrets, ns, es);
  }
  json es(const std::string& ns) { return kube_->get(eso::kExternalSecrets, ns, "repo"); }
  std::string reason(const std::string& ns) { return ready_condition(es(ns)).value("reason", ""); }
  std::string events(const std::string& ns) {
    std::string all;
    for (const auto& e : kube_->list(kube::resources::kEvents, ns).items)
      all += e.value("reason", "") + ": " + e.value("message", "") + "\n";
    return all;
  }
  const std::string& a() const { return a_->name(); }
  const std::string& b() const { return b_->name(); }

  static test::MotoServer* moto_;
  static test::AccessKey* team_a_;
  static test::EcrExpiryProxy* proxy_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink_;
  std::shared_ptr<spdlog::logger> saved_logger_;
  test::TempDir home_;
  std::unique_ptr<ScopedNamespace> a_, b_;
  std::unique_ptr<kube::KubeClient> kube_;
  MapEnv env_;
  http::CurlHttpClient http_;
  aws::ServiceContext service_;
  aws::ProviderContext providers_;
  std::unique_ptr<aws::CredentialsProvider> chain_;
  TokenCache cache_;
  std::unique_ptr<EcrGenerator> generator_;
  std::unique_ptr<ExternalSecretReconciler> es_;
  std::unique_ptr<RepoSecretReconciler> repos_;
  std::unique_ptr<Controllers> ctl_;
};
test::MotoServer* TenantIsolationTest::moto_ = nullptr;
test::AccessKey* TenantIsolationTest::team_a_ = nullptr;
test::EcrExpiryProxy* TenantIsolationTest::proxy_ = nullptr;

// The attack of the issue: B copies A's access key id (it is not a secret)
// and any secret key, after A's token is cached for 12 hours.
TEST_F(TenantIsolationTest, AnotherNamespaceWithTheSameKeyIdAndAWrongSecretGetsNoToken) {
  apply_seed(a(), team_a_->id, team_a_->secret);
  start();
  ASSERT_TRUE(eventually([&] { return reason(a()) == "SecretSynced"; })) << es(a()).dump();
  EXPECT_EQ(data_of(kube_->get(kube::resources::kSecrets, a(), "repo"), "password"), kMotoPassword);
  int calls_after_a = proxy_->calls("GetAuthorizationToken");

  const std::string wrong = "WRONG-SECRET-of-team-b-leakcheck";
  apply_seed(b(), team_a_->id, wrong);
  ASSERT_TRUE(eventually([&] { return reason(b()) == "SecretSyncedError"; })) << es(b()).dump();
  std::string msg = ready_condition(es(b())).value("message", "");
  EXPECT_NE(msg.find("secret " + b() + "/awssm-secret credentials were rejected"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("SignatureDoesNotMatch"), std::string::npos) << msg;
  EXPECT_EQ(data_of(kube_->get(kube::resources::kSecrets, b(), "repo"), "password"),
            "old-password");
  EXPECT_GT(proxy_->calls("GetAuthorizationToken"), calls_after_a);  // B asked ECR itself
  // A is still fine and nothing leaked anywhere.
  EXPECT_EQ(reason(a()), "SecretSynced");
  for (const std::string& out :
       {es(a()).dump(), es(b()).dump(), events(a()), events(b()), log_.str()}) {
    for (const std::string& s : {team_a_->secret, wrong, std::string(kMotoPassword)})
      EXPECT_EQ(out.find(s), std::string::npos) << out;
  }
}

TEST_F(TenantIsolationTest, ATemplateThatFailsOnThePasswordLeavesItNowhere) {
  apply_seed(a(), team_a_->id, team_a_->secret);
  kube_->create(kube::resources::kSecrets, a(), repo_secret(a(), "bad-target"));
  json bad = test::seed_external_secret(a(), "repo");
  bad["apiVersion"] = "external-secrets.io/v1";
  bad["metadata"]["name"] = "bad-template";
  bad["spec"]["target"]["name"] = "bad-target";
  bad["spec"]["target"]["template"]["data"]["password"] = "{{ range .password }}x{{ end }}";
  kube_->create(eso::kExternalSecrets, a(), bad);
  start();
  json got;
  ASSERT_TRUE(eventually([&] {
    got = kube_->get(eso::kExternalSecrets, a(), "bad-template");
    return ready_condition(got).value("reason", "") == "SecretSyncedError";
  })) << got.dump();
  std::string msg = ready_condition(got).value("message", "");
  EXPECT_NE(msg.find("range can't iterate over string of 23 bytes"), std::string::npos) << msg;
  ASSERT_TRUE(eventually([&] { return events(a()).find("range can't") != std::string::npos; }));
  for (const std::string& out : {got.dump(), events(a()), log_.str()}) {
    EXPECT_EQ(out.find(kMotoPassword), std::string::npos) << out;
    EXPECT_EQ(out.find(team_a_->secret), std::string::npos) << out;
  }
}

TEST_F(TenantIsolationTest, OnlyListedNamespacesMayUseTheControllersOwnCredentials) {
  for (const std::string& ns : {a(), b()}) {
    json gen = test::seed_generator(ns);
    gen["spec"].erase("auth");  // the controller's own credentials
    kube_->create(eso::kEcrAuthorizationTokens, ns, gen);
    kube_->create(kube::resources::kSecrets, ns, repo_secret(ns, "repo"));
    json es = test::seed_external_secret(ns, "repo");
    es["apiVersion"] = "external-secrets.io/v1";
    kube_->create(eso::kExternalSecrets, ns, es);
  }
  start(CredentialsPolicy{std::set<std::string>{a()}});
  ASSERT_TRUE(eventually([&] { return reason(b()) == "SecretSyncedError"; })) << es(b()).dump();
  std::string msg = ready_condition(es(b())).value("message", "");
  EXPECT_NE(msg.find("namespace " + b() + " may not use the controller's own AWS credentials"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("--default-credentials-namespaces"), std::string::npos) << msg;
  // A may: it reaches ECR with them (moto rejects this test's controller key,
  // which proves the controller's own credentials were the ones sent).
  ASSERT_TRUE(eventually([&] {
    return ready_condition(es(a()))
               .value("message", "")
               .find(
                   "the controller's own credentials "
                   "were rejected") != std::string::npos;
  })) << es(a()).dump();
  EXPECT_EQ(log_.str().find(kControllerSecret), std::string::npos);
}

}  // namespace
}  // namespace ecrhelm::controller
