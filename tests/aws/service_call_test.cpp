// send_aws: signing on every attempt, the standard retry mode, and the error
// shapes (Query XML, moto's XML, JSON __type) turned into clear errors.
#include "aws/service_call.h"

#include <gtest/gtest.h>

#include "aws/fakes.h"
#include "aws/sts.h"

namespace ecrhelm::test {
namespace {

class ServiceCallTest : public ::testing::Test {
 protected:
  ServiceCallTest() : clock_(from_unix_seconds(1764331200)) {
    ctx_.http = &http_;
    ctx_.env = &env_;
    ctx_.clock = &clock_;
    ctx_.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    creds_.access_key_id = "AKIDEXAMPLE";
    creds_.secret_access_key = Secret("secret-value-123");
  }
  http::Request request() {
    http::Request r;
    r.method = "POST";
    r.url = "https://api.ecr.us-east-1.amazonaws.com/";
    r.body = "{}";
    return r;
  }
  ScriptedHttp http_;
  MapEnv env_;
  ManualClock clock_;
  aws::ServiceContext ctx_;
  aws::Credentials creds_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(ServiceCallTest, SignsTheRequest) {
  http_.push(200, "{}");
  aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "GetAuthorizationToken");
  ASSERT_EQ(http_.sent.size(), 1u);
  auto auth = http_.sent[0].headers.get("Authorization");
  ASSERT_TRUE(auth);
  EXPECT_TRUE(auth->starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251128/us-east-1/ecr/aws4_request"))
      << *auth;
  EXPECT_EQ(http_.sent[0].headers.get("X-Amz-Date"), "20251128T120000Z");
}

TEST_F(ServiceCallTest, UnsignedCallCarriesNoAuthorization) {
  http_.push(200, "<ok/>");
  aws::send_aws(ctx_, request(), nullptr, "us-east-1", "sts", "AssumeRoleWithWebIdentity");
  EXPECT_FALSE(http_.sent[0].headers.get("Authorization"));
}

TEST_F(ServiceCallTest, RetriesThrottlingThenSucceeds) {
  http_.push(400, R"({"__type":"com.amazonaws.ecr#ThrottlingException","message":"slow down"})");
  http_.push(503, "");
  http_.push(200, "{}");
  auto r = aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "GetAuthorizationToken");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(http_.sent.size(), 3u);
  EXPECT_EQ(sleeps_.size(), 2u);
  for (auto d : sleeps_) EXPECT_LE(d, std::chrono::milliseconds(20000));
}

TEST_F(ServiceCallTest, HonoursRetryAfterAndCapsIt) {
  http::Headers h;
  h.add("Retry-After", "7");
  http_.push(429, "", h);
  http::Headers h2;
  h2.add("Retry-After", "100000");
  http_.push(429, "", h2);
  http_.push(200, "{}");
  ctx_.call_budget = std::chrono::minutes(10);  // the cap, not the budget, is under test
  aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "X");
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(7000));
  EXPECT_EQ(sleeps_[1], ctx_.backoff.max_retry_after);
}

// Issue 18, defect 12: a stalled endpoint and a huge Retry-After end within
// the call's budget (kDefaultAwsCallBudget), not after 3 x 30 s or 120 s.
TEST_F(ServiceCallTest, StalledEndpointEndsWithinTheCallBudget) {
  std::vector<std::chrono::milliseconds> timeouts;
  for (int i = 0; i < 3; ++i) {
    http_.push([&](const http::Request& req) -> http::Response {
      timeouts.push_back(req.timeout);
      clock_.advance(req.timeout);  // stalls for the whole attempt
      throw Error(ErrorKind::kNetwork, "POST " + req.url + ": Operation timed out");
    });
  }
  TimePoint start = clock_.now();
  try {
    aws::send_aws(ctx_, request(), &creds_, "us-east-1", "sts", "GetCallerIdentity");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
    EXPECT_NE(std::string(e.what()).find("budget"), std::string::npos) << e.what();
  }
  std::chrono::milliseconds total =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - start);
  for (auto d : sleeps_) total += d;
  EXPECT_LE(total, aws::kDefaultAwsCallBudget);
  ASSERT_GE(timeouts.size(), 2u);
  EXPECT_EQ(timeouts[0], http::kDefaultTimeout);
  EXPECT_LT(timeouts[1], http::kDefaultTimeout) << "the second attempt was not cut to fit";
}

TEST_F(ServiceCallTest, RetryAfterBeyondTheBudgetEndsTheCallAtOnce) {
  http::Headers h;
  h.add("Retry-After", "100000");
  http_.push(429, "", h);
  try {
    aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "GetAuthorizationToken");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kThrottled);
    std::string m = e.what();
    EXPECT_NE(m.find("Retry-After 100000 s"), std::string::npos) << m;
    EXPECT_NE(m.find("budget"), std::string::npos) << m;
  }
  EXPECT_TRUE(sleeps_.empty()) << "waited although the wait could not fit";
  EXPECT_EQ(http_.sent.size(), 1u);
}

TEST_F(ServiceCallTest, GivesUpAfterMaxAttemptsWithTheCode) {
  for (int i = 0; i < 3; ++i)
    http_.push(
        400,
        R"(<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>rid-1</RequestId></ErrorResponse>)");
  try {
    aws::send_aws(ctx_, request(), &creds_, "us-east-1", "sts", "AssumeRole");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kThrottled);
    std::string m = e.what();
    EXPECT_NE(m.find("sts AssumeRole failed: Throttling: Rate exceeded"), std::string::npos) << m;
    EXPECT_NE(m.find("3 attempts"), std::string::npos) << m;
    EXPECT_NE(m.find("rid-1"), std::string::npos) << m;
  }
  EXPECT_EQ(http_.sent.size(), 3u);
}

TEST_F(ServiceCallTest, RetriesConnectionErrors) {
  http_.push_network_error();
  http_.push(200, "{}");
  EXPECT_EQ(aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "X").status, 200);
  http_.push_network_error();
  http_.push_network_error();
  http_.push_network_error();
  try {
    aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "GetAuthorizationToken");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
    EXPECT_NE(std::string(e.what()).find("ecr GetAuthorizationToken"), std::string::npos);
  }
}

TEST_F(ServiceCallTest, IdpCommunicationErrorIsRetried) {
  http_.push(400,
             "<ErrorResponse><Error><Code>IDPCommunicationError</Code></Error></ErrorResponse>");
  http_.push(200, "<ok/>");
  EXPECT_EQ(aws::send_aws(ctx_, request(), nullptr, "us-east-1", "sts", "X").status, 200);
}

TEST_F(ServiceCallTest, AccessDeniedIsNotRetriedAndMapsToForbidden) {
  // moto's XML shape for a JSON-protocol service.
  http_.push(403, R"(<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/x is not authorized to perform: ecr:DescribeRepositories</Message><Type>Sender</Type></Error></Errors></ErrorResponse>)");
  try {
    aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "DescribeRepositories");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kForbidden);
    EXPECT_NE(std::string(e.what()).find("AccessDenied: User: arn:aws:iam"), std::string::npos);
  }
  EXPECT_EQ(http_.sent.size(), 1u);
}

TEST_F(ServiceCallTest, SignatureMismatchMapsToUnauthorized) {
  http_.push(403, R"({"__type":"InvalidSignatureException","message":"bad sig"})");
  try {
    aws::send_aws(ctx_, request(), &creds_, "us-east-1", "ecr", "GetAuthorizationToken");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    EXPECT_EQ(std::string(e.what()).find("secret-value-123"), std::string::npos);
  }
}

TEST(ParseAwsError, KnowsEveryShape) {
  http::Response r;
  r.body =
      R"({"__type":"com.amazon.coral.service#ExpiredTokenException:http://internal","Message":"expired"})";
  auto e = aws::parse_aws_error(r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "ExpiredTokenException");
  EXPECT_EQ(e->message, "expired");

  r.body = "<Error><Code>NoSuchKey</Code><Message>m</Message></Error>";
  ASSERT_TRUE(aws::parse_aws_error(r));
  EXPECT_EQ(aws::parse_aws_error(r)->code, "NoSuchKey");

  r.body = "";
  r.headers.add("x-amzn-ErrorType", "ServerException:http://x");
  ASSERT_TRUE(aws::parse_aws_error(r));
  EXPECT_EQ(aws::parse_aws_error(r)->code, "ServerException");

  http::Response html;
  html.body = "<!doctype html><html><title>500</title></html>";
  EXPECT_FALSE(aws::parse_aws_error(html));
}

TEST(StsParsers, CallerIdentityAndAssumedCredentials) {
  auto id = aws::parse_caller_identity(
      R"(<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><UserId>AROA:s</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>)");
  EXPECT_EQ(id.account, "123456789012");
  EXPECT_EQ(id.user_id, "AROA:s");
  auto c = aws::parse_assumed_credentials(
      R"(<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken><Expiration>2026-11-28T13:17:01.531744Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::210987654321:assumed-role/r/s</Arn></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>)",
      "AssumeRoleResult");
  EXPECT_EQ(c.access_key_id, "ASIA1");
  EXPECT_EQ(c.secret_access_key.reveal(), "sk");
  EXPECT_EQ(c.account_id, "210987654321");
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(format_iso8601(*c.expiration), "2026-11-28T13:17:01Z");
  EXPECT_THROW(aws::parse_assumed_credentials("<x/>", "AssumeRoleResult"), Error);
  EXPECT_THROW(aws::parse_assumed_credentials("not xml", "AssumeRoleResult"), Error);
  EXPECT_THROW(aws::parse_caller_identity("<GetCallerIdentityResponse/>"), Error);
}

TEST(StsClient, SendsTheQueryProtocolForm) {
  ScriptedHttp http;
  MapEnv env;
  env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
  ManualClock clock(from_unix_seconds(1764331200));
  aws::ServiceContext ctx;
  ctx.http = &http;
  ctx.env = &env;
  ctx.clock = &clock;
  http.push(200,
            "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
            "<AccessKeyId>ASIA2</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t"
            "</SessionToken><Expiration>2026-11-28T13:00:00Z</Expiration></Credentials>"
            "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
  aws::StsClient sts(ctx, "eu-west-1");
  aws::WebIdentityParams p;
  p.role_arn = "arn:aws:iam::1:role/a b";
  p.session_name = "s";
  p.web_identity_token = Secret("jwt.value.here");
  auto c = sts.assume_role_with_web_identity(p);
  EXPECT_EQ(c.access_key_id, "ASIA2");
  ASSERT_EQ(http.sent.size(), 1u);
  const auto& req = http.sent[0];
  EXPECT_EQ(req.url, "http://127.0.0.1:9/");
  EXPECT_EQ(req.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%"
            "3Arole%2Fa%20b"
            "&RoleSessionName=s&WebIdentityToken=jwt.value.here");
  EXPECT_FALSE(req.headers.get("Authorization"));
}

}  // namespace
}  // namespace ecrhelm::test
