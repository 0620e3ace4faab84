// ProfileProvider over real files with a recording STS: role chains across profiles with the
// right source credentials and parameters, self-reference, cycles, credential_source, web
// identity, SSO refusal, credential_process, static keys and missing profiles.
#include "aws/profile_provider.h"

#include <gtest/gtest.h>

#include "aws/fakes.h"
#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kBaseSecret = "BASEsecretKEYvalue/1234567890abcdefghij";
constexpr const char* kBaseToken = "BASEsessionTOKENvalue";

class ProfileProviderTest : public ::testing::Test {
 protected:
  ProfileProviderTest() : clock_(from_unix_seconds(1764331200)) {
    ctx_.service.env = &env_;
    ctx_.service.clock = &clock_;
    ctx_.sts = [this](const std::string& region) -> std::unique_ptr<aws::StsApi> {
      regions_.push_back(region);
      return std::make_unique<Forward>(sts_);
    };
    env_.set("AWS_CONFIG_FILE", dir_.file("config"));
    env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.file("credentials"));
  }
  // Hands calls to the shared recorder (providers own what ctx.sts returns).
  struct Forward final : aws::StsApi {
    explicit Forward(RecordingSts& s) : s_(s) {}
    aws::CallerIdentity get_caller_identity(const aws::Credentials& c) override {
      return s_.get_caller_identity(c);
    }
    aws::Credentials assume_role(const aws::Credentials& c,
                                 const aws::AssumeRoleParams& p) override {
      source_secrets.push_back(c.secret_access_key.reveal());
      return s_.assume_role(c, p);
    }
    aws::Credentials assume_role_with_web_identity(const aws::WebIdentityParams& p) override {
      return s_.assume_role_with_web_identity(p);
    }
    RecordingSts& s_;
    static inline std::vector<std::string> source_secrets;
  };

  void config(const std::string& text) { dir_.write("config", text); }
  void credentials(const std::string& text) { dir_.write("credentials", text); }

  std::optional<aws::Credentials> load(const std::string& profile = "") {
    return aws::ProfileProvider(ctx_, profile).load();
  }

  // load() expecting an Error of `kind`; no secret may appear in its message.
  std::string load_error(const std::string& profile, ErrorKind kind) {
    try {
      load(profile);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      std::string msg = e.what();
      EXPECT_EQ(msg.find(kBaseSecret), std::string::npos) << msg;
      EXPECT_EQ(msg.find(kBaseToken), std::string::npos) << msg;
      return msg;
    }
    ADD_FAILURE() << "load(" << profile << ") did not throw";
    return "";
  }

  std::string base_credentials() {
    return std::string("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = ") +
           kBaseSecret + "\naws_session_token = " + kBaseToken + "\n";
  }

  void SetUp() override { Forward::source_secrets.clear(); }

  MapEnv env_;
  ManualClock clock_;
  RecordingSts sts_;
  std::vector<std::string> regions_;
  aws::ProviderContext ctx_;
  TempDir dir_;
};

TEST_F(ProfileProviderTest, StaticKeysFromTheCredentialsFile) {
  credentials(base_credentials() + "aws_account_id = 111122223333\n");
  auto c = load("base");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIABASE");
  EXPECT_EQ(c->secret_access_key.reveal(), kBaseSecret);
  EXPECT_EQ(c->session_token.reveal(), kBaseToken);
  EXPECT_EQ(c->account_id, "111122223333");
  EXPECT_FALSE(c->expiration);
  EXPECT_EQ(c->source, "profile base (static keys in " + dir_.file("credentials") + ")");
  EXPECT_TRUE(sts_.assume_calls.empty());
}

TEST_F(ProfileProviderTest, SelectedProfileFromAwsProfile) {
  config(
      "[profile dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n"
      "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n");
  EXPECT_EQ(load()->access_key_id, "AKIADEFAULT");
  env_.set("AWS_PROFILE", "dev");
  EXPECT_EQ(load()->access_key_id, "AKIADEV");
  EXPECT_EQ(aws::ProfileProvider(ctx_, "x").name(), "profile x");
}

TEST_F(ProfileProviderTest, OneStaticKeyWithoutTheOtherIsAnError) {
  config("[profile half]\naws_access_key_id = AKIAHALF\n");
  std::string msg = load_error("half", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("profile half sets aws_access_key_id (" + dir_.file("config") +
                     " line 2) but not aws_secret_access_key"),
            std::string::npos)
      << msg;
  credentials(std::string("[other]\naws_secret_access_key = ") + kBaseSecret + "\n");
  msg = load_error("other", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("sets aws_secret_access_key"), std::string::npos) << msg;
}

TEST_F(ProfileProviderTest, RoleChainAcrossTwoProfiles) {
  credentials(base_credentials());
  config(
      "[profile dev]\n"
      "role_arn = arn:aws:iam::1:role/x\n"
      "source_profile = base\n"
      "external_id = ext-123\n"
      "duration_seconds = 3600\n"
      "region = eu-central-1\n");
  auto c = load("dev");
  ASSERT_TRUE(c);
  ASSERT_EQ(sts_.assume_calls.size(), 1u);
  const auto& call = sts_.assume_calls[0];
  EXPECT_EQ(call.source_key_id, "AKIABASE");
  EXPECT_EQ(Forward::source_secrets[0], kBaseSecret);
  EXPECT_EQ(call.params.role_arn, "arn:aws:iam::1:role/x");
  EXPECT_EQ(call.params.session_name, "ecrhelm-1764331200");
  EXPECT_EQ(call.params.external_id, "ext-123");
  EXPECT_EQ(call.params.duration_seconds, 3600);
  EXPECT_EQ(regions_, std::vector<std::string>{"eu-central-1"});
  EXPECT_EQ(c->access_key_id, "ASIAROLE1");
  EXPECT_EQ(c->source, "profile dev (assume role arn:aws:iam::1:role/x via profile base)");
}

TEST_F(ProfileProviderTest, RoleChainAcrossThreeProfiles) {
  credentials(base_credentials());
  config(
      "[profile top]\n"
      "role_arn = arn:aws:iam::3:role/top\n"
      "source_profile = mid\n"
      "role_session_name = my-session\n"
      "region = us-west-2\n"
      "[profile mid]\n"
      "role_arn = arn:aws:iam::2:role/mid\n"
      "source_profile = base\n");
  auto c = load("top");
  ASSERT_TRUE(c);
  ASSERT_EQ(sts_.assume_calls.size(), 2u);
  // The innermost role first, with the base keys; then the outer role with what it returned.
  EXPECT_EQ(sts_.assume_calls[0].params.role_arn, "arn:aws:iam::2:role/mid");
  EXPECT_EQ(sts_.assume_calls[0].source_key_id, "AKIABASE");
  EXPECT_EQ(sts_.assume_calls[0].params.session_name, "ecrhelm-1764331200");
  EXPECT_FALSE(sts_.assume_calls[0].params.duration_seconds);
  EXPECT_EQ(sts_.assume_calls[1].params.role_arn, "arn:aws:iam::3:role/top");
  EXPECT_EQ(sts_.assume_calls[1].source_key_id, "ASIAROLE1");
  EXPECT_EQ(Forward::source_secrets[1], "issued-secret");
  EXPECT_EQ(sts_.assume_calls[1].params.session_name, "my-session");
  // mid has no region: the selected profile's region is used for both calls.
  EXPECT_EQ(regions_, (std::vector<std::string>{"us-west-2", "us-west-2"}));
  EXPECT_EQ(c->access_key_id, "ASIAROLE2");
  EXPECT_EQ(c->source, "profile top (assume role arn:aws:iam::3:role/top via profile mid)");
}

TEST_F(ProfileProviderTest, StsRegionFallsBackToEnvironmentThenGlobal) {
  credentials(base_credentials());
  config("[profile dev]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n");
  load("dev");
  env_.set("AWS_REGION", "ap-southeast-2");
  load("dev");
  EXPECT_EQ(regions_, (std::vector<std::string>{"", "ap-southeast-2"}));
}

TEST_F(ProfileProviderTest, SelfReferencingSourceProfileUsesItsOwnKeys) {
  config(std::string("[profile self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n"
                     "aws_access_key_id = AKIASELF\naws_secret_access_key = ") +
         kBaseSecret + "\n");
  auto c = load("self");
  ASSERT_TRUE(c);
  ASSERT_EQ(sts_.assume_calls.size(), 1u);
  EXPECT_EQ(sts_.assume_calls[0].source_key_id, "AKIASELF");
  EXPECT_EQ(sts_.assume_calls[0].params.role_arn, "arn:aws:iam::1:role/self");
  EXPECT_EQ(c->source, "profile self (assume role arn:aws:iam::1:role/self via profile self)");
}

TEST_F(ProfileProviderTest, SelfReferenceWithoutKeysIsACycle) {
  config("[profile loop]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = loop\n");
  std::string msg = load_error("loop", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("source_profile settings form a cycle: loop -> loop"), std::string::npos)
      << msg;
  EXPECT_TRUE(sts_.assume_calls.empty());
}

TEST_F(ProfileProviderTest, CycleIsReportedWithItsPath) {
  config(
      "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
      "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n");
  std::string msg = load_error("a", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("cycle: a -> b -> c -> a"), std::string::npos) << msg;
  EXPECT_TRUE(sts_.assume_calls.empty());
}

TEST_F(ProfileProviderTest, SourceProfileWithStaticKeysIsNotAssumedAgain) {
  // botocore: static keys of a source profile win over its own role_arn.
  credentials(base_credentials());
  config(
      "[profile dev]\nrole_arn = arn:aws:iam::1:role/dev\nsource_profile = base\n"
      "[profile base]\nrole_arn = arn:aws:iam::1:role/never\nsource_profile = dev\n");
  auto c = load("dev");
  ASSERT_TRUE(c);
  ASSERT_EQ(sts_.assume_calls.size(), 1u);
  EXPECT_EQ(sts_.assume_calls[0].params.role_arn, "arn:aws:iam::1:role/dev");
  EXPECT_EQ(sts_.assume_calls[0].source_key_id, "AKIABASE");
}

TEST_F(ProfileProviderTest, SourceProfileMissingOrEmpty) {
  config(
      "[profile dev]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = ghost\n"
      "[profile hollow]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = empty\n"
      "[profile empty]\nregion = eu-west-1\n");
  std::string msg = load_error("dev", ErrorKind::kNotFound);
  EXPECT_NE(msg.find("profile dev: source_profile ghost does not exist"), std::string::npos) << msg;
  msg = load_error("hollow", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("profile hollow: source_profile empty has no credentials"), std::string::npos)
      << msg;
}

TEST_F(ProfileProviderTest, CredentialSourceEnvironment) {
  config("[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = Environment\n");
  std::string msg = load_error("ci", ErrorKind::kNotFound);
  EXPECT_NE(msg.find("credential_source = Environment found no credentials"), std::string::npos)
      << msg;
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENV");
  env_.set("AWS_SECRET_ACCESS_KEY", kBaseSecret);
  auto c = load("ci");
  ASSERT_TRUE(c);
  ASSERT_EQ(sts_.assume_calls.size(), 1u);
  EXPECT_EQ(sts_.assume_calls[0].source_key_id, "AKIAENV");
  EXPECT_EQ(c->source,
            "profile ci (assume role arn:aws:iam::1:role/ci via credential_source Environment)");
}

TEST_F(ProfileProviderTest, UnknownCredentialSourceListsTheAllowedOnes) {
  config("[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = environment\n");
  std::string msg = load_error("ci", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("credential_source = environment is not supported; use one of Environment, "
                     "Ec2InstanceMetadata, EcsContainer"),
            std::string::npos)
      << msg;
}

TEST_F(ProfileProviderTest, BothOrNeitherSourceIsAnError) {
  config(
      "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
      "credential_source = Environment\n"
      "[profile neither]\nrole_arn = arn:aws:iam::1:role/x\n");
  credentials(base_credentials());
  std::string msg = load_error("both", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("profile both sets both source_profile and credential_source"),
            std::string::npos)
      << msg;
  msg = load_error("neither", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("profile neither sets role_arn but neither source_profile nor "
                     "credential_source"),
            std::string::npos)
      << msg;
  EXPECT_TRUE(sts_.assume_calls.empty());
}

TEST_F(ProfileProviderTest, RoleParameterChecks) {
  credentials(base_credentials());
  config(
      "[profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
      "mfa_serial = arn:aws:iam::1:mfa/me\n"
      "[profile short]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
      "duration_seconds = 899\n"
      "[profile word]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
      "duration_seconds = 1h\n"
      "[profile max]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
      "duration_seconds = 43200\n");
  std::string msg = load_error("mfa", ErrorKind::kUnsupported);
  EXPECT_NE(msg.find("profile mfa sets mfa_serial"), std::string::npos) << msg;
  msg = load_error("short", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("profile short: duration_seconds = 899 (" + dir_.file("config") +
                     " line 8) must be a whole number of seconds from 900 to 43200"),
            std::string::npos)
      << msg;
  msg = load_error("word", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("duration_seconds = 1h"), std::string::npos) << msg;
  EXPECT_TRUE(sts_.assume_calls.empty());
  ASSERT_TRUE(load("max"));
  EXPECT_EQ(sts_.assume_calls.at(0).params.duration_seconds, 43200);
}

TEST_F(ProfileProviderTest, SsoProfilesAreRefusedWithAHint) {
  config(
      "[profile corp]\nsso_session = my-sso\nsso_account_id = 111122223333\n"
      "sso_role_name = Admin\n"
      "[sso-session my-sso]\nsso_start_url = https://x.awsapps.com/start\n");
  std::string msg = load_error("corp", ErrorKind::kUnsupported);
  EXPECT_NE(msg.find("SSO profiles are not supported yet"), std::string::npos) << msg;
  EXPECT_NE(msg.find("credential_process = aws configure export-credentials --profile corp "
                     "--format process"),
            std::string::npos)
      << msg;
  // The sso-session section is not a profile.
  msg = load_error("my-sso", ErrorKind::kNotFound);
  EXPECT_NE(msg.find("profile my-sso (as requested) not found"), std::string::npos) << msg;
}

TEST_F(ProfileProviderTest, WebIdentityTokenFileGoesToWebIdentity) {
  std::string token = dir_.write("token", "profile.jwt.token\n");
  config("[profile irsa]\nrole_arn = arn:aws:iam::1:role/irsa\nweb_identity_token_file = " + token +
         "\nrole_session_name = pod\nregion = eu-west-2\n" +
         "[profile notoken]\nweb_identity_token_file = " + token + "\n");
  auto c = load("irsa");
  ASSERT_TRUE(c);
  EXPECT_TRUE(sts_.assume_calls.empty());
  ASSERT_EQ(sts_.web_params.size(), 1u);
  EXPECT_EQ(sts_.web_params[0].role_arn, "arn:aws:iam::1:role/irsa");
  EXPECT_EQ(sts_.web_params[0].session_name, "pod");
  EXPECT_EQ(sts_.web_tokens[0], "profile.jwt.token");
  EXPECT_EQ(regions_, std::vector<std::string>{"eu-west-2"});
  EXPECT_EQ(c->access_key_id, "ASIAWEB1");
  EXPECT_NE(c->source.find("profile irsa"), std::string::npos) << c->source;
  std::string msg = load_error("notoken", ErrorKind::kInvalidInput);
  EXPECT_NE(msg.find("profile notoken sets web_identity_token_file but no role_arn"),
            std::string::npos)
      << msg;
}

TEST_F(ProfileProviderTest, CredentialProcessAndItsRankAgainstStaticKeys) {
  std::string script =
      dir_.write("proc.sh",
                 "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", "
                 "\"SecretAccessKey\": \"procsecret\"}'\n",
                 0700);
  config("[profile proc]\ncredential_process = " + script +
         "\n"
         "[profile cfgkeys]\ncredential_process = " +
         script +
         "\naws_access_key_id = AKIACFG\naws_secret_access_key = s\n"
         "[profile credkeys]\ncredential_process = " +
         script + "\n");
  credentials("[credkeys]\naws_access_key_id = AKIACRED\naws_secret_access_key = s\n");
  auto c = load("proc");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIAPROC");
  EXPECT_EQ(c->source, "credential_process (profile proc)");
  // botocore: credential_process beats config-file keys, credentials-file keys beat it.
  EXPECT_EQ(load("cfgkeys")->access_key_id, "AKIAPROC");
  EXPECT_EQ(load("credkeys")->access_key_id, "AKIACRED");
}

TEST_F(ProfileProviderTest, ProcessAsSourceOfARole) {
  std::string script =
      dir_.write("proc.sh",
                 "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", "
                 "\"SecretAccessKey\": \"procsecret\"}'\n",
                 0700);
  config(
      "[profile dev]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = proc\n"
      "[profile proc]\ncredential_process = " +
      script + "\n");
  ASSERT_TRUE(load("dev"));
  ASSERT_EQ(sts_.assume_calls.size(), 1u);
  EXPECT_EQ(sts_.assume_calls[0].source_key_id, "AKIAPROC");
}

TEST_F(ProfileProviderTest, MissingProfiles) {
  // No files at all and nothing selected: the chain moves on.
  EXPECT_FALSE(load());
  // A profile without credential settings: the chain moves on too.
  config("[default]\nregion = eu-west-1\n");
  EXPECT_FALSE(load());
  // AWS_PROFILE naming a profile that does not exist is an error naming the files.
  env_.set("AWS_PROFILE", "nope");
  std::string msg = load_error("", ErrorKind::kNotFound);
  EXPECT_NE(msg.find("profile nope (from AWS_PROFILE) not found in " + dir_.file("config") + ", " +
                     dir_.file("credentials") + " (missing)"),
            std::string::npos)
      << msg;
  env_.unset("AWS_PROFILE");
  env_.set("AWS_DEFAULT_PROFILE", "nope2");
  msg = load_error("", ErrorKind::kNotFound);
  EXPECT_NE(msg.find("profile nope2 (from AWS_DEFAULT_PROFILE) not found"), std::string::npos)
      << msg;
}

TEST_F(ProfileProviderTest, MalformedFileIsReportedNotSkipped) {
  config("[default]\nregion = eu-west-1\nthis is not a setting\n");
  std::string msg = load_error("", ErrorKind::kInvalidInput);
  EXPECT_EQ(msg, dir_.file("config") + " line 3: expected 'key = value' inside [default]");
}

}  // namespace
}  // namespace ecrhelm::test
