// `ecrhelm doctor` without a cluster: check 1 (the local AWS identity,
// against moto_server and a fixture that rejects), check 3's ECR token with
// the local credentials, the skip reasons when inputs are absent, the text
// and JSON shapes and the exit code. No secret value in any output.
#include <gtest/gtest.h>

#include "cli/doctor_helpers.h"
#include "support/testbed.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;

constexpr const char* kSecretKey = "SECRETKEY-doctor-local-leakcheck";
constexpr const char* kSessionToken = "SESSIONTOKEN-doctor-local-leakcheck";
constexpr const char* kRole = "arn:aws:iam::123456789012:role/argocd-repo-server-ecr";

class DoctorLocal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  std::map<std::string, std::string> base_env() const { return moto_->env(home_.path()); }
  std::map<std::string, std::string> key_env() const {
    auto env = base_env();
    env["AWS_ACCESS_KEY_ID"] = "AKIDDOCTORLOCAL";
    env["AWS_SECRET_ACCESS_KEY"] = kSecretKey;
    env["AWS_SESSION_TOKEN"] = kSessionToken;
    return env;
  }
  std::map<std::string, std::string> web_identity_env() const {
    auto env = base_env();
    env["AWS_ROLE_ARN"] = kRole;
    env["AWS_WEB_IDENTITY_TOKEN_FILE"] =
        home_.write("token", make_jwt("system:serviceaccount:argocd:argocd-repo-server"));
    env["AWS_ROLE_SESSION_NAME"] = "repo-server";
    return env;
  }
  static void expect_no_secrets(const DoctorRun& d) {
    for (const std::string s : {kSecretKey, kSessionToken}) {
      EXPECT_EQ(d.all().find(s), std::string::npos) << s;
    }
  }

  static MotoServer* moto_;
  TempDir home_;
};
MotoServer* DoctorLocal::moto_ = nullptr;

TEST_F(DoctorLocal, IdentityOkNamesTheSourceAndSkipsWhatHasNoInput) {
  auto d = run_doctor({}, key_env());
  EXPECT_EQ(d.raw.exit_code, 0) << d.raw.out << d.raw.err;
  EXPECT_EQ(d.status("aws.identity"), "ok");
  EXPECT_TRUE(d.message("aws.identity").starts_with("arn:aws:")) << d.message("aws.identity");
  EXPECT_TRUE(d.message("aws.identity").ends_with("(source: environment)"))
      << d.message("aws.identity");
  EXPECT_TRUE(d["aws.identity"]["fix"].is_null());
  EXPECT_EQ(d.status("aws.role"), "skip");
  EXPECT_EQ(d.message("aws.role"), "no --role-arn given");
  // Every check has a line, in the seed's order; no cluster was asked for.
  std::vector<std::string> order;
  for (const auto& r : d.results) order.push_back(r["check"]);
  EXPECT_EQ(order,
            (std::vector<std::string>{
                "aws.identity", "aws.role", "irsa.service-account", "irsa.automount", "irsa.token",
                "irsa.rollout", "aws.web-identity", "aws.ecr-token", "argocd.secret", "argocd.type",
                "argocd.url", "argocd.username", "argocd.password", "argocd.external-secret",
                "argocd.applications", "registry.chart"}));
  EXPECT_EQ(d.message("irsa.service-account"), "no --service-account given");
  EXPECT_EQ(d.message("irsa.automount"), "no --deployment given");
  EXPECT_EQ(d.message("irsa.token"), "no --service-account given");
  EXPECT_EQ(d.message("irsa.rollout"), "no --deployment given");
  EXPECT_EQ(d.message("aws.web-identity"), "no service-account token (see irsa.token)");
  EXPECT_EQ(d.message("argocd.secret"), "no --chart given");
  EXPECT_EQ(d.message("registry.chart"), "no --chart given");
  for (const auto& r : d.results) {
    if (r["check"].get<std::string>().starts_with("argocd.") ||
        r["check"].get<std::string>().starts_with("irsa.")) {
      EXPECT_EQ(r["status"], "skip") << r.dump();
    }
  }
  expect_no_secrets(d);
}

TEST_F(DoctorLocal, TextOutputIsOneAlignedLinePerCheckWithASummary) {
  auto r = run_ecrhelm({"doctor", "--role-arn", "arn:aws:iam::123456789012:role/other"},
                       web_identity_env());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("ok    aws.identity            arn:aws:sts::123456789012:assumed-role/"
                       "argocd-repo-server-ecr/repo-server (source: web identity"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("FAIL  aws.role                the caller is "
                       "arn:aws:sts::123456789012:assumed-role/argocd-repo-server-ecr/repo-server, "
                       "not role arn:aws:iam::123456789012:role/other\n"
                       "                              fix: use credentials of that role"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("skip  argocd.secret           no --chart given\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\n1 ok, 1 warning, 1 failed, 13 skipped\n"), std::string::npos) << r.out;
}

TEST_F(DoctorLocal, ExpectedRoleMatches) {
  auto d = run_doctor({"--role-arn", kRole}, web_identity_env());
  EXPECT_EQ(d.raw.exit_code, 0) << d.raw.out;
  EXPECT_EQ(d.status("aws.identity"), "ok");
  EXPECT_NE(
      d.message("aws.identity")
          .find("source: web identity (environment, role " + std::string(kRole) + "), expires in "),
      std::string::npos)
      << d.message("aws.identity");
  EXPECT_EQ(d.status("aws.role"), "ok");
  EXPECT_EQ(d.message("aws.role"), "the caller is role " + std::string(kRole));
}

TEST_F(DoctorLocal, ExpectedRoleDiffers) {
  auto d = run_doctor({"--role-arn", "arn:aws:iam::123456789012:role/other"}, web_identity_env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("aws.role"), "fail");
  EXPECT_EQ(d.message("aws.role"),
            "the caller is arn:aws:sts::123456789012:assumed-role/argocd-repo-server-ecr/"
            "repo-server, not role arn:aws:iam::123456789012:role/other");
  EXPECT_EQ(d.fix("aws.role"),
            "use credentials of that role: in the pod, IRSA's AWS_ROLE_ARN (see irsa.*); "
            "locally, a profile with role_arn (--profile)");
  // Static keys of a user are not the role either.
  auto u = run_doctor({"--role-arn", kRole}, key_env());
  EXPECT_EQ(u.status("aws.role"), "fail");
  EXPECT_TRUE(u.message("aws.role").ends_with(", not role " + std::string(kRole)))
      << u.message("aws.role");
  expect_no_secrets(u);
}

TEST_F(DoctorLocal, ExpectedRoleThatIsNoRoleArn) {
  auto d = run_doctor({"--role-arn", "arn:aws:iam::1234:user/x"}, key_env());
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("aws.role"), "fail");
  EXPECT_EQ(d.message("aws.role"), "--role-arn arn:aws:iam::1234:user/x is not an IAM role ARN");
  EXPECT_EQ(d.fix("aws.role"), "pass arn:aws:iam::ACCOUNT:role/NAME");
}

TEST_F(DoctorLocal, NoCredentialsIsASkipNotAFailure) {
  auto d = run_doctor({"--role-arn", kRole}, base_env());
  EXPECT_EQ(d.raw.exit_code, 0) << d.raw.out;
  EXPECT_EQ(d.status("aws.identity"), "skip");
  EXPECT_EQ(d.message("aws.identity"),
            "no AWS credentials configured here (environment, profile, web identity, container, "
            "instance metadata)");
  EXPECT_EQ(d.message("aws.role"), "no local AWS identity");
  EXPECT_EQ(d.status("aws.ecr-token"), "skip");
  EXPECT_EQ(d.message("aws.ecr-token"),
            "no AWS credentials (see aws.identity and aws.web-identity)");
}

TEST_F(DoctorLocal, BrokenCredentialSourceFails) {
  auto env = base_env();
  env["AWS_ACCESS_KEY_ID"] = "AKIDONLY";
  auto d = run_doctor({}, env);
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("aws.identity"), "fail");
  EXPECT_EQ(d.message("aws.identity"),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both or neither");
  EXPECT_EQ(d.fix("aws.identity"),
            "fix the AWS setting the message names (environment, ~/.aws/config, --profile)");
  EXPECT_EQ(d.message("aws.role"), "no local AWS identity");
}

TEST_F(DoctorLocal, RejectedCredentialsFail) {
  AwsFixture aws;
  aws.sts(403,
          "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
          "<Message>The security token included in the request is invalid.</Message></Error>"
          "</ErrorResponse>");
  auto env = key_env();
  env["AWS_ENDPOINT_URL_STS"] = aws.url();
  auto d = run_doctor({}, env);
  EXPECT_EQ(d.raw.exit_code, 1);
  EXPECT_EQ(d.status("aws.identity"), "fail");
  EXPECT_NE(d.message("aws.identity").find("InvalidClientTokenId"), std::string::npos)
      << d.message("aws.identity");
  EXPECT_EQ(d.fix("aws.identity"),
            "the credentials were rejected: renew them (new keys, `aws sso login`, a fresh "
            "session) and run `ecrhelm whoami`");
  expect_no_secrets(d);
}

TEST_F(DoctorLocal, EcrTokenWithLocalCredentials) {
  AwsFixture aws;
  auto env = key_env();
  env["AWS_ENDPOINT_URL_ECR"] = aws.url();
  // A token that lives 12 hours.
  int64_t expires = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() +
                    12 * 3600;
  aws.ecr(200, json{{"authorizationData",
                     json::array({{{"authorizationToken", "QVdTOkVDUi1QQVNTV09SRC1sZWFrY2hlY2s="},
                                   {"expiresAt", expires},
                                   {"proxyEndpoint",
                                    "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}}})}}
                   .dump());
  auto ok = run_doctor({}, env);
  EXPECT_EQ(ok.raw.exit_code, 0) << ok.raw.out;
  EXPECT_EQ(ok.status("aws.ecr-token"), "ok");
  EXPECT_TRUE(ok.message("aws.ecr-token")
                  .starts_with("GetAuthorizationToken in us-east-1 with environment credentials: "
                               "token for https://123456789012.dkr.ecr.us-east-1.amazonaws.com, "
                               "expires "))
      << ok.message("aws.ecr-token");
  EXPECT_NE(ok.message("aws.ecr-token").find("(in 11h59m"), std::string::npos)
      << ok.message("aws.ecr-token");
  EXPECT_EQ(ok.all().find("ECR-PASSWORD-leakcheck"), std::string::npos);
  expect_no_secrets(ok);

  aws.ecr(
      400,
      R"({"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/x is not authorized to perform: ecr:GetAuthorizationToken on resource: *"})");
  auto denied = run_doctor({}, env);
  EXPECT_EQ(denied.raw.exit_code, 1);
  EXPECT_EQ(denied.status("aws.ecr-token"), "fail");
  EXPECT_NE(denied.message("aws.ecr-token").find("not authorized to perform"), std::string::npos)
      << denied.message("aws.ecr-token");
  EXPECT_EQ(denied.fix("aws.ecr-token"),
            "the identity may not call ecr:GetAuthorizationToken: attach the policy from "
            "`ecrhelm policy read --account ACCOUNT --region REGION` to it");

  // moto's token expired in 2015: a token born expired is a warning, not a failure.
  auto moto_env = key_env();
  auto expired = run_doctor({}, moto_env);
  EXPECT_EQ(expired.raw.exit_code, 0);
  EXPECT_EQ(expired.status("aws.ecr-token"), "warn");
  EXPECT_NE(expired.message("aws.ecr-token").find(" already expired at "), std::string::npos)
      << expired.message("aws.ecr-token");
  EXPECT_EQ(expired.fix("aws.ecr-token"), "check this machine's clock (ECR tokens live 12 hours)");
}

TEST_F(DoctorLocal, EcrTokenNeedsARegion) {
  auto env = key_env();
  env.erase("AWS_REGION");
  auto d = run_doctor({}, env);
  EXPECT_EQ(d.status("aws.ecr-token"), "skip");
  EXPECT_EQ(d.message("aws.ecr-token"), "no region: pass --region or an ECR --chart");
}

TEST(DoctorInput, BadFlagsExitWith2) {
  auto r = run_ecrhelm({"doctor", "-o", "xml"}, {});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto c = run_ecrhelm({"doctor", "--chart", "oci://"}, {{"AWS_EC2_METADATA_DISABLED", "true"}});
  EXPECT_EQ(c.exit_code, 2) << c.out << c.err;
  EXPECT_NE(c.err.find("ecrhelm: "), std::string::npos) << c.err;
}

}  // namespace
}  // namespace ecrhelm::test
