// doctor's checks called one at a time, with AWS and the API server
// scripted (no cluster, no AWS): a caller that is another role fails
// aws.role, a service account without the role annotation fails
// irsa.service-account with the kubectl line that fixes it, pods started
// before the annotation fail irsa.rollout, and a Helm repository secret
// without enableOCI fails argocd.type; the report never holds the password.
#include <gtest/gtest.h>

#include <memory>

#include "aws/fakes.h"
#include "doctor/checks.h"
#include "support/objects.h"
#include "util/env.h"
#include "util/time.h"

namespace ecrhelm::doctor {
namespace {

using nlohmann::json;
using test::ScriptedHttp;

constexpr const char* kRole = "arn:aws:iam::123456789012:role/argocd-repo-server-ecr";
constexpr const char* kPassword = "PASSWORD-doctor-unit-leakcheck";

const CheckResult* find(const Report& r, const std::string& check) {
  for (const auto& c : r.results())
    if (c.check == check) return &c;
  return nullptr;
}

class DoctorChecks : public ::testing::Test {
 protected:
  DoctorChecks() {
    env_.set("AWS_ACCESS_KEY_ID", "AKIDDOCTORUNIT");
    env_.set("AWS_SECRET_ACCESS_KEY", "doctor-unit-secret");
    env_.set("AWS_REGION", "us-west-2");
    env_.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    service_.http = aws_http_.get();
    service_.env = &env_;
    service_.clock = &clock_;
    providers_ = aws::make_provider_context(service_);
  }

  // A Doctor whose cluster answers from kube_http_.
  std::unique_ptr<Doctor> doctor() {
    kube::RestConfig rc;
    rc.server = "https://kube.test";
    rc.source = "unit test";
    services_ = std::make_unique<Services>(Services{service_, providers_, "", nullptr, nullptr});
    services_->kube = std::make_unique<kube::KubeClient>(rc, kube_http_);
    return std::make_unique<Doctor>(options_, *services_);
  }

  static std::string list(const json& items) {
    return json{{"kind", "List"}, {"metadata", {{"resourceVersion", "1"}}}, {"items", items}}
        .dump();
  }

  std::shared_ptr<ScriptedHttp> aws_http_ = std::make_shared<ScriptedHttp>();
  std::shared_ptr<ScriptedHttp> kube_http_ = std::make_shared<ScriptedHttp>();
  MapEnv env_;
  ManualClock clock_{from_unix_seconds(1764331200)};  // 2025-11-28T12:00:00Z
  aws::ServiceContext service_;
  aws::ProviderContext providers_;
  Options options_;
  std::unique_ptr<Services> services_;
};

TEST_F(DoctorChecks, ACallerThatIsAnotherRoleFailsAwsRole) {
  options_.role_arn = kRole;
  aws_http_->push(200,
                  "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::"
                  "123456789012:assumed-role/some-other-role/s</Arn><UserId>AROA:s</UserId>"
                  "<Account>123456789012</Account></GetCallerIdentityResult>"
                  "</GetCallerIdentityResponse>");
  auto d = doctor();
  d->check_aws_identity();
  const auto* id = find(d->report(), "aws.identity");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->status, CheckStatus::kOk) << id->message;
  EXPECT_NE(id->message.find("assumed-role/some-other-role/s"), std::string::npos);
  const auto* role = find(d->report(), "aws.role");
  ASSERT_TRUE(role);
  EXPECT_EQ(role->status, CheckStatus::kFail);
  EXPECT_NE(role->message.find(std::string("not role ") + kRole), std::string::npos)
      << role->message;
  EXPECT_FALSE(role->fix.empty());
  EXPECT_TRUE(d->report().failed());
  EXPECT_EQ(d->report().json().dump().find("doctor-unit-secret"), std::string::npos);
}

TEST_F(DoctorChecks, TheCallerBeingTheRoleIsOk) {
  options_.role_arn = kRole;
  aws_http_->push(200,
                  "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::"
                  "123456789012:assumed-role/argocd-repo-server-ecr/s</Arn><UserId>AROA:s"
                  "</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
                  "</GetCallerIdentityResponse>");
  auto d = doctor();
  d->check_aws_identity();
  const auto* role = find(d->report(), "aws.role");
  ASSERT_TRUE(role);
  EXPECT_EQ(role->status, CheckStatus::kOk) << role->message;
  EXPECT_FALSE(d->report().failed());
}

TEST_F(DoctorChecks, AServiceAccountWithoutTheRoleAnnotationFails) {
  options_.service_account = "argocd-repo-server";
  kube_http_->push(200,
                   json{{"apiVersion", "v1"},
                        {"kind", "ServiceAccount"},
                        {"metadata", {{"name", "argocd-repo-server"}, {"namespace", "argocd"}}}}
                       .dump());
  auto d = doctor();
  d->check_service_account();
  const auto* c = find(d->report(), "irsa.service-account");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, CheckStatus::kFail);
  EXPECT_NE(c->message.find("has no eks.amazonaws.com/role-arn annotation"), std::string::npos)
      << c->message;
  EXPECT_NE(c->fix.find("kubectl annotate serviceaccount argocd-repo-server -n argocd"),
            std::string::npos)
      << c->fix;
  ASSERT_EQ(kube_http_->sent.size(), 1u);
  EXPECT_EQ(kube_http_->sent[0].url,
            "https://kube.test/api/v1/namespaces/argocd/serviceaccounts/argocd-repo-server");
  EXPECT_FALSE(d->role_arn_);
}

TEST_F(DoctorChecks, PodsStartedBeforeTheAnnotationFailTheRollout) {
  options_.deployment = "argocd-repo-server";
  auto d = doctor();
  d->role_arn_ = kRole;
  d->sa_ =
      json{{"metadata",
            {{"managedFields",
              {{{"manager", "kubectl-annotate"},
                {"time", "2025-11-28T11:00:00Z"},
                {"fieldsV1",
                 {{"f:metadata",
                   {{"f:annotations", {{"f:eks.amazonaws.com/role-arn", json::object()}}}}}}}}}}}}};
  d->deployment_ = json{{"spec", {{"selector", {{"matchLabels", {{"app", "repo"}}}}}}}};
  auto pod = [](const std::string& name, const std::string& created) {
    return json{{"metadata", {{"name", name}, {"creationTimestamp", created}}}};
  };
  kube_http_->push(
      200, list({pod("before", "2025-11-28T10:00:00Z"), pod("after", "2025-11-28T11:30:00Z")}));
  d->check_rollout();
  const auto* c = find(d->report(), "irsa.rollout");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, CheckStatus::kFail);
  EXPECT_NE(c->message.find("1 of 2 pods"), std::string::npos) << c->message;
  EXPECT_NE(c->message.find("before"), std::string::npos);
  EXPECT_EQ(c->fix, "kubectl rollout restart deployment argocd-repo-server -n argocd");
  ASSERT_EQ(kube_http_->sent.size(), 1u);
  EXPECT_NE(kube_http_->sent[0].url.find("/api/v1/namespaces/argocd/pods?"), std::string::npos)
      << kube_http_->sent[0].url;
  EXPECT_NE(kube_http_->sent[0].url.find("labelSelector=app"), std::string::npos)
      << kube_http_->sent[0].url;
}

TEST_F(DoctorChecks, AHelmRepositorySecretWithoutEnableOciFailsArgocdType) {
  options_.chart = "oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo";
  auto d = doctor();
  d->resolve_chart();
  ASSERT_EQ(d->repo_url_, "123456789012.dkr.ecr.us-west-2.amazonaws.com/charts");
  json secret = test::make_secret(
      "argocd", "ecr-charts",
      {{"url", d->repo_url_}, {"type", "helm"}, {"username", "AWS"}, {"password", kPassword}},
      {{argocd::kArgoSecretTypeLabel, "repository"}});
  kube_http_->push(200, list(json::array({secret})));
  // No ExternalSecret CRD (v1, v1beta1) and no Application CRD.
  for (int i = 0; i < 3; ++i)
    kube_http_->push(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  d->check_argocd();
  const auto* secret_check = find(d->report(), "argocd.secret");
  ASSERT_TRUE(secret_check);
  EXPECT_EQ(secret_check->status, CheckStatus::kOk) << secret_check->message;
  const auto* type = find(d->report(), "argocd.type");
  ASSERT_TRUE(type);
  EXPECT_EQ(type->status, CheckStatus::kFail);
  EXPECT_NE(type->message.find("type: helm but enableOCI is not set"), std::string::npos)
      << type->message;
  EXPECT_NE(type->fix.find(R"("enableOCI":"true")"), std::string::npos) << type->fix;
  const auto* user = find(d->report(), "argocd.username");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->status, CheckStatus::kOk);
  ASSERT_TRUE(d->argo_creds_);
  EXPECT_EQ(d->argo_creds_->secret, "argocd/ecr-charts");
  EXPECT_EQ(d->report().json().dump().find(kPassword), std::string::npos);
  EXPECT_EQ(d->report().text().find(kPassword), std::string::npos);
}

}  // namespace
}  // namespace ecrhelm::doctor
