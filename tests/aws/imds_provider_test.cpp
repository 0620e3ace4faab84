// ImdsProvider against a loopback IMDSv2 fixture: the token flow and its
// headers, IMDSv1 fallback, token refresh on 401, endpoint/timeout settings,
// "not on EC2" as nullopt within a bounded time, and no secret in messages.
#include "aws/imds_provider.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <sstream>

#include "support/metadata_fixtures.h"
#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kEndpoint = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
constexpr const char* kMode = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
constexpr const char* kDisabled = "AWS_EC2_METADATA_DISABLED";
constexpr const char* kV1Disabled = "AWS_EC2_METADATA_V1_DISABLED";
constexpr const char* kTimeout = "AWS_METADATA_SERVICE_TIMEOUT";
constexpr const char* kAttempts = "AWS_METADATA_SERVICE_NUM_ATTEMPTS";
constexpr const char* kCredsPath = "/latest/meta-data/iam/security-credentials/";
constexpr const char* kRole = "ecrhelm-node-role";

class ImdsProviderTest : public ::testing::Test {
 protected:
  ImdsProviderTest() : clock_(from_unix_seconds(1764331200)) {
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);  // fixtures are never reached via a proxy
    ctx_.service.http = &http_;
    ctx_.service.env = &env_;
    ctx_.service.clock = &clock_;
    ctx_.service.sleep = [](std::chrono::milliseconds) {};
    env_.set(kEndpoint, server_.url());
  }

  std::optional<aws::Credentials> load() { return aws::ImdsProvider(ctx_).load(); }

  Error load_error() {
    try {
      load();
    } catch (const Error& e) {
      expect_no_secrets(e.what());
      return e;
    }
    ADD_FAILURE() << "load() did not throw";
    return Error(ErrorKind::kInternal, "");
  }

  void expect_no_secrets(const std::string& text) {
    const auto& c = server_.credentials();
    for (const std::string& s :
         {c.secret_access_key, c.session_token, std::string("imds-fixture-token")}) {
      if (s.empty()) continue;
      EXPECT_EQ(text.find(s), std::string::npos) << "secret in: " << text;
    }
  }

  static bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
  }

  ImdsServer server_;
  LoopbackOnlyHttp http_;
  MapEnv env_;
  ManualClock clock_;
  aws::ProviderContext ctx_;
};

TEST_F(ImdsProviderTest, Imdsv2FlowSendsTheTokenEverywhere) {
  auto c = load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, server_.credentials().access_key_id);
  EXPECT_EQ(c->secret_access_key.reveal(), server_.credentials().secret_access_key);
  EXPECT_EQ(c->session_token.reveal(), server_.credentials().session_token);
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(format_iso8601(*c->expiration), "2026-11-28T18:00:00Z");
  EXPECT_EQ(c->source, "imds (role ecrhelm-node-role)");

  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].path, "/latest/api/token");
  EXPECT_EQ(reqs[0].header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_FALSE(reqs[0].header("x-aws-ec2-metadata-token"));
  ASSERT_EQ(server_.issued_tokens().size(), 1u);
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].path, kCredsPath);
  EXPECT_EQ(reqs[1].header("x-aws-ec2-metadata-token"), server_.issued_tokens()[0]);
  EXPECT_EQ(reqs[2].path, std::string(kCredsPath) + kRole);
  EXPECT_EQ(reqs[2].header("x-aws-ec2-metadata-token"), server_.issued_tokens()[0]);
}

TEST_F(ImdsProviderTest, TrailingSlashOfTheEndpointIsStripped) {
  env_.set(kEndpoint, server_.url() + "/");
  ASSERT_TRUE(load());
  auto reqs = server_.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0].path, "/latest/api/token");
  EXPECT_EQ(http_.attempted_urls().at(0), server_.url() + "/latest/api/token");
}

TEST_F(ImdsProviderTest, DisabledIsNulloptWithoutAnyRequest) {
  for (std::string v : {"true", "TRUE", "True"}) {
    env_.set(kDisabled, v);
    EXPECT_FALSE(load());
  }
  env_.set(kEndpoint, "not even a url");  // not looked at when disabled
  EXPECT_FALSE(load());
  EXPECT_TRUE(http_.attempted_urls().empty());
  env_.set(kEndpoint, server_.url());
  env_.set(kDisabled, "false");
  EXPECT_TRUE(load());
}

TEST_F(ImdsProviderTest, InvalidEndpointIsRejectedNamingTheVariable) {
  for (std::string v : {"169.254.169.254", "ftp://169.254.169.254", "not a url"}) {
    SCOPED_TRACE(v);
    env_.set(kEndpoint, v);
    Error e = load_error();
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_TRUE(contains(e.what(), kEndpoint)) << e.what();
  }
  EXPECT_TRUE(http_.attempted_urls().empty());
}

// The default endpoints are only ever reached through the guard, which
// refuses them like an unreachable network: IMDS is then simply absent.
TEST_F(ImdsProviderTest, EndpointModePicksTheDefaultAddress) {
  env_.unset(kEndpoint);
  EXPECT_FALSE(load());
  env_.set(kMode, "IPv6");
  EXPECT_FALSE(load());
  env_.set(kMode, "ipv4");
  EXPECT_FALSE(load());
  auto refused = http_.refused_urls();
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[0], "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(refused[1], "http://[fd00:ec2::254]/latest/api/token");
  EXPECT_EQ(refused[2], "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(server_.request_count(), 0u);

  env_.set(kMode, "IPv5");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(contains(e.what(), kMode)) << e.what();
}

TEST_F(ImdsProviderTest, ExplicitEndpointWinsOverMode) {
  env_.set(kMode, "IPv6");
  ASSERT_TRUE(load());
  EXPECT_TRUE(http_.refused_urls().empty());
}

TEST_F(ImdsProviderTest, FallsBackToImdsv1On403_404_405) {
  server_.set_require_token(false);
  for (int status : {403, 404, 405}) {
    SCOPED_TRACE(status);
    server_.set_token_status(status);
    size_t before = server_.request_count();
    auto c = load();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->source, "imds (role ecrhelm-node-role)");
    auto reqs = server_.requests();
    ASSERT_EQ(reqs.size(), before + 3);
    EXPECT_EQ(reqs[before].method, "PUT");
    EXPECT_FALSE(reqs[before + 1].header("x-aws-ec2-metadata-token"));
    EXPECT_FALSE(reqs[before + 2].header("x-aws-ec2-metadata-token"));
  }
  EXPECT_TRUE(server_.issued_tokens().empty());
}

TEST_F(ImdsProviderTest, NoFallbackWhenImdsv1IsDisabled) {
  server_.set_require_token(false);
  server_.set_token_status(403);
  env_.set(kV1Disabled, "TRUE");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_TRUE(contains(e.what(), kV1Disabled)) << e.what();
  EXPECT_EQ(server_.request_count(), 1u);  // only the PUT
}

TEST_F(ImdsProviderTest, TokenBadRequestIsAnError) {
  server_.set_token_status(400);
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_TRUE(contains(e.what(), "400")) << e.what();
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(ImdsProviderTest, ExpiredTokenIsRefreshedOnceAndTheCallRetried) {
  server_.expire_tokens(1);
  auto c = load();
  ASSERT_TRUE(c);
  auto tokens = server_.issued_tokens();
  ASSERT_EQ(tokens.size(), 2u);
  auto reqs = server_.requests();
  // PUT, GET (401), PUT, GET list, GET role.
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[1].header("x-aws-ec2-metadata-token"), tokens[0]);
  EXPECT_EQ(reqs[2].method, "PUT");
  EXPECT_EQ(reqs[3].header("x-aws-ec2-metadata-token"), tokens[1]);
  EXPECT_EQ(reqs[4].header("x-aws-ec2-metadata-token"), tokens[1]);
}

TEST_F(ImdsProviderTest, A401AfterTheRefreshIsAnError) {
  server_.expire_tokens(2);
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
  EXPECT_TRUE(contains(e.what(), "401")) << e.what();
  EXPECT_EQ(server_.issued_tokens().size(), 2u);  // refreshed once, not in a loop
}

TEST_F(ImdsProviderTest, NoRoleAttachedIsNullopt) {
  server_.set_role(std::nullopt);
  EXPECT_FALSE(load());
  EXPECT_EQ(server_.request_count(), 2u);  // PUT + role list
}

TEST_F(ImdsProviderTest, NonSuccessCodeIsAnError) {
  server_.set_code("AssumeRoleUnauthorizedAccess");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_TRUE(contains(e.what(), "AssumeRoleUnauthorizedAccess")) << e.what();
  EXPECT_TRUE(contains(e.what(), kRole)) << e.what();
}

TEST_F(ImdsProviderTest, ServerErrorsUseTheConfiguredAttempts) {
  server_.fail_data_gets(1, 500);
  Error e = load_error();  // default: one attempt
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_TRUE(contains(e.what(), "500")) << e.what();

  env_.set(kAttempts, "2");
  server_.fail_data_gets(1, 503);
  EXPECT_TRUE(load());
}

// Issue 18, defect 10: botocore answers a token read timeout with IMDSv1
// (InstanceMetadataFetcher._fetch_metadata_token returns None on
// ReadTimeoutError), without retrying the token.
TEST_F(ImdsProviderTest, SlowTokenFallsBackToImdsv1AsBotocore) {
  env_.set(kTimeout, "1");
  server_.set_require_token(false);
  server_.set_delay(std::chrono::seconds(30), std::chrono::milliseconds(0));
  auto start = std::chrono::steady_clock::now();
  auto c = load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->source, "imds (role ecrhelm-node-role)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));  // hang guard
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_FALSE(reqs[1].header("x-aws-ec2-metadata-token"));
}

TEST_F(ImdsProviderTest, SlowTokenAndSlowImdsv1MeansNotOnEc2WithinABound) {
  env_.set(kTimeout, "1");
  env_.set(kAttempts, "1");
  server_.set_require_token(false);
  server_.set_delay(std::chrono::seconds(30), std::chrono::seconds(30));
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(load());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));  // hang guard
}

TEST_F(ImdsProviderTest, SlowTokenWithImdsv1DisabledIsAnError) {
  env_.set(kTimeout, "1");
  env_.set(kV1Disabled, "true");
  server_.set_delay(std::chrono::seconds(30), std::chrono::milliseconds(0));
  Error e = load_error();
  EXPECT_TRUE(contains(e.what(), kV1Disabled)) << e.what();
}

TEST_F(ImdsProviderTest, SlowDataAfterATokenIsANetworkError) {
  env_.set(kTimeout, "0.5");
  server_.set_delay(std::chrono::milliseconds(0), std::chrono::seconds(30));
  auto start = std::chrono::steady_clock::now();
  Error e = load_error();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));  // hang guard
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  EXPECT_TRUE(contains(e.what(), kTimeout)) << e.what();
}

TEST_F(ImdsProviderTest, NothingListeningIsNullopt) {
  env_.set(kEndpoint, "http://127.0.0.1:" + std::to_string(free_port()));
  EXPECT_FALSE(load());
}

TEST_F(ImdsProviderTest, InvalidTimeoutOrAttemptsAreRejected) {
  for (std::string v : {"0", "-1", "soon", "1s"}) {
    SCOPED_TRACE(v);
    env_.set(kTimeout, v);
    Error e = load_error();
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_TRUE(contains(e.what(), kTimeout)) << e.what();
  }
  env_.unset(kTimeout);
  for (std::string v : {"0", "two", "1.5"}) {
    SCOPED_TRACE(v);
    env_.set(kAttempts, v);
    Error e = load_error();
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_TRUE(contains(e.what(), kAttempts)) << e.what();
  }
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(ImdsProviderTest, IncompleteCredentialsAreAnError) {
  FixtureCredentials c = server_.credentials();
  c.session_token.clear();
  server_.set_credentials(c);
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_TRUE(contains(e.what(), "Token")) << e.what();
}

TEST_F(ImdsProviderTest, LogsNeverCarrySecrets) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::trace);
  server_.expire_tokens(1);
  EXPECT_TRUE(load());
  server_.set_code("Failure");
  EXPECT_THROW(load(), Error);
  spdlog::set_default_logger(previous);
  EXPECT_FALSE(out.str().empty());
  expect_no_secrets(out.str());
}

}  // namespace
}  // namespace ecrhelm::test
