// ECR answers, the token file cache and target resolution.
#include "aws/ecr.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "aws/ecr_login.h"
#include "aws/token_cache.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

TEST(EcrParse, PrivateAnswer) {
  auto t = aws::parse_ecr_authorization(
      R"({"authorizationData":[{"authorizationToken":"QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu","expiresAt":1420070400,"proxyEndpoint":"https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]})");
  EXPECT_EQ(t.username, "AWS");
  EXPECT_EQ(t.password.reveal(), "123456789012-auth-token");
  EXPECT_EQ(t.proxy_endpoint, "https://123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(to_unix_seconds(t.expires_at), 1420070400);
}

TEST(EcrParse, FractionalExpiryAndPasswordWithColons) {
  auto t = aws::parse_ecr_authorization(
      R"({"authorizationData":[{"authorizationToken":")" + base64_encode("AWS:pa:ss") +
      R"(","expiresAt":1764374400.123}]})");
  EXPECT_EQ(t.password.reveal(), "pa:ss");
  EXPECT_EQ(to_unix_seconds(t.expires_at), 1764374400);
}

TEST(EcrParse, PublicAnswerIsOneObject) {
  auto t = aws::parse_ecr_public_authorization(
      R"({"authorizationData":{"authorizationToken":")" + base64_encode("AWS:pub") +
      R"(","expiresAt":1764374400}})");
  EXPECT_EQ(t.password.reveal(), "pub");
  EXPECT_EQ(t.proxy_endpoint, "https://public.ecr.aws");
}

TEST(EcrParse, MalformedAnswersAreRemoteErrors) {
  for (const char* body : {"", "[]", "{}", R"({"authorizationData":[]})",
                           R"({"authorizationData":[{"authorizationToken":"!!!","expiresAt":1}]})",
                           R"({"authorizationData":[{"authorizationToken":"QVdT","expiresAt":1}]})",
                           R"({"authorizationData":[{"authorizationToken":"QVdTOnA="}]})"}) {
    try {
      aws::parse_ecr_authorization(body);
      ADD_FAILURE() << "accepted: " << body;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kRemote) << body;
    }
  }
}

TEST(TokenFileCache, ReusesUntilHalfOfTheLifetime) {
  TempDir dir;
  aws::TokenFileCache cache(dir.file("sub/tokens.json"));
  TimePoint now = from_unix_seconds(1764331200);
  aws::AuthorizationToken t;
  t.username = "AWS";
  t.password = Secret("pw-1");
  t.proxy_endpoint = "https://x";
  t.expires_at = now + std::chrono::hours(12);
  cache.put("k", t, now);
  struct stat st{};
  ASSERT_EQ(::stat(dir.file("sub/tokens.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto hit = cache.get("k", now + std::chrono::hours(5) + std::chrono::minutes(59));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->password.reveal(), "pw-1");
  EXPECT_FALSE(cache.get("k", now + std::chrono::hours(6)));
  EXPECT_FALSE(cache.get("other", now));
}

TEST(TokenFileCache, CorruptFileIsIgnoredAndReplaced) {
  TempDir dir;
  std::string path = dir.write("tokens.json", "{garbage");
  aws::TokenFileCache cache(path);
  TimePoint now = from_unix_seconds(1764331200);
  EXPECT_FALSE(cache.get("k", now));
  aws::AuthorizationToken t;
  t.username = "AWS";
  t.password = Secret("pw");
  t.expires_at = now + std::chrono::hours(1);
  cache.put("k", t, now);
  EXPECT_TRUE(cache.get("k", now));
}

TEST(TokenFileCache, KeyDependsOnCredentialSettingsButHoldsNoKeyId) {
  MapEnv a, b;
  a.set("AWS_ACCESS_KEY_ID", "AKIAAAAA");
  b.set("AWS_ACCESS_KEY_ID", "AKIABBBB");
  auto ka = aws::token_cache_key(a, "r", "us-east-1", "");
  EXPECT_NE(ka, aws::token_cache_key(b, "r", "us-east-1", ""));
  EXPECT_NE(ka, aws::token_cache_key(a, "r", "us-west-2", ""));
  EXPECT_NE(ka, aws::token_cache_key(a, "r", "us-east-1", "dev"));
  EXPECT_EQ(ka, aws::token_cache_key(a, "r", "us-east-1", ""));
  EXPECT_EQ(ka.find("AKIA"), std::string::npos);
}

TEST(EcrTarget, FromRegistryHostRegionOrPublic) {
  MapEnv env;
  auto t = aws::resolve_ecr_target("123456789012.dkr.ecr.eu-central-1.amazonaws.com", "", false, env);
  EXPECT_EQ(t.region, "eu-central-1");
  EXPECT_EQ(t.registry_id, "123456789012");
  EXPECT_FALSE(t.is_public);
  auto p = aws::resolve_ecr_target("", "", true, env);
  EXPECT_TRUE(p.is_public);
  EXPECT_EQ(p.region, "us-east-1");
  env.set("AWS_DEFAULT_REGION", "ap-south-1");
  EXPECT_EQ(aws::resolve_ecr_target("", "", false, env).region, "ap-south-1");
  env.set("AWS_REGION", "us-west-2");
  EXPECT_EQ(aws::resolve_ecr_target("", "", false, env).region, "us-west-2");
  EXPECT_EQ(aws::resolve_ecr_target("", "sa-east-1", false, env).region, "sa-east-1");
  EXPECT_THROW(aws::resolve_ecr_target("123456789012.dkr.ecr.eu-central-1.amazonaws.com",
                                       "us-east-1", false, env),
               Error);
  EXPECT_THROW(aws::resolve_ecr_target("quay.io", "", false, env), Error);
}

}  // namespace
}  // namespace ecrhelm::test
