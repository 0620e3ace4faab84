// ECR answers, the token file cache and target resolution.
#include "aws/ecr.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <thread>
#include <vector>

#include "aws/ecr_login.h"
#include "aws/token_cache.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/identity_key.h"

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
  auto t = aws::parse_ecr_authorization(R"({"authorizationData":[{"authorizationToken":")" +
                                        base64_encode("AWS:pa:ss") +
                                        R"(","expiresAt":1764374400.123}]})");
  EXPECT_EQ(t.password.reveal(), "pa:ss");
  EXPECT_EQ(to_unix_seconds(t.expires_at), 1764374400);
}

TEST(EcrParse, PublicAnswerIsOneObject) {
  auto t = aws::parse_ecr_public_authorization(R"({"authorizationData":{"authorizationToken":")" +
                                               base64_encode("AWS:pub") +
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

IdentityMaterial who(const std::string& name) { return IdentityMaterial().add("who", name); }

aws::AuthorizationToken token_for(TimePoint now, const std::string& password) {
  aws::AuthorizationToken t;
  t.username = "AWS";
  t.password = Secret(password);
  t.proxy_endpoint = "https://x";
  t.expires_at = now + std::chrono::hours(12);
  return t;
}

TEST(TokenFileCache, ReusesUntilHalfOfTheLifetime) {
  TempDir dir;
  aws::TokenFileCache cache(dir.file("sub/tokens.json"));
  TimePoint now = from_unix_seconds(1764331200);
  cache.put(who("k"), token_for(now, "pw-1"), now);
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("sub/tokens.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.file("sub/tokens.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto hit = cache.get(who("k"), now + std::chrono::hours(5) + std::chrono::minutes(59));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->password.reveal(), "pw-1");
  EXPECT_FALSE(cache.get(who("k"), now + std::chrono::hours(6)));
  EXPECT_FALSE(cache.get(who("other"), now));
}

// Docker runs one helper per registry request, often several at once: no
// writer may drop another's entry (issue 18, defect 4).
TEST(TokenFileCache, ConcurrentPutsKeepEveryEntry) {
  constexpr int kWriters = 10;
  TimePoint now = from_unix_seconds(1764331200);
  for (int round = 0; round < 5; ++round) {
    TempDir dir;
    std::string path = dir.file("ecr-tokens.json");
    aws::TokenFileCache(path).put(who("first"), token_for(now, "pw-first"), now);  // makes the key
    std::vector<std::thread> writers;
    for (int i = 0; i < kWriters; ++i) {
      writers.emplace_back([&, i] {
        aws::TokenFileCache(path).put(who("k" + std::to_string(i)),
                                      token_for(now, "pw-" + std::to_string(i)), now);
      });
    }
    for (auto& t : writers) t.join();
    aws::TokenFileCache cache(path);
    for (int i = 0; i < kWriters; ++i)
      EXPECT_TRUE(cache.get(who("k" + std::to_string(i)), now)) << "entry " << i << " was lost";
  }
}

TEST(TokenFileCache, CorruptFileIsIgnoredAndReplaced) {
  TempDir dir;
  std::string path = dir.write("tokens.json", "{garbage");
  aws::TokenFileCache cache(path);
  TimePoint now = from_unix_seconds(1764331200);
  EXPECT_FALSE(cache.get(who("k"), now));
  cache.put(who("k"), token_for(now, "pw"), now);
  EXPECT_TRUE(cache.get(who("k"), now));
}

// The entry names are HMACs under the key beside the file: without that key
// (another key, a key readable by others) nothing is served.
TEST(TokenFileCache, EntriesAreNamedUnderTheKeyBesideTheFile) {
  TempDir dir;
  TimePoint now = from_unix_seconds(1764331200);
  aws::TokenFileCache cache(dir.file("ecr-tokens.json"));
  cache.put(who("k"), token_for(now, "pw-key"), now);
  std::string file = read_file(dir.file("ecr-tokens.json"), "cache");
  auto j = nlohmann::json::parse(file);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j.begin().key().size(), kIdentityNameHexChars);
  // A new key: the old entry is not found any more.
  ASSERT_EQ(::unlink(dir.file("ecr-tokens.key").c_str()), 0);
  EXPECT_FALSE(cache.get(who("k"), now));
  cache.put(who("k"), token_for(now, "pw-new"), now);
  EXPECT_EQ(cache.get(who("k"), now)->password.reveal(), "pw-new");
  // A key others may read is not trusted.
  ASSERT_EQ(::chmod(dir.file("ecr-tokens.key").c_str(), 0644), 0);
  EXPECT_FALSE(cache.get(who("k"), now));
}

// Every piece of credential material changes the identity, not only the key
// id; the material never appears in the name.
TEST(TokenFileCache, IdentityIsAllOfTheCredentialMaterial) {
  TempDir dir;
  aws::TokenFileCache cache(dir.file("ecr-tokens.json"));
  TimePoint now = from_unix_seconds(1764331200);
  MapEnv a;
  a.set("HOME", dir.path());
  a.set("AWS_ACCESS_KEY_ID", "AKIAAAAA");
  a.set("AWS_SECRET_ACCESS_KEY", "secret-a");
  cache.put(aws::chain_identity_material(a, "r", "us-east-1", ""), token_for(now, "pw-a"), now);
  EXPECT_TRUE(cache.get(aws::chain_identity_material(a, "r", "us-east-1", ""), now));

  MapEnv same_key_id_other_secret = a;
  same_key_id_other_secret.set("AWS_SECRET_ACCESS_KEY", "secret-b");
  MapEnv with_session = a;
  with_session.set("AWS_SESSION_TOKEN", "session");
  MapEnv web_identity_1, web_identity_2;
  for (MapEnv* e : {&web_identity_1, &web_identity_2}) {
    e->set("HOME", dir.path());
    e->set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r");
    e->set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.file("token"));
  }
  dir.write("token", "jwt-one");
  cache.put(aws::chain_identity_material(web_identity_1, "r", "us-east-1", ""),
            token_for(now, "pw-w"), now);
  dir.write("token", "jwt-two");  // another token in the same file: another identity
  EXPECT_FALSE(cache.get(aws::chain_identity_material(web_identity_2, "r", "us-east-1", ""), now));
  dir.write("credentials", "[default]\naws_access_key_id = AKIAAAAA\n");
  MapEnv profile_files = a;
  profile_files.set("AWS_SHARED_CREDENTIALS_FILE", dir.file("credentials"));
  for (const MapEnv* other : {&same_key_id_other_secret, &with_session, &profile_files}) {
    EXPECT_FALSE(cache.get(aws::chain_identity_material(*other, "r", "us-east-1", ""), now));
  }
  EXPECT_FALSE(cache.get(aws::chain_identity_material(a, "r", "us-west-2", ""), now));
  EXPECT_FALSE(cache.get(aws::chain_identity_material(a, "r", "us-east-1", "dev"), now));
  std::string file = read_file(dir.file("ecr-tokens.json"), "cache");
  for (const char* s : {"AKIAAAAA", "secret-a", "jwt-one", "arn:aws"})
    EXPECT_EQ(file.find(s), std::string::npos) << s;
}

TEST(EcrTarget, FromRegistryHostRegionOrPublic) {
  MapEnv env;
  auto t =
      aws::resolve_ecr_target("123456789012.dkr.ecr.eu-central-1.amazonaws.com", "", false, env);
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
