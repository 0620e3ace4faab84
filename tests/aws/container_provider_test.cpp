// ContainerProvider (ECS task role, EKS Pod Identity) against a loopback
// container-credentials fixture: host allow-list checked before any request,
// token file re-read per load, retries, endpoint errors, and no secret in
// any message or log line.
#include "aws/container_provider.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <sstream>

#include "http/url.h"
#include "support/metadata_fixtures.h"
#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kFullUri = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
constexpr const char* kRelativeUri = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
constexpr const char* kTokenFile = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
constexpr const char* kToken = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
constexpr const char* kFileToken = "eks-pod-identity-token-FROM-FILE-1";
constexpr const char* kEnvToken = "eks-pod-identity-token-FROM-ENV-9";

class ContainerProviderTest : public ::testing::Test {
 protected:
  ContainerProviderTest() : clock_(from_unix_seconds(1764331200)) {
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);  // fixtures are never reached via a proxy
    ctx_.service.http = &http_;
    ctx_.service.env = &env_;
    ctx_.service.clock = &clock_;
    ctx_.service.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    server_.set_credentials(creds_);
  }

  std::optional<aws::Credentials> load() { return aws::ContainerProvider(ctx_).load(); }

  // Runs load() expecting an Error; checks no secret leaks into its message.
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
    for (const std::string& s : {creds_.secret_access_key, creds_.session_token,
                                 std::string(kFileToken), std::string(kEnvToken)}) {
      if (s.empty()) continue;
      EXPECT_EQ(text.find(s), std::string::npos) << "secret in: " << text;
    }
  }

  static bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
  }

  FixtureCredentials creds_ = [] {
    FixtureCredentials c;
    c.account_id = "111122223333";
    return c;
  }();
  ContainerServer server_;
  LoopbackOnlyHttp http_;
  MapEnv env_;
  ManualClock clock_;
  std::vector<std::chrono::milliseconds> sleeps_;
  aws::ProviderContext ctx_;
  TempDir dir_;
};

TEST_F(ContainerProviderTest, NotConfiguredIsNullopt) {
  EXPECT_FALSE(load());
  env_.set(kFullUri, "");
  env_.set(kRelativeUri, "");
  EXPECT_FALSE(load());
  EXPECT_TRUE(http_.attempted_urls().empty());
}

TEST_F(ContainerProviderTest, FullUriOnLoopbackGivesCredentials) {
  env_.set(kFullUri, server_.url() + "/v1/credentials?x=1");
  auto c = load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, creds_.access_key_id);
  EXPECT_EQ(c->secret_access_key.reveal(), creds_.secret_access_key);
  EXPECT_EQ(c->session_token.reveal(), creds_.session_token);
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(format_iso8601(*c->expiration), "2026-11-28T18:00:00Z");
  EXPECT_EQ(c->account_id, "111122223333");
  EXPECT_EQ(c->source, "container (127.0.0.1)");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/v1/credentials");
  EXPECT_EQ(reqs[0].header("accept"), "application/json");
  EXPECT_FALSE(reqs[0].header("authorization"));
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(ContainerProviderTest, AccountIdIsOptional) {
  FixtureCredentials c = creds_;
  c.account_id.clear();
  server_.set_credentials(c);
  env_.set(kFullUri, server_.url() + "/creds");
  auto got = load();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->account_id, "");
}

TEST_F(ContainerProviderTest, TokenFileIsRereadOnEveryLoad) {
  std::string file = dir_.write("token", std::string(kFileToken) + "\n");
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kTokenFile, file);
  server_.set_expected_authorization(kFileToken);
  ASSERT_TRUE(load());

  dir_.write("token", "eks-pod-identity-token-ROTATED-2\r\n");
  server_.set_expected_authorization("eks-pod-identity-token-ROTATED-2");
  ASSERT_TRUE(load());

  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("authorization"), kFileToken);
  EXPECT_EQ(reqs[1].header("authorization"), "eks-pod-identity-token-ROTATED-2");
}

TEST_F(ContainerProviderTest, TokenFileWinsOverTokenVariable) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kTokenFile, dir_.write("token", kFileToken));
  env_.set(kToken, kEnvToken);
  ASSERT_TRUE(load());
  EXPECT_EQ(server_.requests().at(0).header("authorization"), kFileToken);
}

TEST_F(ContainerProviderTest, TokenVariableIsSentWhenNoFile) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kToken, kEnvToken);
  server_.set_expected_authorization(kEnvToken);
  ASSERT_TRUE(load());
  EXPECT_EQ(server_.requests().at(0).header("authorization"), kEnvToken);
}

TEST_F(ContainerProviderTest, TokenWithLineBreakIsRejectedBeforeAnyRequest) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kToken, std::string(kEnvToken) + "\r\nX-Injected: 1");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(contains(e.what(), kToken)) << e.what();
  EXPECT_FALSE(contains(e.what(), "X-Injected")) << e.what();

  env_.set(kTokenFile, dir_.write("token", std::string(kFileToken) + "\nsecond line\n"));
  e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(contains(e.what(), kTokenFile)) << e.what();
  EXPECT_TRUE(http_.attempted_urls().empty());
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(ContainerProviderTest, MissingOrEmptyTokenFileIsAnErrorNamingIt) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kTokenFile, dir_.file("absent"));
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(contains(e.what(), dir_.file("absent"))) << e.what();

  env_.set(kTokenFile, dir_.write("empty", "\n"));
  e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(contains(e.what(), "empty")) << e.what();
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(ContainerProviderTest, DisallowedHostsAreRejectedWithoutAnyConnection) {
  for (std::string uri :
       {"http://10.0.0.1/creds", "http://example.com/creds", "https://example.com/creds",
        "http://169.254.169.254/latest", "http://169.254.170.3/v1", "http://[fd00:ec2::24]/v1",
        "http://127.0.0.1.example.com/v1"}) {
    SCOPED_TRACE(uri);
    env_.set(kFullUri, uri);
    Error e = load_error();
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    std::string host = http::parse_url(uri)->host;
    EXPECT_TRUE(contains(e.what(), kFullUri)) << e.what();
    EXPECT_TRUE(contains(e.what(), "\"" + host + "\"")) << e.what();
    EXPECT_TRUE(contains(e.what(), "169.254.170.23")) << e.what();
    EXPECT_TRUE(contains(e.what(), "fd00:ec2::23")) << e.what();
    EXPECT_TRUE(contains(e.what(), "loopback")) << e.what();
  }
  EXPECT_TRUE(http_.attempted_urls().empty());
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(ContainerProviderTest, FullUriThatIsNotAUrlIsRejected) {
  env_.set(kFullUri, "169.254.170.23/v1/credentials");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(contains(e.what(), kFullUri)) << e.what();
  EXPECT_TRUE(http_.attempted_urls().empty());
}

// The allowed link-local hosts are only ever reached through the guard, which
// refuses them: what we check is the URL the provider built and the source.
TEST_F(ContainerProviderTest, AllowedHostsPickTheSourceName) {
  struct Case {
    std::string uri;
    std::string source;
  };
  for (const Case& c :
       {Case{"http://169.254.170.23/v1/credentials", "container (EKS Pod Identity)"},
        Case{"http://[fd00:ec2::23]/v1/credentials", "container (EKS Pod Identity)"},
        Case{"http://[fd00:ec2:0:0:0:0:0:23]/v1", "container (EKS Pod Identity)"},
        Case{"http://169.254.170.2/v2/credentials/x", "container (ECS)"},
        Case{"http://localhost:1/v1", "container (localhost)"},
        Case{"http://127.0.0.2:1/v1", "container (127.0.0.2)"},
        Case{"http://[::1]:1/v1", "container (::1)"}}) {
    SCOPED_TRACE(c.uri);
    env_.set(kFullUri, c.uri);
    size_t before = http_.refused_urls().size();
    Error e = load_error();
    EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
    EXPECT_TRUE(contains(e.what(), c.source)) << e.what();
    auto refused = http_.refused_urls();
    ASSERT_EQ(refused.size(), before + 3);  // three tries
    EXPECT_EQ(refused.back(), c.uri);
  }
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(ContainerProviderTest, RelativeUriGoesToTheEcsHostAndWinsOverFullUri) {
  env_.set(kRelativeUri, "/v2/credentials/task-guid");
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  EXPECT_TRUE(contains(e.what(), "container (ECS)")) << e.what();
  EXPECT_TRUE(contains(e.what(), kRelativeUri)) << e.what();
  auto refused = http_.refused_urls();
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[0], "http://169.254.170.2/v2/credentials/task-guid");
  EXPECT_EQ(server_.request_count(), 0u);
  // Two short sleeps between the three tries, through the injectable sleep.
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_LE(sleeps_[0], std::chrono::milliseconds(1000));
}

TEST_F(ContainerProviderTest, RelativeUriMustBeAPath) {
  for (std::string rel : {"v2/credentials", "@evil.example/creds", ":8080/creds"}) {
    SCOPED_TRACE(rel);
    env_.set(kRelativeUri, rel);
    Error e = load_error();
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_TRUE(contains(e.what(), kRelativeUri)) << e.what();
  }
  EXPECT_TRUE(http_.attempted_urls().empty());
}

TEST_F(ContainerProviderTest, WrongTokenIs401WithTheEndpointsCodeAndMessage) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kToken, kEnvToken);
  server_.set_expected_authorization("the-right-token");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
  EXPECT_TRUE(contains(e.what(), "401")) << e.what();
  EXPECT_TRUE(contains(e.what(), "InvalidToken: Authorization header does not match")) << e.what();
  EXPECT_TRUE(contains(e.what(), "AWS_CONTAINER_AUTHORIZATION_TOKEN")) << e.what();
  EXPECT_EQ(server_.request_count(), 1u);  // a 4xx is not retried
}

TEST_F(ContainerProviderTest, AnEchoedTokenIsRedactedFromTheMessage) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kToken, kEnvToken);
  server_.fail_next(1, 403,
                    std::string(R"({"Code":"AccessDeniedException","Message":"token )") +
                        kEnvToken + R"( has no association"})");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kForbidden);
  EXPECT_TRUE(contains(e.what(), "AccessDeniedException")) << e.what();
  EXPECT_TRUE(contains(e.what(), "<redacted>")) << e.what();
}

// The echo straddles the message's length limit: no prefix of the token is left.
TEST_F(ContainerProviderTest, AnEchoedTokenCutByTheLengthLimitLeavesNoPrefix) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kToken, kEnvToken);
  const std::string code = "AccessDeniedException: ";  // our text is "Code: Message"
  std::string pad(300 - code.size() - 10, 'x');
  server_.fail_next(
      1, 403,
      std::string(R"({"Code":"AccessDeniedException","Message":")") + pad + kEnvToken + R"("})");
  Error e = load_error();
  std::string token = kEnvToken;
  EXPECT_FALSE(contains(e.what(), token.substr(0, 10))) << e.what();
}

TEST_F(ContainerProviderTest, CodeAndMessageWith200IsAnError) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  server_.set_body_override(
      R"({"Code":"AccessDeniedException","Message":"no pod identity association for sa default/app"})");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kForbidden);
  EXPECT_TRUE(contains(e.what(), "AccessDeniedException")) << e.what();
  EXPECT_TRUE(contains(e.what(), "no pod identity association for sa default/app")) << e.what();
  EXPECT_TRUE(contains(e.what(), "container (127.0.0.1)")) << e.what();
}

TEST_F(ContainerProviderTest, ServerErrorsAreRetriedThenSucceed) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  server_.fail_next(2, 500, R"({"Code":"InternalError","Message":"agent restarting"})");
  auto c = load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, creds_.access_key_id);
  EXPECT_EQ(server_.request_count(), 3u);
  EXPECT_EQ(sleeps_.size(), 2u);
}

TEST_F(ContainerProviderTest, PersistentServerErrorsFailAfterThreeTries) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  server_.fail_next(10, 503, "upstream busy");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_TRUE(contains(e.what(), "503")) << e.what();
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(ContainerProviderTest, NotFoundIsNotRetried) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  server_.fail_next(5, 404);
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(ContainerProviderTest, ASlowEndpointTimesOutWithinABound) {
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  server_.set_delay(std::chrono::seconds(30));
  auto start = std::chrono::steady_clock::now();
  Error e = load_error();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  EXPECT_TRUE(contains(e.what(), "3 tries")) << e.what();
  EXPECT_LT(elapsed, std::chrono::seconds(25));  // hang guard: 3 x 2 s expected
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(ContainerProviderTest, NothingListeningIsANetworkError) {
  env_.set(kFullUri, "http://127.0.0.1:" + std::to_string(free_port()) + "/v1/credentials");
  Error e = load_error();
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  EXPECT_TRUE(contains(e.what(), "EKS Pod Identity agent")) << e.what();
}

TEST_F(ContainerProviderTest, LogsNeverCarrySecrets) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::trace);
  env_.set(kFullUri, server_.url() + "/v1/credentials");
  env_.set(kTokenFile, dir_.write("token", kFileToken));
  server_.fail_next(1, 500);
  EXPECT_TRUE(load());
  spdlog::set_default_logger(previous);
  EXPECT_FALSE(out.str().empty());
  expect_no_secrets(out.str());
}

// ---------------------------------------------------------------- parser

TEST(ParseContainerCredentials, RequiresEveryField) {
  const std::string full =
      R"({"AccessKeyId":"ASIA1","SecretAccessKey":"s3cr3t","Token":"t0k3n","Expiration":"2026-11-28T18:00:00Z"})";
  auto c = aws::parse_container_credentials(full, "container (ECS)");
  EXPECT_EQ(c.source, "container (ECS)");
  EXPECT_EQ(c.account_id, "");
  for (const char* field : {"SecretAccessKey", "Token", "Expiration"}) {
    SCOPED_TRACE(field);
    auto j = nlohmann::json::parse(full);
    j.erase(field);
    try {
      aws::parse_container_credentials(j.dump(), "container (ECS)");
      ADD_FAILURE() << "accepted a document without " << field;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kRemote);
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("t0k3n"), std::string::npos) << e.what();
    }
  }
}

TEST(ParseContainerCredentials, RejectsBadShapes) {
  for (
      std::string body :
      {"", "not json", "[]", R"({"AccessKeyId":1})", R"({})",
       R"({"AccessKeyId":"A","SecretAccessKey":"s","Token":"t","Expiration":"tomorrow"})",
       R"({"AccessKeyId":"A","SecretAccessKey":["s"],"Token":"t","Expiration":"2026-11-28T18:00:00Z"})",
       R"({"Code":"Throttling"})"}) {
    SCOPED_TRACE(body);
    EXPECT_THROW(aws::parse_container_credentials(body, "container (ECS)"), Error);
  }
}

TEST(ParseContainerCredentials, AcceptsFractionalAndOffsetExpiration) {
  auto c = aws::parse_container_credentials(
      R"({"AccessKeyId":"A","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-28T20:00:00.123+02:00","AccountId":"123456789012"})",
      "x");
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(format_iso8601(*c.expiration), "2026-11-28T18:00:00Z");
  EXPECT_EQ(c.account_id, "123456789012");
}

}  // namespace
}  // namespace ecrhelm::test
