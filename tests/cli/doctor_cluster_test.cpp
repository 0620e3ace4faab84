// `ecrhelm doctor` on the real test bed: the kube-apiserver (service
// account, deployment, pods, a real TokenRequest whose claims are decoded),
// moto_server (web identity with that token), a scriptable AWS fixture (STS
// and ECR refusals), docker-registry behind htpasswd with a pushed chart, and
// the seed's Argo CD repository secret and ExternalSecret. Every check's ok
// case and each failing case with its exact message; no secret value (the
// password, the service-account token) in any output.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "argocd/applications.h"
#include "cli/doctor_helpers.h"
#include "controller/eso_types.h"
#include "kube/client.h"
#include "support/crds.h"
#include "support/kube.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/time.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kRole = "arn:aws:iam::123456789012:role/argocd-repo-server-ecr";
constexpr const char* kSa = "argocd-repo-server";
constexpr const char* kPassword = "REGISTRY-PASSWORD-doctor-leakcheck";
constexpr const char* kEksIssuer =
    "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const kube::ResourceType& kEsV1beta1 = controller::eso::kExternalSecretsV1beta1;

// Flags with `extra` applied: a flag already present gets the new value
// (CLI11 takes each option once), others are appended.
std::vector<std::string> with_flags(std::vector<std::string> base,
                                    const std::vector<std::string>& extra) {
  for (size_t i = 0; i < extra.size(); ++i) {
    bool has_value = i + 1 < extra.size() && !extra[i + 1].starts_with("--");
    auto it = std::find(base.begin(), base.end(), extra[i]);
    if (it != base.end() && has_value && it + 1 != base.end()) {
      *(it + 1) = extra[i + 1];
    } else if (it == base.end()) {
      base.push_back(extra[i]);
      if (has_value) base.push_back(extra[i + 1]);
    }
    if (has_value) ++i;
  }
  return base;
}

// Labelled as Argo CD's chart labels it (a bare object gets no managedFields
// at all, and then none on later updates either).
json service_account(const std::string& name, const std::map<std::string, std::string>& ann) {
  json sa = {{"apiVersion", "v1"},
             {"kind", "ServiceAccount"},
             {"metadata", {{"name", name}, {"labels", {{"app.kubernetes.io/name", name}}}}}};
  if (!ann.empty()) sa["metadata"]["annotations"] = ann;
  return sa;
}

json deployment(const std::string& name, const std::string& sa, std::optional<bool> automount) {
  json pod_spec = {{"serviceAccountName", sa},
                   {"containers", json::array({{{"name", "repo-server"}, {"image", "argocd"}}})}};
  if (automount) pod_spec["automountServiceAccountToken"] = *automount;
  json spec = {{"replicas", 1},
               {"selector", {{"matchLabels", {{"app", name}}}}},
               {"template", {{"metadata", {{"labels", {{"app", name}}}}}, {"spec", pod_spec}}}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec", spec}};
}

// A pod of the deployment; role_arn: the AWS_ROLE_ARN the EKS webhook injects.
json pod(const std::string& name, const std::string& app, const std::string& role_arn = "") {
  json container = {{"name", "repo-server"}, {"image", "argocd"}};
  if (!role_arn.empty()) {
    container["env"] = json::array({{{"name", "AWS_ROLE_ARN"}, {"value", role_arn}}});
  }
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
          {"spec", {{"serviceAccountName", kSa}, {"containers", json::array({container})}}}};
}

// The IRSA side: a namespace with the repo server's service account (annotated),
// deployment and one pod started after the annotation.
class DoctorIrsa : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override {
    ns_ = std::make_unique<ScopedNamespace>("argocd");
    kube_ = admin_client();
  }
  const std::string& ns() const { return ns_->name(); }
  std::string sa_name() const { return ns() + "/" + kSa; }
  void create_all(std::optional<bool> automount = std::nullopt) {
    kube_->create(kube::resources::kServiceAccounts, ns(),
                  service_account(kSa, {{"eks.amazonaws.com/role-arn", kRole}}));
    kube_->create(kube::resources::kDeployments, ns(), deployment(kSa, kSa, automount));
    kube_->create(kube::resources::kPods, ns(), pod("repo-server-1", kSa));
  }
  void annotate(const json& value) {
    kube_->patch(kube::resources::kServiceAccounts, ns(), kSa, kube::PatchType::kMerge,
                 {{"metadata", {{"annotations", {{"eks.amazonaws.com/role-arn", value}}}}}});
  }
  std::map<std::string, std::string> env() const { return moto_->env(home_.path()); }
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {
        "-n",           ns(), "--kubeconfig", kube_testbed().kubeconfig, "--service-account", kSa,
        "--deployment", kSa};
    return with_flags(a, extra);
  }
  static void expect_no_token(const DoctorRun& d) {
    // Every JWT starts with base64url("{\"") = "eyJ".
    EXPECT_EQ(d.all().find("eyJ"), std::string::npos) << d.all();
  }

  static MotoServer* moto_;
  std::unique_ptr<ScopedNamespace> ns_;
  std::unique_ptr<kube::KubeClient> kube_;
  TempDir home_;
};
MotoServer* DoctorIrsa::moto_ = nullptr;

TEST_F(DoctorIrsa, WiredAsTheSeedSaysEveryCheckPasses) {
  create_all();
  const std::string issuer = kube_testbed().issuer;
  std::string provider = issuer.substr(std::string("https://").size());
  auto d = run_doctor(args({"--issuer-url", issuer + "/"}), env());
  EXPECT_EQ(d.raw.exit_code, 0) << d.raw.out << d.raw.err;
  EXPECT_EQ(d.status("kube.config"), "ok");
  EXPECT_EQ(d.status("irsa.service-account"), "ok");
  EXPECT_EQ(d.message("irsa.service-account"),
            "service account " + sa_name() + " has eks.amazonaws.com/role-arn=" + kRole);
  EXPECT_EQ(d.status("irsa.automount"), "ok");
  EXPECT_EQ(d.message("irsa.automount"),
            "deployment " + sa_name() + " mounts the service account token (runs as " + kSa + ")");
  EXPECT_EQ(d.status("irsa.token"), "ok");
  std::string sub = "system:serviceaccount:" + ns() + ":" + kSa;
  EXPECT_EQ(d.message("irsa.token"),
            "iss " + issuer + ", sub " + sub +
                ", aud sts.amazonaws.com: the role's trust policy must name Federated "
                "arn:aws:iam::123456789012:oidc-provider/" +
                provider + " with " + provider + ":sub = " + sub + " and " + provider +
                ":aud = sts.amazonaws.com");
  EXPECT_EQ(d.status("irsa.rollout"), "ok");
  EXPECT_TRUE(d.message("irsa.rollout")
                  .starts_with("1 pods of deployment " + sa_name() +
                               " started after eks.amazonaws.com/role-arn was set ("))
      << d.message("irsa.rollout");
  // moto accepts the token: the role's credentials, then ECR (moto's token is born expired).
  EXPECT_EQ(d.status("aws.web-identity"), "ok");
  EXPECT_TRUE(d.message("aws.web-identity")
                  .starts_with(std::string("AssumeRoleWithWebIdentity for ") + kRole +
                               " with the token of " + sa_name() + " gave credentials, expire in "))
      << d.message("aws.web-identity");
  EXPECT_EQ(d.status("aws.ecr-token"), "warn");
  EXPECT_TRUE(d.message("aws.ecr-token")
                  .starts_with("GetAuthorizationToken in us-east-1 with web identity (" +
                               sa_name() + ") credentials: token for "))
      << d.message("aws.ecr-token");
  // No --issuer-url: the token's issuer is reported as what the trust policy must name.
  auto plain = run_doctor(args(), env());
  EXPECT_EQ(plain.status("irsa.token"), "ok");
  EXPECT_EQ(plain.message("irsa.token"), d.message("irsa.token"));
  expect_no_token(d);
  expect_no_token(plain);
  // The text form never shows the token either, at -v.
  auto text = run_ecrhelm(
      [&] {
        auto a = args();
        a.insert(a.begin(), {"-v", "doctor"});
        return a;
      }(),
      env());
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ((text.out + text.err).find("eyJ"), std::string::npos);
}

TEST_F(DoctorIrsa, ServiceAccountMissing) {
  kube_->create(kube::resources::kDeployments, ns(), deployment(kSa, kSa, std::nullopt));
  auto d = run_doctor(args(), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("irsa.service-account"), "fail");
  EXPECT_EQ(d.message("irsa.service-account"), "service account " + sa_name() + " not found");
  EXPECT_EQ(d.fix("irsa.service-account"),
            "check -n and --service-account (Argo CD's is argocd-repo-server in Argo CD's "
            "namespace)");
  EXPECT_EQ(d.message("irsa.token"), "no service account (see irsa.service-account)");
  EXPECT_EQ(d.message("irsa.rollout"), "no role annotation (see irsa.service-account)");
  EXPECT_EQ(d.message("aws.web-identity"), "no service-account token (see irsa.token)");
}

TEST_F(DoctorIrsa, AnnotationMissingNotARoleOrNotTheExpectedRole) {
  create_all();
  const std::string annotate_fix = "kubectl annotate serviceaccount argocd-repo-server -n " + ns() +
                                   " --overwrite eks.amazonaws.com/role-arn=arn:aws:iam::"
                                   "ACCOUNT_ID:role/ROLE_NAME";
  annotate(nullptr);
  auto none = run_doctor(args(), env());
  EXPECT_EQ(none.raw.exit_code, 1);
  EXPECT_EQ(none.status("irsa.service-account"), "fail");
  EXPECT_EQ(none.message("irsa.service-account"),
            "service account " + sa_name() + " has no eks.amazonaws.com/role-arn annotation");
  EXPECT_EQ(none.fix("irsa.service-account"), annotate_fix);
  EXPECT_EQ(none.message("irsa.rollout"), "no role annotation (see irsa.service-account)");
  EXPECT_EQ(none.message("aws.web-identity"), "no role annotation (see irsa.service-account)");

  annotate("arn:aws:iam::123456789012:user/ci");
  auto user = run_doctor(args(), env());
  EXPECT_EQ(user.status("irsa.service-account"), "fail");
  EXPECT_EQ(user.message("irsa.service-account"),
            "eks.amazonaws.com/role-arn on service account " + sa_name() +
                " is \"arn:aws:iam::123456789012:user/ci\", not an IAM role ARN");
  EXPECT_EQ(user.fix("irsa.service-account"), annotate_fix);

  annotate(kRole);
  const std::string other = "arn:aws:iam::123456789012:role/other";
  auto differs = run_doctor(args({"--role-arn", other}), env());
  EXPECT_EQ(differs.status("irsa.service-account"), "fail");
  EXPECT_EQ(differs.message("irsa.service-account"),
            "service account " + sa_name() + " names role " + kRole + ", not --role-arn " + other);
  EXPECT_EQ(differs.fix("irsa.service-account"),
            "kubectl annotate serviceaccount argocd-repo-server -n " + ns() +
                " --overwrite eks.amazonaws.com/role-arn=" + other);
}

TEST_F(DoctorIrsa, TokenNotMountedOrWrongServiceAccount) {
  const std::string patch =
      "kubectl patch deployment argocd-repo-server -n " + ns() +
      " --patch '{\"spec\":{\"template\":{\"spec\":{\"automountServiceAccountToken\": true}}}}'";
  create_all(false);
  auto off = run_doctor(args(), env());
  EXPECT_EQ(off.raw.exit_code, 1);
  EXPECT_EQ(off.status("irsa.automount"), "fail");
  EXPECT_EQ(off.message("irsa.automount"),
            "deployment " + sa_name() +
                " sets automountServiceAccountToken: false in its pod template: the AWS SDK finds "
                "no token");
  EXPECT_EQ(off.fix("irsa.automount"), patch);

  // Unset in the template, false on the service account: not mounted either.
  kube_->remove(kube::resources::kDeployments, ns(), kSa);
  kube_->create(kube::resources::kDeployments, ns(), deployment(kSa, kSa, std::nullopt));
  kube_->patch(kube::resources::kServiceAccounts, ns(), kSa, kube::PatchType::kMerge,
               {{"automountServiceAccountToken", false}});
  auto sa_off = run_doctor(args(), env());
  EXPECT_EQ(sa_off.status("irsa.automount"), "fail");
  EXPECT_EQ(sa_off.message("irsa.automount"),
            "service account " + sa_name() +
                " sets automountServiceAccountToken: false and deployment " + sa_name() +
                " does not override it");
  EXPECT_EQ(sa_off.fix("irsa.automount"), patch);

  // true in the template wins over the service account.
  kube_->remove(kube::resources::kDeployments, ns(), kSa);
  kube_->create(kube::resources::kDeployments, ns(), deployment(kSa, kSa, true));
  EXPECT_EQ(run_doctor(args(), env()).status("irsa.automount"), "ok");

  kube_->remove(kube::resources::kDeployments, ns(), kSa);
  kube_->create(kube::resources::kDeployments, ns(), deployment(kSa, "default", std::nullopt));
  auto wrong = run_doctor(args(), env());
  EXPECT_EQ(wrong.status("irsa.automount"), "fail");
  EXPECT_EQ(wrong.message("irsa.automount"),
            "deployment " + sa_name() + " runs as service account default, not " + kSa);
  EXPECT_EQ(wrong.fix("irsa.automount"),
            "set spec.template.spec.serviceAccountName: argocd-repo-server on the deployment, or "
            "pass --service-account default");

  auto missing = run_doctor(args({"--deployment", "repo-server-typo"}), env());
  EXPECT_EQ(missing.status("irsa.automount"), "fail");
  EXPECT_EQ(missing.message("irsa.automount"),
            "deployment " + ns() + "/repo-server-typo not found");
  EXPECT_EQ(missing.fix("irsa.automount"),
            "check -n and --deployment (Argo CD's is argocd-repo-server)");
  EXPECT_EQ(missing.message("irsa.rollout"), "no deployment (see irsa.automount)");
}

TEST_F(DoctorIrsa, TokenIssuerIsNotTheTrustPolicys) {
  create_all();
  auto d = run_doctor(args({"--issuer-url", kEksIssuer}), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("irsa.token"), "fail");
  const std::string issuer = kube_testbed().issuer;
  EXPECT_EQ(d.message("irsa.token"), "token iss is " + issuer + ", not --issuer-url " + kEksIssuer +
                                         ": STS will not match the role's trust policy");
  EXPECT_EQ(d.fix("irsa.token"),
            "make the role trust this cluster's issuer: ecrhelm policy trust --account ACCOUNT "
            "--region REGION --issuer-url " +
                issuer + " --namespace " + ns() +
                " --service-account argocd-repo-server (and create the IAM OIDC provider for it)");
  expect_no_token(d);
}

TEST_F(DoctorIrsa, ForbiddenIsAFailureNamingThePermission) {
  create_all();
  auto d = run_doctor(args({"--context", "nobody"}), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("irsa.service-account"), "fail");
  EXPECT_NE(d.message("irsa.service-account").find("forbidden"), std::string::npos)
      << d.message("irsa.service-account");
  EXPECT_EQ(d.fix("irsa.service-account"), "grant get on serviceaccounts in " + ns());
  EXPECT_EQ(d.fix("irsa.automount"), "grant get on deployments.apps in " + ns());
  auto argo =
      run_doctor(args({"--context", "nobody", "--chart", "oci://127.0.0.1:1/charts/demo"}), env());
  EXPECT_EQ(argo.status("argocd.secret"), "fail");
  EXPECT_NE(argo.message("argocd.secret").find("forbidden"), std::string::npos);
  EXPECT_EQ(argo.fix("argocd.secret"), "grant list on secrets in " + ns());
  EXPECT_EQ(argo.message("argocd.type"), "no secret (see argocd.secret)");
}

TEST_F(DoctorIrsa, ReadButNoTokenRequestNorExternalSecrets) {
  // RBAC as a cautious admin grants: read everything doctor reads, but no
  // TokenRequest and no ExternalSecrets.
  install_crds();
  create_all();
  const kube::ResourceType roles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
  const kube::ResourceType bindings{"rbac.authorization.k8s.io", "v1", "rolebindings",
                                    "RoleBinding", true};
  kube_->create(
      roles, ns(),
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "Role"},
       {"metadata", {{"name", "doctor-read"}}},
       {"rules",
        json::array(
            {{{"apiGroups", {""}},
              {"resources", {"serviceaccounts", "pods", "secrets"}},
              {"verbs", {"get", "list"}}},
             {{"apiGroups", {"apps"}}, {"resources", {"deployments"}}, {"verbs", {"get"}}}})}});
  kube_->create(
      bindings, ns(),
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "RoleBinding"},
       {"metadata", {{"name", "doctor-read"}}},
       {"roleRef",
        {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "doctor-read"}}},
       {"subjects",
        json::array(
            {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", "nobody"}}})}});
  kube_->create(kube::resources::kSecrets, ns(),
                make_secret(ns(), "repo",
                            {{"type", "helm"},
                             {"url", "127.0.0.1:1/charts"},
                             {"enableOCI", "true"},
                             {"username", "AWS"},
                             {"password", "p"}},
                            {{"argocd.argoproj.io/secret-type", "repository"}}));
  // RBAC takes a moment to reach the authorizer's cache.
  DoctorRun d;
  for (int i = 0; i < 50; ++i) {
    d = run_doctor(args({"--context", "nobody", "--chart", "oci://127.0.0.1:1/charts/demo"}),
                   env());
    if (d.status("irsa.service-account") == "ok") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("irsa.service-account"), "ok");
  EXPECT_EQ(d.status("irsa.automount"), "ok");
  EXPECT_EQ(d.status("irsa.rollout"), "ok");
  EXPECT_EQ(d.status("irsa.token"), "fail");
  EXPECT_NE(d.message("irsa.token").find("forbidden"), std::string::npos)
      << d.message("irsa.token");
  EXPECT_EQ(d.fix("irsa.token"),
            "grant create on serviceaccounts/token for argocd-repo-server in " + ns() +
                " (or run doctor as a cluster admin)");
  EXPECT_EQ(d.message("aws.web-identity"), "no service-account token (see irsa.token)");
  EXPECT_EQ(d.status("argocd.password"), "ok");
  EXPECT_EQ(d.status("argocd.external-secret"), "fail");
  EXPECT_NE(d.message("argocd.external-secret").find("forbidden"), std::string::npos)
      << d.message("argocd.external-secret");
  EXPECT_EQ(d.fix("argocd.external-secret"), "grant list on externalsecrets in " + ns());
}

TEST_F(DoctorIrsa, PodsStartedBeforeTheAnnotation) {
  kube_->create(kube::resources::kServiceAccounts, ns(), service_account(kSa, {}));
  kube_->create(kube::resources::kDeployments, ns(), deployment(kSa, kSa, std::nullopt));
  kube_->create(kube::resources::kPods, ns(), pod("repo-server-old", kSa));
  std::this_thread::sleep_for(1100ms);  // API times have seconds precision
  annotate(kRole);
  auto d = run_doctor(args(), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("irsa.rollout"), "fail");
  auto sa = kube_->get(kube::resources::kServiceAccounts, ns(), kSa);
  std::string annotated;
  for (const auto& mf : sa["metadata"]["managedFields"]) {
    annotated = std::max(annotated, mf["time"].get<std::string>());
  }
  EXPECT_EQ(d.message("irsa.rollout"), "1 of 1 pods of deployment " + sa_name() +
                                           " started before eks.amazonaws.com/role-arn was set (" +
                                           annotated + "): repo-server-old");
  EXPECT_EQ(d.fix("irsa.rollout"),
            "kubectl rollout restart deployment argocd-repo-server -n " + ns());

  kube_->remove(kube::resources::kPods, ns(), "repo-server-old");
  auto none = run_doctor(args(), env());
  EXPECT_EQ(none.raw.exit_code, 0) << none.raw.out;
  EXPECT_EQ(none.status("irsa.rollout"), "warn");
  EXPECT_EQ(none.message("irsa.rollout"),
            "deployment " + sa_name() + " has no pods (selector app=argocd-repo-server)");
  EXPECT_EQ(
      none.fix("irsa.rollout"),
      "scale it up: kubectl scale deployment argocd-repo-server -n " + ns() + " --replicas=1");
}

TEST_F(DoctorIrsa, RolloutWithoutManagedFieldsUsesTheInjectedRole) {
  // `kubectl create serviceaccount` + `kubectl annotate`: nothing dates the annotation.
  kube_->create(kube::resources::kServiceAccounts, ns(),
                {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", kSa}}}});
  annotate(kRole);
  ASSERT_FALSE(kube_->get(kube::resources::kServiceAccounts, ns(), kSa)["metadata"].contains(
      "managedFields"));
  kube_->create(kube::resources::kDeployments, ns(), deployment(kSa, kSa, std::nullopt));
  kube_->create(kube::resources::kPods, ns(), pod("repo-server-1", kSa));
  const std::string restart = "kubectl rollout restart deployment argocd-repo-server -n " + ns();
  auto unknown = run_doctor(args(), env());
  EXPECT_EQ(unknown.raw.exit_code, 0) << unknown.raw.out;
  EXPECT_EQ(unknown.status("irsa.rollout"), "warn");
  EXPECT_EQ(unknown.message("irsa.rollout"),
            "cannot tell whether pods repo-server-1 started after eks.amazonaws.com/role-arn was "
            "set on service account " +
                sa_name() +
                ": they have no AWS_ROLE_ARN and no managedFields entry dates the annotation");
  EXPECT_EQ(unknown.fix("irsa.rollout"), restart + " (harmless if they already use the role)");

  // The webhook injected the annotated role: started after it.
  kube_->remove(kube::resources::kPods, ns(), "repo-server-1");
  kube_->create(kube::resources::kPods, ns(), pod("repo-server-2", kSa, kRole));
  auto ok = run_doctor(args(), env());
  EXPECT_EQ(ok.status("irsa.rollout"), "ok");
  EXPECT_EQ(ok.message("irsa.rollout"), "1 pods of deployment " + sa_name() +
                                            " started after eks.amazonaws.com/role-arn was set "
                                            "(time unknown)");

  // It injected an older role: started before the annotation changed.
  const std::string old_role = "arn:aws:iam::123456789012:role/old";
  kube_->create(kube::resources::kPods, ns(), pod("repo-server-3", kSa, old_role));
  auto stale = run_doctor(args(), env());
  EXPECT_EQ(stale.raw.exit_code, 1);
  EXPECT_EQ(stale.status("irsa.rollout"), "fail");
  EXPECT_EQ(stale.message("irsa.rollout"),
            "1 of 2 pods of deployment " + sa_name() +
                " started before eks.amazonaws.com/role-arn was set (time unknown): "
                "repo-server-3 (AWS_ROLE_ARN " +
                old_role + ")");
  EXPECT_EQ(stale.fix("irsa.rollout"), restart);
}

TEST_F(DoctorIrsa, WebIdentityRejectedOrUnreachable) {
  create_all();
  AwsFixture aws;
  aws.sts(400,
          "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
          "<Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect "
          "provider found in your account for " +
              kube_testbed().issuer + "</Message></Error><RequestId>r</RequestId></ErrorResponse>");
  auto e = env();
  e["AWS_ENDPOINT_URL_STS"] = aws.url();
  auto d = run_doctor(args(), e);
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("aws.web-identity"), "fail");
  EXPECT_NE(d.message("aws.web-identity").find("InvalidIdentityToken"), std::string::npos)
      << d.message("aws.web-identity");
  EXPECT_NE(d.message("aws.web-identity").find("No OpenIDConnect provider found"),
            std::string::npos)
      << d.message("aws.web-identity");
  EXPECT_EQ(d.fix("aws.web-identity"),
            "the role's trust policy must allow this cluster's issuer and service account: "
            "ecrhelm policy trust --account 123456789012 --region REGION --issuer-url " +
                kube_testbed().issuer + " --namespace " + ns() +
                " --service-account argocd-repo-server (and an IAM OIDC provider for the "
                "issuer)");
  expect_no_token(d);

  e["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:" + std::to_string(free_port());
  auto down = run_doctor(args(), e);
  EXPECT_EQ(down.raw.exit_code, 0) << down.raw.out;
  EXPECT_EQ(down.status("aws.web-identity"), "warn");
  EXPECT_TRUE(down.message("aws.web-identity").starts_with("STS is not reachable from here: "))
      << down.message("aws.web-identity");
  EXPECT_EQ(down.fix("aws.web-identity"),
            "run doctor where STS is reachable, or check from the pod with `ecrhelm whoami`");
}

// The Argo CD side and the registry: the seed's repository secret, the chart
// in docker-registry behind htpasswd (user AWS, as ECR).
class DoctorArgo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new RegistryServer("AWS", kPassword);
    pushed_ = new PushedArtifact(push_chart(registry_->url(), "charts/demo", "1.2.3",
                                            make_chart_tgz("demo", "1.2.3"), "AWS", kPassword));
  }
  static void TearDownTestSuite() {
    delete pushed_;
    delete registry_;
  }
  void SetUp() override {
    ns_ = std::make_unique<ScopedNamespace>("argocd");
    kube_ = admin_client();
  }
  const std::string& ns() const { return ns_->name(); }
  std::string url() const { return registry_->host() + "/charts"; }
  std::string chart() const { return "oci://" + registry_->host() + "/charts/demo"; }
  void secret(const std::string& name, const std::string& type,
              const std::map<std::string, std::string>& data) {
    kube_->create(kube::resources::kSecrets, ns(),
                  make_secret(ns(), name, data, {{"argocd.argoproj.io/secret-type", type}}));
  }
  // The seed's repository secret.
  std::map<std::string, std::string> seed_data() const {
    return {{"type", "helm"},      {"url", url()},      {"name", "demo"},
            {"enableOCI", "true"}, {"username", "AWS"}, {"password", kPassword}};
  }
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"-n",      ns(),    "--kubeconfig", kube_testbed().kubeconfig,
                                  "--chart", chart(), "--plain-http"};
    return with_flags(a, extra);
  }
  std::map<std::string, std::string> env() const {
    return {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  }
  static void expect_no_password(const DoctorRun& d) {
    EXPECT_EQ(d.all().find(kPassword), std::string::npos);
    EXPECT_EQ(d.all().find("UkVHSVNUUlktUEFTU1dPUkQ"), std::string::npos);  // its base64
    EXPECT_EQ(d.all().find(base64_encode(std::string("AWS:") + kPassword)), std::string::npos);
  }
  std::string secret_name(const std::string& name) const { return ns() + "/" + name; }

  static RegistryServer* registry_;
  static PushedArtifact* pushed_;
  std::unique_ptr<ScopedNamespace> ns_;
  std::unique_ptr<kube::KubeClient> kube_;
  TempDir home_;
};
RegistryServer* DoctorArgo::registry_ = nullptr;
PushedArtifact* DoctorArgo::pushed_ = nullptr;

TEST_F(DoctorArgo, TheSeedsSecretWorksAndTheManifestIsFetchedWithIt) {
  install_crds();
  secret("repo-2529854065", "repository", seed_data());
  const std::string name = secret_name("repo-2529854065");
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {},
           {"--version", "1.2.3"},
           {"--repo-url", url(), "--chart", "demo", "--version", "^1"}}) {
    auto d = run_doctor(args(extra), env());
    EXPECT_EQ(d.raw.exit_code, 0) << d.raw.out << d.raw.err;
    EXPECT_EQ(d.status("argocd.secret"), "ok");
    EXPECT_EQ(d.message("argocd.secret"),
              "repository secret " + name + " (url " + url() + ") with its own credentials");
    EXPECT_EQ(d.status("argocd.type"), "ok");
    EXPECT_EQ(d.message("argocd.type"), name + ": type: helm, enableOCI: \"true\"");
    EXPECT_EQ(d.status("argocd.url"), "ok");
    EXPECT_EQ(d.message("argocd.url"), name + ": url " + url() + " matches " + url());
    EXPECT_EQ(d.status("argocd.username"), "ok");
    EXPECT_EQ(d.message("argocd.username"), name + ": username: AWS");
    EXPECT_EQ(d.status("argocd.password"), "ok");
    EXPECT_TRUE(d.message("argocd.password").starts_with(name + ": password set, last written by "))
        << d.message("argocd.password");
    EXPECT_EQ(d.status("argocd.external-secret"), "skip");
    EXPECT_EQ(d.message("argocd.external-secret"),
              "no ExternalSecret in " + ns() + " targets secret repo-2529854065");
    EXPECT_EQ(d.status("registry.chart"), "ok");
    EXPECT_EQ(d.message("registry.chart"),
              registry_->host() + "/charts/demo:1.2.3 resolves to " + pushed_->manifest_digest +
                  " (manifest fetched with " + name + "'s credentials)");
    expect_no_password(d);
  }
  // Text at -v (the registry's requests are logged): still no password.
  auto a = args();
  a.insert(a.begin(), {"-v", "doctor"});
  auto verbose = run_ecrhelm(a, env());
  EXPECT_EQ(verbose.exit_code, 0) << verbose.out << verbose.err;
  EXPECT_NE(verbose.out.find("ok    registry.chart"), std::string::npos) << verbose.out;
  EXPECT_EQ((verbose.out + verbose.err).find(kPassword), std::string::npos);
  EXPECT_EQ((verbose.out + verbose.err).find("UkVHSVNUUlktUEFTU1dPUkQ"), std::string::npos);
  EXPECT_EQ((verbose.out + verbose.err).find(base64_encode(std::string("AWS:") + kPassword)),
            std::string::npos);
}

TEST_F(DoctorArgo, ApplicationsStuckOnACachedErrorAreNamedWithTheFix) {
  secret("repo-2529854065", "repository", seed_data());
  const std::string name = secret_name("repo-2529854065");
  install_argocd_crds();
  auto no_apps = run_doctor(args(), env());
  EXPECT_EQ(no_apps.status("argocd.applications"), "skip");
  EXPECT_EQ(no_apps.message("argocd.applications"),
            "no Application in " + ns() + " uses the credentials of " + name);

  const auto& apps = argocd::kArgoApplications;
  kube_->create(apps, ns(), make_application(ns(), "healthy", {url()}));
  kube_->create(apps, ns(), make_application(ns(), "multi", {url() + "-other", url()}, true));
  kube_->create(apps, ns(),
                make_application(ns(), "other-repo", {url() + "-other"}, false, "ComparisonError"));
  auto fine = run_doctor(args(), env());
  EXPECT_EQ(fine.raw.exit_code, 0) << fine.raw.out;
  EXPECT_EQ(fine.status("argocd.applications"), "ok");
  EXPECT_EQ(fine.message("argocd.applications"),
            "2 Application(s) use " + name + ", none shows an error: healthy, multi");

  kube_->create(apps, ns(), make_application(ns(), "stuck", {url()}, false, "ComparisonError"));
  auto stuck = run_doctor(args(), env());
  EXPECT_EQ(stuck.raw.exit_code, 0) << "a warning, not a failure: " << stuck.raw.out;
  EXPECT_EQ(stuck.status("argocd.applications"), "warn");
  EXPECT_EQ(stuck.message("argocd.applications"),
            "1 of 3 Application(s) using " + name +
                " show a manifest generation error: stuck; the repo server caches it (60 minutes "
                "by default) and a new password does not clear it");
  EXPECT_EQ(stuck.fix("argocd.applications"),
            "kubectl annotate application stuck -n " + ns() +
                " argocd.argoproj.io/refresh=hard (`ecrhelm controller` does it after each "
                "rotation: --argocd-refresh errored, the default)");
  expect_no_password(stuck);
}

TEST_F(DoctorArgo, CredentialsFromTheLongestPrefixRepoCreds) {
  secret("repo-bare", "repository", {{"type", "helm"}, {"url", url()}, {"enableOCI", "true"}});
  secret(
      "creds-registry", "repo-creds",
      {{"type", "helm"}, {"url", registry_->host()}, {"username", "AWS"}, {"password", "stale"}});
  // insecureOCIForceHttp: the secret says plain http, as Argo CD reads it.
  secret("creds-charts", "repo-creds",
         {{"type", "helm"},
          {"url", url()},
          {"username", "AWS"},
          {"password", kPassword},
          {"insecureOCIForceHttp", "true"}});
  auto a = args();
  a.pop_back();  // no --plain-http
  auto d = run_doctor(a, env());
  EXPECT_EQ(d.raw.exit_code, 0) << d.raw.out;
  EXPECT_EQ(d.message("argocd.secret"), "repository secret " + secret_name("repo-bare") +
                                            ", credentials from repo-creds " +
                                            secret_name("creds-charts") + " (url " + url() +
                                            ", the longest prefix of " + url() + ")");
  EXPECT_EQ(d.message("argocd.type"),
            secret_name("repo-bare") + ": type: helm, enableOCI: \"true\"");
  EXPECT_EQ(d.message("argocd.username"), secret_name("creds-charts") + ": username: AWS");
  EXPECT_EQ(d.status("registry.chart"), "ok") << d.message("registry.chart");
  EXPECT_NE(d.message("registry.chart").find("with " + secret_name("creds-charts") + "'s"),
            std::string::npos);
  expect_no_password(d);
}

TEST_F(DoctorArgo, NoSecretForTheChartsUrl) {
  secret("other", "repository", {{"type", "helm"}, {"url", registry_->host() + "/other"}});
  auto d = run_doctor(args(), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("argocd.secret"), "fail");
  EXPECT_EQ(d.message("argocd.secret"),
            "no repository or repo-creds secret for " + url() + " in namespace " + ns());
  EXPECT_EQ(d.fix("argocd.secret"),
            "create a secret in " + ns() +
                " labelled argocd.argoproj.io/secret-type=repository with url: " + url() +
                ", type: helm, enableOCI: \"true\", username: AWS and a password (README "
                "\"Setting up ECR access for Argo CD\")");
  for (const char* c : {"argocd.type", "argocd.url", "argocd.username", "argocd.password",
                        "argocd.external-secret"}) {
    EXPECT_EQ(d.status(c), "skip") << c;
    EXPECT_EQ(d.message(c), "no secret (see argocd.secret)") << c;
  }
  EXPECT_EQ(d.message("registry.chart"), "no credentials from Argo CD (see argocd.*)");
}

TEST_F(DoctorArgo, RepositoryWithoutCredentials) {
  secret("repo-bare", "repository", {{"type", "helm"}, {"url", url()}, {"enableOCI", "true"}});
  auto d = run_doctor(args(), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("argocd.secret"), "fail");
  EXPECT_EQ(d.message("argocd.secret"),
            "repository secret " + secret_name("repo-bare") + " for " + url() +
                " has no credentials and no repo-creds url is a prefix of it");
  EXPECT_EQ(d.fix("argocd.secret"),
            "add username: AWS and a password to " + secret_name("repo-bare") +
                ", or create a repo-creds secret whose url is a prefix of " + url());
  EXPECT_EQ(d.status("argocd.type"), "ok");
  EXPECT_EQ(d.message("argocd.username"), "no credentials (see argocd.secret)");
  EXPECT_EQ(d.message("argocd.password"), "no credentials (see argocd.secret)");
}

TEST_F(DoctorArgo, TypeEnableOciAndUrl) {
  auto data = seed_data();
  data.erase("enableOCI");
  secret("no-oci", "repository", data);
  auto d = run_doctor(args(), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("argocd.type"), "fail");
  EXPECT_EQ(d.message("argocd.type"),
            secret_name("no-oci") + ": type: helm but enableOCI is not set");
  EXPECT_EQ(d.fix("argocd.type"),
            "kubectl patch secret no-oci -n " + ns() +
                " --type merge -p '{\"stringData\":{\"enableOCI\":\"true\"}}'");
  kube_->remove(kube::resources::kSecrets, ns(), "no-oci");

  data = seed_data();
  data["enableOCI"] = "yes";
  secret("bad-oci", "repository", data);
  EXPECT_EQ(run_doctor(args(), env()).message("argocd.type"),
            secret_name("bad-oci") + ": type: helm but enableOCI is \"yes\"");
  kube_->remove(kube::resources::kSecrets, ns(), "bad-oci");

  data = seed_data();
  data.erase("type");
  secret("git", "repository", data);
  auto git = run_doctor(args(), env());
  EXPECT_EQ(git.status("argocd.type"), "fail");
  EXPECT_EQ(git.message("argocd.type"),
            secret_name("git") + ": type is not set: Argo CD treats it as a Git repository");
  EXPECT_EQ(git.fix("argocd.type"),
            "kubectl patch secret git -n " + ns() +
                " --type merge -p '{\"stringData\":{\"type\":\"helm\",\"enableOCI\":\"true\"}}'");
  kube_->remove(kube::resources::kSecrets, ns(), "git");

  data = seed_data();
  data["url"] = "oci://" + url();
  secret("oci-url", "repository", data);
  auto oci = run_doctor(args(), env());
  EXPECT_EQ(oci.raw.exit_code, 1);
  EXPECT_EQ(oci.status("argocd.secret"), "ok");
  EXPECT_EQ(oci.status("argocd.url"), "fail");
  EXPECT_EQ(oci.message("argocd.url"),
            secret_name("oci-url") + ": url is oci://" + url() +
                ": Argo CD's Helm OCI repositories take the URL without oci://, so it never "
                "matches " +
                url());
  EXPECT_EQ(oci.fix("argocd.url"), "kubectl patch secret oci-url -n " + ns() +
                                       " --type merge -p '{\"stringData\":{\"url\":\"" + url() +
                                       "\"}}'");
  kube_->remove(kube::resources::kSecrets, ns(), "oci-url");

  // type: oci (Argo CD 3.1's OCI repositories) takes oci:// URLs.
  data["type"] = "oci";
  data.erase("enableOCI");
  secret("oci-type", "repository", data);
  auto t = run_doctor(args(), env());
  EXPECT_EQ(t.raw.exit_code, 0) << t.raw.out;
  EXPECT_EQ(t.message("argocd.type"), secret_name("oci-type") + ": type: oci");
  EXPECT_EQ(t.status("argocd.url"), "ok");
}

TEST_F(DoctorArgo, UsernameAndPassword) {
  auto data = seed_data();
  data.erase("username");
  secret("no-user", "repository", data);
  const std::string set_user = "kubectl patch secret no-user -n " + ns() +
                               " --type merge -p '{\"stringData\":{\"username\":\"AWS\"}}'";
  auto d = run_doctor(args(), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("argocd.username"), "fail");
  EXPECT_EQ(d.message("argocd.username"), secret_name("no-user") + ": no username");
  EXPECT_EQ(d.fix("argocd.username"), set_user);
  EXPECT_EQ(d.status("registry.chart"), "fail");  // anonymous: docker-registry says 401
  kube_->patch(kube::resources::kSecrets, ns(), "no-user", kube::PatchType::kMerge,
               {{"stringData", {{"username", "admin"}}}});
  auto other = run_doctor(args(), env());
  EXPECT_EQ(other.status("argocd.username"), "warn");
  EXPECT_EQ(other.message("argocd.username"),
            secret_name("no-user") +
                ": username is \"admin\", not AWS (fine for a registry that is not ECR)");
  // The same registry taken as ECR (a VPC endpoint name, listed as ECR).
  auto ecr_env = env();
  ecr_env["ECRHELM_ECR_REGISTRIES"] = registry_->host();
  ecr_env["AWS_REGION"] = "us-east-1";
  auto ecr = run_doctor(args(), ecr_env);
  EXPECT_EQ(ecr.status("argocd.username"), "fail");
  EXPECT_EQ(ecr.message("argocd.username"),
            secret_name("no-user") + ": username is \"admin\": ECR tokens are for user AWS");
  EXPECT_EQ(ecr.fix("argocd.username"), set_user);
  kube_->remove(kube::resources::kSecrets, ns(), "no-user");

  data = seed_data();
  data.erase("password");
  secret("no-password", "repository", data);
  auto nopw = run_doctor(args(), env());
  EXPECT_EQ(nopw.status("argocd.password"), "fail");
  EXPECT_EQ(nopw.message("argocd.password"), secret_name("no-password") + ": no password");
  EXPECT_EQ(nopw.fix("argocd.password"),
            "keep it fresh with an ExternalSecret and an ECRAuthorizationToken generator (ESO or "
            "`ecrhelm controller`), or set it once with `ecrhelm token --registry " +
                registry_->host() + "`");
  kube_->remove(kube::resources::kSecrets, ns(), "no-password");

  // ecrhelm's controller notes the token's expiry on the secret.
  secret("expired", "repository", seed_data());
  kube_->patch(
      kube::resources::kSecrets, ns(), "expired", kube::PatchType::kMerge,
      {{"metadata", {{"annotations", {{"ecrhelm.io/token-expires-at", "2020-01-01T00:00:00Z"}}}}}});
  auto old = run_doctor(args(), env());
  EXPECT_EQ(old.status("argocd.password"), "fail");
  EXPECT_TRUE(old.message("argocd.password")
                  .starts_with(secret_name("expired") +
                               ": the password (an ECR token) expired at 2020-01-01T00:00:00Z, "
                               "last written by "))
      << old.message("argocd.password");
  kube_->patch(kube::resources::kSecrets, ns(), "expired", kube::PatchType::kMerge,
               {{"metadata",
                 {{"annotations",
                   {{"ecrhelm.io/token-expires-at",
                     format_iso8601(std::chrono::system_clock::now() + 6h)}}}}}});
  auto fresh = run_doctor(args(), env());
  EXPECT_EQ(fresh.status("argocd.password"), "ok");
  EXPECT_NE(fresh.message("argocd.password").find(", expires in 5h59m"), std::string::npos)
      << fresh.message("argocd.password");
  expect_no_password(fresh);
}

TEST_F(DoctorArgo, ExternalSecretReadyNotReadyAndRefreshInterval) {
  install_crds();
  secret("repo-2529854065", "repository", seed_data());
  kube_->create(kEsV1beta1, ns(), seed_external_secret(ns(), "repo-2529854065"));
  const std::string es = ns() + "/repo-2529854065";
  const std::string describe = "kubectl describe externalsecret repo-2529854065 -n " + ns() +
                               "; check that ESO or `ecrhelm controller` runs and that its "
                               "generator's AWS credentials work";
  auto pending = run_doctor(args(), env());
  EXPECT_EQ(pending.status("argocd.external-secret"), "fail");
  EXPECT_EQ(pending.message("argocd.external-secret"),
            "ExternalSecret " + es + " has no Ready condition yet");
  EXPECT_EQ(pending.fix("argocd.external-secret"), describe);

  auto set_status = [&](const std::string& status, const std::string& reason,
                        const std::string& message, const std::string& refreshed) {
    kube_->patch(kEsV1beta1, ns(), "repo-2529854065", kube::PatchType::kMerge,
                 {{"status",
                   {{"refreshTime", refreshed},
                    {"conditions", json::array({{{"type", "Ready"},
                                                 {"status", status},
                                                 {"reason", reason},
                                                 {"message", message},
                                                 {"lastTransitionTime", refreshed}}})}}}},
                 {}, "status");
  };
  auto now = std::chrono::system_clock::now();
  set_status("False", "SecretSyncedError", "could not get ECR token: AccessDenied",
             format_iso8601(now));
  auto bad = run_doctor(args(), env());
  EXPECT_EQ(bad.raw.exit_code, 1);
  EXPECT_EQ(bad.status("argocd.external-secret"), "fail");
  EXPECT_EQ(bad.message("argocd.external-secret"),
            "ExternalSecret " + es +
                " is not Ready: SecretSyncedError: could not get ECR token: AccessDenied");
  EXPECT_EQ(bad.fix("argocd.external-secret"), describe);

  std::string refreshed = format_iso8601(now - 1h);
  set_status("True", "SecretSynced", "secret synced", refreshed);
  auto ok = run_doctor(args(), env());
  EXPECT_EQ(ok.raw.exit_code, 0) << ok.raw.out;
  EXPECT_EQ(ok.status("argocd.external-secret"), "ok");
  EXPECT_TRUE(ok.message("argocd.external-secret")
                  .starts_with("ExternalSecret " + es +
                               " Ready (SecretSynced), refreshInterval 12h, next refresh " +
                               format_iso8601(*parse_iso8601(refreshed) + 12h) + " (in 10h5"))
      << ok.message("argocd.external-secret");

  kube_->patch(kEsV1beta1, ns(), "repo-2529854065", kube::PatchType::kMerge,
               {{"spec", {{"refreshInterval", "24h"}}}});
  auto slow = run_doctor(args(), env());
  EXPECT_EQ(slow.raw.exit_code, 0);
  EXPECT_EQ(slow.status("argocd.external-secret"), "warn");
  EXPECT_TRUE(slow.message("argocd.external-secret").ends_with(": ECR tokens expire after 12h"))
      << slow.message("argocd.external-secret");
  EXPECT_EQ(slow.fix("argocd.external-secret"), "set spec.refreshInterval to 12h or less");
}

TEST_F(DoctorArgo, RegistryRejectsMissingVersionAndUnreachable) {
  auto data = seed_data();
  data["password"] = "stale-password";
  secret("stale", "repository", data);
  auto d = run_doctor(args(), env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("argocd.password"), "ok");
  EXPECT_EQ(d.status("registry.chart"), "fail");
  EXPECT_EQ(d.fix("registry.chart"),
            "the registry rejected " + secret_name("stale") +
                "'s credentials: the password is stale or not a token for this registry; see "
                "argocd.password and argocd.external-secret");
  EXPECT_EQ(d.all().find("stale-password"), std::string::npos);
  kube_->remove(kube::resources::kSecrets, ns(), "stale");

  secret("repo", "repository", seed_data());
  auto nover = run_doctor(args({"--version", "9.9.9"}), env());
  EXPECT_EQ(nover.status("registry.chart"), "fail");
  EXPECT_NE(nover.message("registry.chart").find("9.9.9"), std::string::npos)
      << nover.message("registry.chart");
  EXPECT_EQ(nover.fix("registry.chart"),
            "check --chart and --version: `ecrhelm tags " + chart() + "` lists the versions");
  auto noconstraint = run_doctor(args({"--version", ">=2"}), env());
  EXPECT_EQ(noconstraint.status("registry.chart"), "fail");
  EXPECT_EQ(noconstraint.fix("registry.chart"), nover.fix("registry.chart"));

  const std::string down = "127.0.0.1:" + std::to_string(free_port());
  data = seed_data();
  data["url"] = down + "/charts";
  secret("down", "repository", data);
  auto net = run_doctor({"-n", ns(), "--kubeconfig", kube_testbed().kubeconfig, "--chart",
                         "oci://" + down + "/charts/demo", "--plain-http"},
                        env());
  EXPECT_EQ(net.status("argocd.secret"), "ok");
  EXPECT_EQ(net.status("registry.chart"), "fail");
  EXPECT_EQ(net.fix("registry.chart"),
            "check the registry host and port (--plain-http for a registry without TLS)");
  expect_no_password(net);
}

TEST(DoctorKube, BrokenKubeconfigFailsAndSkipsTheClusterChecks) {
  TempDir home;
  auto d = run_doctor({"--kubeconfig", "/nonexistent/kubeconfig", "--service-account", kSa,
                       "--chart", "oci://127.0.0.1:5000/charts/demo"},
                      {{"HOME", home.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("kube.config"), "fail");
  EXPECT_NE(d.message("kube.config").find("/nonexistent/kubeconfig"), std::string::npos)
      << d.message("kube.config");
  EXPECT_EQ(d.fix("kube.config"),
            "pass --kubeconfig and --context of the cluster Argo CD runs in (or set KUBECONFIG)");
  EXPECT_EQ(d.message("irsa.service-account"), "no Kubernetes connection (see kube.config)");
  EXPECT_EQ(d.message("argocd.secret"), "no Kubernetes connection (see kube.config)");
  EXPECT_EQ(d.message("registry.chart"), "no credentials from Argo CD (see argocd.*)");
}

}  // namespace
}  // namespace ecrhelm::test
