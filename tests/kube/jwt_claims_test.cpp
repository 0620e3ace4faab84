// decode_jwt_claims: the claims doctor compares with a trust policy, read
// from a service-account token without verifying it; malformed tokens are
// one-line errors that never quote the token.
#include <gtest/gtest.h>

#include "kube/jwt_claims.h"
#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm::kube {
namespace {

std::string b64url(const std::string& s) {
  std::string b = base64_encode(s);
  for (char& c : b) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::string jwt(const std::string& payload) {
  return b64url(R"({"alg":"RS256"})") + "." + b64url(payload) + ".c2lnbmF0dXJl";
}

std::string error_of(const std::string& token) {
  try {
    decode_jwt_claims(token);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.what();
  }
  return "no error";
}

TEST(JwtClaims, ReadsAServiceAccountTokensClaims) {
  auto c = decode_jwt_claims(
      jwt(R"({"aud":["sts.amazonaws.com"],"exp":1800000000,"iat":1700000000,)"
          R"("iss":"https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",)"
          R"("kubernetes.io":{"namespace":"argocd"},)"
          R"("sub":"system:serviceaccount:argocd:argocd-repo-server"})"));
  EXPECT_EQ(c.iss, "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE");
  EXPECT_EQ(c.sub, "system:serviceaccount:argocd:argocd-repo-server");
  EXPECT_EQ(c.aud, std::vector<std::string>({"sts.amazonaws.com"}));
  EXPECT_EQ(c.exp, 1800000000);
  EXPECT_EQ(c.iat, 1700000000);
}

TEST(JwtClaims, SingleStringAudienceAndMissingClaims) {
  auto c = decode_jwt_claims(jwt(R"({"aud":"sts.amazonaws.com"})"));
  EXPECT_EQ(c.aud, std::vector<std::string>({"sts.amazonaws.com"}));
  EXPECT_EQ(c.iss, "");
  EXPECT_FALSE(c.exp);
}

TEST(JwtClaims, MalformedTokensAreNamedNotQuoted) {
  const std::string secretish = "SECRET-PART-jwt-leakcheck";
  EXPECT_EQ(error_of(secretish), "not a JWT: expected three dot-separated parts");
  EXPECT_EQ(error_of("a." + secretish + ".b.c"), "not a JWT: expected three dot-separated parts");
  EXPECT_EQ(error_of("a.!!" + secretish + ".b"), "JWT payload is not base64url");
  EXPECT_EQ(error_of("a." + b64url("[1]") + ".b"), "JWT payload is not a JSON object");
  EXPECT_EQ(error_of(jwt(R"({"iss":7})")), "JWT claim iss is not a string");
  EXPECT_EQ(error_of(jwt(R"({"aud":[1]})")), "JWT claim aud holds a non-string");
  EXPECT_EQ(error_of(jwt(R"({"aud":{}})")), "JWT claim aud is neither a string nor a list");
  EXPECT_EQ(error_of(jwt(R"({"exp":"soon"})")), "JWT claim exp is not a number");
  EXPECT_EQ(error_of(std::string(kMaxJwtBytes + 1, 'a')), "JWT is larger than 65536 bytes");
}

}  // namespace
}  // namespace ecrhelm::kube
