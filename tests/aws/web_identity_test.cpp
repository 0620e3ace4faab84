// WebIdentityProvider (IRSA) with a recording STS: the token file is re-read
// on every call, configuration errors are clear, and nothing secret leaks.
#include "aws/web_identity_provider.h"

#include <gtest/gtest.h>

#include "aws/fakes.h"
#include "support/testbed.h"

namespace ecrhelm::test {
namespace {

class WebIdentityTest : public ::testing::Test {
 protected:
  WebIdentityTest() : clock_(from_unix_seconds(1764331200)) {
    ctx_.service.env = &env_;
    ctx_.service.clock = &clock_;
    ctx_.sts = [this](const std::string& region) -> std::unique_ptr<aws::StsApi> {
      regions_.push_back(region);
      return std::make_unique<Forward>(sts_);
    };
  }
  // Hands calls to the shared recorder (providers own what ctx.sts returns).
  struct Forward final : aws::StsApi {
    explicit Forward(RecordingSts& s) : s_(s) {}
    aws::CallerIdentity get_caller_identity(const aws::Credentials& c) override {
      return s_.get_caller_identity(c);
    }
    aws::Credentials assume_role(const aws::Credentials& c,
                                 const aws::AssumeRoleParams& p) override {
      return s_.assume_role(c, p);
    }
    aws::Credentials assume_role_with_web_identity(const aws::WebIdentityParams& p) override {
      return s_.assume_role_with_web_identity(p);
    }
    RecordingSts& s_;
  };
  MapEnv env_;
  ManualClock clock_;
  RecordingSts sts_;
  std::vector<std::string> regions_;
  aws::ProviderContext ctx_;
  TempDir dir_;
};

TEST_F(WebIdentityTest, FromEnvNeedsBothVariables) {
  EXPECT_FALSE(aws::WebIdentityProvider::from_env(env_));
  env_.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
  try {
    aws::WebIdentityProvider::from_env(env_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("AWS_WEB_IDENTITY_TOKEN_FILE"), std::string::npos);
  }
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", "/t");
  env_.set("AWS_ROLE_SESSION_NAME", "sess");
  auto cfg = aws::WebIdentityProvider::from_env(env_);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->role_arn, "arn:aws:iam::1:role/r");
  EXPECT_EQ(cfg->token_file, "/t");
  EXPECT_EQ(cfg->session_name, "sess");
}

TEST_F(WebIdentityTest, RereadsTheTokenFileOnEveryCall) {
  std::string file = dir_.write("token", "first.jwt.token\n");
  aws::WebIdentityProvider p(ctx_, {"arn:aws:iam::1:role/r", file, "", "eu-west-1", "environment"});
  auto c1 = p.load();
  ASSERT_TRUE(c1);
  dir_.write("token", "second.jwt.token");
  auto c2 = p.load();
  ASSERT_EQ(sts_.web_tokens.size(), 2u);
  EXPECT_EQ(sts_.web_tokens[0], "first.jwt.token");
  EXPECT_EQ(sts_.web_tokens[1], "second.jwt.token");
  EXPECT_EQ(regions_.back(), "eu-west-1");
  EXPECT_EQ(sts_.web_params[0].session_name, "ecrhelm-1764331200");
  EXPECT_NE(c2->source.find("web identity (environment, role arn:aws:iam::1:role/r)"),
            std::string::npos);
}

TEST_F(WebIdentityTest, EmptyOrMissingFileIsAnErrorNamingIt) {
  std::string file = dir_.write("token", "  \n");
  aws::WebIdentityProvider empty(ctx_, {"arn:aws:iam::1:role/r", file, "", "", "environment"});
  try {
    empty.load();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos);
  }
  aws::WebIdentityProvider missing(ctx_,
                                   {"arn:aws:iam::1:role/r", dir_.file("nope"), "", "", "env"});
  try {
    missing.load();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find(dir_.file("nope")), std::string::npos);
  }
  EXPECT_TRUE(sts_.web_tokens.empty());
}

TEST(CachingProvider, RefreshesFiveMinutesBeforeExpiration) {
  ManualClock clock(from_unix_seconds(1764331200));
  struct Counting final : aws::CredentialsProvider {
    explicit Counting(const Clock& c) : clock(c) {}
    std::optional<aws::Credentials> load() override {
      ++calls;
      aws::Credentials c;
      c.access_key_id = "K" + std::to_string(calls);
      c.expiration = clock.now() + std::chrono::hours(1);
      return c;
    }
    std::string name() const override { return "counting"; }
    const Clock& clock;
    int calls = 0;
  };
  auto inner = std::make_unique<Counting>(clock);
  Counting* raw = inner.get();
  aws::CachingProvider cache(std::move(inner), clock);
  EXPECT_EQ(cache.load()->access_key_id, "K1");
  clock.advance(std::chrono::minutes(54));
  EXPECT_EQ(cache.load()->access_key_id, "K1");
  EXPECT_EQ(raw->calls, 1);
  clock.advance(std::chrono::minutes(1) + std::chrono::seconds(1));  // 4m59s left
  EXPECT_EQ(cache.load()->access_key_id, "K2");
  EXPECT_EQ(raw->calls, 2);
  cache.invalidate();
  EXPECT_EQ(cache.load()->access_key_id, "K3");
}

// Issue 18, defect 10: as botocore, credentials still expired after a
// refresh are refused; instance metadata's are used (static stability).
TEST(CachingProvider, RefusesCredentialsStillExpiredAfterARefresh) {
  ManualClock clock(from_unix_seconds(1764331200));
  aws::Credentials c;
  c.access_key_id = "AKIDEXPIRED";
  c.source = "environment";
  c.expiration = clock.now() - std::chrono::hours(1);
  aws::CachingProvider cache(std::make_unique<aws::StaticProvider>(c), clock);
  try {
    cache.load();
    FAIL() << "expired credentials were used";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    std::string m = e.what();
    EXPECT_NE(m.find("environment"), std::string::npos) << m;
    EXPECT_NE(m.find("expired at 2025-11-28T11:00:00Z"), std::string::npos) << m;
  }
  c.source = "imds (role web)";
  aws::CachingProvider imds(std::make_unique<aws::StaticProvider>(c), clock);
  EXPECT_EQ(imds.load()->access_key_id, "AKIDEXPIRED");
}

TEST(CachingProvider, KeepsNonExpiringCredentials) {
  ManualClock clock(from_unix_seconds(0));
  aws::Credentials c;
  c.access_key_id = "STATIC";
  aws::CachingProvider cache(std::make_unique<aws::StaticProvider>(c), clock);
  clock.advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(cache.load()->access_key_id, "STATIC");
}

}  // namespace
}  // namespace ecrhelm::test
