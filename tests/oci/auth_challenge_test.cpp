// WWW-Authenticate parsing against headers real registries send, and garbage.
#include "oci/auth_challenge.h"

#include <gtest/gtest.h>

namespace ecrhelm::oci {
namespace {

TEST(WwwAuthenticate, Ecr) {
  auto cs = parse_www_authenticate(
      R"(Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/");
  EXPECT_EQ(cs[0].params.at("service"), "ecr.amazonaws.com");
  EXPECT_TRUE(cs[0].token68.empty());
}

TEST(WwwAuthenticate, DockerHubBearer) {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].params.at("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].params.at("scope"), "repository:library/nginx:pull");
}

TEST(WwwAuthenticate, GhcrBearerWithSeveralScopes) {
  auto cs = parse_www_authenticate(
      R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull repository:user/other:pull,push")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("scope"), "repository:user/image:pull repository:user/other:pull,push");
  EXPECT_EQ(cs[0].params.size(), 3u);
}

TEST(WwwAuthenticate, DistributionHtpasswd) {
  auto cs = parse_www_authenticate(R"(Basic realm="Registry Realm")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "Registry Realm");
}

TEST(WwwAuthenticate, SchemeAndKeysAreCaseInsensitiveValuesAreKept) {
  auto cs = parse_www_authenticate(R"(BEARER Realm="https://Auth.Example/Token",SERVICE=Reg)");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].params.at("realm"), "https://Auth.Example/Token");
  EXPECT_EQ(cs[0].params.at("service"), "Reg");
}

TEST(WwwAuthenticate, EscapesAndCommasInsideQuotes) {
  auto cs = parse_www_authenticate(R"(Bearer realm="a \"quoted\" realm, with comma\\",error="x")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("realm"), R"(a "quoted" realm, with comma\)");
  EXPECT_EQ(cs[0].params.at("error"), "x");
}

TEST(WwwAuthenticate, MultipleChallengesInOneHeader) {
  auto cs = parse_www_authenticate(
      R"(Basic realm="simple", Bearer realm="https://t.example/token", service="reg", Negotiate abc123==, Digest realm="d", nonce="n")");
  ASSERT_EQ(cs.size(), 4u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].params.at("realm"), "simple");
  EXPECT_EQ(cs[0].params.size(), 1u);
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].params.at("realm"), "https://t.example/token");
  EXPECT_EQ(cs[1].params.at("service"), "reg");
  EXPECT_EQ(cs[2].scheme, "negotiate");
  EXPECT_EQ(cs[2].token68, "abc123==");
  EXPECT_TRUE(cs[2].params.empty());
  EXPECT_EQ(cs[3].scheme, "digest");
  EXPECT_EQ(cs[3].params.at("nonce"), "n");
}

TEST(WwwAuthenticate, SloppySpacing) {
  auto cs = parse_www_authenticate(
      "  Bearer   realm = \"https://t/x\" ,\tservice=\"s\"  ,,  scope= \"repository:a:pull\"  ");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("realm"), "https://t/x");
  EXPECT_EQ(cs[0].params.at("service"), "s");
  EXPECT_EQ(cs[0].params.at("scope"), "repository:a:pull");
}

TEST(WwwAuthenticate, MissingCommaBetweenParams) {
  auto cs = parse_www_authenticate(R"(Bearer realm="r" service="s")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("realm"), "r");
  EXPECT_EQ(cs[0].params.at("service"), "s");
}

TEST(WwwAuthenticate, BareSchemes) {
  auto cs = parse_www_authenticate("Basic");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_TRUE(cs[0].params.empty());
  cs = parse_www_authenticate("Basic, Bearer");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[1].scheme, "bearer");
}

TEST(WwwAuthenticate, FirstValueOfARepeatedParamWins) {
  auto cs = parse_www_authenticate(R"(Bearer realm="first", realm="second")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("realm"), "first");
}

TEST(WwwAuthenticate, GarbageNeverThrows) {
  for (const char* h : {"", ",", ",,,", "=", "\"", "\"unterminated", "Bearer realm=\"unterminated",
                        "Bearer realm=", "Bearer =x", "Bearer realm==x", "@@@ Bearer realm=\"x\"",
                        "realm=\"x\"", "Bearer ;;;", "\x01\x02\x03", "Bearer realm=\"a\\"}) {
    SCOPED_TRACE(h);
    EXPECT_NO_THROW(parse_www_authenticate(h));
  }
}

TEST(WwwAuthenticate, GarbageKeepsWhatCameBefore) {
  auto cs = parse_www_authenticate(R"(Bearer realm="ok", service="unterminated)");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("realm"), "ok");
  EXPECT_EQ(cs[0].params.count("service"), 0u);

  cs = parse_www_authenticate(R"(@@@, Basic realm="r")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "basic");

  cs = parse_www_authenticate(R"(realm="orphan", Basic realm="r")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.at("realm"), "r");
}

TEST(WwwAuthenticate, Limits) {
  std::string many;
  for (int i = 0; i < 100; ++i) many += "Basic realm=\"r\", ";
  EXPECT_EQ(parse_www_authenticate(many).size(), kMaxChallenges);

  std::string params = "Bearer ";
  for (int i = 0; i < 100; ++i) params += "p" + std::to_string(i) + "=v, ";
  auto cs = parse_www_authenticate(params);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].params.size(), kMaxChallengeParams);

  std::string huge = "Bearer realm=\"" + std::string(kMaxAuthenticateHeaderLength, 'x') + "\"";
  cs = parse_www_authenticate(huge);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_TRUE(cs[0].params.empty());  // the cut left the quote unterminated
}

TEST(Scope, Pull) { EXPECT_EQ(scope_for_pull("charts/podinfo"), "repository:charts/podinfo:pull"); }

}  // namespace
}  // namespace ecrhelm::oci
