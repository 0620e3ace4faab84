// The controller against the real kube-apiserver and moto_server: the seed's
// generator.yaml and external-secret.yaml with only the placeholders filled
// in, an Argo CD repository secret created the way Argo CD creates it, every
// creation policy, auth.jwt through TokenRequest, the annotation mode, one
// ECR call per identity, and no lost update.
#include <gtest/gtest.h>

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
#include "util/encoding.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;
using test::admin_client;
using test::make_secret;
using test::ScopedNamespace;
using test::seed_external_secret;
using test::seed_generator;
using namespace std::chrono_literals;

constexpr const char* kMotoPassword = "123456789012-auth-token";  // moto's fixed ECR token
constexpr const char* kRepoUrl = "123456789012.dkr.ecr.us-east-1.amazonaws.com/charts";
constexpr const char* kSecretKey = "SECRETKEY-controller-leakcheck";

// An Argo CD repository secret as `argocd repo add --type helm --enable-oci` writes it.
json argocd_repo_secret(const std::string& ns, const std::string& name) {
  return make_secret(ns, name,
                     {{"name", "ecr-charts"},
                      {"project", "default"},
                      {"type", "helm"},
                      {"url", kRepoUrl},
                      {"enableOCI", "true"},
                      {"username", "AWS"},
                      {"password", "expired-token"}},
                     {{"argocd.argoproj.io/secret-type", "repository"}});
}

std::string data_of(const json& secret, const std::string& key) {
  auto d = kube::secret_data(secret);
  auto it = d.find(key);
  return it == d.end() ? "<absent>" : it->second.reveal();
}

// Polls until pred() or ~30 s.
template <typename F>
bool eventually(F pred) {
  for (int i = 0; i < 300; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

const json* ready_condition(const json& es) {
  if (!es.contains("status") || !es["status"].contains("conditions")) return nullptr;
  for (const auto& c : es["status"]["conditions"]) {
    if (c.value("type", "") == "Ready") return &c;
  }
  return nullptr;
}

// One controller in this process, watching one namespace, AWS = moto.
class ControllerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::install_crds();
    moto_ = new test::MotoServer();
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  void SetUp() override {
    ns_ = std::make_unique<ScopedNamespace>("ctl");
    kube_ = admin_client();
    env_.set("AWS_ENDPOINT_URL", moto_->url());
    env_.set("AWS_REGION", "us-east-1");
    env_.set("AWS_EC2_METADATA_DISABLED", "true");
    env_.set("HOME", home_.path());
    service_ = aws::default_service_context(http_);
    service_.env = &env_;
    providers_ = aws::make_provider_context(service_);
    aws::Credentials own;
    own.access_key_id = "AKIDCONTROLLER";
    own.secret_access_key = Secret(kSecretKey);
    own.source = "test";
    chain_ = std::make_unique<aws::StaticProvider>(own);
    generator_ = std::make_unique<EcrGenerator>(*kube_, providers_, *chain_, cache_);
    es_ = std::make_unique<ExternalSecretReconciler>(*kube_, *generator_);
    repos_ = std::make_unique<RepoSecretReconciler>(*kube_, *generator_, env_);
    kube_->create(
        kube::resources::kSecrets, ns(),
        make_secret(ns(), "awssm-secret",
                    {{"access-key", "AKIDFROMSECRET"}, {"secret-access-key", kSecretKey}}));
  }
  void TearDown() override {
    if (ctl_) ctl_->stop();
  }
  const std::string& ns() const { return ns_->name(); }
  void start_controller() {
    ControllerOptions o;
    o.namespaces = {ns()};
    o.workers = 2;
    ctl_ = std::make_unique<Controllers>(*kube_, *es_, *repos_, o);
    ctl_->start();
  }
  // The same manifest through external-secrets.io/v1.
  void create_v1(json es) {
    es["apiVersion"] = "external-secrets.io/v1";
    kube_->create(eso::kExternalSecrets, ns(), es);
  }
  json get_secret(const std::string& name) {
    return kube_->get(kube::resources::kSecrets, ns(), name);
  }
  json get_es(const std::string& name) { return kube_->get(eso::kExternalSecrets, ns(), name); }
  bool es_ready(const std::string& name, const std::string& reason = "SecretSynced") {
    json es = get_es(name);
    const json* c = ready_condition(es);
    return c && c->value("reason", "") == reason;
  }

  static test::MotoServer* moto_;
  test::TempDir home_;
  std::unique_ptr<ScopedNamespace> ns_;
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
test::MotoServer* ControllerTest::moto_ = nullptr;

TEST_F(ControllerTest, TheSeedsManifestsMergeAFreshPasswordAndKeepEveryOtherKey) {
  kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), "repo-2529854065"));
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  kube_->create(eso::kExternalSecretsV1beta1, ns(), seed_external_secret(ns(), "repo-2529854065"));
  start_controller();
  ASSERT_TRUE(eventually(
      [&] { return data_of(get_secret("repo-2529854065"), "password") == kMotoPassword; }));
  json s = get_secret("repo-2529854065");
  EXPECT_EQ(data_of(s, "url"), kRepoUrl);
  EXPECT_EQ(data_of(s, "type"), "helm");
  EXPECT_EQ(data_of(s, "enableOCI"), "true");
  EXPECT_EQ(data_of(s, "username"), "AWS");
  EXPECT_EQ(data_of(s, "name"), "ecr-charts");
  EXPECT_EQ(data_of(s, "project"), "default");
  EXPECT_EQ(kube::meta_map(s, "labels")["argocd.argoproj.io/secret-type"], "repository");
  // Only the template's key was written: username stays Argo CD's.
  bool owner_seen = false;
  for (const auto& mf : s["metadata"]["managedFields"]) {
    if (mf.value("manager", "") == eso_field_owner("repo-2529854065")) {
      owner_seen = true;
      EXPECT_TRUE(mf["fieldsV1"]["f:data"].contains("f:password"));
      EXPECT_FALSE(mf["fieldsV1"]["f:data"].contains("f:url"));
      EXPECT_FALSE(mf["fieldsV1"]["f:data"].contains("f:username"));
    }
  }
  EXPECT_TRUE(owner_seen);
  ASSERT_TRUE(eventually([&] { return es_ready("repo-2529854065"); }));
  json es = get_es("repo-2529854065");
  const json* c = ready_condition(es);
  EXPECT_EQ(c->value("status", ""), "True");
  EXPECT_EQ(c->value("message", ""), "secret synced");  // ESO v0.16.2's
  EXPECT_EQ(es["status"]["binding"]["name"], "repo-2529854065");
  EXPECT_FALSE(es["status"].value("refreshTime", "").empty());
  EXPECT_EQ(es["status"].value("syncedResourceVersion", ""), synced_resource_version(es));
  // The ExternalSecret reads back through v1beta1 too.
  json beta = kube_->get(eso::kExternalSecretsV1beta1, ns(), "repo-2529854065");
  EXPECT_EQ(beta["apiVersion"], "external-secrets.io/v1beta1");
  // An Updated event on the ExternalSecret.
  kube::ListOptions lo;
  lo.field_selector = "involvedObject.name=repo-2529854065,reason=Updated";
  EXPECT_TRUE(
      eventually([&] { return !kube_->list(kube::resources::kEvents, ns(), lo).items.empty(); }));
  // Nothing of the secrets in status or events.
  EXPECT_EQ(es.dump().find(kMotoPassword), std::string::npos);
  EXPECT_EQ(es.dump().find(kSecretKey), std::string::npos);
}

TEST_F(ControllerTest, TenExternalSecretsOnOneGeneratorCostOneEcrCall) {
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  for (int i = 0; i < 10; ++i) {
    std::string name = "repo-" + std::to_string(i);
    kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), name));
    kube_->create(eso::kExternalSecretsV1beta1, ns(), seed_external_secret(ns(), name));
  }
  start_controller();
  for (int i = 0; i < 10; ++i) {
    std::string name = "repo-" + std::to_string(i);
    ASSERT_TRUE(eventually([&] { return es_ready(name); })) << name;
  }
  EXPECT_EQ(cache_.stats().fetches, 1u);
  EXPECT_GE(cache_.stats().hits + cache_.stats().shared, 9u);
}

TEST_F(ControllerTest, AFirstSyncIsFourRequestsPerExternalSecretAndOneReadPerSharedObject) {
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  constexpr int kCount = 10;
  for (int i = 0; i < kCount; ++i) {
    std::string name = "repo-" + std::to_string(i);
    kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), name));
    kube_->create(eso::kExternalSecretsV1beta1, ns(), seed_external_secret(ns(), name));
  }
  // A controller with a client of its own, so its requests are counted alone.
  auto own_kube = admin_client();
  EcrGenerator generator(*own_kube, providers_, *chain_, cache_);
  generator.set_read_ttl(std::chrono::minutes(10));
  ExternalSecretReconciler es(*own_kube, generator);
  RepoSecretReconciler repos(*own_kube, generator, env_);
  ControllerOptions o;
  o.namespaces = {ns()};
  o.workers = 2;
  o.annotation_mode = false;
  Controllers ctl(*own_kube, es, repos, o);
  ctl.start();
  for (int i = 0; i < kCount; ++i) {
    std::string name = "repo-" + std::to_string(i);
    ASSERT_TRUE(eventually([&] { return es_ready(name); })) << name;
  }
  ctl.stop();
  // The generator and its credentials Secret: read once each for all ten.
  EXPECT_EQ(generator.kube_reads(), 2u);
  // Per ExternalSecret: GET of the target, server-side apply, the Event,
  // the status patch. Our own status writes come back as watch events that
  // do not cause a reconcile (and so no further GET). Plus list + watch of
  // the two informers (ExternalSecrets, owned Secrets).
  EXPECT_EQ(ctl.stats().reconciles, static_cast<uint64_t>(kCount));
  EXPECT_LE(own_kube->requests_sent(), static_cast<uint64_t>(4 * kCount + 2 + 4));
}

TEST_F(ControllerTest, MergeOntoAMissingSecretIsSecretMissingThenSyncsWhenItAppears) {
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  kube_->create(eso::kExternalSecretsV1beta1, ns(), seed_external_secret(ns(), "later"));
  start_controller();
  ASSERT_TRUE(eventually([&] { return es_ready("later", "SecretMissing"); }));
  EXPECT_FALSE(
      kube_->get_if_exists(kube::resources::kSecrets, ns(), "later").has_value());  // not created
  const json es = get_es("later");
  EXPECT_EQ(ready_condition(es)->value("message", ""),
            "the desired secret later was not found. With creationPolicy=Merge the secret won't be "
            "created");
  kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), "later"));
  // Per-object backoff (1 s, 2 s, ...) brings it back.
  ASSERT_TRUE(eventually([&] { return es_ready("later"); }));
  EXPECT_EQ(data_of(get_secret("later"), "password"), kMotoPassword);
}

TEST_F(ControllerTest, OwnerCreatesTheSecretAndRecreatesItWhenDeleted) {
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  json es = seed_external_secret(ns(), "owned");
  es["spec"]["target"].erase("creationPolicy");  // default Owner
  es["spec"]["target"]["template"]["data"]["url"] = kRepoUrl;
  es["spec"]["target"]["template"]["metadata"] = {
      {"labels", {{"argocd.argoproj.io/secret-type", "repository"}}}};
  create_v1(es);
  start_controller();
  ASSERT_TRUE(eventually(
      [&] { return kube_->get_if_exists(kube::resources::kSecrets, ns(), "owned").has_value(); }));
  json s = get_secret("owned");
  EXPECT_EQ(data_of(s, "password"), kMotoPassword);
  EXPECT_EQ(data_of(s, "url"), kRepoUrl);
  EXPECT_EQ(kube::meta_map(s, "labels")["argocd.argoproj.io/secret-type"], "repository");
  ASSERT_TRUE(s["metadata"].contains("ownerReferences"));
  EXPECT_EQ(s["metadata"]["ownerReferences"][0]["kind"], "ExternalSecret");
  EXPECT_EQ(s["metadata"]["ownerReferences"][0]["controller"], true);
  std::string uid = kube::meta_string(s, "uid");
  kube_->remove(kube::resources::kSecrets, ns(), "owned");
  ASSERT_TRUE(eventually([&] {
    auto again = kube_->get_if_exists(kube::resources::kSecrets, ns(), "owned");
    return again && kube::meta_string(*again, "uid") != uid;
  }));
}

TEST_F(ControllerTest, NoneWritesNothingButIsReady) {
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  json es = seed_external_secret(ns(), "none");
  es["spec"]["target"]["creationPolicy"] = "None";
  create_v1(es);
  start_controller();
  ASSERT_TRUE(eventually([&] { return es_ready("none"); }));
  EXPECT_FALSE(kube_->get_if_exists(kube::resources::kSecrets, ns(), "none").has_value());
}

TEST_F(ControllerTest, TemplateErrorsAreOnTheExternalSecretNotCrashes) {
  kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), "bad"));
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  json es = seed_external_secret(ns(), "bad");
  es["spec"]["target"]["template"]["data"]["password"] = "{{ .nosuchkey }}";
  create_v1(es);
  start_controller();
  ASSERT_TRUE(eventually([&] { return es_ready("bad", "SecretSyncedError"); }));
  const json got = get_es("bad");
  std::string msg = ready_condition(got)->value("message", "");
  EXPECT_NE(msg.find("could not get secret data from provider"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nosuchkey"), std::string::npos) << msg;
  EXPECT_EQ(data_of(get_secret("bad"), "password"), "expired-token");  // untouched
  kube::ListOptions lo;
  lo.field_selector = "involvedObject.name=bad,reason=UpdateFailed";
  EXPECT_TRUE(
      eventually([&] { return !kube_->list(kube::resources::kEvents, ns(), lo).items.empty(); }));
}

TEST_F(ControllerTest, AuthJwtUsesTokenRequestAndWebIdentity) {
  kube_->create(
      kube::resources::kServiceAccounts, ns(),
      {{"apiVersion", "v1"},
       {"kind", "ServiceAccount"},
       {"metadata",
        {{"name", "ecr-reader"},
         {"annotations",
          {{"eks.amazonaws.com/role-arn", "arn:aws:iam::123456789012:role/ecr-reader"}}}}}});
  json gen = seed_generator(ns());
  gen["spec"]["auth"] = {{"jwt", {{"serviceAccountRef", {{"name", "ecr-reader"}}}}}};
  kube_->create(eso::kEcrAuthorizationTokens, ns(), gen);
  kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), "irsa"));
  create_v1(seed_external_secret(ns(), "irsa"));
  start_controller();
  ASSERT_TRUE(eventually([&] { return es_ready("irsa"); }));
  EXPECT_EQ(data_of(get_secret("irsa"), "password"), kMotoPassword);
  EXPECT_GE(generator_->sts_calls(), 1u);
}

TEST_F(ControllerTest, JwtWithoutTheRoleAnnotationSaysWhatToAnnotate) {
  kube_->create(
      kube::resources::kServiceAccounts, ns(),
      {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "plain"}}}});
  json gen = seed_generator(ns());
  gen["spec"]["auth"] = {{"jwt", {{"serviceAccountRef", {{"name", "plain"}}}}}};
  kube_->create(eso::kEcrAuthorizationTokens, ns(), gen);
  kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), "noirsa"));
  create_v1(seed_external_secret(ns(), "noirsa"));
  start_controller();
  ASSERT_TRUE(eventually([&] { return es_ready("noirsa", "SecretSyncedError"); }));
  const json got = get_es("noirsa");
  EXPECT_NE(ready_condition(got)
                ->value("message", "")
                .find("has no eks.amazonaws.com/role-arn annotation"),
            std::string::npos);
}

TEST_F(ControllerTest, AnnotationModeKeepsArgoCdKeysAndOwnsOnlyUsernameAndPassword) {
  json s = argocd_repo_secret(ns(), "labelled");
  s["metadata"]["labels"][kManagedLabel] = "true";
  kube_->create(kube::resources::kSecrets, ns(), s);
  start_controller();
  ASSERT_TRUE(
      eventually([&] { return data_of(get_secret("labelled"), "password") == kMotoPassword; }));
  json got = get_secret("labelled");
  EXPECT_EQ(data_of(got, "url"), kRepoUrl);
  EXPECT_EQ(data_of(got, "enableOCI"), "true");
  EXPECT_EQ(data_of(got, "username"), "AWS");
  bool seen = false;
  for (const auto& mf : got["metadata"]["managedFields"]) {
    if (mf.value("manager", "") == kFieldManager && mf.value("operation", "") == "Apply") {
      seen = true;
      EXPECT_TRUE(mf["fieldsV1"]["f:data"].contains("f:password"));
      EXPECT_FALSE(mf["fieldsV1"]["f:data"].contains("f:url"));
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(ControllerTest, AnEditBySomeoneElseMeanwhileIsNotLost) {
  kube_->create(kube::resources::kSecrets, ns(), argocd_repo_secret(ns(), "shared"));
  kube_->create(eso::kEcrAuthorizationTokens, ns(), seed_generator(ns()));
  create_v1(seed_external_secret(ns(), "shared"));
  start_controller();
  ASSERT_TRUE(eventually([&] { return es_ready("shared"); }));
  // Argo CD (or a person) edits another key; a forced re-sync follows.
  kube_->patch(kube::resources::kSecrets, ns(), "shared", kube::PatchType::kMerge,
               {{"data", {{"project", base64_encode("team-a")}}}});
  kube_->patch(eso::kExternalSecrets, ns(), "shared", kube::PatchType::kMerge,
               {{"metadata", {{"annotations", {{"force-sync", "1"}}}}}});
  ASSERT_TRUE(eventually([&] {
    json es = get_es("shared");
    return es["status"].value("syncedResourceVersion", "") == synced_resource_version(es);
  }));
  json s = get_secret("shared");
  EXPECT_EQ(data_of(s, "project"), "team-a");
  EXPECT_EQ(data_of(s, "password"), kMotoPassword);
}

// Annotation mode assumes an annotated role only when the allow-list says so;
// a refused one is a Warning event and no write (moto assumes any role here).
TEST_F(ControllerTest, AnnotatedRolesOutsideTheAllowListAreRefusedWithAnEvent) {
  auto with_role = [&](const std::string& name, const std::string& role) {
    json s = argocd_repo_secret(ns(), name);
    s["metadata"]["labels"][kManagedLabel] = "true";
    if (!role.empty()) s["metadata"]["annotations"][kRoleAnnotation] = role;
    kube_->create(kube::resources::kSecrets, ns(), s);
  };
  with_role("outside", "arn:aws:iam::123456789012:role/admin");
  with_role("inside", "arn:aws:iam::123456789012:role/argocd-team-a");
  repos_ = std::make_unique<RepoSecretReconciler>(
      *kube_, *generator_, env_, SystemClock::instance(),
      RolePolicy{false, {"arn:aws:iam::123456789012:role/argocd-*"}});
  start_controller();
  ASSERT_TRUE(
      eventually([&] { return data_of(get_secret("inside"), "password") == kMotoPassword; }));
  kube::ListOptions lo;
  lo.field_selector = "involvedObject.name=outside,reason=NotAllowed";
  ASSERT_TRUE(
      eventually([&] { return !kube_->list(kube::resources::kEvents, ns(), lo).items.empty(); }));
  std::string msg = kube_->list(kube::resources::kEvents, ns(), lo).items[0].value("message", "");
  EXPECT_NE(msg.find("--allowed-role-arns"), std::string::npos) << msg;
  EXPECT_EQ(data_of(get_secret("outside"), "password"), "expired-token");
  // With no allow-list at all (the default) even the argocd-* role is refused.
  EXPECT_FALSE(RolePolicy{}.allowed("arn:aws:iam::123456789012:role/argocd-team-a"));
  EXPECT_TRUE((RolePolicy{true, {}}.allowed("arn:aws:iam::123456789012:role/admin")));
}

}  // namespace
}  // namespace ecrhelm::controller
